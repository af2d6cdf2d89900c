//! Failed sign-in bookkeeping for rate limiting, per account and per IP address. Each attempt
//! is counted as a failure *before* the (slow) password check, in one write transaction with
//! the limit check, so a burst of parallel guesses cannot get past the limit; a successful
//! attempt takes its own rows back. On PostgreSQL the check and the count are serialised per scope
//! with an advisory lock, so the limit holds across several Baton instances.

use crate::storage::backend::on_db;
use crate::storage::backend::{DbRef, PerBackend};

/// Failures counted over this window...
pub const WINDOW_SECS: i64 = 15 * 60;
/// ...and how many are allowed before sign-in is refused for that scope.
pub const MAX_FAILURES: i64 = 5;

/// The rows an attempt wrote, one per scope (see [`forget`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt(Vec<i64>);

/// Counting a failure returns the row's id: SQLite's implicit `rowid`, the PostgreSQL
/// table's `id` column.
const INSERT: PerBackend = PerBackend {
    sqlite: "INSERT INTO login_failures (scope, at) VALUES ($1, $2) RETURNING rowid",
    postgres: "INSERT INTO login_failures (scope, at) VALUES ($1, $2) RETURNING id",
};
/// Taking a failure back, by that id.
const FORGET: PerBackend = PerBackend {
    sqlite: "DELETE FROM login_failures WHERE rowid = $1",
    postgres: "DELETE FROM login_failures WHERE id = $1",
};

const RECENT: &str = "SELECT COUNT(*), MIN(at) FROM (
     SELECT at FROM login_failures WHERE scope = $1 AND at >= $2 ORDER BY at DESC LIMIT $3
 ) AS recent";
/// Keeps the table small: failures older than the window are forgotten.
const PRUNE: &str = "DELETE FROM login_failures WHERE at < $1";

/// How long a scope is still limited, from its recent failures.
fn limited_for((count, oldest): (i64, Option<i64>), now: i64) -> Option<i64> {
    match oldest {
        Some(oldest) if count >= MAX_FAILURES => Some((oldest + WINDOW_SECS - now).max(1)),
        _ => None,
    }
}

/// Checks every scope and, when none is limited, counts this attempt as a failure in each.
/// `Err(seconds)` = a scope is limited for that long; nothing is written then.
pub async fn begin_attempt<'a>(
    db: impl Into<DbRef<'a>>,
    scopes: &[String],
    now: i64,
) -> Result<Result<Attempt, i64>, sqlx::Error> {
    // The same steps on both backends; only how the transaction starts differs.
    macro_rules! attempt {
        ($tx:ident, $insert:expr) => {{
            for scope in scopes {
                let recent = sqlx::query_as(RECENT)
                    .bind(scope)
                    .bind(now - WINDOW_SECS)
                    .bind(MAX_FAILURES)
                    .fetch_one(&mut *$tx)
                    .await?;
                if let Some(secs) = limited_for(recent, now) {
                    $tx.rollback().await?;
                    return Ok(Err(secs));
                }
            }
            let mut ids = Vec::with_capacity(scopes.len());
            for scope in scopes {
                let id: i64 = sqlx::query_scalar($insert)
                    .bind(scope)
                    .bind(now)
                    .fetch_one(&mut *$tx)
                    .await?;
                ids.push(id);
            }
            sqlx::query(PRUNE)
                .bind(now - WINDOW_SECS)
                .execute(&mut *$tx)
                .await?;
            $tx.commit().await?;
            Ok(Ok(Attempt(ids)))
        }};
    }
    match db.into() {
        DbRef::Sqlite(pool) => {
            // One write transaction: SQLite's single writer serialises attempts.
            let mut tx = crate::storage::db::write_tx(pool).await?;
            attempt!(tx, INSERT.sqlite)
        }
        DbRef::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            // Locks taken in one order, so two attempts sharing scopes cannot deadlock.
            let mut keys: Vec<&String> = scopes.iter().collect();
            keys.sort();
            keys.dedup();
            for scope in keys {
                sqlx::query("SELECT pg_advisory_xact_lock(7, hashtext($1))")
                    .bind(scope)
                    .execute(&mut *tx)
                    .await?;
            }
            attempt!(tx, INSERT.postgres)
        }
    }
}

/// Takes back the rows of an attempt that turned out to be right.
pub async fn forget<'a>(db: impl Into<DbRef<'a>>, attempt: &Attempt) -> Result<(), sqlx::Error> {
    let db = db.into();
    let sql = FORGET.get(db.backend());
    for id in &attempt.0 {
        on_db!(db, pool => {
            sqlx::query(sql)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
    }
    Ok(())
}

/// Seconds until `scope` may try again, or `None` when it is not limited.
pub async fn retry_after<'a>(
    db: impl Into<DbRef<'a>>,
    scope: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let recent = on_db!(db, pool => {
        sqlx::query_as(RECENT)
            .bind(scope)
            .bind(now - WINDOW_SECS)
            .bind(MAX_FAILURES)
            .fetch_one(pool)
            .await
    })?;
    Ok(limited_for(recent, now))
}

/// Forgets a scope's failures (after a successful sign-in to that account).
pub async fn clear<'a>(db: impl Into<DbRef<'a>>, scope: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM login_failures WHERE scope = $1")
            .bind(scope)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
