//! Applying one stored webhook event in the caller's transaction, in three steps: record the
//! facts the event states (the user wrote, a person answered from the Page Inbox: `needs`),
//! decide what follows from them (`decide`, pure), and write that decision (`write`). The
//! event is marked handled in the same transaction as every effect it has (transcript,
//! state, ledger, outbox rows), so it is processed exactly once, even across a crash.
//! Transcript lines and outbox rows are appended through a [`Later`], which writes them when
//! the caller flushes it, before that transaction commits.

use messenger::webhook::Event;

use super::decide::{decide, needs, Facts, Needs};
use super::decision::{Decision, Effect};
use super::later::Later;
use crate::storage::backend::Exec;
use crate::storage::repo::conversations as conv;
use crate::storage::repo::outbox;
use model::ConversationState::Inbox;

pub use super::scope::Scope;

/// Applies `event` (from `channel`) to its conversation: records its facts, decides, writes.
pub async fn apply<'c>(
    conn: impl Into<Exec<'c>>,
    later: &mut Later,
    scope: &Scope<'_>,
    channel: &str,
    event: &Event,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let scope = &Scope {
        now_ms: event.timestamp.unwrap_or(scope.now_ms),
        ..*scope
    };
    let facts = record_facts(conn.reborrow(), scope, needs(event, scope)).await?;
    let psid = match &facts {
        Some(f) => f.c.psid.clone(),
        None => event.recipient.clone().unwrap_or_default(),
    };
    let decision = decide(event, channel, facts.as_ref(), scope);
    write(conn, later, scope.page_id, &psid, scope.clock_ms, decision).await
}

/// Records what the event states, and returns the conversation as it is afterwards.
async fn record_facts(
    mut conn: Exec<'_>,
    scope: &Scope<'_>,
    needs: Needs<'_>,
) -> Result<Option<Facts>, sqlx::Error> {
    let at = scope.now_ms;
    match needs {
        Needs::Nothing => Ok(None),
        Needs::Open(psid) => {
            let (c, created) = conv::get_or_create(conn, scope.page_id, psid, at).await?;
            Ok(Some(Facts {
                c,
                created,
                last_move_ms: None,
            }))
        }
        Needs::UserWrote(psid, text) => {
            // A known user costs one statement.
            if let Some(c) =
                conv::user_wrote(conn.reborrow(), scope.page_id, psid, at, text).await?
            {
                return Ok(Some(Facts {
                    c,
                    created: false,
                    last_move_ms: None,
                }));
            }
            let (_, created) =
                conv::get_or_create(conn.reborrow(), scope.page_id, psid, at).await?;
            let c = conv::user_wrote(conn, scope.page_id, psid, at, text)
                .await?
                .ok_or(sqlx::Error::RowNotFound)?;
            Ok(Some(Facts {
                c,
                created,
                last_move_ms: None,
            }))
        }
        Needs::PageInboxWrote(psid, text) => {
            let (c, created) =
                conv::get_or_create(conn.reborrow(), scope.page_id, psid, at).await?;
            conv::touch(conn.reborrow(), scope.page_id, psid, at, Some(text)).await?;
            let last_move_ms = if c.state != Inbox {
                conv::last_move_ms(conn, scope.page_id, psid).await?
            } else {
                None
            };
            Ok(Some(Facts {
                c,
                created,
                last_move_ms,
            }))
        }
    }
}

/// Writes `decision` for the conversation with `psid` in the caller's transaction: direct
/// writes for the conversation's state and ledger, held ones (`later`) for its transcript
/// lines and outbox rows. A move that finds the conversation already moved ends it. Rows are
/// queued at `clock_ms`, Baton's clock when the work is done.
pub async fn write(
    mut conn: Exec<'_>,
    later: &mut Later,
    page: &str,
    psid: &str,
    clock_ms: i64,
    decision: Decision,
) -> Result<(), sqlx::Error> {
    for effect in decision.effects {
        match effect {
            Effect::Move {
                state,
                owner,
                at_ms,
            } => {
                if !conv::transition(conn.reborrow(), page, psid, state, owner, at_ms).await? {
                    return Ok(()); // another event or agent moved it first
                }
            }
            Effect::Owner(owner) => conv::set_owner(conn.reborrow(), page, psid, owner).await?,
            Effect::HandoverMessages { confirmation, back } => {
                conv::set_handover_messages(
                    conn.reborrow(),
                    page,
                    psid,
                    confirmation.as_deref(),
                    back.as_deref(),
                )
                .await?
            }
            Effect::Ledger {
                at_ms,
                from,
                to,
                cause,
                actor,
                detail,
            } => {
                conv::add_ledger(
                    conn.reborrow(),
                    page,
                    psid,
                    at_ms,
                    from,
                    to,
                    cause,
                    actor.as_deref(),
                    Some(&detail),
                )
                .await?
            }
            Effect::Transcript {
                at_ms,
                who,
                text,
                mid,
            } => later.transcript(conv::NewLine {
                page_id: page.to_owned(),
                psid: psid.to_owned(),
                at_ms,
                who,
                text,
                mid,
            }),
            Effect::Send { rows, priority } => later.enqueue(page, psid, rows, priority, clock_ms),
            Effect::Disclosed => {
                conv::mark_disclosed(conn.reborrow(), page, psid, clock_ms).await?
            }
            Effect::Echoed { row } => {
                // It writes the row's transcript line itself: after the lines held.
                later.flush(conn.reborrow()).await?;
                outbox::confirm_by_echo(conn.reborrow(), row, page, psid, clock_ms).await?;
            }
        }
    }
    Ok(())
}
