//! Events and deliveries for tests, the bench, support and the health report; an event's
//! status on SQLite is read from both databases.

use super::claim::applied_through;
use super::row::{mixed_backends, EventRow};
use crate::storage::backend::on_db;
use crate::storage::backend::{DbRef, PerBackend};
use crate::storage::db::Deliveries;
use std::collections::HashMap;

/// Every event with its status, in arrival order (`status` keeps only those with that
/// status): for tests, the bench and support.
pub async fn list<'a>(
    main: impl Into<DbRef<'a>>,
    store: &Deliveries,
    status: Option<&str>,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let (main, store) = match (main.into(), store) {
        (DbRef::Sqlite(main), Deliveries::Sqlite { pool, .. }) => (main, pool),
        (_, Deliveries::Postgres(pool)) => {
            // One database: each event's status is kept in its row.
            return sqlx::query_as(
                "SELECT id, delivery_id, dedupe_key, page_id, channel, kind, sender_id,
                        timestamp_ms, payload, status
                 FROM webhook_events WHERE ($1::text IS NULL OR status = $1) ORDER BY id",
            )
            .bind(status)
            .fetch_all(pool)
            .await;
        }
        (DbRef::Postgres(_), _) => return Err(mixed_backends()),
    };
    // The cursor first: an event applied after this read shows as pending, never the reverse.
    let cursor = applied_through(main).await?;
    let failures: HashMap<i64, String> =
        sqlx::query_as("SELECT event_id, error FROM event_failures WHERE event_id <= $1")
            .bind(cursor)
            .fetch_all(main)
            .await?
            .into_iter()
            .collect();
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT id, delivery_id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms,
                payload, status
         FROM webhook_events ORDER BY id",
    )
    .fetch_all(store)
    .await?;
    Ok(rows
        .into_iter()
        .map(|mut row| {
            if row.status == "pending" && row.id <= cursor {
                row.status = if failures.contains_key(&row.id) {
                    "failed"
                } else {
                    "done"
                }
                .into();
            }
            row
        })
        .filter(|row| status.is_none_or(|s| row.status == s))
        .collect())
}

/// The error recorded for an event that could not be applied.
pub async fn failure<'a>(
    main: impl Into<DbRef<'a>>,
    id: i64,
) -> Result<Option<String>, sqlx::Error> {
    const FAILURE: PerBackend = PerBackend {
        sqlite: "SELECT error FROM event_failures WHERE event_id = $1",
        postgres: "SELECT error FROM webhook_events WHERE id = $1 AND status = 'failed'",
    };
    let main = main.into();
    let sql = FAILURE.get(main.backend());
    let row: Option<(Option<String>,)> =
        on_db!(main, pool => sqlx::query_as(sql).bind(id).fetch_optional(pool).await?);
    Ok(row.and_then(|(e,)| e))
}

pub async fn count_deliveries(store: &Deliveries) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_db!(store.db(), pool => {
        sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries")
            .fetch_one(pool)
            .await?
    });
    Ok(n)
}

/// Unix seconds of the newest webhook delivery stored, if any.
pub async fn last_delivery_at(store: &Deliveries) -> Result<Option<i64>, sqlx::Error> {
    let (at,): (Option<i64>,) = on_db!(store.db(), pool => {
        sqlx::query_as("SELECT MAX(received_at) FROM webhook_deliveries")
            .fetch_one(pool)
            .await?
    });
    Ok(at)
}

/// How many events wait to be applied, and when the oldest was received (unix seconds).
pub async fn pending_lag<'a>(
    main: impl Into<DbRef<'a>>,
    store: &Deliveries,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let (main, store) = match (main.into(), store) {
        (DbRef::Sqlite(main), Deliveries::Sqlite { pool, .. }) => (main, pool),
        (_, Deliveries::Postgres(pool)) => {
            return sqlx::query_as(
                "SELECT COUNT(*), MIN(received_at) FROM webhook_events WHERE status = 'pending'",
            )
            .fetch_one(pool)
            .await;
        }
        (DbRef::Postgres(_), _) => return Err(mixed_backends()),
    };
    let after = applied_through(main).await?;
    sqlx::query_as(
        "SELECT COUNT(*), MIN(received_at) FROM webhook_events
         WHERE status = 'pending' AND id > $1",
    )
    .bind(after)
    .fetch_one(store)
    .await
}
