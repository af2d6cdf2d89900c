//! Server functions for the Settings screen.

use leptos::prelude::*;

use crate::error::AppError;

/// The page display name, or `None` when none was saved yet (any signed-in user).
#[server(endpoint = "settings/page_name")]
pub async fn get_page_name() -> Result<Option<String>, AppError> {
    use crate::server::{auth::Ctx, repo::settings};
    let ctx = Ctx::get()?;
    ctx.require_user().await?;
    Ok(settings::get(ctx.pool(), settings::keys::PAGE_NAME).await?)
}

/// Validates and stores the page display name; returns the stored (trimmed) value (admins).
#[server(endpoint = "settings/save_page_name")]
pub async fn save_page_name(name: String) -> Result<String, AppError> {
    use crate::model::{PageName, Permission};
    use crate::server::{auth, auth::Ctx, repo::audit, repo::settings};
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageSettings).await?;
    let name = PageName::parse(&name).map_err(|e| ctx.fail(AppError::Invalid(e)))?;
    settings::set(ctx.pool(), settings::keys::PAGE_NAME, name.as_str()).await?;
    let actor = audit::Actor::user(admin.id, &admin.email);
    let detail = Some(name.as_str());
    audit::record(
        ctx.pool(),
        &actor,
        "settings.changed",
        Some("page display name"),
        detail,
        auth::now(),
    )
    .await?;
    Ok(name.as_str().to_owned())
}
