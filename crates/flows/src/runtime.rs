//! Lookups the bot runtime and the editor share: handover messages, keyword matching,
//! "used by" references.

use crate::model::{Action, Flow, MatchKind, Part};
use crate::problem::{field, index};
use crate::validate::normalize;

/// The messages agent-driven moves send: `(to_inbox, back_to_bot)` ("message 2" and
/// "message 3" of §1). Each comes from the `handover` section when set there, otherwise from
/// the confirmation of the first `handover` / `return_to_bot` action in file order (per
/// message: each part's buttons, then its quick replies; then the persistent menu).
/// Keys are returned as written; they are not checked to exist.
pub fn handover_messages(flow: &Flow) -> (Option<&str>, Option<&str>) {
    let section = flow.handover.as_ref();
    let mut to_inbox = section.and_then(|h| h.to_inbox_message.as_deref());
    let mut back = section.and_then(|h| h.back_to_bot_message.as_deref());
    for action in actions(flow) {
        match action {
            Action::Handover { confirmation, .. } if to_inbox.is_none() => {
                to_inbox = Some(confirmation);
            }
            Action::ReturnToBot { confirmation } if back.is_none() => back = Some(confirmation),
            _ => {}
        }
        if to_inbox.is_some() && back.is_some() {
            break;
        }
    }
    (to_inbox, back)
}

/// Every action of the flow in file order (see [`handover_messages`] for the order).
fn actions(flow: &Flow) -> impl Iterator<Item = &Action> {
    let in_messages = flow.messages.iter().flat_map(|m| {
        m.parts.iter().flat_map(|p| {
            let buttons = p.buttons().iter().map(|b| &b.action);
            buttons.chain(p.quick_replies().iter().map(|q| &q.action))
        })
    });
    in_messages.chain(flow.persistent_menu.iter().map(|i| &i.action))
}

/// The message key of the keyword rule matching the user's `text`, if any.
///
/// Text and words are trimmed and lowercased. `exact`: the whole text equals a word;
/// `contains`: the text contains the word as a substring. Exact rules win over contains
/// rules; within each kind the first rule in file order wins. Empty words never match.
pub fn match_keyword<'a>(flow: &'a Flow, text: &str) -> Option<&'a str> {
    let text = normalize(text);
    if text.is_empty() {
        return None;
    }
    let rules = &flow.triggers.keywords;
    let find = |kind: MatchKind| {
        rules.iter().filter(|r| r.match_kind == kind).find(|r| {
            r.words.iter().map(|w| normalize(w)).any(|w| {
                !w.is_empty()
                    && match kind {
                        MatchKind::Exact => text == w,
                        MatchKind::Contains => text.contains(&w),
                    }
            })
        })
    };
    find(MatchKind::Exact)
        .or_else(|| find(MatchKind::Contains))
        .map(|r| r.message.as_str())
}

/// JSON paths of every place that refers to message `key` (actions, triggers, the handover
/// section), for the editor's "used by" warning before a delete.
pub fn used_by(flow: &Flow, key: &str) -> Vec<String> {
    // The walk hands out `&mut` slots (`delete_message` rewrites through it), so it runs on a
    // scratch copy: the list of places that hold references then lives in one function.
    let mut scratch = flow.clone();
    let mut out = Vec::new();
    for_each_reference_mut(&mut scratch, |path, slot| {
        if slot.key() == Some(key) {
            out.push(path);
        }
    });
    out
}

/// One place in a flow that holds a message key.
pub(crate) enum Slot<'a> {
    /// An action's `message` / `confirmation` or a keyword rule's `message`: always present,
    /// `""` means "no message chosen".
    Required(&'a mut String),
    /// `triggers.get_started` / `fallback` and the `handover` section fields.
    Optional(&'a mut Option<String>),
}

impl Slot<'_> {
    /// The key held here (`None` only for an unset optional slot).
    pub(crate) fn key(&self) -> Option<&str> {
        match self {
            Slot::Required(s) => Some(s.as_str()),
            Slot::Optional(o) => o.as_deref(),
        }
    }

    /// Points this slot at `key`; `None` clears it (`""` or unset).
    pub(crate) fn set(&mut self, key: Option<&str>) {
        match self {
            Slot::Required(s) => key.unwrap_or_default().clone_into(s),
            Slot::Optional(o) => **o = key.map(str::to_owned),
        }
    }
}

/// Calls `visit(path, slot)` for every place of `flow` that refers to a message, in file
/// order: each message's parts (buttons, then quick replies), the persistent menu,
/// `triggers.get_started`, `triggers.fallback`, keyword rules, the `handover` section.
/// Unset optional places are visited too (their slot's key is `None`).
pub(crate) fn for_each_reference_mut(flow: &mut Flow, mut visit: impl FnMut(String, Slot<'_>)) {
    let mut action = |owner: String, a: &mut Action| {
        if let Some((name, key)) = a.message_ref_mut() {
            visit(field(&field(&owner, "action"), name), Slot::Required(key));
        }
    };
    for (mi, m) in flow.messages.iter_mut().enumerate() {
        let parts = field(&index("messages", mi), "parts");
        for (pi, p) in m.parts.iter_mut().enumerate() {
            let part = index(&parts, pi);
            let (buttons, quick_replies) = match p {
                Part::Text(t) => (&mut t.buttons[..], &mut t.quick_replies[..]),
                Part::Image(i) => (&mut [][..], &mut i.quick_replies[..]),
                Part::Typing(_) => (&mut [][..], &mut [][..]),
            };
            for (bi, b) in buttons.iter_mut().enumerate() {
                action(index(&field(&part, "buttons"), bi), &mut b.action);
            }
            for (qi, q) in quick_replies.iter_mut().enumerate() {
                action(index(&field(&part, "quick_replies"), qi), &mut q.action);
            }
        }
    }
    for (i, item) in flow.persistent_menu.iter_mut().enumerate() {
        action(index("persistent_menu", i), &mut item.action);
    }
    let t = &mut flow.triggers;
    visit(
        "triggers.get_started".into(),
        Slot::Optional(&mut t.get_started),
    );
    visit("triggers.fallback".into(), Slot::Optional(&mut t.fallback));
    for (ri, r) in t.keywords.iter_mut().enumerate() {
        let path = field(&index("triggers.keywords", ri), "message");
        visit(path, Slot::Required(&mut r.message));
    }
    if let Some(h) = &mut flow.handover {
        let to_inbox = Slot::Optional(&mut h.to_inbox_message);
        visit("handover.to_inbox_message".into(), to_inbox);
        let back = Slot::Optional(&mut h.back_to_bot_message);
        visit("handover.back_to_bot_message".into(), back);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{HandoverSettings, KeywordRule};

    fn rule(kind: MatchKind, words: &[&str], message: &str) -> KeywordRule {
        KeywordRule {
            match_kind: kind,
            words: words.iter().map(|w| w.to_string()).collect(),
            message: message.into(),
        }
    }

    fn keyword_flow() -> Flow {
        let mut flow = Flow::default();
        flow.triggers.keywords = vec![
            rule(MatchKind::Contains, &["price"], "prices"),
            rule(MatchKind::Contains, &["help"], "help_contains"),
            rule(MatchKind::Exact, &["Help", "agent "], "help_exact"),
            rule(MatchKind::Exact, &["help"], "second_exact"),
            rule(MatchKind::Contains, &["", "  "], "never"),
        ];
        flow
    }

    #[test]
    fn keyword_matching() {
        let flow = keyword_flow();
        // exact wins over an earlier contains rule; case and surrounding space ignored
        assert_eq!(match_keyword(&flow, "  HELP \n"), Some("help_exact"));
        assert_eq!(match_keyword(&flow, "agent"), Some("help_exact"));
        // contains: substring, first contains rule in file order
        assert_eq!(
            match_keyword(&flow, "I need help with the price"),
            Some("prices")
        );
        assert_eq!(
            match_keyword(&flow, "please HELP me"),
            Some("help_contains")
        );
        // exact does not match a longer text
        assert_eq!(match_keyword(&flow, "agent please"), None);
        assert_eq!(match_keyword(&flow, "hello"), None);
        // empty words and empty text never match
        assert_eq!(match_keyword(&flow, ""), None);
        assert_eq!(match_keyword(&flow, "   "), None);
    }

    #[test]
    fn keyword_unicode_case() {
        let mut flow = Flow::default();
        flow.triggers.keywords = vec![rule(MatchKind::Exact, &["ÁGUA"], "water")];
        assert_eq!(match_keyword(&flow, "água"), Some("water"));
    }

    #[test]
    fn handover_messages_prefers_section() {
        let mut flow = crate::kit::example_flow();
        flow.handover = Some(HandoverSettings {
            to_inbox_message: Some("main_menu".into()),
            back_to_bot_message: Some("talk_to_human".into()),
            ..Default::default()
        });
        assert_eq!(
            handover_messages(&flow),
            (Some("main_menu"), Some("talk_to_human"))
        );
    }

    #[test]
    fn handover_messages_falls_back_to_first_buttons() {
        let mut flow = crate::kit::example_flow();
        flow.handover = None;
        assert_eq!(
            handover_messages(&flow),
            (Some("now_human"), Some("back_in_bot"))
        );
        // per field: a section with only one message set falls back for the other
        flow.handover = Some(HandoverSettings {
            to_inbox_message: None,
            back_to_bot_message: Some("main_menu".into()),
            ..Default::default()
        });
        assert_eq!(
            handover_messages(&flow),
            (Some("now_human"), Some("main_menu"))
        );
        // no section and no handover actions
        assert_eq!(handover_messages(&Flow::default()), (None, None));
    }

    #[test]
    fn used_by_lists_every_reference() {
        let flow = crate::kit::example_flow();
        assert_eq!(
            used_by(&flow, "main_menu"),
            vec![
                "messages[2].parts[0].quick_replies[0].action.message",
                "persistent_menu[0].action.message",
                "triggers.get_started",
                "triggers.fallback",
                "triggers.keywords[1].message",
            ]
        );
        assert_eq!(
            used_by(&flow, "now_human"),
            vec![
                "messages[0].parts[0].buttons[0].action.confirmation",
                "handover.to_inbox_message",
            ]
        );
        assert!(used_by(&flow, "nope").is_empty());
    }
}
