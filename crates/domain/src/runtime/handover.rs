//! The handover state machine, as pure decisions: a conversation moves bot → inbox (the
//! confirmation message carrying the pass to the Page Inbox, `thread_control`, so both happen
//! or neither does), bot → inbox when a person answers from the Page Inbox without a
//! handover, and inbox → done (take_thread_control unless Baton already owns the thread, the
//! bot disclosure, then the back-in-bot message). Each move is an [`Effect::Move`]: the writer
//! makes it with one conditional UPDATE, so it happens once however many events or agents ask
//! for it, and when it finds the conversation already moved nothing after it is done. Every
//! move is written to the ledger and the transcript. Used by the event dispatch (`decide`) and
//! the agent actions (`agent`); what happens when Messenger refuses a move is `refusal`.

use flows::Flow;

use super::compose;
use super::decision::{Decision, Effect};
use super::scope::Scope;
use crate::storage::repo::conversations::ConversationRow;
use crate::storage::repo::outbox::{Kind, NewRow, Priority};
use model::ConversationState::{self, Done, Inbox};
use model::{HandoverCause, Speaker, ThreadOwner};

/// Who or what caused a handover, for the ledger and the transcript.
pub struct Cause<'a> {
    pub kind: HandoverCause,
    pub actor: Option<&'a str>,
    pub detail: String,
}

/// Whether Messenger's standard 24 h window is open for this conversation at `now_ms`.
pub(super) fn window_open(c: &ConversationRow, now_ms: i64) -> bool {
    c.last_user_message_ms
        .is_some_and(|t| now_ms - t <= messenger::limits::STANDARD_WINDOW_MS)
}

/// The move to `state` (with `owner` holding the thread) at `at_ms`.
pub(super) fn moved(d: &mut Decision, state: ConversationState, owner: ThreadOwner, at_ms: i64) {
    d.push(Effect::Move {
        state,
        owner,
        at_ms,
    });
}

/// The ledger entry and system transcript line of a move of `c` to `to_state`.
pub(super) fn record(
    d: &mut Decision,
    at_ms: i64,
    c: &ConversationRow,
    to_state: ConversationState,
    cause: &Cause<'_>,
    line: &str,
) {
    d.push(Effect::Ledger {
        at_ms,
        from: c.state,
        to: to_state,
        cause: cause.kind,
        actor: cause.actor.map(str::to_owned),
        detail: cause.detail.clone(),
    });
    d.push(Effect::Transcript {
        at_ms,
        who: Speaker::System,
        text: line.to_owned(),
        mid: None,
    });
}

/// Sends the confirmation first (only the owner can message the user), then passes thread
/// control to the Page Inbox. Does nothing when the conversation is already in the inbox.
#[allow(clippy::too_many_arguments)]
pub fn hand_to_inbox(
    d: &mut Decision,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    confirmation: Option<&str>,
    back_to_bot: Option<&str>,
    cause: &Cause<'_>,
) {
    if c.state == Inbox {
        return;
    }
    moved(d, Inbox, ThreadOwner::PageInbox, scope.now_ms);
    d.push(Effect::HandoverMessages {
        confirmation: confirmation.map(str::to_owned),
        back: back_to_bot.map(str::to_owned),
    });
    let by = match cause.actor {
        Some(actor) => format!("Handed to the Page Inbox by {actor}"),
        None => format!("Handed to the Page Inbox ({})", cause.detail),
    };
    record(d, scope.now_ms, c, Inbox, cause, &by);
    let mut rows = match confirmation {
        Some(key) if window_open(c, scope.now_ms) => compose::message_rows(flow, key, &c.psid),
        _ => Vec::new(),
    };
    // One call where the page takes it (the sender falls back to two when it does not);
    // without a confirmation to carry it, the separate call.
    if !compose::pass_with_last_message(&mut rows) {
        rows.push(NewRow {
            kind: Kind::Pass,
            body: compose::HANDOVER_METADATA.into(),
            transcript: None,
            author: None,
        });
    }
    d.send(rows, Priority::Urgent);
}

/// Takes thread control back (unless Baton already owns the thread), then sends the
/// confirmation. Does nothing when the conversation is already done.
pub fn back_to_bot(
    d: &mut Decision,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    confirmation: Option<&str>,
    cause: &Cause<'_>,
) {
    if c.state == Done {
        return;
    }
    moved(d, Done, ThreadOwner::Baton, scope.now_ms);
    let line = match cause.actor {
        Some(actor) => format!("Marked done by {actor}"),
        None => format!("Back to the bot ({})", cause.detail),
    };
    record(d, scope.now_ms, c, Done, cause, &line);
    let mut rows = Vec::new();
    if c.thread_owner != ThreadOwner::Baton {
        rows.push(NewRow {
            kind: Kind::Take,
            body: "baton:back_to_bot".into(),
            transcript: None,
            author: None,
        });
    }
    if let Some(key) = confirmation.filter(|_| window_open(c, scope.now_ms)) {
        let message = compose::message_rows(flow, key, &c.psid);
        if !message.is_empty() {
            super::bot::disclose(d, scope, c, &mut rows);
        }
        rows.extend(message);
    }
    d.send(rows, Priority::Urgent);
}

/// A person answered from Meta's Page Inbox in a conversation the bot has (no handover: under
/// Conversation Routing anyone on the page may reply there): the conversation is with a person
/// from now on, exactly as after a handover, and the bot stays silent until it is marked done
/// or the user returns to the bot. Where the platform allows it the thread follows (a pass to
/// the Page Inbox), so the person's tools see it as theirs; if Messenger refuses, the
/// conversation stays with the person anyway (`refusal`).
pub fn person_replied(d: &mut Decision, scope: &Scope<'_>, c: &ConversationRow) {
    if c.state == Inbox {
        return;
    }
    let owner = match c.thread_owner {
        ThreadOwner::Baton => ThreadOwner::PageInbox,
        other => other,
    };
    moved(d, Inbox, owner, scope.now_ms);
    let back = scope.flow.and_then(|f| flows::handover_messages(f).1);
    d.push(Effect::HandoverMessages {
        confirmation: None,
        back: back.map(str::to_owned),
    });
    let cause = Cause {
        kind: HandoverCause::PageInbox,
        actor: None,
        detail: "a person replied from the Page Inbox".into(),
    };
    let line = "A person replied from the Page Inbox: the bot stays silent until the \
                conversation is marked done";
    record(d, scope.now_ms, c, Inbox, &cause, line);
    if c.thread_owner == ThreadOwner::Baton {
        let pass = NewRow {
            kind: Kind::Pass,
            body: compose::PERSON_REPLIED_METADATA.into(),
            transcript: None,
            author: None,
        };
        d.send(vec![pass], Priority::Urgent);
    }
}
