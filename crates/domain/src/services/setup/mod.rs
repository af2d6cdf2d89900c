//! The setup wizard and Settings → Page: each step's checks against the Graph API, turned into
//! plain words on the server (Meta's raw error text, URLs and tokens never leave this module),
//! and the actions behind the steps: accept a token, connect the page with its app, subscribe
//! the page, tick confirm-boxes, push the messenger profile, send a test message, use the
//! built-in sandbox page, rotate or disconnect. Every step's last report is stored, so an admin
//! who leaves comes back to the same place.

use std::time::Duration;

use messenger::graph::{TokenKind, BATON_SUBSCRIBED_FIELDS};
use messenger::send::SendRequest;
use messenger::{ErrorKind, GraphApi, GraphClient, GraphError, Secret, PAGE_INBOX_APP_ID};

use crate::services::auth::new_token;
use crate::services::pages::{self as connect, graph_client};
use crate::services::Services;
use crate::storage::repo::audit::{self, Actor};
use crate::storage::repo::pages::{self, PageRow};
use crate::storage::repo::setup::{self as progress, Pending};
use model::AppError;
use model::{
    ago, display_name, Check, CheckState, ConfirmItem, PageHealth, PageSummary, PendingPage,
    RecentPerson, SetupStep, SetupView, StepReport, CONFIRM_ITEMS, HUMAN_AGENT_WINDOW_MS,
    SECONDARY_RECEIVER, TEST_MESSAGE, WINDOW_MS,
};

use CheckState::{Confirm, Fail, Pass, Waiting, Warn};

mod app;
mod health;
mod human_agent;
mod profile;
mod round_trip;
mod routing;
mod test_message;
mod token;
mod webhook;

pub use app::*;
pub use health::*;
pub use human_agent::*;
pub use profile::*;
pub use round_trip::*;
pub use routing::*;
pub use test_message::*;
pub use token::*;
pub use webhook::*;

/// How long one wizard check may wait for Facebook.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest token or secret accepted (real ones are a few hundred characters).
const MAX_SECRET_CHARS: usize = 1_000;
/// How many of the newest conversations the thread-owner probe may try.
const PROBE_PEOPLE: i64 = 20;
/// A webhook older than this makes Settings → Page ask whether events still arrive.
const QUIET_WEBHOOK_SECS: i64 = 7 * 24 * 3600;
/// The permissions Baton needs on the page token, and what each one is for.
const NEEDED_SCOPES: [(&str, &str); 2] = [
    (
        "pages_messaging",
        "Baton cannot send or receive messages and cannot hand conversations over",
    ),
    (
        "pages_manage_metadata",
        "Baton cannot subscribe the page to its webhook or set the Get Started button, menu \
         and greeting",
    ),
];

const TOKEN_HOWTO: &str = "In Meta's App Dashboard open Messenger → Settings → Access Tokens, \
                           click Generate token next to your page, and paste that token here.";

// ---------------------------------------------------------------- plain words for errors

/// What a Graph error means for a wizard check, in plain words (never Meta's own text).
fn graph_problem(e: &GraphError) -> (CheckState, String) {
    let text = match e.code() {
        Some((190, Some(463 | 467))) => {
            format!("The page access token has expired. {TOKEN_HOWTO}")
        }
        Some((190, Some(460))) => format!(
            "The page access token stopped working because the Facebook account that made it \
             changed its password or logged out. {TOKEN_HOWTO}"
        ),
        Some((190, _)) => format!(
            "Facebook does not accept this page access token: it is mistyped, was revoked, or \
             belongs to an app that no longer exists. {TOKEN_HOWTO}"
        ),
        Some((210, _)) => {
            format!("This is a user access token, not a page access token. {TOKEN_HOWTO}")
        }
        Some((10 | 200, _)) if e.kind() == ErrorKind::PermissionMissing => {
            match missing_scope_in(e) {
                Some((scope, why)) => format!(
                    "The page access token lacks the {scope} permission, so {why}. {}",
                    scope_howto(scope)
                ),
                None => "The page access token lacks a permission this call needs. Generate a \
                         new token and accept every permission Facebook asks for."
                    .to_owned(),
            }
        }
        _ if e.is_retryable() => {
            return (
                Waiting,
                "Facebook could not be reached right now (no answer, or a temporary error on \
                 their side). Nothing changed; check again in a minute."
                    .to_owned(),
            )
        }
        _ => format!(
            "Facebook refused the call: {}.",
            e.plain_message().trim_end_matches('.')
        ),
    };
    (Fail, text)
}

/// The needed permission a permission error names, if any (the name is in Meta's text).
fn missing_scope_in(e: &GraphError) -> Option<(&'static str, &'static str)> {
    let GraphError::Api { error, .. } = e else {
        return None;
    };
    NEEDED_SCOPES
        .into_iter()
        .find(|(scope, _)| error.message.contains(scope))
}

fn scope_howto(scope: &str) -> String {
    format!(
        "Generate a new page access token (App Dashboard → Messenger → Settings → Access \
         Tokens → Generate token) and allow {scope} when Facebook asks; if the app has no \
         access to it yet, add it under App Review → Permissions and Features."
    )
}

fn problem_check(id: &str, label: &str, e: &GraphError) -> Check {
    let (state, detail) = graph_problem(e);
    Check::new(id, label, state, detail)
}

// ---------------------------------------------------------------- state and views

fn summary(page: &PageRow) -> PageSummary {
    PageSummary {
        page_id: page.page_id.clone(),
        name: page.name.clone(),
        app_id: page.app_id.clone(),
        is_sandbox: page.is_sandbox,
        connected_at: page.connected_at,
    }
}

fn checked_client(page: &PageRow, base: &str) -> GraphClient {
    graph_client(page, base).with_timeout(CHECK_TIMEOUT)
}

/// The sandbox delivers webhooks to this server's own `/webhook`; its Graph API is served
/// beside it under `/sandbox`.
fn sandbox_graph_url(state: &Services) -> Result<String, AppError> {
    let callback = state.sandbox.callback_url().ok_or_else(|| {
        AppError::Invalid(
            "The built-in sandbox is not running in this server (start Baton with `baton \
             serve`)."
                .into(),
        )
    })?;
    let base = callback.strip_suffix("/webhook").unwrap_or(&callback);
    Ok(format!("{base}/sandbox/v21.0"))
}

/// The callback URL Facebook should call, from `BATON_PUBLIC_URL`.
fn callback_url(state: &Services) -> Option<String> {
    state
        .config
        .public_url
        .as_deref()
        .map(|u| format!("{}/webhook", u.trim_end_matches('/')))
}

/// Everything the wizard shows.
pub async fn view(state: &Services) -> Result<SetupView, AppError> {
    let pool = &state.pool;
    let page = pages::current(pool).await?;
    let p = progress::load(pool).await?;
    let routing = routing::path_of(&p.reports, &p.confirmed);
    Ok(SetupView {
        callback_url: match &page {
            Some(page) if page.is_sandbox => state.sandbox.callback_url(),
            _ => callback_url(state),
        },
        page: page.as_ref().map(summary),
        pending: p.pending.map(|p| PendingPage {
            page_id: p.page_id,
            name: p.name,
        }),
        webhook_verified_at: p.webhook_verified_at,
        confirmed: p.confirmed,
        current: p.current,
        reports: p.reports,
        routing,
    })
}

async fn store_report(
    state: &Services,
    step: SetupStep,
    checks: Vec<Check>,
) -> Result<StepReport, AppError> {
    let report = StepReport {
        step,
        checks,
        checked_at: state.clock.now(),
    };
    progress::save_report(&state.pool, &report).await?;
    Ok(report)
}

/// Remembers the step the admin opened (resumed on return).
pub async fn open_step(state: &Services, step: SetupStep) -> Result<(), AppError> {
    Ok(progress::set_current(&state.pool, step, state.clock.now()).await?)
}

fn require_page(page: Option<PageRow>) -> Result<PageRow, AppError> {
    page.ok_or_else(|| {
        AppError::Invalid(
            "No page is connected yet: finish steps 1 and 2 (or click Use the sandbox page) \
             first."
                .into(),
        )
    })
}

async fn connected(state: &Services) -> Result<PageRow, AppError> {
    require_page(pages::current(&state.pool).await?)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use messenger::error::ApiError;

    fn api(code: i64, subcode: Option<i64>, message: &str) -> GraphError {
        GraphError::Api {
            status: 400,
            error: Box::new(ApiError {
                message: message.into(),
                error_type: Some("OAuthException".into()),
                code,
                error_subcode: subcode,
                fbtrace_id: None,
                is_transient: None,
                error_user_title: None,
                error_user_msg: None,
            }),
        }
    }

    #[test]
    fn token_errors_in_plain_words_without_metas_text() {
        let secret_text = "Error validating access token: EAAB-secret-looking";
        let (state, text) = graph_problem(&api(190, Some(463), secret_text));
        assert_eq!(state, Fail);
        assert!(text.contains("expired"), "{text}");
        assert!(!text.contains("EAAB"), "{text}");
        let (_, text) = graph_problem(&api(190, None, secret_text));
        assert!(text.contains("does not accept"), "{text}");
        let (_, text) = graph_problem(&api(210, None, "(#210) page token required"));
        assert!(text.contains("user access token"), "{text}");
        let (_, text) = graph_problem(&api(
            200,
            None,
            "(#200) Requires pages_manage_metadata permission to manage the object",
        ));
        assert!(
            text.contains("lacks the pages_manage_metadata permission"),
            "{text}"
        );
        let (state, _) = graph_problem(&GraphError::Timeout);
        assert_eq!(state, Waiting);
    }

    #[test]
    fn secrets_are_trimmed_and_refused_when_malformed() {
        assert_eq!(secret_input("x", "  abc \n").unwrap().expose(), "abc");
        assert!(secret_input("x", "   ").is_err());
        assert!(secret_input("x", "ab cd").is_err());
        assert!(secret_input("x", &"a".repeat(MAX_SECRET_CHARS + 1)).is_err());
        assert!(verify_token_input("short").is_err());
        assert!(app_id_input("12a").is_err());
        assert_eq!(app_id_input(" 111 ").unwrap(), "111");
    }
}
