//! Claiming due rows for a round (one per user, the oldest unfinished first), and putting
//! back calls a crash or a lost lane left `sending`.

use super::row::{OutboxRow, COLUMNS};
use crate::storage::backend::on_exec;
use crate::storage::backend::{DbRef, Exec, PerBackend};

/// Claims up to `limit` due rows, at most one per user (the oldest unfinished one), marking
/// them `sending`, in one transaction. A user's later rows wait until the earlier ones are
/// done or failed. Between users, urgent rows go first, then the oldest. Returned oldest first.
pub async fn claim_due<'a>(
    pool: impl Into<DbRef<'a>>,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    claim_due_looking_at(pool, now_ms, limit, CLAIM_WINDOW).await
}

/// Pending rows the first step of a claim looks at (see [`claim_due_looking_at`]).
pub const CLAIM_WINDOW: i64 = 1024;

/// [`claim_due`], whose first step looks only at the first `window` pending rows in claim
/// order (urgent first, then by id, the `outbox_claim` index). In a backlog those hold
/// every waiting user's first row, so the claim is found there at a cost that does not grow
/// with the backlog (50,000 rows: 0.5 ms instead of 80). Only when that step finds fewer
/// than `limit` does a second look through every due row (`outbox_due`) claim the rest: few
/// rows are due then, or the window held one user's long queue, or rows waiting for a retry.
/// The result is the same as one look through everything: both steps take rows in the same
/// order, and the second starts where the window ends.
///
/// On PostgreSQL the claim is one statement over each user's first unfinished row
/// ([`claim_first_unfinished`]); the window is SQLite's tuning. (Several instances claim
/// through work lanes: [`claim_due_in_lanes`].)
pub async fn claim_due_looking_at<'a>(
    pool: impl Into<DbRef<'a>>,
    now_ms: i64,
    limit: i64,
    window: i64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let pool = match pool.into() {
        DbRef::Sqlite(pool) => pool,
        DbRef::Postgres(pool) => {
            let mut rows: Vec<OutboxRow> = sqlx::query_as(&claim_first_unfinished(false))
                .bind(now_ms)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.sort_by_key(|r| r.id);
            return Ok(rows);
        }
    };
    let mut tx = crate::storage::db::background_write_tx(pool).await?;
    let window_rows = "(SELECT id, page_id, psid, status, next_attempt_ms, priority
                        FROM outbox INDEXED BY outbox_claim WHERE status = 'pending'
                        ORDER BY priority DESC, id LIMIT $3) o";
    let mut rows: Vec<OutboxRow> = sqlx::query_as(&claim_from(window_rows))
        .bind(now_ms)
        .bind(limit)
        .bind(window)
        .fetch_all(&mut *tx)
        .await?;
    if (rows.len() as i64) < limit {
        // Rows just claimed are `sending` now: their users' later rows stay blocked.
        let rest: Vec<OutboxRow> = sqlx::query_as(&claim_from("outbox o"))
            .bind(now_ms)
            .bind(limit - rows.len() as i64)
            .fetch_all(&mut *tx)
            .await?;
        rows.extend(rest);
    }
    tx.commit().await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// [`claim_due`] on PostgreSQL for an instance that holds the work `lanes` (`lanes.rs`):
/// only their rows are taken, so each row's recovery after a crash belongs to one instance.
/// Run it in the transaction that holds the lanes (`Lanes::begin_on_lanes`).
pub async fn claim_due_in_lanes(
    conn: &mut sqlx::PgConnection,
    now_ms: i64,
    limit: i64,
    lanes: &[i64],
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    if lanes.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows: Vec<OutboxRow> = sqlx::query_as(&claim_first_unfinished(true))
        .bind(now_ms)
        .bind(limit)
        .bind(lanes)
        .fetch_all(conn)
        .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// The statement [`claim_due_in_lanes`] runs (binds: due time, limit, lanes), for
/// `baton bench` to `EXPLAIN` when replies stall.
pub fn claim_in_lanes_statement() -> String {
    claim_first_unfinished(true)
}

/// PostgreSQL's claim: each user's first unfinished row (pending or sending, in id order),
/// kept when it is pending and due, urgent first, then oldest, at most `$2` of them, due at
/// `$1` (with `lanes`, only users of the lanes `$3`). The same rows as [`claim_from`]'s "no
/// earlier unfinished row", found by one pass over the unfinished rows in the
/// `outbox_user_open` index's order. The anti-join `claim_from` writes could be planned as a
/// nested loop with a scan inside when the table's statistics were taken while it was still
/// small, which is what a burst makes: claims then took seconds and replies stalled. The
/// outer `status = 'pending'` is checked again on a row another transaction changed
/// meanwhile, so a row is never claimed twice.
fn claim_first_unfinished(lanes: bool) -> String {
    let lane = if lanes { " AND lane = ANY($3)" } else { "" };
    format!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1
         WHERE status = 'pending' AND id IN (
             SELECT id FROM (
                 SELECT DISTINCT ON (page_id, psid) id, status, next_attempt_ms, priority
                 FROM outbox WHERE status IN ('pending', 'sending'){lane}
                 ORDER BY page_id, psid, id) first
             WHERE status = 'pending' AND next_attempt_ms <= $1
             ORDER BY priority DESC, id LIMIT $2)
         RETURNING {COLUMNS}"
    )
}

/// On PostgreSQL, rows of `lanes` caught mid-call by an instance that stopped (this one
/// took the lanes over) go back to pending as [`requeue_in_flight`] does for SQLite's one
/// sender.
pub async fn requeue_in_flight_in_lanes(
    pool: &sqlx::PgPool,
    messages_at_ms: i64,
    lanes: &[i64],
) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query(&format!("{} AND lane = ANY($2)", REQUEUE.postgres))
            .bind(messages_at_ms)
            .bind(lanes)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// SQLite's claim statement over the candidate rows `from` (named `o`): the due pending ones
/// whose user has no earlier unfinished row, urgent first, then oldest, at most `$2` of them,
/// due at `$1`.
fn claim_from(from: &str) -> String {
    format!(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1
         WHERE id IN (
             SELECT o.id FROM {from}
             WHERE o.status = 'pending' AND o.next_attempt_ms <= $1
               AND NOT EXISTS (SELECT 1 FROM outbox p
                               WHERE p.page_id = o.page_id AND p.psid = o.psid AND p.id < o.id
                                 AND p.status IN ('pending', 'sending'))
             ORDER BY o.priority DESC, o.id LIMIT $2)
         RETURNING {COLUMNS}"
    )
}

/// Calls caught mid-call go back to pending; messages wait until `$1` for their echo first.
const REQUEUE: PerBackend = PerBackend {
    sqlite: "UPDATE outbox SET status = 'pending',
                 next_attempt_ms = CASE WHEN kind = 'message' THEN MAX(next_attempt_ms, $1)
                                        ELSE next_attempt_ms END
             WHERE status = 'sending'",
    postgres: "UPDATE outbox SET status = 'pending',
                 next_attempt_ms = CASE WHEN kind = 'message'
                                        THEN GREATEST(next_attempt_ms, $1)
                                        ELSE next_attempt_ms END
             WHERE status = 'sending'",
};

/// After a crash (or a failed round), rows caught mid-call go back to pending. A message may
/// have reached the user already: it waits until `messages_at_ms` so that its echo, which
/// names the row, can mark it done first ([`confirm_by_echo`]); only a message whose echo
/// never came is sent again. Other calls (typing, handover, profile) have no echo and are
/// made again at once.
pub async fn requeue_in_flight<'c>(
    exec: impl Into<Exec<'c>>,
    messages_at_ms: i64,
) -> Result<u64, sqlx::Error> {
    let exec = exec.into();
    let sql = REQUEUE.get(exec.backend());
    Ok(on_exec!(exec, c => {
        sqlx::query(sql)
            .bind(messages_at_ms)
            .execute(c)
            .await?
            .rows_affected()
    }))
}
