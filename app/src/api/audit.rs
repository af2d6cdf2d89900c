//! Server function for the Audit log screen (admins only).

use leptos::prelude::*;
use model::error::AppError;
use model::AuditEntry;

/// Newest first, 100 per page; pass the last id seen to get the next page.
#[server(endpoint = "audit/list")]
pub async fn list_audit(before_id: Option<i64>) -> Result<Vec<AuditEntry>, AppError> {
    use crate::server::Ctx;
    use domain::repo::audit;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::ViewAudit).await?;
    Ok(audit::list(ctx.pool(), before_id, 100).await?)
}
