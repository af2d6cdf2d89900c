//! Server functions for the agent inbox: the lists, one conversation, the agent actions
//! (Mark as done, Move to inbox: one function) and the agent reply. All need `WorkInbox`. The reads are in
//! `domain::inbox`, the actions in `domain::runtime::agent`.

use leptos::prelude::*;
use model::error::AppError;
use model::{AgentAction, AgentActionReport, ConversationDetail, ConversationPage, ReplyReport};

/// One page (50 rows) of `list` (inbox | done | all), newest activity first. `search` (may be
/// empty) matches the name or the last text; `cursor` is the previous page's `next_cursor`,
/// empty for the first page.
#[server(endpoint = "inbox/list")]
pub async fn list_conversations(
    list: String,
    search: String,
    cursor: String,
) -> Result<ConversationPage, AppError> {
    use crate::server::Ctx;
    use domain::inbox;
    use model::{InboxCursor, InboxList, Permission};
    let ctx = Ctx::get()?;
    ctx.require(Permission::WorkInbox).await?;
    let list = InboxList::parse(&list).map_err(AppError::Invalid)?;
    let cursor = InboxCursor::parse(&cursor).map_err(AppError::Invalid)?;
    model::check_search(&search).map_err(AppError::Invalid)?;
    inbox::list_page(
        ctx.pool(),
        ctx.clock(),
        list,
        &search,
        cursor.as_ref(),
        inbox::PAGE_SIZE,
    )
    .await
}

/// One conversation: profile, thread owner, 24 h window, transcript, handovers, failures.
#[server(endpoint = "inbox/get")]
pub async fn get_conversation(psid: String) -> Result<ConversationDetail, AppError> {
    use crate::server::Ctx;
    use domain::inbox;
    use model::Permission;
    let ctx = Ctx::get()?;
    ctx.require(Permission::WorkInbox).await?;
    inbox::detail(ctx.pool(), ctx.clock(), &psid).await
}

/// Mark as done (take the thread back from the Page Inbox, then the back-in-bot message) or
/// Move to inbox (the handover message, then pass the thread to the Page Inbox). Asking for
/// the list the conversation is already in changes nothing and says so.
#[server(endpoint = "inbox/act")]
pub async fn act_on_conversation(
    psid: String,
    action: AgentAction,
) -> Result<AgentActionReport, AppError> {
    use domain::runtime::agent;
    let ctx = crate::server::Ctx::get()?;
    let actor = inbox_agent(&ctx).await?;
    let outcome = agent::act(ctx.pool(), ctx.clock(), &psid, &actor, action).await?;
    announce(&ctx, &psid);
    Ok(action.report(outcome == agent::Outcome::Changed))
}

/// Sends `text`, typed by the agent, to the user while Baton owns the thread: a normal reply
/// inside the 24 h window, a `HUMAN_AGENT` tagged one up to 7 days after the user's last
/// message. Refused with the reason otherwise (the Page Inbox has the thread, window closed).
#[server(endpoint = "inbox/reply")]
pub async fn reply(psid: String, text: String) -> Result<ReplyReport, AppError> {
    use domain::runtime::agent;
    let ctx = crate::server::Ctx::get()?;
    let actor = inbox_agent(&ctx).await?;
    let human_agent = agent::reply(ctx.pool(), ctx.clock(), &psid, &text, &actor).await?;
    announce(&ctx, &psid);
    let message = if human_agent {
        "Sending with the HUMAN_AGENT tag (more than 24 hours since the user wrote). It shows \
         in the transcript once Messenger accepts it."
    } else {
        "Sending. It shows in the transcript once Messenger accepts it."
    };
    Ok(ReplyReport {
        human_agent,
        message: message.into(),
    })
}

/// The signed-in user, who must be allowed to work the inbox, as the audit log names them.
#[cfg(feature = "ssr")]
async fn inbox_agent(ctx: &crate::server::Ctx) -> Result<domain::repo::audit::Actor, AppError> {
    let user = ctx.require(model::Permission::WorkInbox).await?;
    Ok(domain::repo::audit::Actor::user(user.id, &user.email))
}

/// Wakes the outbox worker for the queued calls and tells open inbox screens that the
/// conversation changed.
#[cfg(feature = "ssr")]
fn announce(ctx: &crate::server::Ctx, psid: &str) {
    ctx.state.wake.wake_outbox();
    ctx.state.live.changed(psid);
}
