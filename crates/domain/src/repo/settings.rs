//! Key/value settings (page display name and, later, other admin settings).

use sqlx::{Sqlite, SqlitePool};

/// Settings keys, in one place so typos cannot create new keys.
pub mod keys {
    pub const PAGE_NAME: &str = "page.display_name";
    /// Set while Facebook refuses the page token (error 190) and the outbox waits: the
    /// plain reason, shown to admins. Cleared when a page is connected again.
    pub const TOKEN_PROBLEM: &str = "page.token_problem";
}

pub async fn get(pool: &SqlitePool, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    key: &str,
    value: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(executor)
    .await?;
    Ok(())
}

pub async fn remove<'e, E: sqlx::Executor<'e, Database = Sqlite>>(
    executor: E,
    key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(executor)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> SqlitePool {
        let pool = crate::db::connect("sqlite::memory:").await.unwrap();
        crate::db::migrate(&pool).await.unwrap();
        pool
    }

    #[tokio::test]
    async fn missing_key_is_none_then_set_and_overwrite() {
        let pool = pool().await;
        assert_eq!(get(&pool, keys::PAGE_NAME).await.unwrap(), None);
        set(&pool, keys::PAGE_NAME, "First", 1).await.unwrap();
        set(&pool, keys::PAGE_NAME, "Second", 2).await.unwrap();
        assert_eq!(
            get(&pool, keys::PAGE_NAME).await.unwrap().as_deref(),
            Some("Second")
        );
    }
}
