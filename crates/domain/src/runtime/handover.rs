//! The handover state machine: a conversation moves bot → inbox (the confirmation message
//! carrying the pass to the Page Inbox, `thread_control`, so both happen or neither does), bot
//! → inbox when a person answers from the Page Inbox without a handover, and inbox → done
//! (take_thread_control unless Baton already owns the thread, the bot disclosure, then the
//! back-in-bot message). Each move is one conditional UPDATE, so it happens once however many
//! events or agents ask for it, and is written to the handover ledger and the transcript.
//! Called by the event dispatch (`engine`) and the agent actions (`agent`); what happens when
//! Messenger refuses a move is `refusal`.

use crate::storage::backend::Exec;
use flows::Flow;

use super::compose;
use super::later::Later;
use super::scope::Scope;
use crate::storage::repo::conversations::{self as conv, ConversationRow};
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

/// Ledger entry + system transcript line for a state change of `c` at `at_ms`.
pub(super) async fn record(
    mut conn: Exec<'_>,
    later: &mut Later,
    at_ms: i64,
    c: &ConversationRow,
    to_state: ConversationState,
    cause: &Cause<'_>,
    line: &str,
) -> Result<(), sqlx::Error> {
    conv::add_ledger(
        conn.reborrow(),
        &c.page_id,
        &c.psid,
        at_ms,
        c.state,
        to_state,
        cause.kind,
        cause.actor,
        Some(&cause.detail),
    )
    .await?;
    later.transcript(&c.page_id, &c.psid, at_ms, Speaker::System, line, None);
    Ok(())
}

/// Sends the confirmation first (only the owner can message the user), then passes thread
/// control to the Page Inbox. Does nothing when the conversation is already in the inbox.
// The connection and its held writes travel together; bundling them would hide which calls
// write directly and which are held.
#[allow(clippy::too_many_arguments)]
pub async fn hand_to_inbox<'c>(
    conn: impl Into<Exec<'c>>,
    later: &mut Later,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    confirmation: Option<&str>,
    back_to_bot: Option<&str>,
    cause: &Cause<'_>,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    if !conv::transition(
        conn.reborrow(),
        scope.page_id,
        &c.psid,
        Inbox,
        ThreadOwner::PageInbox,
        scope.now_ms,
    )
    .await?
    {
        return Ok(());
    }
    conv::set_handover_messages(
        conn.reborrow(),
        scope.page_id,
        &c.psid,
        confirmation,
        back_to_bot,
    )
    .await?;
    let by = match cause.actor {
        Some(actor) => format!("Handed to the Page Inbox by {actor}"),
        None => format!("Handed to the Page Inbox ({})", cause.detail),
    };
    record(conn.reborrow(), later, scope.now_ms, c, Inbox, cause, &by).await?;
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
    later.enqueue(
        scope.page_id,
        &c.psid,
        rows,
        Priority::Urgent,
        scope.clock_ms,
    );
    Ok(())
}

/// Takes thread control back (unless Baton already owns the thread), then sends the
/// confirmation. Idempotent like `hand_to_inbox`.
pub async fn back_to_bot<'c>(
    conn: impl Into<Exec<'c>>,
    later: &mut Later,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    confirmation: Option<&str>,
    cause: &Cause<'_>,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    if !conv::transition(
        conn.reborrow(),
        scope.page_id,
        &c.psid,
        Done,
        ThreadOwner::Baton,
        scope.now_ms,
    )
    .await?
    {
        return Ok(());
    }
    let line = match cause.actor {
        Some(actor) => format!("Marked done by {actor}"),
        None => format!("Back to the bot ({})", cause.detail),
    };
    record(conn.reborrow(), later, scope.now_ms, c, Done, cause, &line).await?;
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
            super::bot::disclose(conn.reborrow(), scope, c, &mut rows).await?;
        }
        rows.extend(message);
    }
    later.enqueue(
        scope.page_id,
        &c.psid,
        rows,
        Priority::Urgent,
        scope.clock_ms,
    );
    Ok(())
}

/// A person answered from Meta's Page Inbox in a conversation the bot has (no handover: under
/// Conversation Routing anyone on the page may reply there): the conversation is with a person
/// from now on, exactly as after a handover, and the bot stays silent until it is marked done
/// or the user returns to the bot. Where the platform allows it the thread follows (a pass to
/// the Page Inbox), so the person's tools see it as theirs; if Messenger refuses, the
/// conversation stays with the person anyway (`refusal`).
pub async fn person_replied(
    mut conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    c: &ConversationRow,
) -> Result<(), sqlx::Error> {
    let owner = match c.thread_owner {
        ThreadOwner::Baton => ThreadOwner::PageInbox,
        other => other,
    };
    if !conv::transition(
        conn.reborrow(),
        scope.page_id,
        &c.psid,
        Inbox,
        owner,
        scope.now_ms,
    )
    .await?
    {
        return Ok(());
    }
    let back = scope.flow.and_then(|f| flows::handover_messages(f).1);
    conv::set_handover_messages(conn.reborrow(), scope.page_id, &c.psid, None, back).await?;
    let cause = Cause {
        kind: HandoverCause::PageInbox,
        actor: None,
        detail: "a person replied from the Page Inbox".into(),
    };
    let line = "A person replied from the Page Inbox: the bot stays silent until the \
                conversation is marked done";
    record(conn.reborrow(), later, scope.now_ms, c, Inbox, &cause, line).await?;
    if c.thread_owner == ThreadOwner::Baton {
        let pass = NewRow {
            kind: Kind::Pass,
            body: compose::PERSON_REPLIED_METADATA.into(),
            transcript: None,
            author: None,
        };
        later.enqueue(
            scope.page_id,
            &c.psid,
            vec![pass],
            Priority::Urgent,
            scope.clock_ms,
        );
    }
    Ok(())
}

/// After Messenger refused a pass or a take for good: the conversation follows `owner`, who
/// Messenger says holds the thread now. Still Baton after a refused pass means the user is
/// with the bot, not in the inbox; still the Page Inbox after a refused take means the
/// conversation is still in the inbox. The move is written to the ledger and the transcript.
/// Returns the conversation as it is afterwards.
pub async fn resync<'c>(
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
