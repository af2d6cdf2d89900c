//! Settings → Facebook Page: the connection's health, rotating the token or secrets, and
//! disconnecting.

use super::app::{app_checks, new_verify_token};
use super::common::*;
use super::routing::routing_health;
use super::token::token_checks;
use super::webhook::subscription_check;

/// The connected page's health: token, webhook traffic, subscription, routing (handovers
/// going through, Page Inbox connected).
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
    let at = crate::storage::repo::webhook_events::last_delivery_at(&state.deliveries).await?;
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
    checks.extend(routing_health(state, &page).await?);
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
