//! Key/value settings (page display name and, later, other admin settings).

use crate::storage::backend::on_exec;
use crate::storage::backend::Exec;

/// Settings keys, in one place so typos cannot create new keys.
pub mod keys {
    pub const PAGE_NAME: &str = "page.display_name";
    /// Set while Facebook refuses the page token (error 190) and the outbox waits: the
    /// plain reason, shown to admins. Cleared when a page is connected again.
    pub const TOKEN_PROBLEM: &str = "page.token_problem";
    /// Set when Messenger refused a handover for good (the page's routing settings): what
    /// happened and where to fix it, shown to admins and by the setup wizard's routing step.
    /// Cleared by the next handover that goes through.
    pub const HANDOVER_PROBLEM: &str = "page.handover_problem";
    /// Set when Messenger refused a `HUMAN_AGENT` reply because the app lacks the Human Agent
    /// permission (the wizard's Human Agent step shows it). Cleared by the next one that goes
    /// through.
    pub const HUMAN_AGENT_PROBLEM: &str = "page.human_agent_problem";
}

pub async fn get<'c>(exec: impl Into<Exec<'c>>, key: &str) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = on_exec!(exec, c => {
        sqlx::query_as("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(c)
            .await?
    });
    Ok(row.map(|r| r.0))
}

pub async fn set<'c>(
    exec: impl Into<Exec<'c>>,
    key: &str,
    value: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                             updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected()
    });
    Ok(())
}

pub async fn remove<'c>(exec: impl Into<Exec<'c>>, key: &str) -> Result<(), sqlx::Error> {
    on_exec!(exec, c => {
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key)
            .execute(c)
            .await?
            .rows_affected()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::storage::testing::test_on_both_backends!(memory: missing_key_is_none_then_set_and_overwrite);

    async fn missing_key_is_none_then_set_and_overwrite(pool: crate::storage::backend::Db) {
        assert_eq!(get(&pool, keys::PAGE_NAME).await.unwrap(), None);
        set(&pool, keys::PAGE_NAME, "First", 1).await.unwrap();
        set(&pool, keys::PAGE_NAME, "Second", 2).await.unwrap();
        assert_eq!(
            get(&pool, keys::PAGE_NAME).await.unwrap().as_deref(),
            Some("Second")
        );
    }
}
