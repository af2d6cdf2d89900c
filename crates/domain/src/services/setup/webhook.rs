//! Step 3: the webhook (the callback URL, Facebook's verification handshake, the page's
//! subscription to the fields Baton needs).

use super::common::*;

pub(super) async fn webhook_checks(
    state: &Services,
    page: &PageRow,
) -> Result<Vec<Check>, AppError> {
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

pub(super) async fn subscription_check(state: &Services, page: &PageRow) -> Check {
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
