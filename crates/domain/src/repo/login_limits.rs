//! Failed sign-in bookkeeping for rate limiting, per account and per IP address. Each attempt
//! is counted as a failure *before* the (slow) password check, in one write transaction with
//! the limit check, so a burst of parallel guesses cannot get past the limit; a successful
//! attempt takes its own rows back.

use sqlx::{SqliteConnection, SqlitePool};

/// Failures counted over this window...
pub const WINDOW_SECS: i64 = 15 * 60;
/// ...and how many are allowed before sign-in is refused for that scope.
pub const MAX_FAILURES: i64 = 5;

/// The rows an attempt wrote, one per scope (see [`forget`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(Vec<i64>);

/// Checks every scope and, when none is limited, counts this attempt as a failure in each.
/// `Err(seconds)` = a scope is limited for that long; nothing is written then.
pub async fn begin_attempt(
    pool: &SqlitePool,
    scopes: &[String],
    now: i64,
) -> Result<Result<Attempt, i64>, sqlx::Error> {
    let mut tx = crate::db::write_tx(pool).await?;
    for scope in scopes {
        if let Some(secs) = retry_after_on(&mut tx, scope, now).await? {
            tx.rollback().await?;
            return Ok(Err(secs));
        }
    }
    let mut ids = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (scope, at) VALUES ($1, $2) RETURNING rowid",
        )
        .bind(scope)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    // Keep the table small: forget failures older than the window.
    sqlx::query("DELETE FROM login_failures WHERE at < $1")
        .bind(now - WINDOW_SECS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Ok(Attempt(ids)))
}

/// Takes back the rows of an attempt that turned out to be right.
pub async fn forget(pool: &SqlitePool, attempt: &Attempt) -> Result<(), sqlx::Error> {
    for id in &attempt.0 {
        sqlx::query("DELETE FROM login_failures WHERE rowid = $1")
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Seconds until `scope` may try again, or `None` when it is not limited.
pub async fn retry_after(
    pool: &SqlitePool,
    scope: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    retry_after_on(&mut conn, scope, now).await
}

async fn retry_after_on(
    conn: &mut SqliteConnection,
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
    .fetch_one(&mut *conn)
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
