//! Server functions for the Settings screen.

use leptos::prelude::*;
use model::error::AppError;

/// The page display name, or `None` when none was saved yet (any signed-in user).
#[server(endpoint = "settings/page_name")]
pub async fn get_page_name() -> Result<Option<String>, AppError> {
    use crate::server::Ctx;
    use domain::repo::settings;
    let ctx = Ctx::get()?;
    ctx.require_user().await?;
    Ok(settings::get(ctx.pool(), settings::keys::PAGE_NAME).await?)
}

/// Validates and stores the page display name; returns the stored (trimmed) value (admins).
#[server(endpoint = "settings/save_page_name")]
pub async fn save_page_name(name: String) -> Result<String, AppError> {
    use crate::server::Ctx;
    use domain::{repo::audit, repo::settings};
    use model::{PageName, Permission};
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageSettings).await?;
    let name = PageName::parse(&name).map_err(AppError::Invalid)?;
    settings::set(
        ctx.pool(),
        settings::keys::PAGE_NAME,
        name.as_str(),
        ctx.clock().now(),
    )
    .await?;
    let actor = audit::Actor::user(admin.id, &admin.email);
    let detail = Some(name.as_str());
    audit::record(
        ctx.pool(),
        &actor,
        "settings.changed",
        Some("page display name"),
        detail,
        ctx.clock().now(),
    )
    .await?;
    Ok(name.as_str().to_owned())
}

/// Settings → Page: the connected page's health, checked with Facebook now (admins).
#[server(endpoint = "settings/page_health")]
pub async fn page_health() -> Result<model::PageHealth, AppError> {
    use crate::server::Ctx;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::ManageSettings).await?;
    domain::setup::health(&ctx.state).await
}

/// Settings → Page: the connected page's bot disclosure; `None` without a page (admins).
#[server(endpoint = "settings/bot_disclosure")]
pub async fn get_bot_disclosure() -> Result<Option<model::BotDisclosure>, AppError> {
    use crate::server::Ctx;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::ManageSettings).await?;
    Ok(domain::pages::bot_disclosure(ctx.pool()).await?)
}

/// Settings → Page: turns the bot disclosure on with `text`, or off (admins).
#[server(endpoint = "settings/save_bot_disclosure")]
pub async fn save_bot_disclosure(
    #[server(default)] on: bool,
    text: String,
) -> Result<model::BotDisclosure, AppError> {
    use crate::server::Ctx;
    use domain::repo::audit::Actor;
    use model::Permission;
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageSettings).await?;
    let actor = Actor::user(admin.id, &admin.email);
    Ok(domain::pages::set_bot_disclosure(ctx.pool(), ctx.clock(), &actor, on, &text).await?)
}

/// Settings → Page: forgets the connected page and its secrets (admins).
#[server(endpoint = "settings/disconnect_page")]
pub async fn disconnect_page() -> Result<(), AppError> {
    use crate::server::Ctx;
    use domain::repo::audit::Actor;
    use model::Permission;
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageSettings).await?;
    let actor = Actor::user(admin.id, &admin.email);
    domain::setup::disconnect(&ctx.state, &actor).await
}

/// What rotating changed: the page's health, and a new verify token shown this once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RotateReport {
    pub health: model::PageHealth,
    /// Only when a new verify token was asked for: paste it into the App Dashboard now; it is
    /// never shown again.
    pub new_verify_token: Option<String>,
}

/// Settings → Page: replaces the page token and/or app secret (each checked with Facebook
/// first; blank keeps the saved one) and, when `new_verify` is set, the verify token (admins).
#[server(endpoint = "settings/rotate_page")]
pub async fn rotate_page_secrets(
    access_token: String,
    app_secret: String,
    #[server(default)] new_verify: bool,
) -> Result<RotateReport, AppError> {
    use crate::server::Ctx;
    use domain::repo::audit::Actor;
    use model::Permission;
    let ctx = Ctx::get()?;
    let admin = ctx.require(Permission::ManageSettings).await?;
    let actor = Actor::user(admin.id, &admin.email);
    let rotated =
        domain::setup::rotate(&ctx.state, &actor, &access_token, &app_secret, new_verify).await?;
    Ok(RotateReport {
        health: rotated.health,
        new_verify_token: rotated.new_verify_token,
    })
}
