//! Users: create, find, list and change role / disabled flag / password hash. On both
//! backends (see `backend`).

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;

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

pub async fn count<'a>(db: impl Into<DbRef<'a>>) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(pool)
            .await
    })?;
    Ok(n)
}

/// Inserts a user; `Ok(None)` when the email is already taken.
pub async fn insert<'a>(
    db: impl Into<DbRef<'a>>,
    email: &str,
    role: Role,
    password_hash: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "INSERT INTO users (email, role, password_hash, disabled, created_at, updated_at)
         VALUES ($1, $2, $3, FALSE, $4, $4) RETURNING {COLUMNS}"
    );
    let result = on_db!(db, pool => {
        sqlx::query_as::<_, UserRow>(&sql)
            .bind(email)
            .bind(role.as_str())
            .bind(password_hash)
            .bind(now)
            .fetch_one(pool)
            .await
    });
    match result {
        Ok(row) => Ok(Some(row)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Inserts the first admin only while the table is empty (atomic: two racing first-run
/// forms create one admin, on SQLite by its single writer, on PostgreSQL under the admins'
/// advisory lock). `Ok(None)` when a user already exists.
pub async fn insert_first_admin<'a>(
    db: impl Into<DbRef<'a>>,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!(
        "INSERT INTO users (email, role, password_hash, disabled, created_at, updated_at)
         SELECT $1, 'admin', $2, FALSE, $3, $3
         WHERE NOT EXISTS (SELECT 1 FROM users) RETURNING {COLUMNS}"
    );
    match db.into() {
        DbRef::Sqlite(pool) => {
            sqlx::query_as::<_, UserRow>(&sql)
                .bind(email)
                .bind(password_hash)
                .bind(now)
                .fetch_optional(pool)
                .await
        }
        DbRef::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            lock_admins(&mut tx).await?;
            let row = sqlx::query_as::<_, UserRow>(&sql)
                .bind(email)
                .bind(password_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row)
        }
    }
}

/// PostgreSQL only: serialises the statements that must see every other admin change
/// (first admin, last-admin guard). Under READ COMMITTED two instances demoting two admins
/// at once would each still see the other as an enabled admin, and both would succeed.
/// Held until the transaction ends.
async fn lock_admins(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    /// An arbitrary key of Baton's own for `pg_advisory_xact_lock`.
    const ADMINS_LOCK: i64 = 0x6261_746f_6e01; // "baton" 01
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ADMINS_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_email<'a>(
    db: impl Into<DbRef<'a>>,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(email).fetch_optional(pool).await)
}

pub async fn by_id<'a>(db: impl Into<DbRef<'a>>, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    on_db!(db, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)
}

pub async fn list<'a>(db: impl Into<DbRef<'a>>) -> Result<Vec<UserRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM users ORDER BY email");
    on_db!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await)
}

/// Active admins other than `except_id`: used to refuse removing the last admin.
pub async fn other_active_admins<'a>(
    db: impl Into<DbRef<'a>>,
    except_id: i64,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1",
        )
        .bind(except_id)
        .fetch_one(pool)
        .await
    })?;
    Ok(n)
}

/// The condition that keeps an enabled admin: the row is not an enabled admin, or another
/// enabled admin exists. Part of the UPDATE itself, so two admins demoting (or disabling)
/// each other at the same moment cannot both succeed.
const KEEPS_AN_ADMIN: &str = "(role <> 'admin' OR disabled OR EXISTS (
     SELECT 1 FROM users other WHERE other.role = 'admin' AND NOT other.disabled
                                  AND other.id <> users.id))";

/// Runs one guarded UPDATE of an admin-relevant column and says whether it changed the row:
/// as is on SQLite (one writer), under the admins' lock on PostgreSQL.
macro_rules! guarded_update {
    ($db:expr, $sql:expr, $($bind:expr),+) => {
        match Into::<DbRef>::into($db) {
            DbRef::Sqlite(pool) => sqlx::query($sql)$(.bind($bind))+.execute(pool).await?.rows_affected(),
            DbRef::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                lock_admins(&mut tx).await?;
                let n = sqlx::query($sql)$(.bind($bind))+.execute(&mut *tx).await?.rows_affected();
                tx.commit().await?;
                n
            }
        }
    };
}

/// Sets the role unless that would leave no enabled admin. `false`: refused (or no such user).
pub async fn set_role_keeping_an_admin<'a>(
    db: impl Into<DbRef<'a>>,
    id: i64,
    role: Role,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let guard = if role == Role::Admin {
        "1 = 1"
    } else {
        KEEPS_AN_ADMIN
    };
    let sql = format!("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 AND {guard}");
    let n = guarded_update!(db.into(), &sql, role.as_str(), now, id);
    Ok(n == 1)
}

/// Disables (or enables) the user unless that would leave no enabled admin.
pub async fn set_disabled_keeping_an_admin<'a>(
    db: impl Into<DbRef<'a>>,
    id: i64,
    disabled: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let guard = if disabled { KEEPS_AN_ADMIN } else { "1 = 1" };
    let sql = format!("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 AND {guard}");
    let n = guarded_update!(db.into(), &sql, disabled, now, id);
    Ok(n == 1)
}

pub async fn set_password_hash<'a>(
    db: impl Into<DbRef<'a>>,
    id: i64,
    hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let r = on_db!(db, pool => {
        sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(r == 1)
}
