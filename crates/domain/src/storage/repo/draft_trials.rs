//! Test users who run the draft instead of the published flow ("Try draft" in the Simulator).

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;

/// Every psid trying the draft.
pub async fn all<'a>(db: impl Into<DbRef<'a>>) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_scalar("SELECT psid FROM draft_trials ORDER BY psid")
            .fetch_all(pool)
            .await
    })
}

/// Starts or stops the trial for `psid`.
pub async fn set<'a>(
    db: impl Into<DbRef<'a>>,
    psid: &str,
    on: bool,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let db = db.into();
    // SQLite: wait for the write turn (webhooks go first); PostgreSQL has no such turn.
    let _turn = match db {
        DbRef::Sqlite(_) => Some(crate::storage::db::write_turn().await),
        DbRef::Postgres(_) => None,
    };
    on_db!(db, pool => {
        if on {
            sqlx::query(
                "INSERT INTO draft_trials (psid, started_ms) VALUES ($1, $2)
                 ON CONFLICT (psid) DO NOTHING",
            )
            .bind(psid)
            .bind(now_ms)
            .execute(pool)
            .await?;
        } else {
            sqlx::query("DELETE FROM draft_trials WHERE psid = $1")
                .bind(psid)
                .execute(pool)
                .await?;
        }
    });
    Ok(())
}
