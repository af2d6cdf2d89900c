//! Step 5: Meta's Human Agent permission, which agents need to answer more than 24 hours after
//! a customer's last message (the `HUMAN_AGENT` tag, up to 7 days). No API says whether an app
//! has it: Baton shows a refusal it met (an agent's reply Meta turned down), the admin confirms
//! App Review's answer, and a tagged test reply to someone who wrote within 7 days settles it.

use messenger::send::{OutgoingMessage, SendRequest};
use model::{HUMAN_AGENT_ITEM, HUMAN_AGENT_TEST_MESSAGE};

use super::common::*;
use crate::storage::repo::settings::{self, keys};

const TEST_ID: &str = "human-agent-test";
const TEST_LABEL: &str = "A reply with the HUMAN_AGENT tag goes through";

pub(super) async fn human_agent_checks(state: &Services) -> Result<Vec<Check>, AppError> {
    let p = progress::load(&state.pool).await?;
    let ticked = p.confirmed.iter().any(|c| c == HUMAN_AGENT_ITEM.id);
    let mut checks = Vec::new();
    if let Some(notice) = settings::get(&state.pool, keys::HUMAN_AGENT_PROBLEM).await? {
        checks.push(Check::new(
            "human-agent-refused",
            "Meta accepts agents' late replies",
            Fail,
            format!("{notice}. {}", HUMAN_AGENT_ITEM.routing_path),
        ));
    }
    checks.push(Check::new(
        HUMAN_AGENT_ITEM.id,
        HUMAN_AGENT_ITEM.label,
        if ticked { Pass } else { Confirm },
        if ticked {
            "You confirmed Meta approved it.".to_owned()
        } else {
            format!(
                "Only App Review can tell. {} Then tick the box, or send the test reply below.",
                HUMAN_AGENT_ITEM.routing_path
            )
        },
    ));
    // The last test reply stays until the next one.
    let last = p
        .reports
        .iter()
        .filter(|r| r.step == SetupStep::HumanAgent)
        .flat_map(|r| &r.checks)
        .find(|c| c.id == TEST_ID);
    checks.extend(last.cloned());
    // A passed test proves it: the box need not be ticked.
    if checks.iter().any(|c| c.id == TEST_ID && c.state == Pass) {
        checks.retain(|c| c.id != HUMAN_AGENT_ITEM.id || ticked);
    }
    Ok(checks)
}

/// Step 5's test: a reply with the `HUMAN_AGENT` tag to `psid` (someone who wrote within 7
/// days), as an agent's late reply goes out.
pub async fn human_agent_test(
    state: &Services,
    actor: &Actor,
    psid: &str,
) -> Result<SetupView, AppError> {
    let (page, person, client) = super::test_message::live_test(state, psid).await?;
    let reply = SendRequest::human_agent(
        psid,
        OutgoingMessage {
            text: Some(HUMAN_AGENT_TEST_MESSAGE.into()),
            metadata: Some("baton:human_agent_check".into()),
            ..Default::default()
        },
    );
    let name = &person.name;
    let test = match client.send(&reply).await {
        Ok(_) => {
            settings::remove(&state.pool, keys::HUMAN_AGENT_PROBLEM).await?;
            Check::new(
                TEST_ID,
                TEST_LABEL,
                Pass,
                format!(
                    "Meta accepted a HUMAN_AGENT reply to {name}: agents can answer up to 7 days \
                     after a customer's last message."
                ),
            )
        }
        Err(e) => {
            let detail = match e.kind() {
                ErrorKind::HumanAgentNotApproved => format!(
                    "Meta refused it: this app does not have the Human Agent permission. {}",
                    HUMAN_AGENT_ITEM.routing_path
                ),
                ErrorKind::OutsideWindow => format!(
                    "{name} last wrote more than 7 days ago; pick someone who wrote this week."
                ),
                ErrorKind::NotThreadOwner => format!(
                    "A person in the Page Inbox has the conversation with {name} right now; \
                     pick a conversation the bot has."
                ),
                _ => graph_problem(&e).1,
            };
            Check::new(TEST_ID, TEST_LABEL, Fail, detail)
        }
    };
    audit::record(
        &state.pool,
        actor,
        "page.human_agent_test",
        Some(&page.page_id),
        Some(name),
        state.clock.now(),
    )
    .await?;
    let mut checks = human_agent_checks(state).await?;
    checks.retain(|c| c.id != TEST_ID);
    let passed = test.state == Pass;
    checks.push(test);
    if passed {
        let ticked = progress::load(&state.pool)
            .await?
            .confirmed
            .iter()
            .any(|c| c == HUMAN_AGENT_ITEM.id);
        checks.retain(|c| c.id != HUMAN_AGENT_ITEM.id || ticked);
    }
    store_report(state, SetupStep::HumanAgent, checks).await?;
    view(state).await
}
