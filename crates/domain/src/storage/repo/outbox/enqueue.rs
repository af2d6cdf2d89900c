//! Adding rows, in the order the runtime decided them, many per INSERT.

use super::row::{NewRow, Priority};
use crate::storage::backend::on_exec;
use crate::storage::backend::Exec;
use crate::storage::repo::multi_row;

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
        multi_row::statement(&mut insert, chunk.len()).execute(c).await?.rows_affected()
        });
    }
    Ok(())
}
