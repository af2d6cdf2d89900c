//! Server functions for the Simulator: test users, the user's phone, the emulated Page
//! Inbox, the sandbox clock and Try draft. All need `UseSimulator` (every role) and work only
//! while the built-in sandbox page is connected. The operations are in
//! `domain::simulator`.

use leptos::prelude::*;
use model::error::AppError;
use model::{SimOverview, SimUser, SimView};

#[cfg(feature = "ssr")]
async fn simulator_ctx() -> Result<crate::server::Ctx, AppError> {
    let ctx = crate::server::Ctx::get()?;
    ctx.require(model::Permission::UseSimulator).await?;
    Ok(ctx)
}

/// The test users (newest first) and whether a flow is published.
#[server(endpoint = "simulator/overview")]
pub async fn load_simulator() -> Result<SimOverview, AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::overview(&ctx.state).await
}

/// Creates a test user; empty names get defaults ("Test User N").
#[server(endpoint = "simulator/create_user")]
pub async fn create_test_user(first_name: String, last_name: String) -> Result<SimUser, AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::create_user(&ctx.state, &first_name, &last_name).await
}

/// Removes a test user from the sandbox (their conversation stays in Baton's inbox).
#[server(endpoint = "simulator/remove_user")]
pub async fn remove_test_user(psid: String) -> Result<(), AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::remove_user(&ctx.state, &psid).await
}

/// One test user's chat, thread and ledger.
#[server(endpoint = "simulator/view")]
pub async fn test_user_view(psid: String) -> Result<SimView, AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::view(&ctx.state, &psid).await
}

/// The user acts: `act` is `say` (with `text`), `tap` (with `mid` and `index`),
/// `get_started` or `menu` (with `index`).
#[server(endpoint = "simulator/user")]
pub async fn test_user_act(
    psid: String,
    act: String,
    text: String,
    mid: String,
    index: usize,
) -> Result<SimView, AppError> {
    use domain::simulator::{user_acts, UserAct};
    let ctx = simulator_ctx().await?;
    let act = match act.as_str() {
        "say" => UserAct::Say(text),
        "tap" => UserAct::Tap { mid, index },
        "get_started" => UserAct::GetStarted,
        "menu" => UserAct::Menu(index),
        other => {
            return Err(AppError::Invalid(format!(
                "Unknown action {other:?}: use say, tap, get_started or menu."
            )))
        }
    };
    user_acts(&ctx.state, &psid, act).await
}

/// The emulated Page Inbox acts: `act` is `say` (with `text`), `done` or `move_to_inbox`.
#[server(endpoint = "simulator/page_inbox")]
pub async fn page_inbox_act(psid: String, act: String, text: String) -> Result<SimView, AppError> {
    use domain::simulator::{agent_acts, AgentAct};
    let ctx = simulator_ctx().await?;
    let act = match act.as_str() {
        "say" => AgentAct::Say(text),
        "done" => AgentAct::Done,
        "move_to_inbox" => AgentAct::MoveToInbox,
        other => {
            return Err(AppError::Invalid(format!(
                "Unknown action {other:?}: use say, done or move_to_inbox."
            )))
        }
    };
    agent_acts(&ctx.state, &psid, act).await
}

/// Moves the sandbox clock forward by `minutes` (1 minute to 30 days).
#[server(endpoint = "simulator/advance")]
pub async fn advance_clock(minutes: u32) -> Result<(), AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::advance(&ctx.state, minutes).await
}

/// Runs the current draft for this test user instead of the published flow (or stops).
#[server(endpoint = "simulator/try_draft")]
pub async fn try_draft(psid: String, on: bool) -> Result<SimView, AppError> {
    let ctx = simulator_ctx().await?;
    domain::simulator::set_trial(&ctx.state, &psid, on).await
}

/// The sandbox page's routing (test tools): Conversation Routing or the older receivers,
/// how handovers are refused (`refuse`: off, separate_calls, all, restricted), the Human
/// Agent permission. Returns `psid`'s view.
#[server(endpoint = "simulator/page")]
pub async fn set_sim_page(
    psid: String,
    #[server(default)] conversation_routing: bool,
    refuse: String,
    #[server(default)] human_agent: bool,
) -> Result<SimView, AppError> {
    let ctx = simulator_ctx().await?;
    let page = model::SimPage {
        conversation_routing,
        refuse_handovers: model::SimRefusal::parse(&refuse).map_err(AppError::Invalid)?,
        human_agent,
    };
    domain::simulator::set_page(&ctx.state, &psid, page).await
}
