//! What every step of the wizard shares: the imports, the limits, turning Graph errors into
//! plain words, the page's checked client, the stored reports and the view built from them.

pub(super) use std::time::Duration;

pub(super) use messenger::graph::{TokenKind, BATON_SUBSCRIBED_FIELDS};
pub(super) use messenger::send::SendRequest;
pub(super) use messenger::{
    ErrorKind, GraphApi, GraphClient, GraphError, Secret, PAGE_INBOX_APP_ID,
};

pub(super) use crate::services::auth::new_token;
pub(super) use crate::services::pages::{self as connect, graph_client};
pub(super) use crate::services::Services;
pub(super) use crate::storage::repo::audit::{self, Actor};
pub(super) use crate::storage::repo::pages::{self, PageRow};
pub(super) use crate::storage::repo::setup::{self as progress, Pending};
pub(super) use model::AppError;
pub(super) use model::RoutingPath;
pub(super) use model::{
    ago, display_name, Check, CheckState, ConfirmItem, PageHealth, PageSummary, PendingPage,
    RecentPerson, SetupStep, SetupView, StepReport, CONFIRM_ITEMS, HUMAN_AGENT_WINDOW_MS,
    SECONDARY_RECEIVER, TEST_MESSAGE, WINDOW_MS,
};

pub(super) use CheckState::{Confirm, Fail, Pass, Waiting, Warn};

/// How long one wizard check may wait for Facebook.
pub(super) const CHECK_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest token or secret accepted (real ones are a few hundred characters).
pub(super) const MAX_SECRET_CHARS: usize = 1_000;
/// How many of the newest conversations the thread-owner probe may try.
pub(super) const PROBE_PEOPLE: i64 = 20;
/// A webhook older than this makes Settings → Page ask whether events still arrive.
pub(super) const QUIET_WEBHOOK_SECS: i64 = 7 * 24 * 3600;
/// The permissions Baton needs on the page token, and what each one is for.
pub(super) const NEEDED_SCOPES: [(&str, &str); 2] = [
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

pub(super) const TOKEN_HOWTO: &str =
    "In Meta's App Dashboard open Messenger → Settings → Access Tokens, \
                           click Generate token next to your page, and paste that token here.";

// ---------------------------------------------------------------- plain words for errors

/// What a Graph error means for a wizard check, in plain words (never Meta's own text).
pub(super) fn graph_problem(e: &GraphError) -> (CheckState, String) {
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
pub(super) fn missing_scope_in(e: &GraphError) -> Option<(&'static str, &'static str)> {
    let GraphError::Api { error, .. } = e else {
        return None;
    };
    NEEDED_SCOPES
        .into_iter()
        .find(|(scope, _)| error.message.contains(scope))
}

pub(super) fn scope_howto(scope: &str) -> String {
    format!(
        "Generate a new page access token (App Dashboard → Messenger → Settings → Access \
         Tokens → Generate token) and allow {scope} when Facebook asks; if the app has no \
         access to it yet, add it under App Review → Permissions and Features."
    )
}

pub(super) fn problem_check(id: &str, label: &str, e: &GraphError) -> Check {
    let (state, detail) = graph_problem(e);
    Check::new(id, label, state, detail)
}

// ---------------------------------------------------------------- state and views

pub(super) fn summary(page: &PageRow) -> PageSummary {
    PageSummary {
        page_id: page.page_id.clone(),
        name: page.name.clone(),
        app_id: page.app_id.clone(),
        is_sandbox: page.is_sandbox,
        connected_at: page.connected_at,
    }
}

pub(super) fn checked_client(page: &PageRow, base: &str) -> GraphClient {
    graph_client(page, base).with_timeout(CHECK_TIMEOUT)
}

/// The sandbox delivers webhooks to this server's own `/webhook`; its Graph API is served
/// beside it under `/sandbox`.
pub(super) fn sandbox_graph_url(state: &Services) -> Result<String, AppError> {
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
pub(super) fn callback_url(state: &Services) -> Option<String> {
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
    let routing = path_of(&p.reports, &p.confirmed);
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

pub(super) async fn store_report(
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

pub(super) fn require_page(page: Option<PageRow>) -> Result<PageRow, AppError> {
    page.ok_or_else(|| {
        AppError::Invalid(
            "No page is connected yet: finish steps 1 and 2 (or click Use the sandbox page) \
             first."
                .into(),
        )
    })
}

pub(super) async fn connected(state: &Services) -> Result<PageRow, AppError> {
    require_page(pages::current(&state.pool).await?)
}

pub(super) fn secret_input(name: &str, value: &str) -> Result<Secret, AppError> {
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

/// The routing path of the connected page, as the wizard shows it.
pub(super) fn path_of(reports: &[StepReport], confirmed: &[String]) -> RoutingPath {
    let detected = reports
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| c.id == "routing")
        .map(|c| c.state == Pass);
    RoutingPath::of(detected.filter(|d| *d), confirmed)
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
    }
}
