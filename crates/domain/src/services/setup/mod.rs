//! The setup wizard and Settings → Page: each step's checks against the Graph API, turned into
//! plain words on the server (Meta's raw error text, URLs and tokens never leave this module),
//! and the actions behind the steps: accept a token, connect the page with its app, subscribe
//! the page, tick confirm-boxes, push the messenger profile, send a test message, use the
//! built-in sandbox page, rotate or disconnect. Every step's last report is stored, so an admin
//! who leaves comes back to the same place.
//!
//! This file runs a step's checks and the actions that end by running them again; each step
//! is a file below it and `common.rs` is what they all use. A step file must not import this
//! one (it would run up a floor): what two steps share goes to `common.rs`.

use common::*;
use routing::routing_checks;

mod app;
mod common;
mod health;
mod human_agent;
mod profile;
mod round_trip;
mod routing;
mod test_message;
mod token;
mod webhook;

pub use app::*;
pub use common::{open_step, view};
pub use health::*;
pub use human_agent::*;
pub use profile::*;
pub use round_trip::*;
pub use test_message::*;
pub use token::*;
pub use webhook::*;

// ---------------------------------------------------------------- the sandbox page

/// Connects the built-in sandbox page instead of a real one and runs its checks, so a new
/// user can try everything offline.
pub async fn use_sandbox(state: &Services, actor: &Actor) -> Result<SetupView, AppError> {
    let graph = sandbox_graph_url(state)?;
    connect::connect_sandbox(&state.pool, &state.clock, actor, &graph).await?;
    progress::set_pending(&state.pool, None, state.clock.now()).await?;
    progress::reset_checks(&state.pool, &[], state.clock.now()).await?;
    progress::set_current(&state.pool, SetupStep::Webhook, state.clock.now()).await?;
    for step in [SetupStep::Token, SetupStep::App] {
        run_checks(state, step).await?;
    }
    check(state, SetupStep::Webhook).await
}

// ---------------------------------------------------------------- re-checking a step

/// Runs `step`'s checks again without changing anything on Facebook's side.
pub async fn check(state: &Services, step: SetupStep) -> Result<SetupView, AppError> {
    run_checks(state, step).await?;
    view(state).await
}

/// Runs `step`'s checks and stores their report (step 6 has none: it is a send).
async fn run_checks(state: &Services, step: SetupStep) -> Result<(), AppError> {
    let page = pages::current(&state.pool).await?;
    let base = state.config.graph_api_url.clone();
    let checks = match step {
        SetupStep::Token => {
            let p = progress::load(&state.pool).await?;
            match (&page, &p.pending) {
                (_, Some(pending)) => token_checks(&base, &pending.token).await.0,
                (Some(page), None) => {
                    let base = page.graph_api_url.clone().unwrap_or(base);
                    token_checks(&base, &page.access_token).await.0
                }
                (None, None) => {
                    return Err(AppError::Invalid("Paste a page access token first.".into()))
                }
            }
        }
        SetupStep::App => {
            let page = require_page(page)?;
            let base = page.graph_api_url.clone().unwrap_or(base);
            app_checks(&base, &page.access_token, &page.app_id, &page.app_secret)
                .await
                .1
        }
        SetupStep::Webhook => webhook_checks(state, &require_page(page)?).await?,
        SetupStep::Routing => routing_checks(state, &require_page(page)?).await?,
        SetupStep::HumanAgent => {
            require_page(page)?;
            human_agent_checks(state).await?
        }
        SetupStep::Profile => profile_checks(state, &require_page(page)?).await?,
        SetupStep::Test => {
            require_page(page)?;
            return Ok(());
        }
    };
    store_report(state, step, checks).await?;
    Ok(())
}

/// Step 4: ticks or clears a confirm-box, or says which settings the page shows (the two
/// `RoutingPath::SHOWS_*` answers exclude each other).
pub async fn confirm(state: &Services, item: &str, done: bool) -> Result<SetupView, AppError> {
    let shows = [RoutingPath::SHOWS_ROUTING, RoutingPath::SHOWS_CLASSIC];
    let known = CONFIRM_ITEMS
        .iter()
        .chain([&model::HUMAN_AGENT_ITEM])
        .map(|i| i.id)
        .chain(shows);
    let Some(item) = known.into_iter().find(|id| *id == item) else {
        return Err(AppError::Invalid(format!(
            "There is no setting called {item:?} to confirm."
        )));
    };
    let mut confirmed = progress::load(&state.pool).await?.confirmed;
    confirmed.retain(|c| c != item && !(shows.contains(&item) && shows.contains(&c.as_str())));
    if done {
        confirmed.push(item.to_owned());
    }
    progress::set_confirmed(&state.pool, &confirmed, state.clock.now()).await?;
    let step = if item == model::HUMAN_AGENT_ITEM.id {
        SetupStep::HumanAgent
    } else {
        SetupStep::Routing
    };
    check(state, step).await
}

/// Step 3 on the sandbox page: the sandbox calls this Baton's callback with the page's verify
/// token, as the App Dashboard's Verify and save does.
pub async fn sandbox_verify(state: &Services) -> Result<SetupView, AppError> {
    let page = connected(state).await?;
    if !page.is_sandbox {
        return Err(AppError::Invalid(
            "Only the sandbox page is verified from here; for a real page click Verify and save \
             in Meta's App Dashboard."
                .into(),
        ));
    }
    let answer = state
        .sandbox
        .verify_webhook(page.verify_token.expose(), None)
        .await
        .map_err(|e| AppError::Invalid(format!("The sandbox could not verify: {e}")))?;
    if !answer.verified {
        tracing::warn!(message = %answer.message, "sandbox webhook verification failed");
    }
    check(state, SetupStep::Webhook).await
}
