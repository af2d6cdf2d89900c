//! The setup wizard's progress (table `setup_state`, one row): the page token waiting for
//! step 2, the current step, ticked boxes, each step's last report and the webhook handshake
//! times. The pending token is stored sealed and comes back wrapped in [`Secret`].

use messenger::Secret;

use crate::storage::backend::{on_db, on_exec};
use crate::storage::backend::{Backend, DbRef, Tx};

use crate::storage::secrets;
use model::{SetupStep, StepReport};

/// A token step 1 accepted, with the page it belongs to.
#[derive(Debug, Clone)]
pub struct Pending {
    pub page_id: String,
    pub name: String,
    pub token: Secret,
}

/// The stored progress.
#[derive(Debug, Clone)]
pub struct Progress {
    pub pending: Option<Pending>,
    pub current: SetupStep,
    pub confirmed: Vec<String>,
    pub reports: Vec<StepReport>,
    pub webhook_verified_at: Option<i64>,
    pub webhook_refused_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Raw {
    pending_page_id: Option<String>,
    pending_page_name: Option<String>,
    pending_token: Option<String>,
    current_step: String,
    confirmed: String,
    reports: String,
    webhook_verified_at: Option<i64>,
    webhook_refused_at: Option<i64>,
}

pub async fn load<'a>(db: impl Into<DbRef<'a>>) -> Result<Progress, sqlx::Error> {
    let db = db.into();
    let raw: Raw = on_db!(db, pool => {
        sqlx::query_as(
            "SELECT pending_page_id, pending_page_name, pending_token, current_step, confirmed,
                    reports, webhook_verified_at, webhook_refused_at
             FROM setup_state WHERE id = 1",
        )
        .fetch_one(pool)
        .await?
    });
    let pending = match (
        raw.pending_page_id,
        raw.pending_page_name,
        raw.pending_token,
    ) {
        (Some(page_id), Some(name), Some(token)) => Some(Pending {
            page_id,
            name,
            token: Secret::new(secrets::open(db, &token).map_err(secrets::db_error)?),
        }),
        _ => None,
    };
    // Both JSON columns are only ever written by this module; an unreadable value (a newer
    // format after a downgrade) is treated as empty rather than blocking the wizard.
    Ok(Progress {
        pending,
        current: SetupStep::parse(&raw.current_step).unwrap_or(SetupStep::Token),
        confirmed: serde_json::from_str(&raw.confirmed).unwrap_or_default(),
        reports: serde_json::from_str(&raw.reports).unwrap_or_default(),
        webhook_verified_at: raw.webhook_verified_at,
        webhook_refused_at: raw.webhook_refused_at,
    })
}

pub async fn set_pending<'a>(
    db: impl Into<DbRef<'a>>,
    pending: Option<&Pending>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let db = db.into();
    let token = pending
        .map(|p| secrets::seal(db, p.token.expose()))
        .transpose()
        .map_err(secrets::db_error)?;
    on_db!(db, pool => {
        sqlx::query(
            "UPDATE setup_state SET pending_page_id = $1, pending_page_name = $2,
                    pending_token = $3, updated_at = $4
             WHERE id = 1",
        )
        .bind(pending.map(|p| p.page_id.as_str()))
        .bind(pending.map(|p| p.name.as_str()))
        .bind(&token)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(())
}

pub async fn set_current<'a>(
    db: impl Into<DbRef<'a>>,
    step: SetupStep,
    now: i64,
) -> Result<(), sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query("UPDATE setup_state SET current_step = $1, updated_at = $2 WHERE id = 1")
            .bind(step.slug())
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

pub async fn set_confirmed<'a>(
    db: impl Into<DbRef<'a>>,
    confirmed: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    let json = serde_json::to_string(confirmed).unwrap_or_else(|_| "[]".into());
    on_db!(db, pool => {
        sqlx::query("UPDATE setup_state SET confirmed = $1, updated_at = $2 WHERE id = 1")
            .bind(&json)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(())
}

/// Replaces the stored report of `report.step`.
pub async fn save_report<'a>(
    db: impl Into<DbRef<'a>>,
    report: &StepReport,
) -> Result<(), sqlx::Error> {
    edit_reports(db.into(), report.checked_at, false, |reports| {
        reports.retain(|r| r.step != report.step);
        reports.push(report.clone());
    })
    .await
}

/// Forgets the reports of every step but `keep`, and the handshake times (another page or
/// verify token: what was checked no longer holds).
pub async fn reset_checks<'a>(
    db: impl Into<DbRef<'a>>,
    keep: &[SetupStep],
    now: i64,
) -> Result<(), sqlx::Error> {
    edit_reports(db.into(), now, true, |reports| {
        reports.retain(|r| keep.contains(&r.step))
    })
    .await
}

/// Read-modify-write of the stored reports in one write transaction (on PostgreSQL the
/// row is locked with `FOR UPDATE`, so two instances' edits do not lose one another);
/// `forget_handshakes` also clears the webhook handshake times.
async fn edit_reports(
    db: DbRef<'_>,
    now: i64,
    forget_handshakes: bool,
    edit: impl FnOnce(&mut Vec<StepReport>),
) -> Result<(), sqlx::Error> {
    let sql = if forget_handshakes {
        "UPDATE setup_state SET reports = $1, webhook_verified_at = NULL,
                webhook_refused_at = NULL, updated_at = $2
         WHERE id = 1"
    } else {
        "UPDATE setup_state SET reports = $1, updated_at = $2 WHERE id = 1"
    };
    let edited = |json: String| {
        let mut reports: Vec<StepReport> = serde_json::from_str(&json).unwrap_or_default();
        edit(&mut reports);
        serde_json::to_string(&reports).unwrap_or_else(|_| "[]".into())
    };
    let mut tx = Tx::foreground(db).await?;
    let select = match tx.exec().backend() {
        Backend::Sqlite => "SELECT reports FROM setup_state WHERE id = 1",
        Backend::Postgres => "SELECT reports FROM setup_state WHERE id = 1 FOR UPDATE",
    };
    let (json,): (String,) = on_exec!(tx.exec(), c => sqlx::query_as(select).fetch_one(c).await?);
    let json = edited(json);
    on_exec!(tx.exec(), c => {
        sqlx::query(sql)
            .bind(&json)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
    });
    tx.commit().await
}

/// Records a `GET /webhook` handshake: accepted (the verify token matched) or refused.
pub async fn record_handshake<'a>(
    db: impl Into<DbRef<'a>>,
    accepted: bool,
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = if accepted {
        "UPDATE setup_state SET webhook_verified_at = $1 WHERE id = 1"
    } else {
        "UPDATE setup_state SET webhook_refused_at = $1 WHERE id = 1"
    };
    on_db!(db, pool => sqlx::query(sql).bind(now).execute(pool).await?.rows_affected());
    Ok(())
}

/// A recent correspondent of the page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recent {
    pub psid: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub last_user_message_ms: Option<i64>,
}

/// The people of `page_id` who wrote most recently (newest first).
pub async fn recent_people<'a>(
    db: impl Into<DbRef<'a>>,
    page_id: &str,
    limit: i64,
) -> Result<Vec<Recent>, sqlx::Error> {
    on_db!(db, pool => {
        sqlx::query_as(
            "SELECT psid, first_name, last_name, last_user_message_ms FROM conversations
             WHERE page_id = $1
             ORDER BY COALESCE(last_user_message_ms, 0) DESC, last_activity_ms DESC
             LIMIT $2",
        )
        .bind(page_id)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}
