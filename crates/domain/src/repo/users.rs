//! Users: create, find, list and change role / disabled flag / password hash.

use sqlx::SqlitePool;

use model::{Role, UserView};

/// A user row including the password hash (server-side only).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
}

impl UserRow {
    /// Roles are constrained by the schema; an unknown value reads as the least powerful role.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Agent)
    }

    pub fn view(&self) -> UserView {
        UserView {
            id: self.id,
            email: self.email.clone(),
            role: self.role(),
            disabled: self.disabled,
            created_at: self.created_at,
        }
    }
}

const COLUMNS: &str = "id, email, role, password_hash, disabled, created_at";

pub async fn count(pool: &SqlitePool) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await?;
    Ok(n)
}

/// Inserts a user; `Ok(None)` when the email is already taken.
pub async fn insert(
    pool: &SqlitePool,
    email: &str,
    role: Role,
    password_hash: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let result = sqlx::query_as::<_, UserRow>(&format!(
        "INSERT INTO users (email, role, password_hash, disabled, created_at, updated_at)
         VALUES ($1, $2, $3, FALSE, $4, $4) RETURNING {COLUMNS}"
    ))
    .bind(email)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(now)
    .fetch_one(pool)
    .await;
    match result {
        Ok(row) => Ok(Some(row)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Inserts the first admin only while the table is empty (atomic: two racing first-run
/// forms create one admin). `Ok(None)` when a user already exists.
pub async fn insert_first_admin(
    pool: &SqlitePool,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>(&format!(
        "INSERT INTO users (email, role, password_hash, disabled, created_at, updated_at)
         SELECT $1, 'admin', $2, FALSE, $3, $3
         WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING {COLUMNS}"
    ))
    .bind(email)
    .bind(password_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
}

pub async fn by_email(pool: &SqlitePool, email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(pool)
        .await
}

pub async fn by_id(pool: &SqlitePool, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM users ORDER BY email"))
        .fetch_all(pool)
        .await
}

/// Active admins other than `except_id`: used to refuse removing the last admin.
pub async fn other_active_admins(pool: &SqlitePool, except_id: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1",
    )
    .bind(except_id)
    .fetch_one(pool)
    .await?;
    Ok(n)
}

/// The condition that keeps an enabled admin: the row is not an enabled admin, or another
/// enabled admin exists. Part of the UPDATE itself, so two admins demoting (or disabling)
/// each other at the same moment cannot both succeed.
const KEEPS_AN_ADMIN: &str = "(role <> 'admin' OR disabled OR EXISTS (
     SELECT 1 FROM users other WHERE other.role = 'admin' AND NOT other.disabled
                                  AND other.id <> users.id))";

/// Sets the role unless that would leave no enabled admin. `false`: refused (or no such user).
pub async fn set_role_keeping_an_admin(
    pool: &SqlitePool,
    id: i64,
    role: Role,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let guard = if role == Role::Admin {
        "1 = 1"
    } else {
        KEEPS_AN_ADMIN
    };
    let r = sqlx::query(&format!(
        "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND {guard}"
    ))
    .bind(role.as_str())
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Disables (or enables) the user unless that would leave no enabled admin.
pub async fn set_disabled_keeping_an_admin(
    pool: &SqlitePool,
    id: i64,
    disabled: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let guard = if disabled { KEEPS_AN_ADMIN } else { "1 = 1" };
    let r = sqlx::query(&format!(
        "UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 AND {guard}"
    ))
    .bind(disabled)
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn set_password_hash(
    pool: &SqlitePool,
    id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(r.rows_affected() == 1)
}
