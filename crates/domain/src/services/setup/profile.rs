//! Step 6: the messenger profile (Get Started, menu, greeting) of the published flow.

use super::common::*;

pub(super) async fn profile_checks(
    state: &Services,
    page: &PageRow,
) -> Result<Vec<Check>, AppError> {
    use messenger::graph::ProfileField;
    let client = checked_client(page, &state.config.graph_api_url);
    let flow = crate::services::flows::published_flow(&state.pool)
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
    let Some((number, flow)) = crate::services::flows::published_flow(&state.pool).await? else {
        return Err(AppError::Invalid(
            "Nothing is published yet: push your messages from the Messages screen first.".into(),
        ));
    };
    let client = checked_client(&page, &state.config.graph_api_url);
    let steps = crate::services::flows::push_profile(&client, &flow).await;
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
