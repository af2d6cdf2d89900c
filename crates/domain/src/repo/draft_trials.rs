//! Test users who run the draft instead of the published flow ("Try draft" in the Simulator).

use sqlx::SqlitePool;

/// Every psid trying the draft.
pub async fn all(pool: &SqlitePool) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT psid FROM draft_trials ORDER BY psid")
        .fetch_all(pool)
        .await
}

/// Starts or stops the trial for `psid`.
pub async fn set(pool: &SqlitePool, psid: &str, on: bool, now_ms: i64) -> Result<(), sqlx::Error> {
    let _turn = crate::db::write_turn().await;
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
    Ok(())
}
