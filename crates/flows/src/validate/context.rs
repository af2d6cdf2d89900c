//! What the checks of every section share: [`Cx`], the flow being checked with its message
//! keys, and the checks of an action and of its postback payload, wherever the action sits
//! (a button, a quick reply, the persistent menu).

use super::checks::{reference, web_url, Keys};
use crate::limits::PAYLOAD_MAX;
use crate::model::{Action, Flow};
use crate::payload::{payload_for, ButtonKind};
use crate::problem::{field, Problem};

/// Which list an action sits in; decides whether `url` is allowed and the payload kind.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    Button,
    QuickReply,
    Menu,
}

/// The flow being checked and its message keys (key -> first index), for every check.
pub(super) struct Cx<'a> {
    pub(super) flow: &'a Flow,
    pub(super) keys: &'a Keys<'a>,
}

impl Cx<'_> {
    /// Checks an action at `owner_path.action`.
    pub(crate) fn action(&self, out: &mut Vec<Problem>, owner_path: &str, a: &Action, at: Place) {
        let path = field(owner_path, "action");
        match a {
            Action::Url { url } => {
                if at == Place::QuickReply {
                    out.push(Problem::error(
                        &path,
                        "a quick reply cannot open a web address (only buttons and the persistent menu can)",
                    ));
                }
                web_url(out, &field(&path, "url"), url);
            }
            Action::GoTo { message } => {
                reference(out, self.keys, &field(&path, "message"), message)
            }
            Action::ReturnToBot { confirmation } => {
                reference(out, self.keys, &field(&path, "confirmation"), confirmation);
            }
            Action::Handover { confirmation, .. } => {
                let conf_path = field(&path, "confirmation");
                reference(out, self.keys, &conf_path, confirmation);
                if let Some(m) = self.flow.message(confirmation) {
                    let has_return = m.parts.iter().any(|p| {
                        p.buttons()
                            .iter()
                            .map(|b| &b.action)
                            .chain(p.quick_replies().iter().map(|q| &q.action))
                            .any(|a| matches!(a, Action::ReturnToBot { .. }))
                    });
                    if !has_return {
                        out.push(Problem::warning(
                            conf_path,
                            format!("message {confirmation:?} has no \"return to bot\" button, so people cannot come back to the bot themselves"),
                        ));
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn payload(
        &self,
        out: &mut Vec<Problem>,
        path: &str,
        action: &Action,
        key: &str,
        part: usize,
        kind: ButtonKind,
        i: usize,
    ) {
        if matches!(action, Action::Url { .. }) && kind != ButtonKind::QuickReply {
            return; // web_url buttons carry no payload
        }
        let n = payload_for(key, part, kind, i).chars().count();
        if n > PAYLOAD_MAX {
            out.push(Problem::error(
                path,
                format!("postback payload longer than {PAYLOAD_MAX} characters ({n}); use a shorter message key"),
            ));
        }
    }
}
