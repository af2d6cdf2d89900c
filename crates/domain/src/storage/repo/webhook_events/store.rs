//! Storing webhook deliveries and their events: many deliveries per transaction (group
//! commit), deduplicated by event key.

use crate::storage::backend::on_exec;
use crate::storage::backend::Exec;
use crate::storage::db::Deliveries;
use sqlx::{PgConnection, SqliteConnection};

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
