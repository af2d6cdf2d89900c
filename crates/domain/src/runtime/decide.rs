//! One stored webhook event's effect, exactly as docs/spec.md §1 says: the pure dispatch on
//! the event's kind. It reads only its arguments (the conversation as the event's facts left
//! it, the event, the flow in force and the time in [`Scope`]) and returns a [`Decision`];
//! `engine` records the facts before and writes the decision after, in the batch's
//! transaction. The handover state machine it drives is `handover`; what the bot says, `bot`.

use flows::{Action, Flow, GET_STARTED_PAYLOAD};
use messenger::webhook::{Event, EventKind};

use super::decision::{Decision, Effect};
use super::handover::{back_to_bot, hand_to_inbox, person_replied, record, Cause};
use super::scope::Scope;
use super::{bot, compose};
use crate::storage::repo::conversations::ConversationRow;
use crate::storage::repo::outbox::{Kind, NewRow, Priority};
use model::ConversationState::{self, Inbox};
use model::{HandoverCause, Speaker, ThreadOwner};

/// What storing an event's facts left: the conversation afterwards (the user wrote: the
/// window is open; a Page Inbox echo: the last activity), whether it was created by this
/// event, and for a Page Inbox echo when the conversation last moved.
#[derive(Debug, Clone)]
pub struct Facts {
    pub c: ConversationRow,
    pub created: bool,
    pub last_move_ms: Option<i64>,
}

/// The conversation an event is about, and what must be recorded before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs<'e> {
    /// Nothing (Baton's own echo, an event without a user, a kind Baton only stores).
    Nothing,
    /// The conversation with this user, created on first contact.
    Open(&'e str),
    /// As `Open`, and the user wrote `text` now (opens the 24-hour window).
    UserWrote(&'e str, &'e str),
    /// As `Open`, and a person wrote `text` from the Page Inbox now.
    PageInboxWrote(&'e str, &'e str),
}

/// What must be recorded before `event` can be decided.
pub fn needs<'e>(event: &'e Event, scope: &Scope<'_>) -> Needs<'e> {
    let (sender, recipient) = (event.sender.as_deref(), event.recipient.as_deref());
    match &event.kind {
        EventKind::Echo(echo) => match recipient {
            Some(_) if ours(echo, scope) => Needs::Nothing,
            Some(psid) => Needs::PageInboxWrote(psid, echo.text.as_deref().unwrap_or(ATTACHMENT)),
            None => Needs::Nothing,
        },
        EventKind::Message(m) => match sender {
            Some(psid) => Needs::UserWrote(psid, m.text.as_deref().unwrap_or(ATTACHMENT)),
            None => Needs::Nothing,
        },
        EventKind::Postback(p) => match sender {
            Some(psid) => Needs::UserWrote(psid, p.title.as_deref().unwrap_or_default()),
            None => Needs::Nothing,
        },
        EventKind::PassThreadControl(_)
        | EventKind::TakeThreadControl(_)
        | EventKind::RequestThreadControl(_)
        | EventKind::Referral(_) => sender.map_or(Needs::Nothing, Needs::Open),
        _ => Needs::Nothing,
    }
}

/// How an attachment without text shows in the transcript.
const ATTACHMENT: &str = "(attachment)";

/// Whether an echo is of Baton's own send (its app, or its metadata).
fn ours(echo: &messenger::webhook::Echo, scope: &Scope<'_>) -> bool {
    echo.app_id.as_deref() == Some(scope.app_id)
        || echo
            .metadata
            .as_deref()
            .is_some_and(|m| m.starts_with("baton:"))
}

/// The effect of `event` (from `channel`, `messaging` or `standby`) on its conversation.
/// `facts` is what [`needs`] asked to be recorded (`None` when it asked nothing).
pub fn decide(event: &Event, channel: &str, facts: Option<&Facts>, scope: &Scope<'_>) -> Decision {
    let mut d = Decision::default();
    let at = scope.now_ms;
    let standby = channel == "standby";
    if facts.is_some_and(|f| f.created) {
        // First contact: the user's profile is fetched once.
        let profile = NewRow {
            kind: Kind::Profile,
            body: String::new(),
            transcript: None,
            author: None,
        };
        d.send(vec![profile], Priority::Bulk);
    }
    match (&event.kind, facts) {
        (EventKind::Echo(echo), None) if event.recipient.is_some() && ours(echo, scope) => {
            // Proof that the send arrived: its row is done even if the Graph call's answer
            // was lost (crash, timeout), so it is not sent again.
            if let Some(row) = echo.metadata.as_deref().and_then(compose::row_of) {
                d.push(Effect::Echoed { row });
            }
        }
        (EventKind::Echo(echo), Some(f)) => {
            let text = echo.text.clone().unwrap_or_else(|| ATTACHMENT.into());
            d.push(Effect::Transcript {
                at_ms: at,
                who: Speaker::PageInbox,
                text,
                mid: Some(echo.mid.clone()),
            });
            // Not Baton's send: a person answered from Meta's inbox (or another app did). In
            // a conversation the bot still has, the person has it from now on. An echo from
            // before the conversation last moved (a reply typed just before Done, delivered
            // late) does not undo that move.
            if f.c.state != Inbox && f.last_move_ms.is_none_or(|t| at > t) {
                person_replied(&mut d, scope, &f.c);
            }
        }
        (EventKind::Message(m), Some(f)) => {
            let text = m.text.clone().unwrap_or_else(|| ATTACHMENT.into());
            d.push(Effect::Transcript {
                at_ms: at,
                who: Speaker::User,
                text: text.clone(),
                mid: Some(m.mid.clone()),
            });
            let c = &f.c;
            if standby || c.thread_owner != ThreadOwner::Baton {
                return d; // a person owns the thread: the bot stays silent
            }
            let Some(flow) = scope.flow else {
                return d;
            };
            if let Some(payload) = m.quick_reply.as_ref().map(|q| q.payload.as_str()) {
                if c.state == Inbox && !returns_to_bot(flow, payload) {
                    return d;
                }
                tapped(&mut d, scope, flow, c, payload, &text);
                return d;
            }
            if c.state == Inbox {
                // A person has the conversation, though Messenger did not move the thread.
                return d;
            }
            match m
                .text
                .as_deref()
                .and_then(|t| flows::match_keyword(flow, t))
            {
                Some(key) => bot::say(&mut d, scope, flow, c, key),
                None => bot::fallback(&mut d, scope, flow, c),
            }
        }
        (EventKind::Postback(p), Some(f)) => {
            let title = p.title.clone().unwrap_or_default();
            d.push(Effect::Transcript {
                at_ms: at,
                who: Speaker::User,
                text: format!("Tapped \"{title}\""),
                mid: p.mid.clone(),
            });
            let c = &f.c;
            let Some(flow) = scope.flow else {
                return d;
            };
            if standby {
                // Standby postbacks carry no payload: match the title against the buttons of
                // the handover message this user was sent.
                let Some(handover_message) = c.handover_message.as_deref() else {
                    return d;
                };
                if let Some(found) = flows::find_button_by_title(flow, handover_message, &title) {
                    if let Action::ReturnToBot { confirmation } = found.action {
                        let cause = Cause {
                            kind: HandoverCause::Button,
                            actor: None,
                            detail: format!("button \"{title}\""),
                        };
                        back_to_bot(&mut d, scope, flow, c, Some(confirmation), &cause);
                    }
                }
                return d;
            }
            match p.payload.as_deref() {
                // While a person has the conversation only its way back works.
                Some(payload) if c.state == Inbox && !returns_to_bot(flow, payload) => {}
                Some(GET_STARTED_PAYLOAD) => match flow.triggers.get_started.as_deref() {
                    Some(key) => bot::say(&mut d, scope, flow, c, key),
                    None => bot::fallback(&mut d, scope, flow, c),
                },
                Some(payload) => tapped(&mut d, scope, flow, c, payload, &title),
                None => {}
            }
        }
        (EventKind::PassThreadControl(tc), Some(f)) => {
            let c = &f.c;
            if tc
                .new_owner_app_id
                .as_deref()
                .is_none_or(|id| id == scope.app_id)
            {
                // Control came back to Baton: the agent clicked Done in the Page Inbox. The
                // platform already gave control back: no take_thread_control needed.
                d.push(Effect::Owner(ThreadOwner::Baton));
                let cause = Cause {
                    kind: HandoverCause::PageInbox,
                    actor: None,
                    detail: "marked done in the Page Inbox".into(),
                };
                let back = c
                    .back_to_bot_message
                    .as_deref()
                    .or_else(|| scope.flow.and_then(|f| flows::handover_messages(f).1));
                let c = ConversationRow {
                    thread_owner: ThreadOwner::Baton,
                    ..c.clone()
                };
                if let Some(flow) = scope.flow {
                    back_to_bot(&mut d, scope, flow, &c, back, &cause);
                }
            } else {
                d.push(Effect::Owner(ThreadOwner::Other));
            }
        }
        (EventKind::TakeThreadControl(_), Some(f)) if f.c.state != Inbox => {
            // Baton lost control (Page Inbox took the thread): it can no longer message the
            // user.
            super::handover::moved(&mut d, Inbox, ThreadOwner::PageInbox, at);
            let cause = Cause {
                kind: HandoverCause::PageInbox,
                actor: None,
                detail: "taken by the Page Inbox".into(),
            };
            let line = "Moved to the inbox in the Page Inbox";
            record(&mut d, at, &f.c, ConversationState::Inbox, &cause, line);
        }
        (EventKind::RequestThreadControl(_), Some(f)) => {
            // Page Inbox asks for the thread (Move to inbox there): confirm, then pass.
            if let Some(flow) = scope.flow {
                let (to_inbox, back) = flows::handover_messages(flow);
                let cause = Cause {
                    kind: HandoverCause::PageInbox,
                    actor: None,
                    detail: "requested by the Page Inbox".into(),
                };
                hand_to_inbox(&mut d, scope, flow, &f.c, to_inbox, back, &cause);
            }
        }
        (EventKind::Referral(r), Some(_)) => {
            let text = format!(
                "Arrived from a link or ad (ref {})",
                r.ref_param.clone().unwrap_or_default()
            );
            d.push(Effect::Transcript {
                at_ms: at,
                who: Speaker::System,
                text,
                mid: None,
            });
        }
        _ => {}
    }
    d
}

/// A tapped button / quick reply / menu item (by payload).
fn tapped(
    d: &mut Decision,
    scope: &Scope<'_>,
    flow: &Flow,
    c: &ConversationRow,
    payload: &str,
    title: &str,
) {
    let Some(found) = flows::resolve_payload(flow, payload) else {
        // Not a button of the published flow (older version, forged): treat as unknown.
        return bot::fallback(d, scope, flow, c);
    };
    let cause = Cause {
        kind: HandoverCause::Button,
        actor: None,
        detail: format!("button \"{title}\""),
    };
    match found.action {
        Action::GoTo { message } => bot::say(d, scope, flow, c, message),
        Action::Url { .. } => {}
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
            hand_to_inbox(d, scope, flow, c, Some(confirmation), back, &cause);
        }
        Action::ReturnToBot { confirmation } => {
            back_to_bot(d, scope, flow, c, Some(confirmation), &cause);
        }
    }
}

/// Whether `payload` is a button of `flow` that hands the user back to the bot.
fn returns_to_bot(flow: &Flow, payload: &str) -> bool {
    flows::resolve_payload(flow, payload)
        .is_some_and(|found| matches!(found.action, Action::ReturnToBot { .. }))
}

#[cfg(test)]
mod tests;
