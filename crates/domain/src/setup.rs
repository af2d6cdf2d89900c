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

use super::auth::new_token;
use super::pages::{self as connect, graph_client};
use super::repo::audit::{self, Actor};
use super::repo::pages::{self, PageRow};
use super::repo::setup::{self as progress, Pending};
use crate::Services;
use model::AppError;
use model::{
    ago, display_name, Check, CheckState, PageHealth, PageSummary, PendingPage, RecentPerson,
    SetupStep, SetupView, StepReport, CONFIRM_ITEMS, SECONDARY_RECEIVER, TEST_MESSAGE, WINDOW_MS,
};

use CheckState::{Confirm, Fail, Pass, Waiting, Warn};

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
    let routing = p
        .reports
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| c.id == "routing")
        .map(|c| c.state == Warn);
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
        conversation_routing: routing,
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

// ---------------------------------------------------------------- step 1: page token

fn secret_input(name: &str, value: &str) -> Result<Secret, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::Invalid(format!("Paste the {name} first.")));
    }
    if value.chars().count() > MAX_SECRET_CHARS {
        return Err(AppError::Invalid(format!(
            "That {name} is longer than {MAX_SECRET_CHARS} characters; copy it again, without \
             anything around it."
        )));
    }
    if value.chars().any(char::is_whitespace) {
        return Err(AppError::Invalid(format!(
            "The {name} must not contain spaces or line breaks; copy it again."
        )));
    }
    Ok(Secret::new(value))
}

/// The token check itself: whose token it is (`GET /me` with its type).
async fn token_checks(base: &str, token: &Secret) -> (Vec<Check>, Option<(String, String)>) {
    let client = GraphClient::new(base, token.clone()).with_timeout(CHECK_TIMEOUT);
    const LABEL: &str = "The token is a page access token";
    match client.token_owner().await {
        Ok(owner) if owner.kind == TokenKind::Page => (
            vec![Check::new(
                "token",
                LABEL,
                Pass,
                format!(
                    "Facebook says the token belongs to the page {} ({}).",
                    owner.name, owner.id
                ),
            )],
            Some((owner.id, owner.name)),
        ),
        Ok(owner) if owner.kind == TokenKind::User => (
            vec![Check::new(
                "token",
                LABEL,
                Fail,
                format!(
                    "This is a user access token (it belongs to the person {}), not a page \
                     access token. {TOKEN_HOWTO}",
                    owner.name
                ),
            )],
            None,
        ),
        Ok(_) => (
            vec![Check::new(
                "token",
                LABEL,
                Fail,
                format!("Facebook says this token is not a page access token. {TOKEN_HOWTO}"),
            )],
            None,
        ),
        Err(e) => (vec![problem_check("token", LABEL, &e)], None),
    }
}

/// Step 1: checks a pasted page token; when it is a page token it waits for step 2 (or, for
/// the page already connected, replaces its token at once).
pub async fn check_token(
    state: &Services,
    actor: &Actor,
    token: &str,
) -> Result<SetupView, AppError> {
    let token = secret_input("page access token", token)?;
    let base = state.config.graph_api_url.clone();
    let (mut checks, owner) = token_checks(&base, &token).await;
    if let Some((page_id, name)) = owner {
        let current = pages::current(&state.pool).await?;
        match current {
            Some(mut page) if page.page_id == page_id && !page.is_sandbox => {
                // The app is known: check the new token's permissions before it replaces the
                // one the page works with now.
                let (_, app) = app_checks(&base, &token, &page.app_id, &page.app_secret).await;
                let found: Vec<Check> = app
                    .into_iter()
                    .filter(|c| matches!(c.id.as_str(), "permissions" | "token-valid"))
                    .collect();
                let refused = found.iter().any(|c| c.state == Fail);
                checks.extend(found);
                if refused {
                    checks.push(Check::new(
                        "token-kept",
                        "The connected page keeps its token",
                        Fail,
                        "The new token was not stored, so the page goes on working with the \
                         one it has. Generate a token with the permissions above and paste it \
                         again.",
                    ));
                    store_report(state, SetupStep::Token, checks).await?;
                    return view(state).await;
                }
                page.access_token = token;
                page.name = name;
                pages::connect(&state.pool, &page).await?;
                audit::record(
                    &state.pool,
                    actor,
                    "page.token_replaced",
                    Some(&page.page_id),
                    None,
                    state.clock.now(),
                )
                .await?;
                progress::set_pending(&state.pool, None, state.clock.now()).await?;
            }
            _ => {
                let pending = Pending {
                    page_id,
                    name,
                    token,
                };
                progress::set_pending(&state.pool, Some(&pending), state.clock.now()).await?;
            }
        }
        progress::set_current(&state.pool, SetupStep::App, state.clock.now()).await?;
    }
    store_report(state, SetupStep::Token, checks).await?;
    view(state).await
}

// ---------------------------------------------------------------- step 2: app

fn app_id_input(value: &str) -> Result<String, AppError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::Invalid(
            "Enter the App ID (a number at the top of Meta's App Dashboard).".into(),
        ));
    }
    if value.len() > 32 || !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::Invalid(format!(
            "The App ID is a number such as 111111111111111 (got {:?}).",
            value.chars().take(40).collect::<String>()
        )));
    }
    Ok(value.to_owned())
}

fn verify_token_input(value: &str) -> Result<Secret, AppError> {
    let token = secret_input("verify token", value)?;
    if token.expose().chars().count() < 8 {
        return Err(AppError::Invalid(
            "Use a verify token of at least 8 characters (click Generate one).".into(),
        ));
    }
    Ok(token)
}

/// A fresh random verify token, offered in step 2 (not stored until the admin saves it).
pub fn new_verify_token() -> String {
    new_token()[..32].to_owned()
}

/// Step 2's checks: the app secret belongs to the app, the token was made for that app and
/// carries the permissions Baton needs (`debug_token` with the app's own token).
async fn app_checks(
    base: &str,
    token: &Secret,
    app_id: &str,
    app_secret: &Secret,
) -> (bool, Vec<Check>) {
    let client = GraphClient::new(base, token.clone()).with_timeout(CHECK_TIMEOUT);
    const APP: &str = "The app secret belongs to the app";
    const PERMS: &str = "The token has the permissions Baton needs";
    let debug = match client.debug_token(app_id, app_secret).await {
        Ok(d) => d,
        Err(e) => {
            let check = match e.code() {
                Some((190, _)) if message_has(&e, "client secret") => Check::new(
                    "app-secret",
                    APP,
                    Fail,
                    format!(
                        "The app secret does not match app {app_id}. In the App Dashboard open \
                         App settings → Basic, click Show next to App secret and copy it again."
                    ),
                ),
                Some((190, _)) => Check::new(
                    "app-secret",
                    APP,
                    Fail,
                    format!(
                        "Facebook does not know app {app_id} with this secret. Check the App ID \
                         (top of the App Dashboard) and the App secret (App settings → Basic)."
                    ),
                ),
                _ => problem_check("app-secret", APP, &e),
            };
            let retryable = check.state == Waiting;
            return (retryable, vec![check]);
        }
    };
    let mut checks = Vec::new();
    match debug.app_id.as_deref() {
        Some(id) if id != app_id => {
            checks.push(Check::new(
                "app-secret",
                APP,
                Fail,
                format!(
                    "The app secret is right, but the page token was made by another app \
                     ({id}). Generate the page token in app {app_id}'s dashboard (Messenger → \
                     Settings → Access Tokens)."
                ),
            ));
            return (false, checks);
        }
        _ => checks.push(Check::new(
            "app-secret",
            APP,
            Pass,
            format!("Facebook confirms the app secret of app {app_id}."),
        )),
    }
    if !debug.is_valid {
        let expired = debug
            .error
            .as_ref()
            .is_some_and(|e| e.code == 190 && matches!(e.subcode, Some(463 | 467)));
        let detail = if expired {
            format!("The page access token has expired. {TOKEN_HOWTO}")
        } else {
            format!("Facebook says the page access token is no longer valid. {TOKEN_HOWTO}")
        };
        checks.push(Check::new(
            "token-valid",
            "The token is valid",
            Fail,
            detail,
        ));
        return (true, checks);
    }
    let missing: Vec<(&str, &str)> = NEEDED_SCOPES
        .into_iter()
        .filter(|(scope, _)| !debug.scopes.iter().any(|s| s == scope))
        .collect();
    if missing.is_empty() {
        checks.push(Check::new(
            "permissions",
            PERMS,
            Pass,
            "The token has pages_messaging and pages_manage_metadata.",
        ));
    } else {
        let lines: Vec<String> = missing
            .iter()
            .map(|(scope, why)| format!("it lacks {scope}, so {why}"))
            .collect();
        let names: Vec<&str> = missing.iter().map(|(s, _)| *s).collect();
        checks.push(Check::new(
            "permissions",
            PERMS,
            Fail,
            format!(
                "The page access token {}. {}",
                lines.join("; "),
                scope_howto(&names.join(" and "))
            ),
        ));
    }
    (true, checks)
}

fn message_has(e: &GraphError, needle: &str) -> bool {
    matches!(e, GraphError::Api { error, .. } if error.message.to_ascii_lowercase().contains(needle))
}

/// Step 2: saves the app and connects the page once Facebook confirms the app secret (blank
/// secret fields keep the saved ones). A refused secret stores nothing.
pub async fn save_app(
    state: &Services,
    actor: &Actor,
    app_id: &str,
    app_secret: &str,
    verify_token: &str,
) -> Result<SetupView, AppError> {
    let app_id = app_id_input(app_id)?;
    let p = progress::load(&state.pool).await?;
    let current = pages::current(&state.pool).await?.filter(|p| !p.is_sandbox);
    // The page being set up: the one step 1 accepted, else the connected real page.
    let (page_id, name, token) = match (&p.pending, &current) {
        (Some(pending), _) => (
            pending.page_id.clone(),
            pending.name.clone(),
            pending.token.clone(),
        ),
        (None, Some(page)) => (
            page.page_id.clone(),
            page.name.clone(),
            page.access_token.clone(),
        ),
        (None, None) => {
            return Err(AppError::Invalid(
                "Check a page access token in step 1 first.".into(),
            ))
        }
    };
    let same_page = current.as_ref().filter(|c| c.page_id == page_id);
    let app_secret = match (app_secret.trim().is_empty(), same_page) {
        (true, Some(page)) => page.app_secret.clone(),
        _ => secret_input("app secret", app_secret)?,
    };
    let (verify_token, new_verify) = match (verify_token.trim().is_empty(), same_page) {
        (true, Some(page)) => (page.verify_token.clone(), false),
        _ => (verify_token_input(verify_token)?, true),
    };
    let base = state.config.graph_api_url.clone();
    let (store, checks) = app_checks(&base, &token, &app_id, &app_secret).await;
    if store {
        let page = PageRow {
            page_id,
            name,
            access_token: token,
            app_secret,
            verify_token,
            app_id,
            graph_api_url: None,
            is_sandbox: false,
            connected_at: state.clock.now(),
        };
        let replaced_other = same_page.is_none();
        store_page(state, actor, &page, replaced_other || new_verify).await?;
        progress::set_pending(&state.pool, None, state.clock.now()).await?;
        progress::set_current(&state.pool, SetupStep::Webhook, state.clock.now()).await?;
    }
    store_report(state, SetupStep::App, checks).await?;
    view(state).await
}

/// Stores `page` as the connected page (audited); `fresh` forgets the checks that belonged to
/// the previous page or verify token.
async fn store_page(
    state: &Services,
    actor: &Actor,
    page: &PageRow,
    fresh: bool,
) -> Result<(), AppError> {
    pages::connect(&state.pool, page).await?;
    if fresh {
        progress::reset_checks(&state.pool, &[SetupStep::Token], state.clock.now()).await?;
    }
    let detail = if page.is_sandbox {
        format!("{} (sandbox)", page.name)
    } else {
        page.name.clone()
    };
    audit::record(
        &state.pool,
        actor,
        "page.connected",
        Some(&page.page_id),
        Some(&detail),
        state.clock.now(),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- step 3: webhook

async fn webhook_checks(state: &Services, page: &PageRow) -> Result<Vec<Check>, AppError> {
    let p = progress::load(&state.pool).await?;
    let mut checks = Vec::new();
    const URL: &str = "Facebook can reach the callback URL";
    if page.is_sandbox {
        checks.push(Check::new(
            "callback-url",
            URL,
            Pass,
            "The sandbox page delivers its webhooks to this Baton directly.",
        ));
    } else {
        checks.push(match &state.config.public_url {
            None => Check::new(
                "callback-url",
                URL,
                Fail,
                "Baton does not know the address Facebook can reach it at. Start Baton with \
                 BATON_PUBLIC_URL set to its public https address (for example \
                 BATON_PUBLIC_URL=https://baton.example.com), then open this step again.",
            ),
            Some(url) if !url.starts_with("https://") => Check::new(
                "callback-url",
                URL,
                Fail,
                format!(
                    "Facebook only calls https:// addresses, and BATON_PUBLIC_URL is {url}. Put \
                     Baton behind HTTPS (a reverse proxy such as Caddy or nginx with a \
                     certificate) and set BATON_PUBLIC_URL to the https address."
                ),
            ),
            Some(_) => Check::new(
                "callback-url",
                URL,
                Pass,
                format!("Callback URL: {}", callback_url(state).unwrap_or_default()),
            ),
        });
    }
    const VERIFIED: &str = "Facebook verified the callback URL";
    let when = model::format_time;
    checks.push(match (p.webhook_verified_at, p.webhook_refused_at) {
        (_, Some(refused)) if p.webhook_verified_at.is_none_or(|v| refused > v) => Check::new(
            "verified",
            VERIFIED,
            Fail,
            format!(
                "Facebook called the callback URL at {} but the verify token did not match. \
                 Paste the verify token you saved in step 2 into the App Dashboard (or save a \
                 new one in step 2 and paste that), then click Verify and save again.",
                when(refused)
            ),
        ),
        (Some(at), _) => Check::new(
            "verified",
            VERIFIED,
            Pass,
            format!("Facebook verified the callback URL at {}.", when(at)),
        ),
        (None, _) if page.is_sandbox => Check::new(
            "verified",
            VERIFIED,
            Waiting,
            "The sandbox has not verified the callback yet: click Verify now.",
        ),
        (None, _) => Check::new(
            "verified",
            VERIFIED,
            Waiting,
            "Waiting for Facebook's verification. In the App Dashboard open Messenger → \
             Settings → Webhooks, click Add callback URL, paste the callback URL and the verify \
             token from step 2, and click Verify and save. This light turns green as soon as \
             the call arrives.",
        ),
    });
    checks.push(subscription_check(state, page).await);
    Ok(checks)
}

async fn subscription_check(state: &Services, page: &PageRow) -> Check {
    const LABEL: &str = "The page sends Baton the events it needs";
    let client = checked_client(page, &state.config.graph_api_url);
    let apps = match client.subscribed_apps(&page.page_id).await {
        Ok(apps) => apps,
        Err(e) => return problem_check("subscription", LABEL, &e),
    };
    let Some(ours) = apps.iter().find(|a| a.id == page.app_id) else {
        return Check::new(
            "subscription",
            LABEL,
            Fail,
            "The page is not subscribed to Baton's app, so no messages reach Baton. Click \
             Subscribe the page.",
        );
    };
    let missing: Vec<&str> = BATON_SUBSCRIBED_FIELDS
        .iter()
        .copied()
        .filter(|f| !ours.subscribed_fields.iter().any(|s| s == f))
        .collect();
    if missing.is_empty() {
        Check::new(
            "subscription",
            LABEL,
            Pass,
            format!("Subscribed to: {}.", ours.subscribed_fields.join(", ")),
        )
    } else {
        Check::new(
            "subscription",
            LABEL,
            Fail,
            format!(
                "The page is not subscribed to {} (it sends only: {}). Click Subscribe the \
                 page.",
                missing.join(", "),
                if ours.subscribed_fields.is_empty() {
                    "nothing".to_owned()
                } else {
                    ours.subscribed_fields.join(", ")
                }
            ),
        )
    }
}

/// Step 3's action: subscribes the page to every field Baton needs.
pub async fn subscribe(state: &Services, actor: &Actor) -> Result<SetupView, AppError> {
    let page = connected(state).await?;
    let client = checked_client(&page, &state.config.graph_api_url);
    let failed = match client
        .subscribe_app(&page.page_id, BATON_SUBSCRIBED_FIELDS)
        .await
    {
        Ok(()) => {
            audit::record(
                &state.pool,
                actor,
                "page.subscribed",
                Some(&page.page_id),
                Some(&BATON_SUBSCRIBED_FIELDS.join(", ")),
                state.clock.now(),
            )
            .await?;
            None
        }
        Err(e) => Some(problem_check("subscribe", "Subscribing the page", &e)),
    };
    let mut checks = webhook_checks(state, &page).await?;
    checks.extend(failed);
    store_report(state, SetupStep::Webhook, checks).await?;
    view(state).await
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

// ---------------------------------------------------------------- step 4: receivers

async fn receiver_checks(state: &Services, page: &PageRow) -> Result<Vec<Check>, AppError> {
    let client = checked_client(page, &state.config.graph_api_url);
    let p = progress::load(&state.pool).await?;
    let (routing, mut checks) = routing_checks(&client).await;
    checks.push(owner_probe(state, page, &client).await?);
    for item in &CONFIRM_ITEMS {
        let ticked = p.confirmed.iter().any(|c| c == item.id);
        let path = if routing == Some(true) {
            item.routing_path
        } else {
            item.classic_path
        };
        checks.push(Check::new(
            item.id,
            item.label,
            if ticked { Pass } else { Confirm },
            if ticked {
                "You confirmed this setting.".to_owned()
            } else {
                format!("Facebook's API cannot show this setting. {path} Then tick the box.")
            },
        ));
    }
    Ok(checks)
}

/// What the API says about routing: Conversation Routing or not (`None`: Facebook did not
/// say), and whether Page Inbox is a secondary receiver.
async fn routing_checks(client: &GraphClient) -> (Option<bool>, Vec<Check>) {
    let mut checks = Vec::new();

    const ROUTING: &str = "How the page routes conversations";
    let routing = match client.messaging_feature_status().await {
        Ok(status) => match status.msgr_multi_app {
            Some(true) => {
                checks.push(Check::new(
                    "routing",
                    ROUTING,
                    Warn,
                    "This page uses Conversation Routing, Meta's newer name for these \
                     settings. The handover works the same, but the clicks differ: choose \
                     Baton's app as the default app for Messenger (instead of Primary \
                     Receiver) and keep Page Inbox among the connected apps. Without a default \
                     app every app answers at once and Baton cannot take conversations back. \
                     The click paths below show both.",
                ));
                Some(true)
            }
            Some(false) => {
                checks.push(Check::new(
                    "routing",
                    ROUTING,
                    Pass,
                    "This page uses the Handover Protocol settings (Primary and Secondary \
                     Receiver).",
                ));
                Some(false)
            }
            None => None,
        },
        Err(_) => None,
    };
    if routing.is_none() {
        checks.push(Check::new(
            "routing",
            ROUTING,
            Warn,
            "Facebook did not say whether this page uses Conversation Routing or the older \
             Handover Protocol settings; follow the click path that matches what your page \
             settings show.",
        ));
    }

    const SECONDARY: &str = "Page Inbox is a secondary receiver";
    checks.push(match client.secondary_receivers().await {
        Ok(apps) if apps.iter().any(|a| a.id == PAGE_INBOX_APP_ID) => Check::new(
            "page-inbox-secondary",
            SECONDARY,
            Pass,
            "Facebook lists Page Inbox among the page's secondary receivers, so Talk to human \
             can hand conversations to it.",
        ),
        Ok(_) => Check::new(
            "page-inbox-secondary",
            SECONDARY,
            Fail,
            format!(
                "Page Inbox is not a secondary receiver of this page, so Talk to human cannot \
                 hand conversations over. {}",
                if routing == Some(true) {
                    SECONDARY_RECEIVER.routing_path
                } else {
                    SECONDARY_RECEIVER.classic_path
                }
            ),
        ),
        Err(e) if e.kind() == ErrorKind::PermissionMissing && missing_scope_in(&e).is_none() => {
            Check::new(
                "page-inbox-secondary",
                SECONDARY,
                Fail,
                format!(
                    "Facebook lets only the primary receiver read this list, so Baton's app is \
                     probably not the page's primary receiver. {}",
                    CONFIRM_ITEMS[1].classic_path
                ),
            )
        }
        Err(e) => problem_check("page-inbox-secondary", SECONDARY, &e),
    });

    (routing, checks)
}

/// `thread_owner` for the person who wrote most recently: a bot conversation owned by another
/// app means Baton is not the primary receiver (or default app).
async fn owner_probe(
    state: &Services,
    page: &PageRow,
    client: &GraphClient,
) -> Result<Check, AppError> {
    const LABEL: &str = "Baton owns the bot's conversations";
    const NOBODY: &str = "No one has written to the page yet, so there is no conversation to \
                          look at. Send the page a message from Messenger, then check again.";
    // The newest few: conversations Facebook does not know (kept from another page connected
    // before under the same id, such as the sandbox page) are skipped.
    let recent = progress::recent_people(&state.pool, &page.page_id, PROBE_PEOPLE).await?;
    let anyone = !recent.is_empty();
    let mut probed = None;
    for person in recent {
        match client.thread_owner(&person.psid).await {
            Err(e) if e.kind() == ErrorKind::UnknownRecipient => continue,
            answer => {
                probed = Some((person, answer));
                break;
            }
        }
    }
    let Some((person, answer)) = probed else {
        let detail = if anyone {
            "Facebook does not know the people who wrote most recently (their conversations \
             came through a page connected before). Send this page a message from Messenger, \
             then check again."
        } else {
            NOBODY
        };
        return Ok(Check::new("thread-owner", LABEL, Waiting, detail));
    };
    let name = display_name(person.first_name.as_deref(), person.last_name.as_deref());
    let convo = super::repo::conversations::get(&state.pool, &page.page_id, &person.psid).await?;
    let with_human = convo
        .as_ref()
        .is_some_and(|c| c.state == model::ConversationState::Inbox);
    Ok(match answer {
        Ok(None) => Check::new(
            "thread-owner",
            LABEL,
            Pass,
            format!("The conversation with {name} is idle: the next message goes to Baton."),
        ),
        Ok(Some(app)) if app == page.app_id => Check::new(
            "thread-owner",
            LABEL,
            Pass,
            format!("Baton owns the conversation with {name}."),
        ),
        Ok(Some(app)) if app == PAGE_INBOX_APP_ID && with_human => Check::new(
            "thread-owner",
            LABEL,
            Pass,
            format!("{name} asked for a person, and Page Inbox has the conversation, as expected."),
        ),
        Ok(Some(app)) => Check::new(
            "thread-owner",
            LABEL,
            Warn,
            format!(
                "The conversation with {name} belongs to {} although Baton did not hand it over. \
                 If that keeps happening, Baton's app is not the primary receiver (default \
                 app): {}",
                if app == PAGE_INBOX_APP_ID {
                    "Page Inbox".to_owned()
                } else {
                    format!("another app ({app})")
                },
                CONFIRM_ITEMS[1].classic_path
            ),
        ),
        Err(e) => problem_check("thread-owner", LABEL, &e),
    })
}

/// Step 4: ticks or clears a confirm-box.
pub async fn confirm(state: &Services, item: &str, done: bool) -> Result<SetupView, AppError> {
    let Some(item) = CONFIRM_ITEMS.iter().find(|i| i.id == item) else {
        return Err(AppError::Invalid(format!(
            "There is no setting called {item:?} to confirm."
        )));
    };
    let mut confirmed = progress::load(&state.pool).await?.confirmed;
    confirmed.retain(|c| c != item.id);
    if done {
        confirmed.push(item.id.to_owned());
    }
    progress::set_confirmed(&state.pool, &confirmed, state.clock.now()).await?;
    check(state, SetupStep::Receivers).await
}

// ---------------------------------------------------------------- step 5: messenger profile

async fn profile_checks(state: &Services, page: &PageRow) -> Result<Vec<Check>, AppError> {
    use messenger::graph::ProfileField;
    let client = checked_client(page, &state.config.graph_api_url);
    let flow = super::flows::published_flow(&state.pool)
        .await?
        .map(|(_, f)| f);
    let fields = [
        ProfileField::GetStarted,
        ProfileField::PersistentMenu,
        ProfileField::Greeting,
    ];
    let now_on_page = match client.get_messenger_profile(&fields).await {
        Ok(v) => v,
        Err(e) => {
            return Ok(vec![problem_check(
                "profile",
                "Reading the page's profile",
                &e,
            )])
        }
    };
    let Some(flow) = flow else {
        return Ok(vec![Check::new(
            "published",
            "A flow is published",
            Waiting,
            "Nothing is published yet, so there is nothing to put on the page. Build your \
             messages in Messages and click Push changes (or start from the handover kit).",
        )]);
    };
    let has = |key: &str| now_on_page.get(key).is_some_and(|v| !v.is_null());
    let mut checks = Vec::new();
    let pair = |id: &str, label: &str, want: bool, is: bool, what: &str| {
        let (state, detail) = match (want, is) {
            (true, true) => (Pass, format!("The page shows the {what}.")),
            (false, false) => (Pass, format!("The published flow has no {what}, and neither does the page.")),
            (true, false) => (
                Fail,
                format!("The published flow has a {what} but the page does not show it yet. Click Push to the page."),
            ),
            (false, true) => (
                Warn,
                format!("The page still shows a {what} the published flow does not have. Click Push to the page to remove it."),
            ),
        };
        Check::new(id, label, state, detail)
    };
    checks.push(pair(
        "get-started",
        "Get Started button",
        flow.triggers.get_started.is_some(),
        has("get_started"),
        "Get Started button",
    ));
    let mut menu = pair(
        "menu",
        "Persistent menu",
        !flow.persistent_menu.is_empty(),
        has("persistent_menu"),
        "persistent menu",
    );
    if menu.state == Pass && !flow.persistent_menu.is_empty() {
        let titles: Vec<&str> = flow
            .persistent_menu
            .iter()
            .map(|i| i.title.as_str())
            .collect();
        menu.detail = format!("The page shows the menu: {}.", titles.join(", "));
    }
    checks.push(menu);
    checks.push(pair(
        "greeting",
        "Greeting",
        flow.greeting.is_some(),
        has("greeting"),
        "greeting",
    ));
    Ok(checks)
}

/// Step 5's action: pushes Get Started, the persistent menu and the greeting of the published
/// flow to the page.
pub async fn push_profile(state: &Services, actor: &Actor) -> Result<SetupView, AppError> {
    let page = connected(state).await?;
    let Some((number, flow)) = super::flows::published_flow(&state.pool).await? else {
        return Err(AppError::Invalid(
            "Nothing is published yet: push your messages from the Messages screen first.".into(),
        ));
    };
    let client = checked_client(&page, &state.config.graph_api_url);
    let steps = super::flows::push_profile(&client, &flow).await;
    let failed: Vec<Check> = steps
        .iter()
        .filter(|s| !s.ok)
        .map(|s| {
            Check::new(
                "push",
                &format!("Pushing the {}", s.what),
                Fail,
                s.detail.clone(),
            )
        })
        .collect();
    audit::record(
        &state.pool,
        actor,
        "page.profile_pushed",
        Some(&page.page_id),
        Some(&format!("version {number}")),
        state.clock.now(),
    )
    .await?;
    let mut checks = profile_checks(state, &page).await?;
    checks.extend(failed);
    store_report(state, SetupStep::Profile, checks).await?;
    view(state).await
}

// ---------------------------------------------------------------- step 6: test message

/// The people who wrote to the connected page most recently.
pub async fn recent_people(state: &Services) -> Result<Vec<RecentPerson>, AppError> {
    let Some(page) = pages::current(&state.pool).await? else {
        return Ok(Vec::new());
    };
    let now = state.clock.now_ms();
    Ok(progress::recent_people(&state.pool, &page.page_id, 20)
        .await?
        .into_iter()
        .map(|r| RecentPerson {
            name: display_name(r.first_name.as_deref(), r.last_name.as_deref()),
            in_window: r.last_user_message_ms.is_some_and(|t| now - t < WINDOW_MS),
            when: r
                .last_user_message_ms
                .map(|t| format!("wrote {}", ago(now, t)))
                .unwrap_or_else(|| "never wrote".into()),
            last_message_ms: r.last_user_message_ms,
            psid: r.psid,
        })
        .collect())
}

/// Step 6: sends [`TEST_MESSAGE`] to `psid` (someone who wrote to the page) and reports the
/// result.
pub async fn send_test(state: &Services, actor: &Actor, psid: &str) -> Result<SetupView, AppError> {
    let page = connected(state).await?;
    let people = recent_people(state).await?;
    let Some(person) = people.iter().find(|p| p.psid == psid) else {
        return Err(AppError::Invalid(
            "Pick someone from the list of people who wrote to the page.".into(),
        ));
    };
    let client = checked_client(&page, &state.config.graph_api_url);
    const LABEL: &str = "A test message reaches Messenger";
    let check = match client.send(&SendRequest::text(psid, TEST_MESSAGE)).await {
        Ok(_) => {
            audit::record(
                &state.pool,
                actor,
                "page.test_message",
                Some(&page.page_id),
                Some(&person.name),
                state.clock.now(),
            )
            .await?;
            Check::new(
                "test-message",
                LABEL,
                Pass,
                format!(
                    "Facebook accepted the test message to {}; it shows in their Messenger now.",
                    person.name
                ),
            )
        }
        Err(e) => {
            let detail = match e.kind() {
                ErrorKind::OutsideWindow => format!(
                    "{} last wrote more than 24 hours ago, and Messenger lets a page answer only \
                     within 24 hours. Ask them to write to the page again, or pick someone who \
                     wrote recently.",
                    person.name
                ),
                ErrorKind::NotThreadOwner => format!(
                    "The conversation with {} is with a person in Page Inbox right now, so the \
                     bot may not write. Mark it as done in the Inbox, or pick someone else.",
                    person.name
                ),
                ErrorKind::UserUnavailable => format!(
                    "{} cannot receive messages right now (they may have blocked the page).",
                    person.name
                ),
                _ => graph_problem(&e).1,
            };
            Check::new("test-message", LABEL, Fail, detail)
        }
    };
    store_report(state, SetupStep::Test, vec![check]).await?;
    view(state).await
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
        SetupStep::Receivers => receiver_checks(state, &require_page(page)?).await?,
        SetupStep::Profile => profile_checks(state, &require_page(page)?).await?,
        SetupStep::Test => {
            require_page(page)?;
            return Ok(());
        }
    };
    store_report(state, step, checks).await?;
    Ok(())
}

// ---------------------------------------------------------------- Settings → Page

/// The connected page's health: token, webhook traffic, subscription, receivers.
pub async fn health(state: &Services) -> Result<PageHealth, AppError> {
    let Some(page) = pages::current(&state.pool).await? else {
        return Ok(PageHealth {
            page: None,
            checks: Vec::new(),
            checked_at: state.clock.now(),
        });
    };
    let base = page
        .graph_api_url
        .clone()
        .unwrap_or_else(|| state.config.graph_api_url.clone());
    let mut checks = token_checks(&base, &page.access_token).await.0;
    if let Some(c) = checks.first_mut() {
        c.label = "The page access token works".into();
    }
    const SEEN: &str = "Webhooks arrive";
    let at = crate::repo::webhook_events::last_delivery_at(&state.deliveries).await?;
    let now = state.clock.now();
    checks.push(match at {
        None => Check::new(
            "webhook-seen",
            SEEN,
            Waiting,
            "No webhook has arrived yet. When someone writes to the page one should arrive \
             within seconds; if not, run the Webhook step of the setup wizard.",
        ),
        Some(t) if now - t > QUIET_WEBHOOK_SECS => Check::new(
            "webhook-seen",
            SEEN,
            Warn,
            format!(
                "The last webhook arrived at {}, over a week ago. If people wrote to the page \
                 since, check the Webhook step of the setup wizard.",
                model::format_time(t)
            ),
        ),
        Some(t) => Check::new(
            "webhook-seen",
            SEEN,
            Pass,
            format!("The last webhook arrived at {}.", model::format_time(t)),
        ),
    });
    checks.push(subscription_check(state, &page).await);
    let client = checked_client(&page, &state.config.graph_api_url);
    checks.extend(routing_checks(&client).await.1);
    Ok(PageHealth {
        page: Some(summary(&page)),
        checks,
        checked_at: now,
    })
}

/// Forgets the connected page (secrets included). Webhooks are refused until another page is
/// connected; conversations and flows stay.
pub async fn disconnect(state: &Services, actor: &Actor) -> Result<(), AppError> {
    let page = connected(state).await?;
    pages::disconnect(&state.pool).await?;
    progress::reset_checks(&state.pool, &[], state.clock.now()).await?;
    progress::set_current(&state.pool, SetupStep::Token, state.clock.now()).await?;
    audit::record(
        &state.pool,
        actor,
        "page.disconnected",
        Some(&page.page_id),
        Some(&page.name),
        state.clock.now(),
    )
    .await?;
    Ok(())
}

/// What a rotation changed; a new verify token is shown once, to paste into the App Dashboard.
pub struct Rotated {
    pub health: PageHealth,
    pub new_verify_token: Option<String>,
}

/// Replaces the page token and/or the app secret (each checked with Facebook before it is
/// stored) and, when asked, the verify token.
pub async fn rotate(
    state: &Services,
    actor: &Actor,
    access_token: &str,
    app_secret: &str,
    new_verify: bool,
) -> Result<Rotated, AppError> {
    let mut page = connected(state).await?;
    if page.is_sandbox {
        return Err(AppError::Invalid(
            "The sandbox page has no secrets to rotate; connect a real page in the setup wizard."
                .into(),
        ));
    }
    let token = (!access_token.trim().is_empty())
        .then(|| secret_input("page access token", access_token))
        .transpose()?;
    let secret = (!app_secret.trim().is_empty())
        .then(|| secret_input("app secret", app_secret))
        .transpose()?;
    if token.is_none() && secret.is_none() && !new_verify {
        return Err(AppError::Invalid(
            "Paste a new page access token or app secret, or tick New verify token.".into(),
        ));
    }
    let base = state.config.graph_api_url.clone();
    let mut changed = Vec::new();
    if let Some(token) = &token {
        let (checks, owner) = token_checks(&base, token).await;
        match owner {
            Some((id, _)) if id == page.page_id => {}
            Some((id, name)) => {
                return Err(AppError::Invalid(format!(
                    "The new token belongs to the page {name} ({id}), not to {} ({}). To \
                     connect another page, disconnect this one and run the setup wizard.",
                    page.name, page.page_id
                )))
            }
            None => {
                let why = checks.first().map(|c| c.detail.clone()).unwrap_or_default();
                return Err(AppError::Invalid(format!(
                    "The new token was not stored. {why}"
                )));
            }
        }
        page.access_token = token.clone();
        changed.push("page access token");
    }
    if let Some(secret) = &secret {
        page.app_secret = secret.clone();
        changed.push("app secret");
    }
    if token.is_some() || secret.is_some() {
        let (_, checks) =
            app_checks(&base, &page.access_token, &page.app_id, &page.app_secret).await;
        if let Some(bad) = checks
            .iter()
            .find(|c| c.id != "permissions" && c.state != Pass)
        {
            return Err(AppError::Invalid(format!(
                "Nothing was stored. {}",
                bad.detail
            )));
        }
    }
    let new_verify_token = new_verify.then(new_verify_token);
    if let Some(v) = &new_verify_token {
        page.verify_token = Secret::new(v.clone());
        changed.push("verify token");
    }
    pages::connect(&state.pool, &page).await?;
    if new_verify {
        // Facebook must verify the callback again with the new token; the rest still holds.
        let keep: Vec<SetupStep> = SetupStep::ALL
            .into_iter()
            .filter(|s| *s != SetupStep::Webhook)
            .collect();
        progress::reset_checks(&state.pool, &keep, state.clock.now()).await?;
    }
    audit::record(
        &state.pool,
        actor,
        "page.rotated",
        Some(&page.page_id),
        Some(&changed.join(", ")),
        state.clock.now(),
    )
    .await?;
    Ok(Rotated {
        health: health(state).await?,
        new_verify_token,
    })
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
