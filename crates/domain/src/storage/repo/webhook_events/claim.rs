//! How the runtime claims events: on SQLite by moving the cursor, on PostgreSQL by marking
//! the rows of its lanes done, in the transaction that applies them; and how it records an
//! event that could not be applied.

use super::row::EventRow;
use crate::storage::backend::on_exec;
use crate::storage::backend::{Exec, PerBackend};
use sqlx::{PgConnection, SqlitePool};

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

/// Records that an event claimed in this transaction could not be applied, and why: on
/// SQLite in `event_failures` (the event rows are the webhook's, never updated), on
/// PostgreSQL in the event's own row.
pub async fn fail_claimed(
    conn: Exec<'_>,
    id: i64,
    error: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const FAIL: PerBackend = PerBackend {
        sqlite: "INSERT INTO event_failures (event_id, error, failed_at) VALUES ($1, $2, $3)
                 ON CONFLICT (event_id) DO UPDATE
                 SET error = excluded.error, failed_at = excluded.failed_at",
        postgres: "UPDATE webhook_events SET status = 'failed', error = $2, processed_at = $3
                   WHERE id = $1",
    };
    let sql = FAIL.get(conn.backend());
    on_exec!(conn, c => {
        sqlx::query(sql).bind(id).bind(error).bind(now).execute(c).await.map(|_| ())
    })
}
