//! The outbox: Graph API calls waiting to be made, executed in id order per user. Rows are
//! written in the same transaction as the decision that needs them, so nothing is lost.

use model::Speaker;

use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{DbRef, Exec, PerBackend};

/// What a row asks the Graph API to do. Stored as its `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Kind {
    /// Send API call; body = the `SendRequest` JSON.
    Message,
    /// `typing_on`, then hold the user's next row for `body` milliseconds.
    Typing,
    /// pass_thread_control to the Page Inbox; body = metadata.
    Pass,
    /// take_thread_control; body = metadata.
    Take,
    /// Fetch the user's name and picture once.
    Profile,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Typing => "typing",
            Kind::Pass => "pass",
            Kind::Take => "take",
            Kind::Profile => "profile",
        }
    }
}

/// A row to add.
#[derive(Debug, Clone)]
pub struct NewRow {
    pub kind: Kind,
    pub body: String,
    /// Transcript line (who, text) to write when the call succeeds.
    pub transcript: Option<(Speaker, String)>,
    /// The agent who typed it (agent replies).
    pub author: Option<String>,
}

/// Which calls go first when more are due than the page's send budget allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Bot answers and profile reads.
    Bulk,
    /// Someone waits on these: handover confirmations and calls, agent replies.
    Urgent,
}

impl Priority {
    fn as_i64(self) -> i64 {
        match self {
            Priority::Bulk => 0,
            Priority::Urgent => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub page_id: String,
    pub psid: String,
    pub kind: Kind,
    pub body: String,
    pub transcript_who: Option<Speaker>,
    pub transcript_text: Option<String>,
    pub transcript_author: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub created_ms: i64,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    /// The webhook event whose handling queued this row, if any (for log lines).
    pub event_id: Option<i64>,
}

const COLUMNS: &str = "id, page_id, psid, kind, body, transcript_who, transcript_text,
    transcript_author, status, attempts, created_ms, error_code, error_reason, event_id";

pub async fn enqueue<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
    rows: &[NewRow],
    priority: Priority,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let queued: Vec<Queued<'_>> = rows
        .iter()
        .map(|row| Queued {
            page_id,
            psid,
            row,
            priority,
            now_ms,
            event_id: None,
        })
        .collect();
    enqueue_many(exec, &queued).await
}

/// One row to add with [`enqueue_many`]: for whom, and when it was decided.
#[derive(Debug, Clone, Copy)]
pub struct Queued<'a> {
    pub page_id: &'a str,
    pub psid: &'a str,
    pub row: &'a NewRow,
    pub priority: Priority,
    pub now_ms: i64,
    /// The webhook event being handled, if any.
    pub event_id: Option<i64>,
}

/// Rows per INSERT statement (12 values each, far under SQLite's limit on variables).
const ROWS_PER_INSERT: usize = 400;

/// Adds rows for any number of users, in one INSERT per 400 rows. They get ids in the
/// order given, and a user's calls are made in id order.
pub async fn enqueue_many<'c>(
    exec: impl Into<Exec<'c>>,
    rows: &[Queued<'_>],
) -> Result<(), sqlx::Error> {
    let mut exec = exec.into();
    // PostgreSQL rows carry the user's work lane (several instances share the sending).
    let lanes = exec.backend() == crate::storage::backend::Backend::Postgres;
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        on_exec!(exec.reborrow(), c => {
        let mut insert = sqlx::QueryBuilder::new(if lanes {
            "INSERT INTO outbox (page_id, psid, kind, body, transcript_who, transcript_text,
                 transcript_author, next_attempt_ms, created_ms, priority, event_id, lane) "
        } else {
            "INSERT INTO outbox (page_id, psid, kind, body, transcript_who, transcript_text,
                 transcript_author, next_attempt_ms, created_ms, priority, event_id) "
        });
        insert.push_values(chunk, |mut values, q| {
            let (who, text) = match &q.row.transcript {
                Some((w, t)) => (Some(w.as_str()), Some(t.as_str())),
                None => (None, None),
            };
            values
                .push_bind(q.page_id)
                .push_bind(q.psid)
                .push_bind(q.row.kind.as_str())
                .push_bind(&q.row.body)
                .push_bind(who)
                .push_bind(text)
                .push_bind(&q.row.author)
                .push_bind(q.now_ms)
                .push_bind(q.now_ms)
                .push_bind(q.priority.as_i64())
                .push_bind(q.event_id);
            if lanes {
                values.push_bind(crate::storage::lanes::lane_of(q.page_id, q.psid));
            }
        });
        // Cached only for one row (see the `repo` module).
        insert
            .build()
            .persistent(chunk.len() == 1)
            .execute(c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

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

/// Marks a row done and writes its transcript line. Run it inside the caller's transaction.
pub async fn complete<'c>(
    exec: impl Into<Exec<'c>>,
    row: &OutboxRow,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    complete_many(exec, &[row], now_ms).await
}

/// Marks calls made: rows still `sending` become done, in one UPDATE, and their transcript
/// lines are written in one INSERT (in row order). A row an echo already confirmed
/// ([`confirm_by_echo`]) is left alone, so its line is not written twice.
pub async fn complete_many<'c>(
    exec: impl Into<Exec<'c>>,
    rows: &[&OutboxRow],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut exec = exec.into();
    let changed: std::collections::HashSet<i64> = on_exec!(exec.reborrow(), c => {
        let mut update =
            sqlx::QueryBuilder::new("UPDATE outbox SET status = 'done', done_ms = ");
        update
            .push_bind(now_ms)
            .push(" WHERE status = 'sending' AND id IN (");
        let mut ids = update.separated(", ");
        for row in rows {
            ids.push_bind(row.id);
        }
        update.push(") RETURNING id");
        update
            .build_query_as::<(i64,)>()
            .persistent(false)
            .fetch_all(c)
            .await?
    })
    .into_iter()
    .map(|(id,)| id)
    .collect();
    let done: Vec<&OutboxRow> = rows
        .iter()
        .copied()
        .filter(|r| changed.contains(&r.id))
        .collect();
    write_lines(exec, &done, now_ms).await
}

/// The transcript lines of calls just made, in row order (rows without a line are skipped):
/// one INSERT per 400 lines (6 values each, far under SQLite's limit on variables).
async fn write_lines(
    mut exec: Exec<'_>,
    rows: &[&OutboxRow],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut lines: Vec<&&OutboxRow> = rows
        .iter()
        .filter(|r| r.transcript_who.is_some() && r.transcript_text.is_some())
        .collect();
    lines.sort_by_key(|r| r.id);
    for chunk in lines.chunks(400) {
        on_exec!(exec.reborrow(), c => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO transcript (page_id, psid, at_ms, who, text, mid, author) ",
            );
            insert.push_values(chunk, |mut line, row| {
                line.push_bind(&row.page_id)
                    .push_bind(&row.psid)
                    .push_bind(now_ms)
                    .push_bind(row.transcript_who)
                    .push_bind(&row.transcript_text)
                    .push("NULL")
                    .push_bind(&row.transcript_author);
            });
            insert.build().persistent(false).execute(c).await?.rows_affected()
        });
    }
    Ok(())
}

/// An echo of the message sent for row `id` arrived: the call reached the user. A row that
/// was tried (sending, or pending again after a restart or an error that hid a delivery) is
/// done now, with its transcript line; anything else is left as it is. Returns whether the
/// row changed.
pub async fn confirm_by_echo<'c>(
    exec: impl Into<Exec<'c>>,
    id: i64,
    page_id: &str,
    psid: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let mut exec = exec.into();
    let sql = format!(
        "UPDATE outbox SET status = 'done', done_ms = $4
         WHERE id = $1 AND page_id = $2 AND psid = $3 AND kind = 'message' AND attempts > 0
           AND status IN ('sending', 'pending')
         RETURNING {COLUMNS}"
    );
    let row: Option<OutboxRow> = on_exec!(exec.reborrow(), c => {
        sqlx::query_as(&sql)
            .bind(id)
            .bind(page_id)
            .bind(psid)
            .bind(now_ms)
            .fetch_optional(c)
            .await?
    });
    let Some(row) = row else {
        return Ok(false);
    };
    write_lines(exec, &[&row], now_ms).await?;
    Ok(true)
}

/// Holds the user's next pending row until `until_ms` (typing delays).
pub async fn delay_next<'c>(
    exec: impl Into<Exec<'c>>,
    row: &OutboxRow,
    until_ms: i64,
) -> Result<(), sqlx::Error> {
    const DELAY_NEXT: PerBackend = PerBackend {
        sqlite: "UPDATE outbox SET next_attempt_ms = MAX(next_attempt_ms, $4)
                 WHERE id = (SELECT MIN(id) FROM outbox
                             WHERE page_id = $1 AND psid = $2 AND id > $3 AND status = 'pending')",
        postgres: "UPDATE outbox SET next_attempt_ms = GREATEST(next_attempt_ms, $4)
                 WHERE id = (SELECT MIN(id) FROM outbox
                             WHERE page_id = $1 AND psid = $2 AND id > $3 AND status = 'pending')",
    };
    let exec = exec.into();
    let sql = DELAY_NEXT.get(exec.backend());
    on_exec!(exec, c => {
        sqlx::query(sql)
            .bind(&row.page_id)
            .bind(&row.psid)
            .bind(row.id)
            .bind(until_ms)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

pub async fn retry_later<'c>(
    exec: impl Into<Exec<'c>>,
    id: i64,
    at_ms: i64,
    code: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query(
            "UPDATE outbox SET status = 'pending', next_attempt_ms = $2, error_code = $3,
                 error_reason = $4
             WHERE id = $1",
        )
        .bind(id)
        .bind(at_ms)
        .bind(code)
        .bind(reason)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// A permanent failure, with the plain-language reason shown in the inbox. Run it inside the
/// caller's transaction.
pub async fn fail<'c>(
    exec: impl Into<Exec<'c>>,
    row: &OutboxRow,
    now_ms: i64,
    code: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    let mut exec = exec.into();
    on_exec!(exec.reborrow(), c => {
        sqlx::query(
            "UPDATE outbox SET status = 'failed', done_ms = $2, error_code = $3,
                 error_reason = $4
             WHERE id = $1",
        )
        .bind(row.id)
        .bind(now_ms)
        .bind(code)
        .bind(reason)
        .execute(c)
        .await?
        .rows_affected()
    });
    let what = match row.kind {
        Kind::Message => "Message not sent",
        Kind::Typing => "Typing indicator not shown",
        Kind::Pass => "Handing over to the Page Inbox failed",
        Kind::Take => "Taking the conversation back failed",
        Kind::Profile => "Reading the user's profile failed",
    };
    let text = match &row.transcript_text {
        Some(t) => format!("{what} (\"{t}\"): {reason}"),
        None => format!("{what}: {reason}"),
    };
    // A missing profile picture is not worth a line in the transcript.
    if row.kind != Kind::Profile {
        super::conversations::add_transcript(
            exec,
            &row.page_id,
            &row.psid,
            now_ms,
            Speaker::System,
            &text,
            None,
        )
        .await?;
    }
    Ok(())
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

pub async fn list_for<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    psid: &str,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE page_id = $1 AND psid = $2 ORDER BY id");
    on_exec!(exec, c => sqlx::query_as(&sql).bind(page_id).bind(psid).fetch_all(c).await)
}

/// How many calls are due at `now_ms` and not made yet, and since when the oldest is due.
pub async fn due_lag<'a>(
    db: impl Into<DbRef<'a>>,
    now_ms: i64,
) -> Result<(i64, Option<i64>), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*), MIN(next_attempt_ms) FROM outbox
             WHERE status = 'pending' AND next_attempt_ms <= $1",
        )
        .bind(now_ms)
        .fetch_one(pool)
        .await
    })
}

/// Holds every pending call of the page until `until_ms` at least (the page token is
/// refused: one call a minute checks whether it works again instead of all failing).
pub async fn pause_page<'c>(
    exec: impl Into<Exec<'c>>,
    page_id: &str,
    until_ms: i64,
) -> Result<(), sqlx::Error> {
    const PAUSE: PerBackend = PerBackend {
        sqlite: "UPDATE outbox SET next_attempt_ms = MAX(next_attempt_ms, $2)
                 WHERE page_id = $1 AND status = 'pending'",
        postgres: "UPDATE outbox SET next_attempt_ms = GREATEST(next_attempt_ms, $2)
                 WHERE page_id = $1 AND status = 'pending'",
    };
    let exec = exec.into();
    let sql = PAUSE.get(exec.backend());
    on_exec!(exec, c => {
        sqlx::query(sql)
            .bind(page_id)
            .bind(until_ms)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Rows not finished yet (pending or sending), for tests and the drain helper.
pub async fn unfinished<'a>(db: impl Into<DbRef<'a>>) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
            .fetch_one(pool)
            .await?
    });
    Ok(n)
}
