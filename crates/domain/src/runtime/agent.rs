//! What agents do from Baton's inbox: **Mark as done** (take control back, then the
//! back-in-bot message) and **Move to inbox** (the handover message, then pass control to the
//! Page Inbox). Both are idempotent: the state change is one conditional UPDATE, so two agents
//! clicking at once produce one handover and one confirmation message. Both are audited.
//!
//! Agents can also **reply** from Baton while Baton owns the thread: the text is queued in
//! the outbox like any bot message, as a `RESPONSE` inside the 24 h window or with the
//! `HUMAN_AGENT` tag up to 7 days after the user's last message (`ReplyRule`).

use crate::clock::Clock;
use crate::storage::backend::{DbRef, Tx};
use messenger::send::{MessagingType, OutgoingMessage, SendRequest};

use super::decision::Decision;
use super::handover::{self, Cause};
use super::scope::Scope;
use crate::storage::repo::audit::{self, Actor};
use crate::storage::repo::outbox::{self, Kind, NewRow, Priority};
use crate::storage::repo::{conversations as conv, pages};
use model::AppError;
use model::{AgentAction, ReplyRule, MAX_REPLY_CHARS};

/// Why an agent action or reply was refused, or failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("No Facebook page is connected.")]
    NoPage,
    #[error("Publish the bot's messages first.")]
    NothingPublished,
    #[error("There is no conversation with this person.")]
    NoConversation,
    /// The reply may not be sent (empty, too long, Page Inbox owns the thread, windows
    /// closed); the text says why.
    #[error("{0}")]
    Refused(String),
    /// Reading the flow the action sends from failed.
    #[error(transparent)]
    Flow(crate::storage::repo::flows::ReadError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Server functions answer with the reason; a database failure is logged and answered with
/// the generic message.
impl From<AgentError> for AppError {
    fn from(err: AgentError) -> Self {
        match err {
            AgentError::NoConversation => AppError::NotFound,
            AgentError::Flow(crate::storage::repo::flows::ReadError::Database(e)) => e.into(),
            AgentError::Flow(_) => AppError::Internal,
            AgentError::Database(e) => e.into(),
            e => AppError::Invalid(e.to_string()),
        }
    }
}

/// What an agent action did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The conversation moved; the Graph calls are queued.
    Changed,
    /// It already was in the requested list: nothing was done.
    AlreadyThere,
}

/// Does `action` for the conversation with `psid` on the connected page.
pub async fn act<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    psid: &str,
    actor: &Actor,
    action: AgentAction,
) -> Result<Outcome, AgentError> {
    let pool = pool.into();
    let page = pages::current(pool).await?.ok_or(AgentError::NoPage)?;
    // A Simulator test user trying the draft is answered from the draft, as by the runtime.
    let trying = page.is_sandbox
        && crate::storage::repo::draft_trials::all(pool)
            .await?
            .iter()
            .any(|p| p == psid);
    let flow = if trying {
        crate::storage::repo::flows::draft_flow(pool)
            .await
            .map_err(AgentError::Flow)?
    } else {
        crate::storage::repo::flows::published(pool)
            .await
            .map_err(AgentError::Flow)?
            .map(|(_, f)| f)
            .ok_or(AgentError::NothingPublished)?
    };
    // A second agent's click (or the runtime applying this user's event) waits here and
    // then sees the first one's result: SQLite's BEGIN IMMEDIATE takes the write lock up
    // front, PostgreSQL locks the conversation's row.
    let disclosure = pages::bot_disclosure(pool, &page.page_id).await?;
    let mut tx = Tx::foreground(pool).await?;
    let c = conv::get_for_update(tx.exec(), &page.page_id, psid)
        .await?
        .ok_or(AgentError::NoConversation)?;
    let scope = Scope {
        page_id: &page.page_id,
        app_id: &page.app_id,
        flow: Some(&flow),
        now_ms: clock.now_ms(),
        clock_ms: clock.now_ms(),
        disclosure: disclosure.as_deref(),
    };
    let cause = Cause {
        kind: model::HandoverCause::Agent,
        actor: Some(&actor.name),
        detail: format!("agent {}", actor.name),
    };
    let (to_inbox, back) = flows::handover_messages(&flow);
    let mut decision = Decision::default();
    if action == AgentAction::MarkAsDone {
        // The message the button that started this handover chose, else the flow's default.
        let back = c.back_to_bot_message.as_deref().or(back);
        handover::back_to_bot(&mut decision, &scope, &flow, &c, back, &cause);
    } else {
        handover::hand_to_inbox(&mut decision, &scope, &flow, &c, to_inbox, back, &cause);
    }
    let mut later = super::later::Later::default();
    super::engine::write(
        tx.exec(),
        &mut later,
        &page.page_id,
        psid,
        scope.clock_ms,
        decision,
    )
    .await?;
    later.flush(tx.exec()).await?;
    let after = conv::get(tx.exec(), &page.page_id, psid)
        .await?
        .ok_or(AgentError::NoConversation)?;
    let changed = after.state != c.state;
    tx.commit().await?;
    if !changed {
        return Ok(Outcome::AlreadyThere);
    }
    let audited = match action {
        AgentAction::MarkAsDone => "conversation.marked_done",
        AgentAction::MoveToInbox => "conversation.moved_to_inbox",
    };
    audit::record(pool, actor, audited, Some(psid), None, clock.now()).await?;
    Ok(Outcome::Changed)
}

/// `message.metadata` of agent replies, so their echoes are recognised as Baton's own.
pub const REPLY_METADATA: &str = "baton:agent_reply";

/// Queues `text` typed by an agent for the user. Returns true when it goes out with the
/// `HUMAN_AGENT` tag. Refused with a plain reason when the text is empty or too long, when
/// Baton does not own the thread, or when Messenger's windows are closed.
pub async fn reply<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    psid: &str,
    text: &str,
    actor: &Actor,
) -> Result<bool, AgentError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AgentError::Refused("Type a message first.".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_REPLY_CHARS {
        return Err(AgentError::Refused(format!(
            "Messenger allows at most {MAX_REPLY_CHARS} characters in a message; this one has {chars}."
        )));
    }
    let pool = pool.into();
    let page = pages::current(pool).await?.ok_or(AgentError::NoPage)?;
    let now_ms = clock.now_ms();
    // The owner and the window are checked in the same write transaction that queues the
    // message, so a handover that lands in between cannot slip past the check.
    let mut tx = Tx::foreground(pool).await?;
    let c = conv::get_for_update(tx.exec(), &page.page_id, psid)
        .await?
        .ok_or(AgentError::NoConversation)?;
    let message = OutgoingMessage {
        text: Some(text.to_owned()),
        metadata: Some(REPLY_METADATA.to_owned()),
        ..Default::default()
    };
    let (request, human_agent) =
        match ReplyRule::for_conversation(c.thread_owner, c.last_user_message_ms, now_ms) {
            ReplyRule::Response { .. } => (
                SendRequest::message(psid, MessagingType::Response, message),
                false,
            ),
            ReplyRule::HumanAgent { .. } => (SendRequest::human_agent(psid, message), true),
            ReplyRule::PageInbox => {
                return Err(AgentError::Refused(
                    "A person in the Page Inbox has this conversation: reply in the Page Inbox."
                        .into(),
                ))
            }
            ReplyRule::Closed { reason } => return Err(AgentError::Refused(reason)),
        };
    let row = NewRow {
        kind: Kind::Message,
        body: serde_json::to_string(&request).expect("a SendRequest always serializes"),
        transcript: Some((model::Speaker::Agent, text.to_owned())),
        author: Some(actor.name.clone()),
    };
    outbox::enqueue(
        tx.exec(),
        &page.page_id,
        psid,
        &[row],
        Priority::Urgent,
        now_ms,
    )
    .await?;
    tx.commit().await?;
    let how = if human_agent {
        "human_agent"
    } else {
        "response"
    };
    audit::record(
        pool,
        actor,
        "conversation.replied",
        Some(psid),
        Some(how),
        clock.now(),
    )
    .await?;
    Ok(human_agent)
}
