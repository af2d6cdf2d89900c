//! The saved sandbox: one row for its small state (pages, counters, clock) and one row per
//! test user, so a save writes only the users that changed.

use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{DbRef, Tx};

/// The saved small state and every saved user, as JSON texts.
pub async fn load<'a>(
    db: impl Into<DbRef<'a>>,
) -> Result<Option<(String, Vec<String>)>, sqlx::Error> {
    on_db!(db, pool => {
        let Some(header) = sqlx::query_scalar("SELECT snapshot FROM sandbox_state WHERE id = 1")
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let users = sqlx::query_scalar("SELECT state FROM sandbox_users ORDER BY psid")
            .fetch_all(pool)
            .await?;
        Ok(Some((header, users)))
    })
}

/// Writes the small state (when given) and the changed users (`None` = removed) in one
/// transaction.
pub async fn save<'a>(
    db: impl Into<DbRef<'a>>,
    header: Option<&str>,
    users: &[(String, Option<String>)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    // One transaction (on SQLite, a write turn's).
    let mut tx = Tx::foreground(db).await?;
    if let Some(header) = header {
        on_exec!(tx.exec(), c => {
            sqlx::query(
                "INSERT INTO sandbox_state (id, snapshot, saved_ms) VALUES (1, $1, $2)
                 ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot,
                                                saved_ms = excluded.saved_ms",
            )
            .bind(header)
            .bind(now_ms)
            .execute(c)
            .await?
            .rows_affected()
        });
    }
    for (psid, state) in users {
        match state {
            Some(state) => on_exec!(tx.exec(), c => {
                sqlx::query(
                    "INSERT INTO sandbox_users (psid, state, saved_ms) VALUES ($1, $2, $3)
                     ON CONFLICT (psid) DO UPDATE SET state = excluded.state,
                                                      saved_ms = excluded.saved_ms",
                )
                .bind(psid)
                .bind(state)
                .bind(now_ms)
                .execute(c)
                .await?
                .rows_affected()
            }),
            None => on_exec!(tx.exec(), c => {
                sqlx::query("DELETE FROM sandbox_users WHERE psid = $1")
                    .bind(psid)
                    .execute(c)
                    .await?
                    .rows_affected()
            }),
        };
    }
    tx.commit().await
}
