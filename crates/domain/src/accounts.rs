//! Account operations shared by the server functions and the `baton user` CLI: validation,
//! the last-admin guard, sign-in with rate limiting, and an audit record for every change.

use crate::Clock;
use sqlx::SqlitePool;

use super::auth::{hash_password, new_token, token_hash, verify_password};
use super::repo::audit::{self, Actor};
use super::repo::{login_limits, sessions, users, users::UserRow};
use model::AppError;
use model::{Email, NewPassword, Role};

/// The message for every failed sign-in, whatever the reason (no account enumeration).
/// The longest email a sign-in looks up (RFC 5321's limit on an address).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest password a sign-in checks (new passwords are at most 128 characters).
pub const MAX_PASSWORD_BYTES: usize = 1024;

pub const BAD_CREDENTIALS: &str = "Email or password is wrong, or the account is disabled.";

pub async fn create_user(
    pool: &SqlitePool,
    clock: &Clock,
    actor: &Actor,
    email: &str,
    role: Role,
    password: &str,
) -> Result<UserRow, AppError> {
    let (email, hash) = checked_credentials(email, password).await?;
    let at = clock.now();
    let user = users::insert(pool, email.as_str(), role, &hash, at)
        .await?
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "A user with email {} already exists.",
                email.as_str()
            ))
        })?;
    audit::record(
        pool,
        actor,
        "user.created",
        Some(&user.email),
        Some(role.as_str()),
        at,
    )
    .await?;
    Ok(user)
}

/// The parsed email and the password's hash, for a new account (one rule for both kinds).
async fn checked_credentials(email: &str, password: &str) -> Result<(Email, String), AppError> {
    let email = Email::parse(email).map_err(AppError::Invalid)?;
    let password = NewPassword::parse(password).map_err(AppError::Invalid)?;
    let hash = hash_password(password.expose()).await?;
    Ok((email, hash))
}

/// First-run: creates the first admin, only while no user exists.
pub async fn create_first_admin(
    pool: &SqlitePool,
    clock: &Clock,
    email: &str,
    password: &str,
) -> Result<UserRow, AppError> {
    let (email, hash) = checked_credentials(email, password).await?;
    let at = clock.now();
    let user = users::insert_first_admin(pool, email.as_str(), &hash, at)
        .await?
        .ok_or(AppError::Forbidden)?;
    let actor = Actor::user(user.id, &user.email);
    audit::record(
        pool,
        &actor,
        "user.created",
        Some(&user.email),
        Some("first admin"),
        at,
    )
    .await?;
    Ok(user)
}

/// Checks the credentials and opens a session; returns the user and the new cookie token.
/// Failures are counted per account and per IP; five within 15 minutes lock that scope.
pub async fn sign_in(
    pool: &SqlitePool,
    clock: &Clock,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<(UserRow, String), AppError> {
    // Nothing longer than an email address can be (or than a password anyone types) reaches
    // the database or argon2.
    if email.chars().count() > MAX_EMAIL_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(AppError::Invalid(BAD_CREDENTIALS.into()));
    }
    let at = clock.now();
    let email_norm = email.trim().to_lowercase();
    let scopes = [format!("email:{email_norm}"), format!("ip:{ip}")];
    let attempt = match login_limits::begin_attempt(pool, &scopes, at).await? {
        Ok(attempt) => attempt,
        Err(secs) => return Err(AppError::TooManyAttempts(wait_text(secs))),
    };
    let user = users::by_email(pool, &email_norm).await?;
    let password_ok =
        verify_password(user.as_ref().map(|u| u.password_hash.clone()), password).await;
    match user {
        Some(user) if password_ok && !user.disabled => {
            login_limits::forget(pool, &attempt).await?;
            login_limits::clear(pool, &scopes[0]).await?;
            let token = new_token();
            sessions::create(pool, &token_hash(&token), user.id, at).await?;
            audit::record(
                pool,
                &Actor::user(user.id, &user.email),
                "user.signed_in",
                None,
                None,
                at,
            )
            .await?;
            Ok((user, token))
        }
        _ => {
            // The failure was counted before the password check.
            audit::record(
                pool,
                &Actor {
                    user_id: None,
                    name: email_norm.clone(),
                },
                "user.sign_in_failed",
                None,
                Some(ip),
                at,
            )
            .await?;
            Err(AppError::Invalid(BAD_CREDENTIALS.into()))
        }
    }
}

fn wait_text(secs: i64) -> String {
    let minutes = (secs + 59) / 60;
    if minutes <= 1 {
        "a minute".into()
    } else {
        format!("{minutes} minutes")
    }
}

pub async fn sign_out(
    pool: &SqlitePool,
    clock: &Clock,
    user: &UserRow,
    token: &str,
) -> Result<(), AppError> {
    sessions::delete(pool, &token_hash(token)).await?;
    audit::record(
        pool,
        &Actor::user(user.id, &user.email),
        "user.signed_out",
        None,
        None,
        clock.now(),
    )
    .await?;
    Ok(())
}

async fn target(pool: &SqlitePool, id: i64) -> Result<UserRow, AppError> {
    users::by_id(pool, id).await?.ok_or(AppError::NotFound)
}

/// Why a change was refused: it would leave no enabled admin.
fn last_admin() -> AppError {
    AppError::Invalid("This is the only active admin; make someone else admin first.".into())
}

pub async fn change_role(
    pool: &SqlitePool,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    role: Role,
) -> Result<UserView, AppError> {
    let user = target(pool, id).await?;
    let at = clock.now();
    if !users::set_role_keeping_an_admin(pool, id, role, at).await? {
        return Err(last_admin());
    }
    audit::record(
        pool,
        actor,
        "user.role_changed",
        Some(&user.email),
        Some(&format!("{} -> {role}", user.role())),
        at,
    )
    .await?;
    Ok(target(pool, id).await?.view())
}

pub async fn set_disabled(
    pool: &SqlitePool,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    disabled: bool,
) -> Result<UserView, AppError> {
    let user = target(pool, id).await?;
    let at = clock.now();
    if !users::set_disabled_keeping_an_admin(pool, id, disabled, at).await? {
        return Err(last_admin());
    }
    if disabled {
        sessions::delete_for_user(pool, id).await?;
    }
    let action = if disabled {
        "user.disabled"
    } else {
        "user.enabled"
    };
    audit::record(pool, actor, action, Some(&user.email), None, at).await?;
    Ok(target(pool, id).await?.view())
}

/// Sets a new password and signs the user out everywhere.
pub async fn reset_password(
    pool: &SqlitePool,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    password: &str,
) -> Result<(), AppError> {
    let password = NewPassword::parse(password).map_err(AppError::Invalid)?;
    let user = target(pool, id).await?;
    let hash = hash_password(password.expose()).await?;
    let at = clock.now();
    users::set_password_hash(pool, id, &hash, at).await?;
    sessions::delete_for_user(pool, id).await?;
    audit::record(
        pool,
        actor,
        "user.password_reset",
        Some(&user.email),
        None,
        at,
    )
    .await?;
    Ok(())
}

use model::UserView;
