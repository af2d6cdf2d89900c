//! Step 4: the page's routing settings, Conversation Routing first (Baton's app as the default
//! app for Messenger, Page Inbox connected); the older Primary / Secondary Receiver settings
//! only for a page that still shows them, and both click paths when neither Facebook nor the
//! admin said which. What the API shows is checked (the webhook fields handovers need,
//! `pages_messaging`, Page Inbox among the receivers, who owns the bot's conversations,
//! whether a handover was refused lately); the rest the admin confirms. A live round trip
//! hands a test conversation to the Page Inbox and takes it back, reporting each step.

use model::RoutingPath;

use super::common::*;
use crate::storage::repo::settings::{self, keys};

/// The ids of the round trip's lines (kept when the other checks run again).
pub(super) const ROUND_TRIP: &str = "round-trip";
/// The metadata the round trip's own handover calls carry.
pub(super) const ROUND_TRIP_METADATA: &str = "baton:routing_check";

/// The webhook fields the handover story needs beyond messages: thread-control events, and
/// the messages of conversations another app holds.
const HANDOVER_FIELDS: [&str; 2] = ["messaging_handovers", "standby"];

/// What Facebook says about routing (`msgr_multi_app`; `None`: it did not say).
async fn detected(client: &GraphClient) -> Option<bool> {
    client
        .messaging_feature_status()
        .await
        .ok()
        .and_then(|s| s.msgr_multi_app)
}

pub(super) async fn routing_checks(
    state: &Services,
    page: &PageRow,
) -> Result<Vec<Check>, AppError> {
    let client = checked_client(page, &state.config.graph_api_url);
    let p = progress::load(&state.pool).await?;
    let (path, mut checks) = routing_core(state, &client, &p).await?;
    checks.push(fields_check(page, &client).await);
    checks.push(messaging_scope_check(page, &client).await);
    checks.push(owner_probe(state, page, &client, path).await?);
    for item in CONFIRM_ITEMS.iter().filter(|i| path.shows(i)) {
        let ticked = p.confirmed.iter().any(|c| c == item.id);
        checks.push(confirm_check(item, path, ticked));
    }
    // The last round trip stays in the report until the next one.
    checks.extend(last_round_trip(&p.reports).cloned());
    Ok(checks)
}

/// The lines of the last round trip in the stored routing report.
fn last_round_trip(reports: &[StepReport]) -> impl Iterator<Item = &Check> {
    reports
        .iter()
        .filter(|r| r.step == SetupStep::Routing)
        .flat_map(|r| &r.checks)
        .filter(|c| c.id.starts_with(ROUND_TRIP))
}

/// The checks the wizard and Settings → Page share: which settings the page has, whether
/// handovers go through, Page Inbox among the receivers.
async fn routing_core(
    state: &Services,
    client: &GraphClient,
    p: &progress::Progress,
) -> Result<(RoutingPath, Vec<Check>), AppError> {
    let detected = detected(client).await;
    let path = RoutingPath::of(detected, &p.confirmed);
    Ok((
        path,
        vec![
            path_check(path, detected, &p.confirmed),
            handover_check(state, path, &p.reports).await?,
            page_inbox_check(client, path).await,
        ],
    ))
}

/// What Settings → Facebook Page shows of the routing: the settings the page has, whether
/// handovers go through, and Page Inbox among the receivers.
pub(super) async fn routing_health(
    state: &Services,
    page: &PageRow,
) -> Result<Vec<Check>, AppError> {
    let client = checked_client(page, &state.config.graph_api_url);
    let p = progress::load(&state.pool).await?;
    Ok(routing_core(state, &client, &p).await?.1)
}

fn confirm_check(item: &ConfirmItem, path: RoutingPath, ticked: bool) -> Check {
    Check::new(
        item.id,
        path.label(item),
        if ticked { Pass } else { Confirm },
        if ticked {
            "You confirmed this setting.".to_owned()
        } else {
            format!(
                "Facebook's API cannot show this setting. {} Then tick the box.",
                path.path(item)
            )
        },
    )
}

fn path_check(path: RoutingPath, detected: Option<bool>, confirmed: &[String]) -> Check {
    const LABEL: &str = "Which routing settings the page has";
    let said = |id| confirmed.iter().any(|c| c == id);
    match path {
        RoutingPath::Classic => Check::new(
            "routing",
            LABEL,
            Pass,
            "You said this page still shows the older Handover Protocol settings (Primary and \
             Secondary Receiver): the click paths below are for those.",
        ),
        RoutingPath::ConversationRouting if detected == Some(true) => Check::new(
            "routing",
            LABEL,
            Pass,
            "Facebook says this page uses Conversation Routing: choose Baton's app as the \
             default app for Messenger and keep Page Inbox connected.",
        ),
        RoutingPath::ConversationRouting if said(RoutingPath::SHOWS_ROUTING) => Check::new(
            "routing",
            LABEL,
            Pass,
            "You said this page shows Conversation Routing: choose Baton's app as the default \
             app for Messenger and keep Page Inbox connected.",
        ),
        _ => Check::new(
            "routing",
            LABEL,
            Warn,
            "Facebook did not say which settings this page shows. Meta moved every page to \
             Conversation Routing in 2025, so its click paths come first; a page that still \
             shows Primary and Secondary Receiver gets the older ones after them. Say which \
             your page shows above to see only those.",
        ),
    }
}

/// Whether handovers went through lately: a refusal since the last one that worked turns
/// this red, with the fix for this page's settings.
async fn handover_check(
    state: &Services,
    path: RoutingPath,
    reports: &[StepReport],
) -> Result<Check, AppError> {
    const LABEL: &str = "Handovers to the Page Inbox go through";
    let default_app = path.path(&CONFIRM_ITEMS[0]);
    if let Some(notice) = settings::get(&state.pool, keys::HANDOVER_PROBLEM).await? {
        return Ok(Check::new(
            "handover",
            LABEL,
            Fail,
            format!(
                "{notice}. {default_app} {} Then run the round trip below.",
                path.path(&SECONDARY_RECEIVER)
            ),
        ));
    }
    let round_trip_passed =
        last_round_trip(reports)
            .map(|c| c.state)
            .reduce(|a, b| if a == Pass { b } else { a });
    Ok(match round_trip_passed {
        Some(Pass) => Check::new(
            "handover",
            LABEL,
            Pass,
            "The last round trip handed a conversation to the Page Inbox and took it back.",
        ),
        Some(_) => Check::new(
            "handover",
            LABEL,
            Fail,
            "The last round trip did not get through: see its steps below.",
        ),
        None => Check::new(
            "handover",
            LABEL,
            Waiting,
            "No handover was refused, but none was tried yet either: run the round trip \
             below with your own test conversation.",
        ),
    })
}

/// The webhook fields handovers need: thread-control events and the standby channel.
async fn fields_check(page: &PageRow, client: &GraphClient) -> Check {
    const LABEL: &str = "The page sends Baton handover events and standby messages";
    let apps = match client.subscribed_apps(&page.page_id).await {
        Ok(apps) => apps,
        Err(e) => return problem_check("handover-fields", LABEL, &e),
    };
    let fields = apps
        .iter()
        .find(|a| a.id == page.app_id)
        .map(|a| a.subscribed_fields.as_slice())
        .unwrap_or_default();
    let missing: Vec<&str> = HANDOVER_FIELDS
        .into_iter()
        .filter(|f| !fields.iter().any(|s| s == f))
        .collect();
    if missing.is_empty() {
        return Check::new(
            "handover-fields",
            LABEL,
            Pass,
            "Subscribed to messaging_handovers and standby: Baton hears when a person takes \
             or hands back a conversation, and keeps the transcript while they have it.",
        );
    }
    Check::new(
        "handover-fields",
        LABEL,
        Fail,
        format!(
            "The page does not send {}: Baton would not notice Done in the Page Inbox, nor keep \
             the transcript while a person has the conversation. Go back to step 3 and click \
             Subscribe the page.",
            missing.join(" or ")
        ),
    )
}

/// `pages_messaging` on the page token (sending, receiving and handing over need it).
async fn messaging_scope_check(page: &PageRow, client: &GraphClient) -> Check {
    const LABEL: &str = "The page token may send messages and hand them over";
    match client.debug_token(&page.app_id, &page.app_secret).await {
        Ok(d) if d.scopes.iter().any(|s| s == "pages_messaging") => Check::new(
            "pages-messaging",
            LABEL,
            Pass,
            "The token carries pages_messaging.",
        ),
        Ok(_) => Check::new(
            "pages-messaging",
            LABEL,
            Fail,
            format!(
                "The token lacks pages_messaging, so Baton can neither answer nor hand \
                 conversations over. {}",
                scope_howto("pages_messaging")
            ),
        ),
        Err(e) => problem_check("pages-messaging", LABEL, &e),
    }
}

/// Page Inbox among the apps the page may hand conversations to.
async fn page_inbox_check(client: &GraphClient, path: RoutingPath) -> Check {
    let label = path.label(&SECONDARY_RECEIVER);
    match client.secondary_receivers().await {
        Ok(apps) if apps.iter().any(|a| a.id == PAGE_INBOX_APP_ID) => Check::new(
            "page-inbox-secondary",
            label,
            Pass,
            "Facebook lists Page Inbox among the apps this page hands conversations to, so \
             Talk to human can reach a person.",
        ),
        Ok(_) => Check::new(
            "page-inbox-secondary",
            label,
            Fail,
            format!(
                "Page Inbox is not among the apps this page may hand conversations to, so \
                 Talk to human cannot reach a person. {}",
                path.path(&SECONDARY_RECEIVER)
            ),
        ),
        Err(e) if e.kind() == ErrorKind::PermissionMissing && missing_scope_in(&e).is_none() => {
            Check::new(
                "page-inbox-secondary",
                label,
                Fail,
                format!(
                    "Facebook shows this list only to the page's default app (the Primary \
                     Receiver in the older settings), so Baton's app is probably not it. {}",
                    path.path(&CONFIRM_ITEMS[0])
                ),
            )
        }
        Err(e) => problem_check("page-inbox-secondary", label, &e),
    }
}

/// `thread_owner` for the person who wrote most recently: a bot conversation owned by another
/// app means Baton is not the default app (or another automation answers first).
async fn owner_probe(
    state: &Services,
    page: &PageRow,
    client: &GraphClient,
    path: RoutingPath,
) -> Result<Check, AppError> {
    const LABEL: &str = "Baton owns the bot's conversations";
    let Some((person, answer)) = probe_recent(state, page, client).await? else {
        return Ok(Check::new(
            "thread-owner",
            LABEL,
            Waiting,
            "No one Facebook knows has written to this page yet, so there is no conversation \
             to look at. Send the page a message from Messenger, then check again.",
        ));
    };
    let name = display_name(person.first_name.as_deref(), person.last_name.as_deref());
    let convo =
        crate::storage::repo::conversations::get(&state.pool, &page.page_id, &person.psid).await?;
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
            format!("A person has the conversation with {name} in the Page Inbox, as expected."),
        ),
        Ok(Some(app)) => Check::new(
            "thread-owner",
            LABEL,
            Warn,
            format!(
                "The conversation with {name} belongs to {} although Baton did not hand it \
                 over. If that keeps happening, Baton's app is not the default app, or another \
                 automation answers first. {} {}",
                if app == PAGE_INBOX_APP_ID {
                    "Page Inbox".to_owned()
                } else {
                    format!("another app ({app})")
                },
                path.path(&CONFIRM_ITEMS[0]),
                path.path(&CONFIRM_ITEMS[1]),
            ),
        ),
        Err(e) => problem_check("thread-owner", LABEL, &e),
    })
}

/// The newest correspondent Facebook knows, and who owns their thread (conversations kept
/// from a page connected before under the same id, such as the sandbox page, are skipped).
async fn probe_recent(
    state: &Services,
    page: &PageRow,
    client: &GraphClient,
) -> Result<Option<(progress::Recent, Result<Option<String>, GraphError>)>, AppError> {
    let recent = progress::recent_people(&state.pool, &page.page_id, PROBE_PEOPLE).await?;
    for person in recent {
        match client.thread_owner(&person.psid).await {
            Err(e) if e.kind() == ErrorKind::UnknownRecipient => continue,
            answer => return Ok(Some((person, answer))),
        }
    }
    Ok(None)
}
