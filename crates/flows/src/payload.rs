//! Postback payloads Baton puts on buttons, quick replies and menu items, and their lookup.
//!
//! Format (version tag `b1`, fields separated by `:`; message keys never contain `:`):
//! - button:      `b1:{message_key}:{part}:b:{index}`  e.g. `b1:main_menu:0:b:1`
//! - quick reply: `b1:{message_key}:{part}:q:{index}`  e.g. `b1:back_in_bot:0:q:0`
//! - menu item:   `b1:menu:{index}`                    e.g. `b1:menu:1`
//!
//! `part` and `index` are zero-based positions, so a payload stays the same across publishes
//! as long as the button keeps its place. The Get Started button uses [`GET_STARTED_PAYLOAD`].

use crate::model::{Action, Flow, Message};

/// Payload of the Get Started button (Messenger profile `get_started.payload`).
pub const GET_STARTED_PAYLOAD: &str = "GET_STARTED";

const TAG: &str = "b1";

/// Which kind of tappable thing a payload belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ButtonKind {
    /// A button on a text part.
    Button,
    /// A quick reply.
    QuickReply,
    /// A persistent menu item.
    Menu,
}

/// The payload of one button / quick reply / menu item (see the module docs for the format).
/// For [`ButtonKind::Menu`], `message_key` and `part` are ignored.
pub fn payload_for(message_key: &str, part: usize, kind: ButtonKind, index: usize) -> String {
    match kind {
        ButtonKind::Button => format!("{TAG}:{message_key}:{part}:b:{index}"),
        ButtonKind::QuickReply => format!("{TAG}:{message_key}:{part}:q:{index}"),
        ButtonKind::Menu => format!("{TAG}:menu:{index}"),
    }
}

/// A button, quick reply or menu item found in a flow, with its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedAction<'a> {
    /// What was tapped.
    pub kind: ButtonKind,
    /// The message holding it; `None` for menu items.
    pub message: Option<&'a Message>,
    /// Part index within the message (0 for menu items).
    pub part: usize,
    /// Index among the part's buttons / quick replies, or among the menu items.
    pub index: usize,
    /// The title the user saw.
    pub title: &'a str,
    /// What to do.
    pub action: &'a Action,
}

impl ResolvedAction<'_> {
    /// The payload that names this item (inverse of [`resolve_payload`]).
    pub fn payload(&self) -> String {
        let key = self.message.map_or("", |m| m.key.as_str());
        payload_for(key, self.part, self.kind, self.index)
    }
}

/// The item of `flow` that `payload` names, or `None` (unknown format, stale position,
/// `GET_STARTED`, anything else). Never panics: payloads come from the network.
pub fn resolve_payload<'a>(flow: &'a Flow, payload: &str) -> Option<ResolvedAction<'a>> {
    if payload.len() > 4 * crate::limits::PAYLOAD_MAX {
        return None;
    }
    let fields: Vec<&str> = payload.split(':').collect();
    let resolved = match fields.as_slice() {
        [TAG, "menu", index] => {
            let index = index.parse::<usize>().ok()?;
            let item = flow.persistent_menu.get(index)?;
            ResolvedAction {
                kind: ButtonKind::Menu,
                message: None,
                part: 0,
                index,
                title: &item.title,
                action: &item.action,
            }
        }
        [TAG, key, part, kind, index] => {
            let part = part.parse::<usize>().ok()?;
            let index = index.parse::<usize>().ok()?;
            let message = flow.message(key)?;
            let p = message.parts.get(part)?;
            let (kind, title, action) = match *kind {
                "b" => {
                    let b = p.buttons().get(index)?;
                    (ButtonKind::Button, &b.title, &b.action)
                }
                "q" => {
                    let q = p.quick_replies().get(index)?;
                    (ButtonKind::QuickReply, &q.title, &q.action)
                }
                _ => return None,
            };
            ResolvedAction {
                kind,
                message: Some(message),
                part,
                index,
                title,
                action,
            }
        }
        _ => return None,
    };
    // Reject non-canonical spellings such as "b1:menu:01" or "b1:menu:+1".
    (resolved.payload() == payload).then_some(resolved)
}

/// The first button (in part order) of message `message_key` whose title is exactly `title`.
/// Used for standby postbacks, which arrive without their payload. Quick replies and menu
/// items are not searched.
pub fn find_button_by_title<'a>(
    flow: &'a Flow,
    message_key: &str,
    title: &str,
) -> Option<ResolvedAction<'a>> {
    let message = flow.message(message_key)?;
    message
        .parts
        .iter()
        .enumerate()
        .flat_map(|(pi, p)| {
            p.buttons()
                .iter()
                .enumerate()
                .map(move |(bi, b)| (pi, bi, b))
        })
        .find(|(_, _, b)| b.title == title)
        .map(|(part, index, b)| ResolvedAction {
            kind: ButtonKind::Button,
            message: Some(message),
            part,
            index,
            title: &b.title,
            action: &b.action,
        })
}

/// Every button, quick reply and menu item of `flow` that carries a postback payload
/// (i.e. all of them except `url` actions), in file order.
pub fn all_postbacks(flow: &Flow) -> Vec<ResolvedAction<'_>> {
    let mut out = Vec::new();
    for m in &flow.messages {
        for (pi, p) in m.parts.iter().enumerate() {
            for (bi, b) in p.buttons().iter().enumerate() {
                out.push(ResolvedAction {
                    kind: ButtonKind::Button,
                    message: Some(m),
                    part: pi,
                    index: bi,
                    title: &b.title,
                    action: &b.action,
                });
            }
            for (qi, q) in p.quick_replies().iter().enumerate() {
                out.push(ResolvedAction {
                    kind: ButtonKind::QuickReply,
                    message: Some(m),
                    part: pi,
                    index: qi,
                    title: &q.title,
                    action: &q.action,
                });
            }
        }
    }
    for (i, item) in flow.persistent_menu.iter().enumerate() {
        out.push(ResolvedAction {
            kind: ButtonKind::Menu,
            message: None,
            part: 0,
            index: i,
            title: &item.title,
            action: &item.action,
        });
    }
    out.retain(|r| !matches!(r.action, Action::Url { .. }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_formats() {
        assert_eq!(
            payload_for("main_menu", 0, ButtonKind::Button, 1),
            "b1:main_menu:0:b:1"
        );
        assert_eq!(
            payload_for("back_in_bot", 2, ButtonKind::QuickReply, 0),
            "b1:back_in_bot:2:q:0"
        );
        assert_eq!(payload_for("ignored", 9, ButtonKind::Menu, 3), "b1:menu:3");
    }

    #[test]
    fn garbage_resolves_to_none() {
        let flow = crate::kit::example_flow();
        for p in [
            "",
            ":",
            "b1",
            "b1:",
            "b1:menu:",
            "b1:menu:-1",
            "b1:menu:99999999999999999999999",
            "b1:talk_to_human:0:x:0",
            "b1:talk_to_human:0:b:5",
            "b1:talk_to_human:00:b:0",
            "b1:talk_to_human:0:b:+0",
            "b1:nope:0:b:0",
            "b2:talk_to_human:0:b:0",
            "GET_STARTED",
        ] {
            assert!(resolve_payload(&flow, p).is_none(), "{p:?} resolved");
        }
        assert!(resolve_payload(&flow, "b1:talk_to_human:0:b:0").is_some());
    }
}
