//! Step 4's live round trip on a test conversation: a short message that hands it to the
//! Page Inbox (as Talk to human does), then Baton takes it back; every step is a line of the
//! step's report, kept when the other checks run again.

use messenger::send::SendRequest;
use model::{RoutingPath, ROUND_TRIP_MESSAGE};

use super::common::*;
use super::routing::{routing_checks, ROUND_TRIP, ROUND_TRIP_METADATA};
use crate::storage::repo::settings::{self, keys};

/// The live round trip on `psid` (someone who wrote within 24 hours, ideally the admin's own
/// test conversation): a short message that hands the conversation to the Page Inbox, as Talk
/// to human does, then Baton takes it back; every step is a line of the report.
pub async fn round_trip(
    state: &Services,
    actor: &Actor,
    psid: &str,
) -> Result<SetupView, AppError> {
    let (page, person, client) = super::test_message::live_test(state, psid).await?;
    let p = progress::load(&state.pool).await?;
    let path = path_of(&p.reports, &p.confirmed);
    let lines = trip(&client, &page, &person, path).await;
    if lines.iter().all(|c| c.state == Pass) {
        settings::remove(&state.pool, keys::HANDOVER_PROBLEM).await?;
    }
    audit::record(
        &state.pool,
        actor,
        "page.routing_round_trip",
        Some(&page.page_id),
        Some(&person.name),
        state.clock.now(),
    )
    .await?;
    // The round trip replaces the previous one's lines; the other checks run again.
    let mut checks = routing_checks(state, &page).await?;
    checks.retain(|c| !c.id.starts_with(ROUND_TRIP));
    checks.extend(lines);
    let handover = handover_after(&checks);
    if let Some(c) = checks.iter_mut().find(|c| c.id == "handover") {
        *c = handover;
    }
    store_report(state, SetupStep::Routing, checks).await?;
    view(state).await
}

/// The "handovers go through" line once a round trip's lines are in.
fn handover_after(checks: &[Check]) -> Check {
    let trip: Vec<&Check> = checks
        .iter()
        .filter(|c| c.id.starts_with(ROUND_TRIP))
        .collect();
    let old = checks.iter().find(|c| c.id == "handover");
    match old {
        Some(c) if c.state == Fail && !trip.iter().all(|t| t.state == Pass) => c.clone(),
        _ if trip.iter().all(|t| t.state == Pass) => Check::new(
            "handover",
            "Handovers to the Page Inbox go through",
            Pass,
            "The round trip handed a conversation to the Page Inbox and took it back.",
        ),
        _ => Check::new(
            "handover",
            "Handovers to the Page Inbox go through",
            Fail,
            "The round trip did not get through: see its steps below.",
        ),
    }
}

/// The round trip's steps; it stops at the first that fails.
async fn trip(
    client: &GraphClient,
    page: &PageRow,
    person: &RecentPerson,
    path: RoutingPath,
) -> Vec<Check> {
    let name = &person.name;
    let line = |n: usize, label: &str, state, detail: String| {
        Check::new(&format!("{ROUND_TRIP}-{n}"), label, state, detail)
    };
    let mut lines = Vec::new();
    const START: &str = "Round trip 1/4: the conversation is with the bot";
    match client.thread_owner(&person.psid).await {
        Ok(None) => {}
        Ok(Some(app)) if app == page.app_id => {}
        Ok(Some(_)) => {
            lines.push(line(
                1,
                START,
                Fail,
                format!(
                    "The conversation with {name} is not with the bot right now (a person or \
                     another app has it). Pick a conversation the bot has, or mark this one \
                     as done first."
                ),
            ));
            return lines;
        }
        Err(e) => {
            lines.push(line(1, START, graph_problem(&e).0, graph_problem(&e).1));
            return lines;
        }
    }
    lines.push(line(
        1,
        START,
        Pass,
        format!("Baton has the conversation with {name}."),
    ));

    const PASS: &str = "Round trip 2/4: a message hands it to the Page Inbox";
    let message = SendRequest::text(&person.psid, ROUND_TRIP_MESSAGE)
        .with_metadata(ROUND_TRIP_METADATA)
        .with_pass_to(PAGE_INBOX_APP_ID);
    let passed = match client.send(&message).await {
        Ok(_) => Ok("in one call, as Talk to human does"),
        Err(e) if e.kind() == ErrorKind::ThreadControlUnsupported => {
            // The older settings: the message, then the separate call.
            let plain = SendRequest {
                thread_control: None,
                ..message.clone()
            };
            match client.send(&plain).await {
                Ok(_) => client
                    .pass_thread_control(&person.psid, PAGE_INBOX_APP_ID, Some(ROUND_TRIP_METADATA))
                    .await
                    .map(|()| "with the separate call this page's older settings need"),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match passed {
        Ok(how) => lines.push(line(
            2,
            PASS,
            Pass,
            format!("Messenger took the handover {how}."),
        )),
        Err(e) => {
            lines.push(line(2, PASS, Fail, refused_words(&e, path, name)));
            return lines;
        }
    }

    const OWNER: &str = "Round trip 3/4: the Page Inbox has it";
    match client.thread_owner(&person.psid).await {
        Ok(Some(app)) if app == PAGE_INBOX_APP_ID => lines.push(line(
            3,
            OWNER,
            Pass,
            "Messenger says the Page Inbox has the conversation.".into(),
        )),
        Ok(other) => lines.push(line(
            3,
            OWNER,
            Fail,
            format!(
                "Messenger says {} has the conversation instead. {}",
                other.map_or("nobody".to_owned(), |a| format!("app {a}")),
                path.path(&SECONDARY_RECEIVER)
            ),
        )),
        Err(e) => lines.push(line(3, OWNER, graph_problem(&e).0, graph_problem(&e).1)),
    }

    const TAKE: &str = "Round trip 4/4: Baton takes it back";
    match client
        .take_thread_control(&person.psid, Some(ROUND_TRIP_METADATA))
        .await
    {
        Ok(()) => lines.push(line(
            4,
            TAKE,
            Pass,
            format!("Baton has the conversation with {name} again: Mark as done works."),
        )),
        Err(e) => lines.push(line(
            4,
            TAKE,
            Fail,
            format!(
                "{} Until then Baton cannot take conversations back: people click Done in the \
                 Page Inbox instead, and the conversation with {name} stays there until they \
                 do.",
                refused_words(&e, path, name)
            ),
        )),
    }
    lines
}

/// A refused handover call in plain words, with the fix in the page's own settings.
fn refused_words(e: &GraphError, path: RoutingPath, name: &str) -> String {
    match e.kind() {
        ErrorKind::OutsideWindow => format!(
            "{name} last wrote more than 24 hours ago. Write to the page from your own \
             Messenger, then run the round trip on that conversation."
        ),
        kind if kind.refuses_handover() => format!(
            "Messenger refused: {}. {} {}",
            kind.plain_message(),
            path.path(&CONFIRM_ITEMS[0]),
            path.path(&SECONDARY_RECEIVER)
        ),
        _ => graph_problem(e).1,
    }
}
