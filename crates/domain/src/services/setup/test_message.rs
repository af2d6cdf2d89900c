//! Step 7: a test message to someone who wrote to the page recently.

use super::common::*;

/// The people who wrote to the connected page most recently.
pub async fn recent_people(state: &Services) -> Result<Vec<RecentPerson>, AppError> {
    let Some(page) = pages::current(&state.pool).await? else {
        return Ok(Vec::new());
    };
    let now = state.clock.now_ms();
    Ok(progress::recent_people(&state.pool, &page.page_id, 20)
        .await?
        .into_iter()
        .map(|r| RecentPerson {
            name: display_name(r.first_name.as_deref(), r.last_name.as_deref()),
            in_window: r.last_user_message_ms.is_some_and(|t| now - t < WINDOW_MS),
            in_human_agent_window: r
                .last_user_message_ms
                .is_some_and(|t| now - t < HUMAN_AGENT_WINDOW_MS),
            when: r
                .last_user_message_ms
                .map(|t| format!("wrote {}", ago(now, t)))
                .unwrap_or_else(|| "never wrote".into()),
            last_message_ms: r.last_user_message_ms,
            psid: r.psid,
        })
        .collect())
}

/// `psid` among the people who wrote to the page recently (the wizard's actions pick from
/// that list).
async fn recent_person(state: &Services, psid: &str) -> Result<RecentPerson, AppError> {
    recent_people(state)
        .await?
        .into_iter()
        .find(|p| p.psid == psid)
        .ok_or_else(|| {
            AppError::Invalid("Pick someone from the list of people who wrote to the page.".into())
        })
}

/// What a live test on the page needs: the connected page, `psid` among the people who wrote
/// lately, and the page's client with the checks' timeout.
pub(super) async fn live_test(
    state: &Services,
    psid: &str,
) -> Result<(PageRow, RecentPerson, GraphClient), AppError> {
    let page = connected(state).await?;
    let person = recent_person(state, psid).await?;
    let client = checked_client(&page, &state.config.graph_api_url);
    Ok((page, person, client))
}

/// Step 7: sends [`TEST_MESSAGE`] to `psid` (someone who wrote to the page) and reports the
/// result.
pub async fn send_test(state: &Services, actor: &Actor, psid: &str) -> Result<SetupView, AppError> {
    let (page, person, client) = live_test(state, psid).await?;
    const LABEL: &str = "A test message reaches Messenger";
    let check = match client.send(&SendRequest::text(psid, TEST_MESSAGE)).await {
        Ok(_) => {
            audit::record(
                &state.pool,
                actor,
                "page.test_message",
                Some(&page.page_id),
                Some(&person.name),
                state.clock.now(),
            )
            .await?;
            Check::new(
                "test-message",
                LABEL,
                Pass,
                format!(
                    "Facebook accepted the test message to {}; it shows in their Messenger now.",
                    person.name
                ),
            )
        }
        Err(e) => {
            let detail = match e.kind() {
                ErrorKind::OutsideWindow => format!(
                    "{} last wrote more than 24 hours ago, and Messenger lets a page answer only \
                     within 24 hours. Ask them to write to the page again, or pick someone who \
                     wrote recently.",
                    person.name
                ),
                ErrorKind::NotThreadOwner => format!(
                    "The conversation with {} is with a person in Page Inbox right now, so the \
                     bot may not write. Mark it as done in the Inbox, or pick someone else.",
                    person.name
                ),
                ErrorKind::UserUnavailable => format!(
                    "{} cannot receive messages right now (they may have blocked the page).",
                    person.name
                ),
                _ => graph_problem(&e).1,
            };
            Check::new("test-message", LABEL, Fail, detail)
        }
    };
    store_report(state, SetupStep::Test, vec![check]).await?;
    view(state).await
}
