//! The sandbox page's routing as the Simulator's test tools set it (Conversation Routing or
//! the older receivers, how handovers are refused, the Human Agent permission), and Baton's
//! side of a test user's conversation, so the Simulator shows each case of the handover on
//! today's Messenger: a person replying without a handover and the bot staying silent, a
//! refused handover answered in plain words.

use model::{AppError, SimBaton, SimPage, SimRefusal, SimView};
use sandbox::{PageUpdate, Refusal, Sandbox};

use super::{ensure_sandbox, plain, view_now};
use crate::services::Services;
use crate::storage::repo::conversations as conv;

/// The sandbox page's settings in the Simulator's terms.
pub(super) fn page(sb: &Sandbox, page_id: &str) -> SimPage {
    let Some(settings) = sb.page_settings(page_id) else {
        return SimPage {
            conversation_routing: true,
            refuse_handovers: SimRefusal::Off,
            human_agent: true,
        };
    };
    SimPage {
        conversation_routing: settings.conversation_routing,
        refuse_handovers: match settings.refuse_handovers {
            Refusal::Off => SimRefusal::Off,
            Refusal::SeparateCalls => SimRefusal::SeparateCalls,
            Refusal::All => SimRefusal::All,
            Refusal::Restricted => SimRefusal::Restricted,
        },
        human_agent: settings.human_agent,
    }
}

/// Baton's list for the conversation and the ledger's last reason.
pub(super) async fn baton_side(
    state: &Services,
    page_id: &str,
    psid: &str,
) -> Result<Option<SimBaton>, AppError> {
    let Some(c) = conv::get(&state.pool, page_id, psid).await? else {
        return Ok(None);
    };
    let why = conv::ledger(&state.pool, page_id, psid)
        .await?
        .pop()
        .and_then(|l| l.detail);
    Ok(Some(SimBaton {
        state: c.state,
        why,
    }))
}

/// Changes the sandbox page's routing; returns `psid`'s view.
pub async fn set_page(state: &Services, psid: &str, page: SimPage) -> Result<SimView, AppError> {
    ensure_sandbox(&state.pool).await?;
    let sb = &state.sandbox;
    let page_id = sb.user(psid).map_err(plain)?.page_id;
    let refusal = match page.refuse_handovers {
        SimRefusal::Off => Refusal::Off,
        SimRefusal::SeparateCalls => Refusal::SeparateCalls,
        SimRefusal::All => Refusal::All,
        SimRefusal::Restricted => Refusal::Restricted,
    };
    sb.update_page(
        &page_id,
        PageUpdate {
            conversation_routing: Some(page.conversation_routing),
            refuse_handovers: Some(refusal),
            human_agent: Some(page.human_agent),
            ..Default::default()
        },
    )
    .map_err(plain)?;
    view_now(state, psid).await
}
