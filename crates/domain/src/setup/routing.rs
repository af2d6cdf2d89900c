//! Step 4: the page's routing settings.

use super::*;

pub(super) async fn receiver_checks(
    state: &Services,
    page: &PageRow,
) -> Result<Vec<Check>, AppError> {
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
pub(super) async fn routing_checks(client: &GraphClient) -> (Option<bool>, Vec<Check>) {
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
pub(super) async fn owner_probe(
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
    let convo = crate::repo::conversations::get(&state.pool, &page.page_id, &person.psid).await?;
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
