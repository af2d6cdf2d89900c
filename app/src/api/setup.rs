//! Server functions for the setup wizard (admins: `RunSetup`). Every one answers the whole
//! wizard view, so the screen shows each action's result at once. No function returns a
//! token or secret: saved ones come back as "saved" flags only. The checks and actions are in
//! `domain::setup`.

use leptos::prelude::*;
use model::error::AppError;
use model::{RecentPerson, SetupView};

#[cfg(feature = "ssr")]
async fn setup_ctx() -> Result<(crate::server::Ctx, domain::repo::audit::Actor), AppError> {
    let ctx = crate::server::Ctx::get()?;
    let admin = ctx.require(model::Permission::RunSetup).await?;
    let actor = domain::repo::audit::Actor::user(admin.id, &admin.email);
    Ok((ctx, actor))
}

#[cfg(feature = "ssr")]
fn step_of(step: &str) -> Result<model::SetupStep, AppError> {
    model::SetupStep::parse(step).map_err(AppError::Invalid)
}

/// The wizard as stored: connected page, progress, each step's last checks.
#[server(endpoint = "setup/status")]
pub async fn setup_status() -> Result<SetupView, AppError> {
    let (ctx, _) = setup_ctx().await?;
    domain::setup::view(&ctx.state).await
}

/// Remembers the step the admin opened, so coming back resumes there.
#[server(endpoint = "setup/open_step")]
pub async fn open_setup_step(step: String) -> Result<(), AppError> {
    let (ctx, _) = setup_ctx().await?;
    let step = step_of(&step)?;
    domain::setup::open_step(&ctx.state, step).await
}

/// Runs a step's checks again (`step`: token, app, webhook, routing, human_agent, profile,
/// test; "receivers" is the routing step's older name).
#[server(endpoint = "setup/check")]
pub async fn check_setup_step(step: String) -> Result<SetupView, AppError> {
    let (ctx, _) = setup_ctx().await?;
    let step = step_of(&step)?;
    domain::setup::check(&ctx.state, step).await
}

/// Step 1: checks a pasted page access token.
#[server(endpoint = "setup/check_token")]
pub async fn check_page_token(token: String) -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::check_token(&ctx.state, &actor, &token).await
}

/// Step 2: a fresh random verify token to offer (not stored until the app is saved).
#[server(endpoint = "setup/new_verify_token")]
pub async fn new_verify_token() -> Result<String, AppError> {
    let _ = setup_ctx().await?;
    Ok(domain::setup::new_verify_token())
}

/// Step 2: saves the app (blank secrets keep the saved ones) and connects the page once
/// Facebook confirms the app secret.
#[server(endpoint = "setup/save_app")]
pub async fn save_app(
    app_id: String,
    app_secret: String,
    verify_token: String,
) -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::save_app(&ctx.state, &actor, &app_id, &app_secret, &verify_token).await
}

/// Step 3: subscribes the page to the webhook fields Baton needs.
#[server(endpoint = "setup/subscribe")]
pub async fn subscribe_page() -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::subscribe(&ctx.state, &actor).await
}

/// Step 3 with the sandbox page: the sandbox performs the verification handshake.
#[server(endpoint = "setup/sandbox_verify")]
pub async fn sandbox_verify() -> Result<SetupView, AppError> {
    let (ctx, _) = setup_ctx().await?;
    domain::setup::sandbox_verify(&ctx.state).await
}

/// Steps 4 and 5: ticks (`done`) or clears a confirm-box, or says which routing settings the
/// page shows.
#[server(endpoint = "setup/confirm")]
pub async fn confirm_setting(item: String, done: bool) -> Result<SetupView, AppError> {
    let (ctx, _) = setup_ctx().await?;
    domain::setup::confirm(&ctx.state, &item, done).await
}

/// Step 4: the live round trip on `psid`'s conversation (to the Page Inbox and back).
#[server(endpoint = "setup/round_trip")]
pub async fn routing_round_trip(psid: String) -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::round_trip(&ctx.state, &actor, &psid).await
}

/// Step 5: a test reply with the `HUMAN_AGENT` tag to `psid`.
#[server(endpoint = "setup/human_agent_test")]
pub async fn human_agent_test(psid: String) -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::human_agent_test(&ctx.state, &actor, &psid).await
}

/// Step 6: pushes the published flow's Get Started, menu and greeting to the page.
#[server(endpoint = "setup/push_profile")]
pub async fn push_page_profile() -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::push_profile(&ctx.state, &actor).await
}

/// Steps 4, 5 and 7: the people who wrote to the page most recently.
#[server(endpoint = "setup/recent_people")]
pub async fn recent_people() -> Result<Vec<RecentPerson>, AppError> {
    let (ctx, _) = setup_ctx().await?;
    domain::setup::recent_people(&ctx.state).await
}

/// Step 7: sends the test message to `psid`.
#[server(endpoint = "setup/send_test")]
pub async fn send_test_message(psid: String) -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::send_test(&ctx.state, &actor, &psid).await
}

/// Connects the built-in sandbox page instead of a real one.
#[server(endpoint = "setup/use_sandbox")]
pub async fn use_sandbox_page() -> Result<SetupView, AppError> {
    let (ctx, actor) = setup_ctx().await?;
    domain::setup::use_sandbox(&ctx.state, &actor).await
}
