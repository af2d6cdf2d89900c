//! Durable storage of webhook deliveries and their events, deduplicated by event key, and
//! the runtime's record of which events it has applied.
//!
//! Deliveries and events live in [`Deliveries`] (a file of their own beside a database on
//! disk) and are written once, by the webhook. The runtime never updates them: it applies
//! events in id order and keeps its place in the main database, in the same transaction as
//! the events' effects. That place is a cursor, `event_progress.applied_through`: every event
//! stored as 'pending' with an id up to it has been applied, and those that could not be have
//! a row in `event_failures`. Events stored as 'ignored' are never applied. An event's status
//! is therefore read from both databases (see [`list`]).

use std::collections::HashMap;

use sqlx::SqlitePool;

use crate::db::Deliveries;

/// One event ready to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub dedupe_key: String,
    pub page_id: String,
    /// "messaging" or "standby".
    pub channel: &'static str,
    pub kind: String,
    pub sender_id: Option<String>,
    pub recipient_id: Option<String>,
    pub timestamp_ms: Option<i64>,
    /// The event object as received (JSON).
    pub payload: String,
    /// False for kinds the runtime does not act on: stored as 'ignored'.
    pub actionable: bool,
}

/// What storing a delivery did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub delivery_id: i64,
    /// Events stored for the first time.
    pub new_events: u64,
    /// Events already stored by an earlier delivery (Facebook retries).
    pub duplicates: u64,
}

/// One delivery ready to store: the raw body and the events read from it.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub object: Option<String>,
    pub body: String,
    pub events: Vec<NewEvent>,
}

/// Stores the raw delivery and its events in one transaction: all or nothing.
pub async fn store_delivery(
    store: &Deliveries,
    object: Option<&str>,
    body: &str,
    events: &[NewEvent],
    now: i64,
) -> Result<Stored, sqlx::Error> {
    let delivery = NewDelivery {
        object: object.map(str::to_owned),
        body: body.to_owned(),
        events: events.to_vec(),
    };
    let stored = store_deliveries(store, std::slice::from_ref(&delivery), now).await?;
    Ok(stored[0])
}

/// Events per INSERT statement (11 values each, well under SQLite's 32,766 variables).
/// Statements whose length varies with the group are not kept prepared (`persistent(false)`):
/// sqlx caches prepared statements per connection by their text, and hundreds of sizes of a
/// 500-row INSERT held over 100 MB.
const EVENTS_PER_STATEMENT: usize = 500;

/// Stores several deliveries and all their events in one transaction (group commit): one
/// statement per 1,000 deliveries and one per 500 events, instead of one per event. The results are
/// in the order of `deliveries`; an event key seen earlier (in the database or earlier in
/// this group) counts as a duplicate of the later delivery.
pub async fn store_deliveries(
    store: &Deliveries,
    deliveries: &[NewDelivery],
    now: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    let mut tx = store.write_tx().await?;
    // This transaction is the only writer (BEGIN IMMEDIATE), so the next ids are known and
    // the deliveries go in one statement per 1,000 instead of one each.
    let (last,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM webhook_deliveries")
        .fetch_one(&mut *tx)
        .await?;
    let ids: Vec<i64> = (1..=deliveries.len() as i64).map(|i| last + i).collect();
    let numbered: Vec<(i64, &NewDelivery)> = ids.iter().copied().zip(deliveries).collect();
    for chunk in numbered.chunks(1000) {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO webhook_deliveries (id, received_at, object, body, events, duplicates) ",
        );
        insert.push_values(chunk, |mut row, (id, d)| {
            row.push_bind(*id)
                .push_bind(now)
                .push_bind(&d.object)
                .push_bind(&d.body)
                .push_bind(d.events.len() as i64)
                .push_bind(0i64);
        });
        insert.build().persistent(false).execute(&mut *tx).await?;
    }
    let all: Vec<(i64, &NewEvent)> = ids
        .iter()
        .zip(deliveries)
        .flat_map(|(id, d)| d.events.iter().map(move |e| (*id, e)))
        .collect();
    let mut inserted = std::collections::HashSet::new();
    for chunk in all.chunks(EVENTS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO webhook_events (dedupe_key, delivery_id, page_id, channel, kind,
                 sender_id, recipient_id, timestamp_ms, payload, status, received_at) ",
        );
        insert.push_values(chunk, |mut row, (delivery_id, e)| {
            row.push_bind(&e.dedupe_key)
                .push_bind(*delivery_id)
                .push_bind(&e.page_id)
                .push_bind(e.channel)
                .push_bind(&e.kind)
                .push_bind(&e.sender_id)
                .push_bind(&e.recipient_id)
                .push_bind(e.timestamp_ms)
                .push_bind(&e.payload)
                .push_bind(if e.actionable { "pending" } else { "ignored" })
                .push_bind(now);
        });
        insert.push(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key");
        let keys: Vec<(String,)> = insert
            .build_query_as()
            .persistent(false)
            .fetch_all(&mut *tx)
            .await?;
        inserted.extend(keys.into_iter().map(|(k,)| k));
    }
    let mut stored = Vec::with_capacity(deliveries.len());
    for (id, d) in ids.iter().zip(deliveries) {
        // A key is new for the first delivery that carries it and a duplicate after that.
        let new_events = d
            .events
            .iter()
            .filter(|e| inserted.remove(&e.dedupe_key))
            .count() as u64;
        let duplicates = d.events.len() as u64 - new_events;
        if duplicates > 0 {
            sqlx::query("UPDATE webhook_deliveries SET duplicates = $1 WHERE id = $2")
                .bind(duplicates as i64)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        stored.push(Stored {
            delivery_id: *id,
            new_events,
            duplicates,
        });
    }
    tx.commit().await?;
    Ok(stored)
}

/// A stored event as the runtime reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub dedupe_key: String,
    pub page_id: String,
    pub channel: String,
    pub kind: String,
    pub sender_id: Option<String>,
    pub timestamp_ms: Option<i64>,
    pub payload: String,
    pub status: String,
}

/// Every event with its status, in arrival order (`status` keeps only those with that
/// status): for tests, the bench and support.
pub async fn list(
    main: &SqlitePool,
    store: &Deliveries,
    status: Option<&str>,
) -> Result<Vec<EventRow>, sqlx::Error> {
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
        "SELECT id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms, payload, status
         FROM webhook_events ORDER BY id",
    )
    .fetch_all(&store.pool)
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
pub async fn failure(main: &SqlitePool, id: i64) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT error FROM event_failures WHERE event_id = $1")
            .bind(id)
            .fetch_optional(main)
            .await?;
    Ok(row.map(|(e,)| e))
}

pub async fn count_deliveries(store: &Deliveries) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(&store.pool)
        .await?;
    Ok(n)
}

/// Unix seconds of the newest webhook delivery stored, if any.
pub async fn last_delivery_at(store: &Deliveries) -> Result<Option<i64>, sqlx::Error> {
    let (at,): (Option<i64>,) = sqlx::query_as("SELECT MAX(received_at) FROM webhook_deliveries")
        .fetch_one(&store.pool)
        .await?;
    Ok(at)
}

/// The id of the last event the runtime has applied (the cursor).
pub async fn applied_through<'c, E>(conn: E) -> Result<i64, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let (id,): (i64,) = sqlx::query_as("SELECT applied_through FROM event_progress WHERE id = 1")
        .fetch_one(conn)
        .await?;
    Ok(id)
}

/// The oldest `limit` events waiting to be applied after the cursor `after`, in arrival order.
pub async fn pending(
    store: &Deliveries,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms, payload, status
         FROM webhook_events WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&store.pool)
    .await
}

/// How many events wait to be applied, and when the oldest was received (unix seconds).
pub async fn pending_lag(
    main: &SqlitePool,
    store: &Deliveries,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    let after = applied_through(main).await?;
    sqlx::query_as(
        "SELECT COUNT(*), MIN(received_at) FROM webhook_events
         WHERE status = 'pending' AND id > $1",
    )
    .bind(after)
    .fetch_one(&store.pool)
    .await
}

/// Moves the cursor from `from` to `to` in this transaction: claims the events up to `to`
/// (or, moving back, hands those after `to` back). False when the cursor is not at `from`
/// (another worker moved it), and nothing changed.
pub async fn advance(
    conn: &mut sqlx::SqliteConnection,
    from: i64,
    to: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE event_progress SET applied_through = $2, applied_at = $3
         WHERE id = 1 AND applied_through = $1",
    )
    .bind(from)
    .bind(to)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records that an event claimed in this transaction could not be applied, and why.
pub async fn fail(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO event_failures (event_id, error, failed_at) VALUES ($1, $2, $3)
         ON CONFLICT (event_id) DO UPDATE SET error = excluded.error, failed_at = excluded.failed_at",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
