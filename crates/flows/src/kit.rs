//! Ready-made content: the editor's one-click Handover kit and the spec's example flow.

use crate::model::{
    Action, Button, Flow, HandoverSettings, HandoverTarget, KeywordRule, MatchKind, MenuItem,
    Message, Part, QuickReply, TextPart, Triggers,
};

/// Keys of the three Handover kit messages: talk to a human, now with a person, back in bot.
pub const HANDOVER_KIT_KEYS: [&str; 3] = ["talk_to_human", "now_human", "back_in_bot"];

/// The three messages of docs/spec.md §1 (keys [`HANDOVER_KIT_KEYS`]). The "Main menu"
/// quick reply of `back_in_bot` goes to `main_menu`; the editor should point it at the
/// flow's own main message (and pick free keys with [`Flow::free_key`] on a clash).
pub fn handover_kit() -> Vec<Message> {
    vec![
        text_message(
            "talk_to_human",
            "Talk to a human",
            "Click the button below to speak to a real person",
            vec![button(
                "Talk to human",
                Action::Handover {
                    target: HandoverTarget::PageInbox,
                    confirmation: "now_human".into(),
                },
            )],
            vec![],
        ),
        text_message(
            "now_human",
            "Now with a person",
            "You're now chatting to a real person. When you're done, press the button below \
             to return to the bot",
            vec![button(
                "Return to bot",
                Action::ReturnToBot {
                    confirmation: "back_in_bot".into(),
                },
            )],
            vec![],
        ),
        text_message(
            "back_in_bot",
            "Back in the bot",
            "You're now back in the bot",
            vec![],
            vec![QuickReply {
                title: "Main menu".into(),
                action: go_to("main_menu"),
            }],
        ),
    ]
}

/// The example flow of docs/spec.md §3 (the Handover kit plus a main menu, triggers,
/// handover section, persistent menu and greeting). Valid, with no warnings.
pub fn example_flow() -> Flow {
    let mut messages = handover_kit();
    messages.push(text_message(
        "main_menu",
        "Main menu",
        "How can we help?",
        vec![
            button(
                "Website",
                Action::Url {
                    url: "https://example.com".into(),
                },
            ),
            button("Talk to human", go_to("talk_to_human")),
        ],
        vec![],
    ));
    let keyword = |words: &[&str], message: &str| KeywordRule {
        match_kind: MatchKind::Exact,
        words: words.iter().map(|w| (*w).to_owned()).collect(),
        message: message.into(),
    };
    Flow {
        version: crate::model::FLOW_VERSION,
        messages,
        triggers: Triggers {
            get_started: Some("main_menu".into()),
            fallback: Some("main_menu".into()),
            keywords: vec![
                keyword(&["human", "agent"], "talk_to_human"),
                keyword(&["menu"], "main_menu"),
            ],
        },
        handover: Some(HandoverSettings {
            to_inbox_message: Some("now_human".into()),
            back_to_bot_message: Some("back_in_bot".into()),
            ..Default::default()
        }),
        persistent_menu: vec![
            MenuItem {
                title: "Main menu".into(),
                action: go_to("main_menu"),
            },
            MenuItem {
                title: "Talk to human".into(),
                action: go_to("talk_to_human"),
            },
        ],
        greeting: Some("Hi! Ask us anything.".into()),
    }
}

fn go_to(key: &str) -> Action {
    Action::GoTo {
        message: key.into(),
    }
}

fn button(title: &str, action: Action) -> Button {
    Button {
        title: title.into(),
        action,
    }
}

fn text_message(
    key: &str,
    name: &str,
    text: &str,
    buttons: Vec<Button>,
    quick_replies: Vec<QuickReply>,
) -> Message {
    Message {
        key: key.into(),
        name: name.into(),
        parts: vec![Part::Text(TextPart {
            text: text.into(),
            buttons,
            quick_replies,
        })],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kit_matches_spec_section_1() {
        let kit = handover_kit();
        let keys: Vec<&str> = kit.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, HANDOVER_KIT_KEYS);
        assert!(matches!(
            &kit[0].parts[0].buttons()[0].action,
            Action::Handover { confirmation, .. } if confirmation == "now_human"
        ));
        assert!(matches!(
            &kit[1].parts[0].buttons()[0].action,
            Action::ReturnToBot { confirmation } if confirmation == "back_in_bot"
        ));
        assert_eq!(kit[2].quick_replies()[0].title, "Main menu");
    }
}
