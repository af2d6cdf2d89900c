//! Durable storage of webhook deliveries and their events, deduplicated by event key.

use sqlx::SqlitePool;

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

/// Stores the raw delivery and its events in one transaction: all or nothing.
pub async fn store_delivery(
    pool: &SqlitePool,
    object: Option<&str>,
    body: &str,
    events: &[NewEvent],
    now: i64,
) -> Result<Stored, sqlx::Error> {
    let mut tx = crate::db::write_tx(pool).await?;
    let (delivery_id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhook_deliveries (received_at, object, body, events, duplicates)
         VALUES ($1, $2, $3, $4, 0) RETURNING id",
    )
    .bind(now)
    .bind(object)
    .bind(body)
    .bind(events.len() as i64)
    .fetch_one(&mut *tx)
    .await?;
    let mut new_events = 0;
    for e in events {
        let done = sqlx::query(
            "INSERT INTO webhook_events (dedupe_key, delivery_id, page_id, channel, kind,
                 sender_id, recipient_id, timestamp_ms, payload, status, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(&e.dedupe_key)
        .bind(delivery_id)
        .bind(&e.page_id)
        .bind(e.channel)
        .bind(&e.kind)
        .bind(&e.sender_id)
        .bind(&e.recipient_id)
        .bind(e.timestamp_ms)
        .bind(&e.payload)
        .bind(if e.actionable { "pending" } else { "ignored" })
        .bind(now)
        .execute(&mut *tx)
        .await?;
        new_events += done.rows_affected();
    }
    let duplicates = events.len() as u64 - new_events;
    sqlx::query("UPDATE webhook_deliveries SET duplicates = $1 WHERE id = $2")
        .bind(duplicates as i64)
        .bind(delivery_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Stored {
        delivery_id,
        new_events,
        duplicates,
    })
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

/// Events in arrival order, oldest first (for the runtime worker and tests).
pub async fn list(pool: &SqlitePool, status: Option<&str>) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms, payload, status
         FROM webhook_events WHERE ($1 IS NULL OR status = $1) ORDER BY id",
    )
    .bind(status)
    .fetch_all(pool)
    .await
}

pub async fn count_deliveries(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// The oldest `limit` pending events, in arrival order.
pub async fn pending(pool: &SqlitePool, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, dedupe_key, page_id, channel, kind, sender_id, timestamp_ms, payload, status
         FROM webhook_events WHERE status = 'pending' ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many events wait to be applied, and when the oldest was received (unix seconds).
pub async fn pending_lag(pool: &SqlitePool) -> Result<(i64, Option<i64>), sqlx::Error> {
    sqlx::query_as("SELECT COUNT(*), MIN(received_at) FROM webhook_events WHERE status = 'pending'")
        .fetch_one(pool)
        .await
}

/// Marks an event handled; only a pending event changes (false = someone else did it).
pub async fn mark(
    conn: &mut sqlx::SqliteConnection,
    id: i64,
    status: &str,
    error: Option<&str>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE webhook_events SET status = $2, error = $3, processed_at = $4
         WHERE id = $1 AND status = 'pending'",
    )
    .bind(id)
    .bind(status)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
