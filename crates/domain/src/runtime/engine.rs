//! Applying one stored webhook event to its conversation, exactly as docs/spec.md §1 says:
//! the dispatch on the event's kind. The handover state machine it drives is `handover`.
//! The event is marked handled in the same transaction as every effect it has (transcript,
//! state, ledger, outbox rows), so it is processed exactly once, even across a crash.
//! Transcript lines and outbox rows are appended through a [`Later`], which writes them when
//! the caller flushes it, before that transaction commits.

use crate::storage::backend::Exec;
use flows::{Action, Flow, GET_STARTED_PAYLOAD};
use messenger::webhook::{Event, EventKind};

use super::handover::{back_to_bot, hand_to_inbox, person_replied, record, Cause};
use super::later::Later;
use super::{bot, compose};
use crate::storage::repo::conversations::{self as conv, ConversationRow};
use crate::storage::repo::outbox::{self, Kind, NewRow, Priority};
use model::ConversationState::Inbox;
use model::{HandoverCause, Speaker, ThreadOwner};

pub use super::scope::Scope;

pub async fn apply<'c>(
    conn: impl Into<Exec<'c>>,
    later: &mut Later,
    scope: &Scope<'_>,
    channel: &str,
    event: &Event,
) -> Result<(), sqlx::Error> {
    let mut conn = conn.into();
    let at = event.timestamp.unwrap_or(scope.now_ms);
    let scope = &Scope {
        now_ms: at,
        ..*scope
    };
    let standby = channel == "standby";
    match &event.kind {
        EventKind::Echo(echo) => {
            let Some(psid) = event.recipient.as_deref() else {
                return Ok(());
            };
            let ours = echo.app_id.as_deref() == Some(scope.app_id)
                || echo
                    .metadata
                    .as_deref()
                    .is_some_and(|m| m.starts_with("baton:"));
            if ours {
                // Proof that the send arrived: its row is done even if the Graph call's answer
                // was lost (crash, timeout), so it is not sent again. The transcript line is
                // written once, by whichever of the answer and the echo comes first.
                if let Some(id) = echo.metadata.as_deref().and_then(compose::row_of) {
                    // It writes the row's transcript line itself: after the lines held.
                    later.flush(conn.reborrow()).await?;
                    outbox::confirm_by_echo(
                        conn.reborrow(),
                        id,
                        scope.page_id,
                        psid,
                        scope.clock_ms,
                    )
                    .await?;
                }
                return Ok(());
            }
            let text = echo.text.clone().unwrap_or_else(|| "(attachment)".into());
            let c = open(conn.reborrow(), later, scope, psid).await?;
            later.transcript(
                scope.page_id,
                psid,
                at,
                Speaker::PageInbox,
                &text,
                Some(&echo.mid),
            );
            conv::touch(conn.reborrow(), scope.page_id, psid, at, Some(&text)).await?;
            // Not Baton's send: a person answered from Meta's inbox (or another app did). In
            // a conversation the bot still has, the person has it from now on. An echo from
            // before the conversation last moved (a reply typed just before Done, delivered
            // late) does not undo that move.
            if c.state != Inbox {
                let moved = conv::last_move_ms(conn.reborrow(), scope.page_id, psid).await?;
                if moved.is_none_or(|t| at > t) {
                    person_replied(conn.reborrow(), later, scope, &c).await?;
                }
            }
            Ok(())
        }
        EventKind::Message(m) => {
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            let text = m.text.clone().unwrap_or_else(|| "(attachment)".into());
            let c = user_wrote(conn.reborrow(), later, scope, psid, &text).await?;
            later.transcript(scope.page_id, psid, at, Speaker::User, &text, Some(&m.mid));
            if standby || c.thread_owner != ThreadOwner::Baton {
                return Ok(()); // a person owns the thread: the bot stays silent
            }
            let Some(flow) = scope.flow else {
                return Ok(());
            };
            if let Some(payload) = m.quick_reply.as_ref().map(|q| q.payload.as_str()) {
                if c.state == Inbox && !returns_to_bot(flow, payload) {
                    return Ok(());
                }
                return tapped(conn.reborrow(), later, scope, flow, &c, payload, &text).await;
            }
            if c.state == Inbox {
                // A person has the conversation, though Messenger did not move the thread.
                return Ok(());
            }
            match m
                .text
                .as_deref()
                .and_then(|t| flows::match_keyword(flow, t))
            {
                Some(key) => bot::say(conn.reborrow(), later, scope, flow, &c, key).await,
                None => bot::fallback(conn.reborrow(), later, scope, flow, &c).await,
            }
        }
        EventKind::Postback(p) => {
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            let title = p.title.clone().unwrap_or_default();
            let c = user_wrote(conn.reborrow(), later, scope, psid, &title).await?;
            later.transcript(
                scope.page_id,
                psid,
                at,
                Speaker::User,
                &format!("Tapped \"{title}\""),
                p.mid.as_deref(),
            );
            let Some(flow) = scope.flow else {
                return Ok(());
            };
            if standby {
                // Standby postbacks carry no payload: match the title against the buttons of
                // the handover message this user was sent.
                let Some(handover_message) = c.handover_message.as_deref() else {
                    return Ok(());
                };
                if let Some(found) = flows::find_button_by_title(flow, handover_message, &title) {
                    if let Action::ReturnToBot { confirmation } = found.action {
                        let cause = Cause {
                            kind: HandoverCause::Button,
                            actor: None,
                            detail: format!("button \"{title}\""),
                        };
                        back_to_bot(
                            conn.reborrow(),
                            later,
                            scope,
                            flow,
                            &c,
                            Some(confirmation),
                            &cause,
                        )
                        .await?;
                    }
                }
                return Ok(());
            }
            match p.payload.as_deref() {
                // While a person has the conversation only its way back works.
                Some(payload) if c.state == Inbox && !returns_to_bot(flow, payload) => Ok(()),
                Some(GET_STARTED_PAYLOAD) => match flow.triggers.get_started.as_deref() {
                    Some(key) => bot::say(conn.reborrow(), later, scope, flow, &c, key).await,
                    None => bot::fallback(conn.reborrow(), later, scope, flow, &c).await,
                },
                Some(payload) => {
                    tapped(conn.reborrow(), later, scope, flow, &c, payload, &title).await
                }
                None => Ok(()),
            }
        }
        EventKind::PassThreadControl(tc) => {
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            let c = open(conn.reborrow(), later, scope, psid).await?;
            if tc
                .new_owner_app_id
                .as_deref()
                .is_none_or(|id| id == scope.app_id)
            {
                // Control came back to Baton: the agent clicked Done in the Page Inbox.
                let cause = Cause {
                    kind: HandoverCause::PageInbox,
                    actor: None,
                    detail: "marked done in the Page Inbox".into(),
                };
                let back = c.back_to_bot_message.clone();
                let back = back
                    .as_deref()
                    .or_else(|| scope.flow.and_then(|f| flows::handover_messages(f).1));
                // The platform already gave control back: no take_thread_control needed.
                conv::set_owner(conn.reborrow(), scope.page_id, psid, ThreadOwner::Baton).await?;
                let c = ConversationRow {
                    thread_owner: ThreadOwner::Baton,
                    ..c.clone()
                };
                match scope.flow {
                    Some(flow) => {
                        back_to_bot(conn.reborrow(), later, scope, flow, &c, back, &cause).await
                    }
                    None => Ok(()),
                }
            } else {
                conv::set_owner(conn.reborrow(), scope.page_id, psid, ThreadOwner::Other).await
            }
        }
        EventKind::TakeThreadControl(_) => {
            // Baton lost control (Page Inbox took the thread): it can no longer message the user.
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            let c = open(conn.reborrow(), later, scope, psid).await?;
            if conv::transition(
                conn.reborrow(),
                scope.page_id,
                psid,
                Inbox,
                ThreadOwner::PageInbox,
                at,
            )
            .await?
            {
                let cause = Cause {
                    kind: HandoverCause::PageInbox,
                    actor: None,
                    detail: "taken by the Page Inbox".into(),
                };
                record(
                    conn.reborrow(),
                    later,
                    scope.now_ms,
                    &c,
                    Inbox,
                    &cause,
                    "Moved to the inbox in the Page Inbox",
                )
                .await?;
            }
            Ok(())
        }
        EventKind::RequestThreadControl(_) => {
            // Page Inbox asks for the thread (Move to inbox there): confirm, then pass.
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            let c = open(conn.reborrow(), later, scope, psid).await?;
            let Some(flow) = scope.flow else {
                return Ok(());
            };
            let (to_inbox, back) = flows::handover_messages(flow);
            let cause = Cause {
                kind: HandoverCause::PageInbox,
                actor: None,
                detail: "requested by the Page Inbox".into(),
            };
            hand_to_inbox(
                conn.reborrow(),
                later,
                scope,
                flow,
                &c,
                to_inbox,
                back,
                &cause,
            )
            .await
        }
        EventKind::Referral(r) => {
            let Some(psid) = event.sender.as_deref() else {
                return Ok(());
            };
            open(conn.reborrow(), later, scope, psid).await?;
            let text = format!(
                "Arrived from a link or ad (ref {})",
                r.ref_param.clone().unwrap_or_default()
            );
            later.transcript(scope.page_id, psid, at, Speaker::System, &text, None);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The conversation, created on first contact (then its profile is fetched once).
async fn open(
    mut conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    psid: &str,
) -> Result<ConversationRow, sqlx::Error> {
    let (row, created) =
        conv::get_or_create(conn.reborrow(), scope.page_id, psid, scope.now_ms).await?;
    if created {
        let rows = vec![NewRow {
            kind: Kind::Profile,
            body: String::new(),
            transcript: None,
            author: None,
        }];
        later.enqueue(scope.page_id, psid, rows, Priority::Bulk, scope.clock_ms);
    }
    Ok(row)
}

/// Records that the user wrote (opens the 24 h window) and returns the updated conversation,
/// creating it on first contact. A known user costs one statement.
async fn user_wrote(
    mut conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    psid: &str,
    text: &str,
) -> Result<ConversationRow, sqlx::Error> {
    if let Some(c) =
        conv::user_wrote(conn.reborrow(), scope.page_id, psid, scope.now_ms, text).await?
    {
        return Ok(c);
    }
    open(conn.reborrow(), later, scope, psid).await?;
    conv::user_wrote(conn.reborrow(), scope.page_id, psid, scope.now_ms, text)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// A tapped button / quick reply / menu item (by payload).
async fn tapped(
    mut conn: Exec<'_>,
    later: &mut Later,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    payload: &str,
    title: &str,
) -> Result<(), sqlx::Error> {
    let Some(found) = flows::resolve_payload(flow, payload) else {
        // Not a button of the published flow (older version, forged): treat as unknown.
        return bot::fallback(conn, later, scope, flow, c).await;
    };
    let cause = Cause {
        kind: HandoverCause::Button,
        actor: None,
        detail: format!("button \"{title}\""),
    };
    match found.action {
        Action::GoTo { message } => bot::say(conn, later, scope, flow, c, message).await,
        Action::Url { .. } => Ok(()),
        Action::Handover { confirmation, .. } => {
            // The way back: the return-to-bot button on the confirmation message, else the
            // flow's handover section.
            let back = flow.message(confirmation).and_then(|m| {
                m.parts
                    .iter()
                    .flat_map(|p| p.buttons())
                    .find_map(|b| match &b.action {
                        Action::ReturnToBot { confirmation } => Some(confirmation.as_str()),
                        _ => None,
                    })
            });
            let back = back.or(flows::handover_messages(flow).1);
            hand_to_inbox(
                conn.reborrow(),
                later,
                scope,
                flow,
                c,
                Some(confirmation),
                back,
                &cause,
            )
            .await
        }
        Action::ReturnToBot { confirmation } => {
            back_to_bot(
                conn.reborrow(),
                later,
                scope,
                flow,
                c,
                Some(confirmation),
                &cause,
            )
            .await
        }
    }
}

/// Whether `payload` is a button of `flow` that hands the user back to the bot.
fn returns_to_bot(flow: &Flow, payload: &str) -> bool {
    flows::resolve_payload(flow, payload)
        .is_some_and(|found| matches!(found.action, Action::ReturnToBot { .. }))
}
