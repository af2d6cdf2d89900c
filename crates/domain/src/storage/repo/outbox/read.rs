//! Reads for the inbox, the health report and the CLI.

use super::row::{OutboxRow, COLUMNS};
use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{DbRef, Exec};

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

/// Rows not finished yet (pending or sending), for tests and the drain helper.
pub async fn unfinished<'a>(db: impl Into<DbRef<'a>>) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
            .fetch_one(pool)
            .await?
    });
    Ok(n)
}
