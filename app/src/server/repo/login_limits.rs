//! Failed sign-in bookkeeping for rate limiting, per account and per IP address.

use sqlx::SqlitePool;

/// Failures counted over this window...
pub const WINDOW_SECS: i64 = 15 * 60;
/// ...and how many are allowed before sign-in is refused for that scope.
pub const MAX_FAILURES: i64 = 5;

pub async fn record_failure(pool: &SqlitePool, scope: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO login_failures (scope, at) VALUES ($1, $2)")
        .bind(scope)
        .bind(now)
        .execute(pool)
        .await?;
    // Keep the table small: forget failures older than the window.
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - WINDOW_SECS)
        .execute(pool)
        .await?;
    Ok(())
}

/// Seconds until `scope` may try again, or `None` when it is not limited.
pub async fn retry_after(
    pool: &SqlitePool,
    scope: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM (
             SELECT at FROM login_failures WHERE scope = $1 AND at >= $2 ORDER BY at DESC LIMIT $3
         ) AS recent",
    )
    .bind(scope)
    .bind(now - WINDOW_SECS)
    .bind(MAX_FAILURES)
    .fetch_one(pool)
    .await?;
    Ok(match oldest {
        Some(oldest) if count >= MAX_FAILURES => Some((oldest + WINDOW_SECS - now).max(1)),
        _ => None,
    })
}

pub async fn clear(pool: &SqlitePool, scope: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_failures WHERE scope = $1")
        .bind(scope)
        .execute(pool)
        .await?;
    Ok(())
}
