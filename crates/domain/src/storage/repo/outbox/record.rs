//! Recording a call's result: done (with its transcript line), retried later, failed, or
//! confirmed by Messenger's echo; holding a page's calls while its token is refused.

use super::row::{Kind, OutboxRow, COLUMNS};
use crate::storage::backend::on_exec;
use crate::storage::backend::{Exec, PerBackend};
use model::Speaker;

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
        crate::storage::repo::conversations::add_transcript(
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
