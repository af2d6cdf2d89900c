//! Step 2: the app (its id, secret and verify token, checked with `debug_token`) and connecting
//! the page.

use super::common::*;

pub(super) fn app_id_input(value: &str) -> Result<String, AppError> {
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

pub(super) fn verify_token_input(value: &str) -> Result<Secret, AppError> {
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
pub(super) async fn app_checks(
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

pub(super) fn message_has(e: &GraphError, needle: &str) -> bool {
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
pub(super) async fn store_page(
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

#[cfg(test)]
mod tests {
    use super::{app_id_input, verify_token_input};

    #[test]
    fn a_verify_token_and_an_app_id_are_refused_when_malformed() {
        assert!(verify_token_input("short").is_err());
        assert!(app_id_input("12a").is_err());
        assert_eq!(app_id_input(" 111 ").unwrap(), "111");
    }
}
