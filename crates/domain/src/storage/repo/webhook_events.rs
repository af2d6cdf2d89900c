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
//!
//! On PostgreSQL the deliveries are tables of the one database, stored by every instance at
//! once, and each event keeps its status in its row (`pending` → `done` / `failed`), because
//! ids from a sequence do not become visible in id order: see [`pending_in_lanes`].

use std::collections::HashMap;

use sqlx::{PgConnection, SqliteConnection, SqlitePool};

use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{DbRef, Exec, PerBackend};

use crate::storage::db::Deliveries;

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
    match store {
        Deliveries::Sqlite { pool, own_file } => {
            let mut tx = crate::storage::db::deliveries_write_tx(pool, *own_file).await?;
            // This transaction is the only writer (BEGIN IMMEDIATE), so the next ids are
            // known and the deliveries go in one statement per 1,000 instead of one each.
            let (last,): (i64,) =
                sqlx::query_as("SELECT COALESCE(MAX(id), 0) FROM webhook_deliveries")
                    .fetch_one(&mut *tx)
                    .await?;
            let ids: Vec<i64> = (1..=deliveries.len() as i64).map(|i| last + i).collect();
            let stored = insert_group(&mut tx, &ids, deliveries, now).await?;
            tx.commit().await?;
            Ok(stored)
        }
        Deliveries::Postgres(pool) => {
            // Several instances store at once: the ids come from the sequence.
            let mut tx = pool.begin().await?;
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('webhook_deliveries', 'id'))
                 FROM generate_series(1, $1)",
            )
            .bind(deliveries.len() as i64)
            .fetch_all(&mut *tx)
            .await?;
            let stored = insert_group_postgres(&mut tx, &ids, deliveries, now).await?;
            tx.commit().await?;
            Ok(stored)
        }
    }
}

/// Every event of `deliveries` with its delivery's id, in order.
fn with_delivery_ids<'a>(ids: &[i64], deliveries: &'a [NewDelivery]) -> Vec<(i64, &'a NewEvent)> {
    ids.iter()
        .zip(deliveries)
        .flat_map(|(id, d)| d.events.iter().map(move |e| (*id, e)))
        .collect()
}

/// The user's side of an event: the recipient of the page's own echo, else the sender.
fn user_of(e: &NewEvent) -> &str {
    let user = if e.sender_id.as_deref() == Some(e.page_id.as_str()) {
        &e.recipient_id
    } else {
        &e.sender_id
    };
    user.as_deref().unwrap_or_default()
}

/// [`store_deliveries`]' statements on PostgreSQL: the same rows as [`insert_group`], each
/// table in one statement whatever the group's size (the columns as arrays, `UNNEST`ed), so
/// the server prepares each statement once instead of parsing a new text per group size.
/// Events carry their user's work lane (`lanes.rs`).
async fn insert_group_postgres(
    conn: &mut PgConnection,
    ids: &[i64],
    deliveries: &[NewDelivery],
    now: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    let objects: Vec<Option<&str>> = deliveries.iter().map(|d| d.object.as_deref()).collect();
    let bodies: Vec<&str> = deliveries.iter().map(|d| d.body.as_str()).collect();
    let counts: Vec<i64> = deliveries.iter().map(|d| d.events.len() as i64).collect();
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, received_at, object, body, events, duplicates)
         SELECT id, $2, object, body, events, 0
         FROM UNNEST($1::bigint[], $3::text[], $4::text[], $5::bigint[])
              AS d(id, object, body, events)",
    )
    .bind(ids)
    .bind(now)
    .bind(&objects)
    .bind(&bodies)
    .bind(&counts)
    .execute(&mut *conn)
    .await?;
    let all = with_delivery_ids(ids, deliveries);
    let column = |f: &dyn Fn(&NewEvent) -> Option<&str>| -> Vec<Option<String>> {
        all.iter().map(|(_, e)| f(e).map(str::to_owned)).collect()
    };
    let keys: Vec<String> = sqlx::query_scalar(
        "INSERT INTO webhook_events (dedupe_key, delivery_id, page_id, channel, kind, sender_id,
             recipient_id, timestamp_ms, payload, status, received_at, lane)
         SELECT key, delivery, page, channel, kind, sender, recipient, at, payload, status, $12,
                lane
         FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::bigint[], $9::text[], $10::text[], $11::bigint[])
              AS e(key, delivery, page, channel, kind, sender, recipient, at, payload, status,
                   lane)
         ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key",
    )
    .bind(column(&|e| Some(&e.dedupe_key)))
    .bind(all.iter().map(|(id, _)| *id).collect::<Vec<i64>>())
    .bind(column(&|e| Some(&e.page_id)))
    .bind(column(&|e| Some(e.channel)))
    .bind(column(&|e| Some(&e.kind)))
    .bind(column(&|e| e.sender_id.as_deref()))
    .bind(column(&|e| e.recipient_id.as_deref()))
    .bind(
        all.iter()
            .map(|(_, e)| e.timestamp_ms)
            .collect::<Vec<Option<i64>>>(),
    )
    .bind(column(&|e| Some(&e.payload)))
    .bind(column(&|e| {
        Some(if e.actionable { "pending" } else { "ignored" })
    }))
    .bind(
        all.iter()
            .map(|(_, e)| crate::storage::lanes::lane_of(&e.page_id, user_of(e)))
            .collect::<Vec<i64>>(),
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    tally(conn.into(), ids, deliveries, keys.into_iter().collect()).await
}

/// [`store_deliveries`]' statements on SQLite, inside the caller's transaction, with the
/// deliveries' ids chosen.
async fn insert_group(
    conn: &mut SqliteConnection,
    ids: &[i64],
    deliveries: &[NewDelivery],
    now: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
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
        insert.build().persistent(false).execute(&mut *conn).await?;
    }
    let all = with_delivery_ids(ids, deliveries);
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
            .fetch_all(&mut *conn)
            .await?;
        inserted.extend(keys.into_iter().map(|(k,)| k));
    }
    tally(conn.into(), ids, deliveries, inserted).await
}

/// The end of storing a group: each delivery's new events and duplicates (a key is new for
/// the first delivery that carries it, `inserted` holding the keys stored now), recorded on
/// the deliveries that had duplicates.
async fn tally(
    mut exec: Exec<'_>,
    ids: &[i64],
    deliveries: &[NewDelivery],
    mut inserted: std::collections::HashSet<String>,
) -> Result<Vec<Stored>, sqlx::Error> {
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
            on_exec!(exec.reborrow(), c => {
                sqlx::query("UPDATE webhook_deliveries SET duplicates = $1 WHERE id = $2")
                    .bind(duplicates as i64)
                    .bind(id)
                    .execute(c)
                    .await?
                    .rows_affected()
            });
        }
        stored.push(Stored {
            delivery_id: *id,
            new_events,
            duplicates,
        });
    }
    Ok(stored)
}

/// A stored event as the runtime reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    /// The webhook delivery that carried it.
    pub delivery_id: i64,
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

fn mixed_backends() -> sqlx::Error {
    sqlx::Error::Configuration(
        "the deliveries and the main database are on different backends".into(),
    )
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
    store: &SqlitePool,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, delivery_id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms,
                payload, status
         FROM webhook_events WHERE status = 'pending' AND id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(store)
    .await
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

/// [`pending_in_lanes`]' statement (binds: the lanes, the limit). Each lane's oldest pending
/// events come from the partial index `webhook_events_lane` (lane, id), and the oldest of
/// those overall are kept. Written as one `WHERE lane = ANY(..) ORDER BY id`, the planner may
/// walk the primary key from the oldest event instead and skip every handled one on the way:
/// it chose that after statistics were taken during a burst, when most events were still
/// pending, and a claim then took time in proportion to the whole history (36 ms at 50,000
/// events; the history is never deleted). One short index range per lane has no such plan.
pub const PENDING_IN_LANES: &str = "
    SELECT e.lane, e.id, e.delivery_id, e.dedupe_key, e.page_id, e.channel, e.kind, e.sender_id,
           e.timestamp_ms, e.payload, e.status
    FROM unnest($1::bigint[]) AS l(lane)
    CROSS JOIN LATERAL (
        SELECT * FROM webhook_events
        WHERE status = 'pending' AND lane = l.lane ORDER BY id LIMIT $2) e
    ORDER BY e.id LIMIT $2";

/// PostgreSQL: the oldest `limit` pending events in the work `lanes` this instance holds, in
/// arrival order. Each event's status is kept in its row: ids from the identity sequence do
/// not become visible in id order when several instances store at once, so there is no
/// cursor. A user's events are acknowledged one after another (Facebook waits for each), so
/// their ids do follow that user's order.
pub async fn pending_in_lanes(
    pool: &sqlx::PgPool,
    lanes: &[i64],
    limit: i64,
) -> Result<Vec<(i64, EventRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct WithLane {
        lane: i64,
        #[sqlx(flatten)]
        row: EventRow,
    }
    let rows: Vec<WithLane> = sqlx::query_as(PENDING_IN_LANES)
        .bind(lanes)
        .bind(limit)
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.lane, r.row)).collect())
}

/// PostgreSQL: marks the events `ids` done in this transaction (their effects commit with
/// it) and returns those that were still pending, which are this transaction's to apply.
pub async fn claim_done(
    conn: &mut PgConnection,
    ids: &[i64],
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut claimed: Vec<i64> = sqlx::query_scalar(
        "UPDATE webhook_events SET status = 'done', processed_at = $2
         WHERE id = ANY($1) AND status = 'pending' RETURNING id",
    )
    .bind(ids)
    .bind(now)
    .fetch_all(conn)
    .await?;
    claimed.sort_unstable();
    Ok(claimed)
}

/// PostgreSQL: records that an event claimed in this transaction could not be applied.
pub async fn fail_in_row(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE webhook_events SET status = 'failed', error = $2, processed_at = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records that an event claimed in this transaction could not be applied, and why: on
/// SQLite in `event_failures` (the event rows are the webhook's, never updated), on
/// PostgreSQL in the event's own row.
pub async fn fail_claimed(
    conn: crate::storage::backend::Exec<'_>,
    id: i64,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    match conn {
        crate::storage::backend::Exec::Sqlite(conn) => fail(conn, id, error, now).await,
        crate::storage::backend::Exec::Postgres(conn) => fail_in_row(conn, id, error, now).await,
        crate::storage::backend::Exec::SqlitePool(pool) => {
            fail(&mut *pool.acquire().await?, id, error, now).await
        }
        crate::storage::backend::Exec::PgPool(pool) => {
            fail_in_row(&mut *pool.acquire().await?, id, error, now).await
        }
    }
}
