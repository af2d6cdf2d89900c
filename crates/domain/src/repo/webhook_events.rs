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

/// One delivery ready to store: the raw body and the events read from it.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub object: Option<String>,
    pub body: String,
    pub events: Vec<NewEvent>,
}

/// Stores the raw delivery and its events in one transaction: all or nothing.
pub async fn store_delivery(
    pool: &SqlitePool,
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
    let stored = store_deliveries(pool, std::slice::from_ref(&delivery), now).await?;
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
    pool: &SqlitePool,
    deliveries: &[NewDelivery],
    now: i64,
) -> Result<Vec<Stored>, sqlx::Error> {
    let mut tx = crate::db::write_tx(pool).await?;
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

/// Puts events claimed by [`mark_done`] in this transaction back to pending (a batch that
/// hands the write turn over before it has applied them all).
pub async fn unclaim(conn: &mut sqlx::SqliteConnection, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut update = sqlx::QueryBuilder::new(
        "UPDATE webhook_events SET status = 'pending', processed_at = NULL WHERE id IN (",
    );
    let mut list = update.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    update.push(")");
    update.build().persistent(false).execute(conn).await?;
    Ok(())
}

/// Marks the events among `ids` that are still pending done, in one statement; returns those
/// it changed (an event another worker took is left out).
pub async fn mark_done(
    conn: &mut sqlx::SqliteConnection,
    ids: &[i64],
    now: i64,
) -> Result<std::collections::HashSet<i64>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let mut update = sqlx::QueryBuilder::new(
        "UPDATE webhook_events SET status = 'done', error = NULL, processed_at = ",
    );
    update
        .push_bind(now)
        .push(" WHERE status = 'pending' AND id IN (");
    let mut list = update.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    update.push(") RETURNING id");
    let rows: Vec<(i64,)> = update
        .build_query_as()
        .persistent(false)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
