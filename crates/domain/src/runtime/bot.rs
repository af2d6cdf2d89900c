//! What the bot itself says, as pure decisions: a flow message, the fallback, and the bot
//! disclosure that goes before the first of them in a conversation ("you are talking to an
//! automated assistant"; some laws require it). The disclosure is also sent when a user comes
//! back to the bot from a person (`handover::back_to_bot`).

use flows::Flow;

use super::compose;
use super::decision::{Decision, Effect};
use super::scope::Scope;
use crate::storage::repo::conversations::ConversationRow;
use crate::storage::repo::outbox::{NewRow, Priority};

/// Sends message `key` of `flow` to the user of `c`, after the disclosure when the page has
/// one and this conversation has not had it yet.
pub fn say(d: &mut Decision, scope: &Scope<'_>, flow: &Flow, c: &ConversationRow, key: &str) {
    let message = compose::message_rows(flow, key, &c.psid);
    if message.is_empty() {
        return;
    }
    let mut rows = Vec::with_capacity(message.len() + 1);
    if c.disclosed_ms.is_none() {
        disclose(d, scope, c, &mut rows);
    }
    rows.extend(message);
    d.send(rows, Priority::Bulk);
}

/// The flow's fallback message, if it has one.
pub fn fallback(d: &mut Decision, scope: &Scope<'_>, flow: &Flow, c: &ConversationRow) {
    if let Some(key) = flow.triggers.fallback.as_deref() {
        say(d, scope, flow, c, key);
    }
}

/// Adds the page's disclosure to `rows` (nothing when the page has it off) and records that
/// this conversation had it.
pub fn disclose(d: &mut Decision, scope: &Scope<'_>, c: &ConversationRow, rows: &mut Vec<NewRow>) {
    let Some(text) = scope.disclosure else {
        return;
    };
    rows.push(compose::text_row(
        &c.psid,
        text,
        compose::DISCLOSURE_METADATA,
    ));
    d.push(Effect::Disclosed);
}
