//! Server-side sessions, keyed by the SHA-256 of the cookie token, with idle and absolute
//! expiry decided here (callers pass `now`, so tests control the clock).

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;

use super::users::UserRow;

/// A session ends after this long without a request...
pub const IDLE_TIMEOUT_SECS: i64 = 8 * 60 * 60;
/// ...and this long after sign-in, whatever happens.
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 7 * 24 * 60 * 60;
/// `last_seen_at` is only written when older than this, to keep reads cheap.
const TOUCH_EVERY_SECS: i64 = 60;

pub async fn create<'a>(
    db: impl Into<DbRef<'a>>,
    token_hash: &str,
    user_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at)
             VALUES ($1, $2, $3, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionUser {
    session_created_at: i64,
    session_last_seen_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

/// The signed-in, enabled user of a live session; expired sessions are deleted.
pub async fn user_for<'a>(
    db: impl Into<DbRef<'a>>,
    token_hash: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let db = db.into();
    let row: Option<SessionUser> = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT s.created_at AS session_created_at, s.last_seen_at AS session_last_seen_at,
                    u.id, u.email, u.role, u.password_hash, u.disabled, u.created_at
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(pool)
        .await
    })?;
    let Some(row) = row else { return Ok(None) };
    if now - row.session_last_seen_at > IDLE_TIMEOUT_SECS
        || now - row.session_created_at > ABSOLUTE_TIMEOUT_SECS
    {
        delete(db, token_hash).await?;
        return Ok(None);
    }
    if row.user.disabled {
        return Ok(None);
    }
    if now - row.session_last_seen_at > TOUCH_EVERY_SECS {
        on_db!(db, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    Ok(Some(row.user))
}

pub async fn delete<'a>(db: impl Into<DbRef<'a>>, token_hash: &str) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Signs a user out everywhere (password reset, disabled account).
pub async fn delete_for_user<'a>(
    db: impl Into<DbRef<'a>>,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}
