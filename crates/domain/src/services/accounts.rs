//! Account operations shared by the server functions and the `baton user` CLI: validation,
//! the last-admin guard, sign-in with rate limiting, and an audit record for every change.

use crate::clock::Clock;
use crate::storage::backend::DbRef;

use super::auth::{hash_password, new_token, token_hash, verify_password};
use crate::storage::repo::audit::{self, Actor};
use crate::storage::repo::{login_limits, sessions, users, users::UserRow};
use model::AppError;
use model::{Email, NewPassword, Role};

/// The message for every failed sign-in, whatever the reason (no account enumeration).
/// The longest email a sign-in looks up (RFC 5321's limit on an address).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest password a sign-in checks (new passwords are at most 128 characters).
pub const MAX_PASSWORD_BYTES: usize = 1024;

pub const BAD_CREDENTIALS: &str = "Email or password is wrong, or the account is disabled.";

/// Why an account operation was refused or failed. The CLI prints it as it is; server
/// functions answer with the matching `AppError` (a database failure is logged and answered
/// with the generic message).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The email or password breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(String),
    #[error("A user with email {0} already exists.")]
    EmailTaken(String),
    /// Wrong email or password, or a disabled account (which one is not told).
    #[error("{}", BAD_CREDENTIALS)]
    BadCredentials,
    /// Too many failed sign-ins for this email or address; the value says how long to wait.
    #[error("Too many failed sign-in attempts. Try again in {0}.")]
    Locked(String),
    #[error("The first admin exists already: sign in instead.")]
    NotFirstRun,
    #[error("There is no such user.")]
    NoSuchUser,
    #[error("This is the only active admin; make someone else admin first.")]
    LastAdmin,
    #[error("the password could not be hashed (see the log)")]
    Hashing,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Locked(wait) => AppError::TooManyAttempts(wait),
            AccountError::NotFirstRun => AppError::Forbidden,
            AccountError::NoSuchUser => AppError::NotFound,
            AccountError::Hashing => AppError::Internal,
            AccountError::Database(e) => e.into(),
            e => AppError::Invalid(e.to_string()),
        }
    }
}

pub async fn create_user<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    email: &str,
    role: Role,
    password: &str,
) -> Result<UserRow, AccountError> {
    let pool = pool.into();
    let (email, hash) = checked_credentials(email, password).await?;
    let at = clock.now();
    let user = users::insert(pool, email.as_str(), role, &hash, at)
        .await?
        .ok_or_else(|| AccountError::EmailTaken(email.as_str().to_owned()))?;
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
async fn checked_credentials(email: &str, password: &str) -> Result<(Email, String), AccountError> {
    let email = Email::parse(email).map_err(AccountError::Invalid)?;
    let password = NewPassword::parse(password).map_err(AccountError::Invalid)?;
    let hash = hash_password(password.expose())
        .await
        .map_err(|_| AccountError::Hashing)?;
    Ok((email, hash))
}

/// First-run: creates the first admin, only while no user exists.
pub async fn create_first_admin<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    email: &str,
    password: &str,
) -> Result<UserRow, AccountError> {
    let pool = pool.into();
    let (email, hash) = checked_credentials(email, password).await?;
    let at = clock.now();
    let user = users::insert_first_admin(pool, email.as_str(), &hash, at)
        .await?
        .ok_or(AccountError::NotFirstRun)?;
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
pub async fn sign_in<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<(UserRow, String), AccountError> {
    let pool = pool.into();
    // Nothing longer than an email address can be (or than a password anyone types) reaches
    // the database or argon2.
    if email.chars().count() > MAX_EMAIL_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::BadCredentials);
    }
    let at = clock.now();
    let email_norm = email.trim().to_lowercase();
    let scopes = [format!("email:{email_norm}"), format!("ip:{ip}")];
    let attempt = match login_limits::begin_attempt(pool, &scopes, at).await? {
        Ok(attempt) => attempt,
        Err(secs) => return Err(AccountError::Locked(wait_text(secs))),
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
            Err(AccountError::BadCredentials)
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

pub async fn sign_out<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    user: &UserRow,
    token: &str,
) -> Result<(), AccountError> {
    let pool = pool.into();
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

async fn target<'a>(pool: impl Into<DbRef<'a>>, id: i64) -> Result<UserRow, AccountError> {
    let pool = pool.into();
    users::by_id(pool, id)
        .await?
        .ok_or(AccountError::NoSuchUser)
}

/// Why a change was refused: it would leave no enabled admin.
pub async fn change_role<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    role: Role,
) -> Result<UserView, AccountError> {
    let pool = pool.into();
    let user = target(pool, id).await?;
    let at = clock.now();
    if !users::set_role_keeping_an_admin(pool, id, role, at).await? {
        return Err(AccountError::LastAdmin);
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

pub async fn set_disabled<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    disabled: bool,
) -> Result<UserView, AccountError> {
    let pool = pool.into();
    let user = target(pool, id).await?;
    let at = clock.now();
    if !users::set_disabled_keeping_an_admin(pool, id, disabled, at).await? {
        return Err(AccountError::LastAdmin);
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
pub async fn reset_password<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    actor: &Actor,
    id: i64,
    password: &str,
) -> Result<(), AccountError> {
    let pool = pool.into();
    let password = NewPassword::parse(password).map_err(AccountError::Invalid)?;
    let user = target(pool, id).await?;
    let hash = hash_password(password.expose())
        .await
        .map_err(|_| AccountError::Hashing)?;
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
