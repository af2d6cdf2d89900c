//! The audit log: who did what, when. Every domain records through [`record`].

use crate::storage::backend::on_db;
use crate::storage::backend::DbRef;

use model::AuditEntry;

/// Who acted: a signed-in user, or the CLI / the system itself.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, email: &str) -> Self {
        Self {
            user_id: Some(id),
            name: email.to_owned(),
        }
    }

    pub fn cli() -> Self {
        Self {
            user_id: None,
            name: "cli".into(),
        }
    }
}

pub async fn record<'a>(
    db: impl Into<DbRef<'a>>,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor, action, target, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now)
        .bind(actor.user_id)
        .bind(&actor.name)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Newest first, `limit` entries older than `before_id` (keyset pagination).
pub async fn list<'a>(
    db: impl Into<DbRef<'a>>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT id, at, actor, action, target, detail FROM audit_log
             WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}
