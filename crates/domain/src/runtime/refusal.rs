//! What Baton does when Messenger refuses a thread-control change for good (docs/spec.md §1,
//! "When Messenger refuses"): the conversation follows whoever Messenger says holds the thread,
//! and the user is never left believing a person is there when no one is.
//!
//! - A refused **handover** (the confirmation carrying the pass, or the separate pass after
//!   it): the conversation goes back to the bot, the user reads the flow's "no one can take
//!   this right now" text, and admins get a notice naming the fix (Setup → Routing settings).
//! - A refused pass after **a person replied** from the Page Inbox: the person still has the
//!   conversation, so it stays in the Inbox and the bot stays silent.
//! - A refused **take** (Mark as done, Return to bot): a person still has the thread.
//! - A **message** refused because another app holds the thread (10/2018300): the
//!   conversation is with that app now.

use messenger::{ErrorKind, GraphError};

use super::compose;
use super::decision::Decision;
use super::engine;
use super::handover::{self, window_open, Cause};
use super::later::Later;
use crate::storage::backend::Exec;
use crate::storage::repo::conversations::{self as conv, ConversationRow};
use crate::storage::repo::outbox::{Kind, OutboxRow, Priority};
use crate::storage::repo::settings::{self, keys};
use model::ConversationState::{self, Inbox};
use model::{HandoverCause, Speaker, ThreadOwner};

/// Which thread-control change Messenger refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Handover,
    PersonReplied,
    Take,
    /// A message, because another app holds the thread.
    Send,
}

impl Refused {
    /// What `row` failing with `err` refused, if it was a thread-control change that retrying
    /// will not get through.
    pub fn of(row: &OutboxRow, err: &GraphError) -> Option<Refused> {
        if err.is_retryable() {
            return None;
        }
        match row.kind {
            Kind::Take => Some(Refused::Take),
            Kind::Pass if row.body == compose::PERSON_REPLIED_METADATA => {
                Some(Refused::PersonReplied)
            }
            Kind::Pass => Some(Refused::Handover),
            // The page refused the message that carried the pass: neither went out. (Refused
            // for its own sake, the window or its content, the pass follows on its own.)
            Kind::Message if compose::carries_pass(&row.body) => {
                err.kind().refuses_handover().then_some(Refused::Handover)
            }
            Kind::Message if err.kind() == ErrorKind::NotThreadOwner => Some(Refused::Send),
            _ => None,
        }
    }

    /// Who holds the thread when Messenger could not be asked: whoever was refused did not
    /// get it.
    pub fn assumed_owner(self) -> Option<ThreadOwner> {
        match self {
            Refused::Handover | Refused::PersonReplied => Some(ThreadOwner::Baton),
            Refused::Take => Some(ThreadOwner::PageInbox),
            Refused::Send => None,
        }
    }
}

/// The notice admins read after a handover was refused for good.
pub fn handover_notice(reason: &str) -> String {
    format!(
        "Messenger refused to hand a conversation to the Page Inbox ({reason}). Users who ask \
         for a person are told no one can take the conversation until this is fixed: open \
         Setup → Routing settings"
    )
}

/// Follows Messenger after `row` was refused with `err`; `owner` is who holds the thread now
/// (asked after the refusal) and `unavailable` the flow's text for a refused handover.
#[allow(clippy::too_many_arguments)]
pub async fn follow(
    mut conn: Exec<'_>,
    later: &mut Later,
    row: &OutboxRow,
    refused: Refused,
    err: &GraphError,
    owner: ThreadOwner,
    unavailable: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let (page_id, psid) = (row.page_id.as_str(), row.psid.as_str());
    match refused {
        Refused::Take => {
            resync(conn.reborrow(), later, page_id, psid, owner, now_ms).await?;
        }
        Refused::Handover => {
            let after = resync(conn.reborrow(), later, page_id, psid, owner, now_ms).await?;
            if after
                .as_ref()
                .is_some_and(|c| c.state != ConversationState::Inbox)
            {
                // Back with the bot: say so plainly, and tell admins why.
                let c = after.expect("checked above");
                if window_open(&c, now_ms) {
                    let text = compose::text_row(psid, unavailable, compose::UNAVAILABLE_METADATA);
                    later.enqueue(page_id, psid, vec![text], Priority::Urgent, now_ms);
                }
                let notice = handover_notice(err.plain_message());
                settings::set(
                    conn.reborrow(),
                    keys::HANDOVER_PROBLEM,
                    &notice,
                    now_ms / 1000,
                )
                .await?;
            }
        }
        Refused::PersonReplied => {
            conv::set_owner(conn.reborrow(), page_id, psid, owner).await?;
            let line = format!(
                "Messenger did not move the thread to the Page Inbox ({}); the bot stays silent \
                 until the conversation is marked done",
                err.plain_message()
            );
            later.transcript(conv::NewLine {
                page_id: page_id.to_owned(),
                psid: psid.to_owned(),
                at_ms: now_ms,
                who: Speaker::System,
                text: line,
                mid: None,
            });
        }
        Refused::Send => {
            if !matches!(owner, ThreadOwner::PageInbox | ThreadOwner::Other) {
                return conv::set_owner(conn.reborrow(), page_id, psid, owner).await;
            }
            let Some(c) = conv::get(conn.reborrow(), page_id, psid).await? else {
                return Ok(());
            };
            let inbox = ConversationState::Inbox;
            if conv::transition(conn.reborrow(), page_id, psid, inbox, owner, now_ms).await? {
                let line = format!(
                    "Messenger refused a message: {} has the conversation, so the bot stays \
                     silent",
                    owner.words()
                );
                let cause = Cause {
                    kind: HandoverCause::Messenger,
                    actor: None,
                    detail: line.clone(),
                };
                record(conn.reborrow(), later, now_ms, &c, inbox, &cause, &line).await?;
            } else {
                conv::set_owner(conn.reborrow(), page_id, psid, owner).await?;
            }
        }
    }
    Ok(())
}

/// Ledger entry + system transcript line for a move of `c` to `to_state` at `at_ms`, through
/// the same writer as every other decision.
async fn record(
    conn: Exec<'_>,
    later: &mut Later,
    at_ms: i64,
    c: &ConversationRow,
    to_state: ConversationState,
    cause: &Cause<'_>,
    line: &str,
) -> Result<(), sqlx::Error> {
    let mut d = Decision::default();
    handover::record(&mut d, at_ms, c, to_state, cause, line);
    engine::write(conn, later, &c.page_id, &c.psid, at_ms, d).await
}

/// After Messenger refused a pass or a take for good: the conversation follows `owner`, who
/// Messenger says holds the thread now. Still Baton after a refused pass means the user is
/// with the bot, not in the inbox; still the Page Inbox after a refused take means the
/// conversation is still in the inbox. The move is written to the ledger and the transcript.
/// Returns the conversation as it is afterwards.
async fn resync<'c>(
    conn: impl Into<Exec<'c>>,
    later: &mut Later,
    page_id: &str,
    psid: &str,
    owner: ThreadOwner,
    at_ms: i64,
) -> Result<Option<ConversationRow>, sqlx::Error> {
    let mut conn = conn.into();
    let Some(c) = conv::get(conn.reborrow(), page_id, psid).await? else {
        return Ok(None);
    };
    let state = match owner {
        ThreadOwner::PageInbox => Inbox,
        ThreadOwner::Baton | ThreadOwner::Idle if c.state == Inbox => ConversationState::Bot,
        _ => c.state,
    };
    let after = ConversationRow {
        state,
        thread_owner: owner,
        ..c.clone()
    };
    if state == c.state
        || !conv::transition(conn.reborrow(), page_id, psid, state, owner, at_ms).await?
    {
        conv::set_owner(conn.reborrow(), page_id, psid, owner).await?;
        return Ok(Some(ConversationRow {
            state: c.state,
            ..after
        }));
    }
    let line = match owner {
        ThreadOwner::PageInbox => {
            "Messenger refused to give the conversation back: a person in the Page Inbox still has it"
        }
        _ => "Messenger refused the handover: the bot still has the conversation",
    };
    let cause = Cause {
        kind: HandoverCause::Messenger,
        actor: None,
        detail: line.to_owned(),
    };
    record(conn.reborrow(), later, at_ms, &c, state, &cause, line).await?;
    Ok(Some(after))
}
