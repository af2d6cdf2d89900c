//! What the bot itself says: a flow message, the fallback, and the bot disclosure that goes
//! before the first of them in a conversation ("you are talking to an automated assistant";
//! some laws require it). The disclosure is also sent when a user comes back to the bot from
//! a person (`handover::back_to_bot`).

use flows::Flow;

use super::compose;
use super::later::Later;
use super::scope::Scope;
use crate::storage::backend::Exec;
use crate::storage::repo::conversations::{self as conv, ConversationRow};
use crate::storage::repo::outbox::{NewRow, Priority};

/// Sends message `key` of `flow` to the user of `c`, after the disclosure when the page has
/// one and this conversation has not had it yet.
pub async fn say(
    mut conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    key: &str,
) -> Result<(), sqlx::Error> {
    let message = compose::message_rows(flow, key, &c.psid);
    if message.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(message.len() + 1);
    if c.disclosed_ms.is_none() {
        disclose(conn.reborrow(), scope, c, &mut rows).await?;
    }
    rows.extend(message);
    later.enqueue(scope.page_id, &c.psid, rows, Priority::Bulk, scope.clock_ms);
    Ok(())
}

/// The flow's fallback message, if it has one.
pub async fn fallback(
    conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
) -> Result<(), sqlx::Error> {
    match flow.triggers.fallback.as_deref() {
        Some(key) => say(conn, later, scope, flow, c, key).await,
        None => Ok(()),
    }
}

/// Adds the page's disclosure to `rows` (nothing when the page has it off) and records that
/// this conversation had it.
pub async fn disclose(
    conn: Exec<'_>,
    scope: &Scope<'_>,
    c: &ConversationRow,
    rows: &mut Vec<NewRow>,
) -> Result<(), sqlx::Error> {
    let Some(text) = scope.disclosure else {
        return Ok(());
    };
    rows.push(compose::text_row(
        &c.psid,
        text,
        compose::DISCLOSURE_METADATA,
    ));
    conv::mark_disclosed(conn, scope.page_id, &c.psid, scope.clock_ms).await
}
