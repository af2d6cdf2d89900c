//! The saved sandbox snapshot (one row, JSON text).

use sqlx::SqlitePool;

pub async fn load(pool: &SqlitePool) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT snapshot FROM sandbox_state WHERE id = 1")
        .fetch_optional(pool)
        .await
}

pub async fn save(pool: &SqlitePool, snapshot: &str, now_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sandbox_state (id, snapshot, saved_ms) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot, saved_ms = excluded.saved_ms",
    )
    .bind(snapshot)
    .bind(now_ms)
    .execute(pool)
    .await?;
    Ok(())
}
