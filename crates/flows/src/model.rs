//! The flow data model (flow file format v1): messages, parts, buttons, actions, triggers.
//!
//! Field declaration order is the export key order (see [`crate::export::to_json`]); do not reorder
//! fields without bumping the format version. Empty lists and absent options are omitted on
//! export, except `messages` and `triggers`, which are always written.

use serde::{Deserialize, Serialize};

/// The only flow file format version this crate reads and writes.
pub const FLOW_VERSION: u32 = 1;

/// A whole bot flow: what `flows import/export` read and write and what the runtime runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Format version; must be [`FLOW_VERSION`].
    pub version: u32,
    /// Messages in editor order.
    pub messages: Vec<Message>,
    /// Get Started, fallback and keyword rules.
    #[serde(default)]
    pub triggers: Triggers,
    /// Which messages agent-driven moves send (docs/spec.md §1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handover: Option<HandoverSettings>,
    /// Persistent menu items (flat, default locale).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub persistent_menu: Vec<MenuItem>,
    /// Messenger greeting text (shown before the user starts the conversation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            version: FLOW_VERSION,
            messages: Vec::new(),
            triggers: Triggers::default(),
            handover: None,
            persistent_menu: Vec::new(),
            greeting: None,
        }
    }
}

impl Flow {
    /// The message with this key, if any (first one if keys are duplicated).
    pub fn message(&self, key: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.key == key)
    }

    /// Mutable access to the message with this key, if any.
    pub fn message_mut(&mut self, key: &str) -> Option<&mut Message> {
        self.messages.iter_mut().find(|m| m.key == key)
    }

    /// Index of the message with this key in `messages`, if any.
    pub fn message_index(&self, key: &str) -> Option<usize> {
        self.messages.iter().position(|m| m.key == key)
    }

    /// The name of the message with this key, or the key itself when there is none
    /// (for labels in the editor and in change descriptions).
    pub fn message_name<'a>(&'a self, key: &'a str) -> &'a str {
        self.message(key).map_or(key, |m| m.name.as_str())
    }

    /// A key not used by any message: `base` itself if free, else `base_2`, `base_3`, ...
    /// (for "duplicate message" and "create new message" in the editor).
    pub fn free_key(&self, base: &str) -> String {
        if self.message(base).is_none() {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|k| self.message(k).is_none())
            .unwrap_or_default()
    }
}

/// One bot message: an ordered list of parts sent one after the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Stable identifier used by references and payloads: `[a-z0-9_-]{1,64}`, unique.
    pub key: String,
    /// Human name shown in the editor.
    pub name: String,
    /// Parts, sent in order. Quick replies may only sit on the last one.
    pub parts: Vec<Part>,
}

impl Message {
    /// The quick replies of this message (those of its last part).
    pub fn quick_replies(&self) -> &[QuickReply] {
        self.parts.last().map_or(&[], Part::quick_replies)
    }
}

/// One part of a message, tagged by `"type"` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "crate::wire::PartWire"
)]
pub enum Part {
    /// Text, optionally with up to 3 buttons (sent as a button template then).
    Text(TextPart),
    /// An image (or other attachment) by URL.
    Image(ImagePart),
    /// A typing indicator shown for a few seconds.
    Typing(TypingPart),
}

impl Part {
    /// The part's buttons (only text parts have any).
    pub fn buttons(&self) -> &[Button] {
        match self {
            Part::Text(t) => &t.buttons,
            Part::Image(_) | Part::Typing(_) => &[],
        }
    }

    /// The part's quick replies (text and image parts may have them).
    pub fn quick_replies(&self) -> &[QuickReply] {
        match self {
            Part::Text(t) => &t.quick_replies,
            Part::Image(i) => &i.quick_replies,
            Part::Typing(_) => &[],
        }
    }

    /// The `"type"` tag of this part in the file.
    pub fn type_name(&self) -> &'static str {
        match self {
            Part::Text(_) => "text",
            Part::Image(_) => "image",
            Part::Typing(_) => "typing",
        }
    }
}

/// A text part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextPart {
    /// 1..=2000 characters; at most 640 when the part has buttons.
    pub text: String,
    /// Up to 3 buttons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Up to 13 quick replies (last part only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
}

/// An image part.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePart {
    /// Absolute http(s) URL of the image.
    pub url: String,
    /// Up to 13 quick replies (last part only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
}

/// A typing-indicator pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingPart {
    /// 1..=20 seconds.
    pub seconds: u32,
}

/// A title and what tapping it does: a button on a text part, a quick reply on the last part
/// of a message, or a persistent menu item. The three are written alike; only their rules
/// differ: titles of 1..=20 characters for buttons and quick replies, 1..=30 for menu items,
/// and a quick reply never opens a web address (see `validate`). One type rather than three
/// keeps one copy of its code (serde, clone, compare) in the browser's wasm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub title: String,
    pub action: Action,
}

/// A button on a text part (postback or web URL).
pub type Button = Choice;
/// A quick reply on the last part of a message (never a web address).
pub type QuickReply = Choice;
/// A persistent menu item.
pub type MenuItem = Choice;

/// What a button, quick reply or menu item does, tagged by `"type"` in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "snake_case",
    try_from = "crate::wire::ActionWire"
)]
pub enum Action {
    /// Send another message.
    GoTo {
        /// Key of the message to send.
        message: String,
    },
    /// Open a web page (buttons and persistent menu only).
    Url {
        /// Absolute http(s) URL.
        url: String,
    },
    /// Send `confirmation`, then pass thread control to the Page Inbox.
    Handover {
        /// Who gets the conversation; only the Page Inbox today.
        target: HandoverTarget,
        /// Key of the message sent before passing control.
        confirmation: String,
    },
    /// Take thread control back, then send `confirmation`.
    ReturnToBot {
        /// Key of the message sent after taking control back.
        confirmation: String,
    },
}

impl Action {
    /// The `"type"` tag of this action in the file.
    pub fn type_name(&self) -> &'static str {
        match self {
            Action::GoTo { .. } => "go_to",
            Action::Url { .. } => "url",
            Action::Handover { .. } => "handover",
            Action::ReturnToBot { .. } => "return_to_bot",
        }
    }

    /// The message key this action refers to, if any, with the field name holding it.
    pub fn message_ref(&self) -> Option<(&'static str, &str)> {
        match self {
            Action::GoTo { message } => Some(("message", message)),
            Action::Handover { confirmation, .. } | Action::ReturnToBot { confirmation } => {
                Some(("confirmation", confirmation))
            }
            Action::Url { .. } => None,
        }
    }

    /// Mutable form of [`Action::message_ref`] (for retargeting references).
    pub(crate) fn message_ref_mut(&mut self) -> Option<(&'static str, &mut String)> {
        match self {
            Action::GoTo { message } => Some(("message", message)),
            Action::Handover { confirmation, .. } | Action::ReturnToBot { confirmation } => {
                Some(("confirmation", confirmation))
            }
            Action::Url { .. } => None,
        }
    }
}

/// Handover target. The file spells it `"page_inbox"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandoverTarget {
    /// Meta's Page Inbox (app id 263902037430900).
    #[default]
    PageInbox,
}

/// Entry points into the flow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triggers {
    /// Message sent for the Get Started button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_started: Option<String>,
    /// Message sent when nothing else matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Keyword rules (see [`crate::runtime::match_keyword`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<KeywordRule>,
}

/// One keyword rule: if the user's text matches one of `words`, send `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordRule {
    /// How words are compared with the user's text.
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
    /// Words or phrases (compared case-insensitively, trimmed).
    pub words: Vec<String>,
    /// Key of the message to send.
    pub message: String,
}

/// Keyword comparison mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole (trimmed, lowercased) text equals the word.
    #[default]
    Exact,
    /// The text contains the word anywhere (substring).
    Contains,
}

/// Messages sent when agents move conversations (docs/spec.md §1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoverSettings {
    /// "Message 2": sent before the conversation goes to the Page Inbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_inbox_message: Option<String>,
    /// "Message 3": sent after the conversation comes back to the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_to_bot_message: Option<String>,
    /// Sent when Messenger refuses a handover for good (the page's routing settings): the
    /// user must not believe a person is there. `None`: [`DEFAULT_UNAVAILABLE_TEXT`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unavailable_text: Option<String>,
}

/// What the user reads when no one can take the conversation, unless the flow says otherwise.
pub const DEFAULT_UNAVAILABLE_TEXT: &str = "Sorry, no one can take your conversation right \
    now. You're still chatting with the bot; please try again later.";

impl Flow {
    /// The text sent when a handover is refused for good (the flow's, else the default).
    pub fn unavailable_text(&self) -> &str {
        self.handover
            .as_ref()
            .and_then(|h| h.unavailable_text.as_deref())
            .unwrap_or(DEFAULT_UNAVAILABLE_TEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_and_free_key() {
        let mut flow = crate::kit::example_flow();
        assert_eq!(
            flow.message("main_menu").map(|m| m.name.as_str()),
            Some("Main menu")
        );
        assert_eq!(flow.message_index("back_in_bot"), Some(2));
        assert!(flow.message("nope").is_none());
        assert_eq!(flow.message_name("main_menu"), "Main menu");
        assert_eq!(flow.message_name("nope"), "nope");
        assert_eq!(flow.free_key("fresh"), "fresh");
        assert_eq!(flow.free_key("main_menu"), "main_menu_2");
        let mut copy = flow.messages[3].clone();
        copy.key = "main_menu_2".into();
        flow.messages.push(copy);
        assert_eq!(flow.free_key("main_menu"), "main_menu_3");
        flow.message_mut("main_menu_2").unwrap().name = "Copy".into();
        assert_eq!(flow.messages[4].name, "Copy");
    }

    #[test]
    fn quick_replies_of_a_message_are_those_of_its_last_part() {
        let flow = crate::kit::example_flow();
        assert_eq!(flow.messages[2].quick_replies()[0].title, "Main menu");
        assert!(flow.messages[0].quick_replies().is_empty());
        let empty = Message {
            key: "e".into(),
            name: "E".into(),
            parts: vec![],
        };
        assert!(empty.quick_replies().is_empty());
    }
}
