//! Step 1 of the setup wizard: the page access token (whose token it is, with `GET /me`).

use super::app::app_checks;
use super::common::*;

/// The token check itself: whose token it is (`GET /me` with its type).
pub(super) async fn token_checks(
    base: &str,
    token: &Secret,
) -> (Vec<Check>, Option<(String, String)>) {
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
