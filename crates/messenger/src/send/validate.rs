//! Pre-flight validation of a `SendRequest` against Messenger limits; reports every violation.

use std::fmt;

use super::request::{
    Button, ControlType, MessagingType, OutgoingAttachment, OutgoingMessage, QuickReplyType,
    SendRequest, Template,
};
use crate::limits::{self, char_len};

/// One broken rule; `path` points into the JSON body (e.g. `message.quick_replies[2].title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub kind: ViolationKind,
}

/// What is wrong at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViolationKind {
    /// More chars than allowed.
    TooLong { max: usize, actual: usize },
    /// More items than allowed.
    TooMany { max: usize, actual: usize },
    /// Fewer items than required.
    TooFew { min: usize, actual: usize },
    /// A required value is missing or empty.
    Missing,
    /// Values that cannot go together (e.g. text and attachment).
    Conflict(&'static str),
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.path;
        match &self.kind {
            ViolationKind::TooLong { max, actual } => {
                write!(f, "{p} is {actual} characters; the limit is {max}")
            }
            ViolationKind::TooMany { max, actual } => {
                write!(f, "{p} has {actual} items; the limit is {max}")
            }
            ViolationKind::TooFew { min, actual } => {
                write!(f, "{p} has {actual} items; at least {min} needed")
            }
            ViolationKind::Missing => write!(f, "{p} is required"),
            ViolationKind::Conflict(why) => write!(f, "{p}: {why}"),
        }
    }
}

struct Check(Vec<Violation>);

impl Check {
    fn push(&mut self, path: impl Into<String>, kind: ViolationKind) {
        self.0.push(Violation {
            path: path.into(),
            kind,
        });
    }
    fn max_chars(&mut self, path: impl Into<String>, s: &str, max: usize) {
        let actual = char_len(s);
        if actual > max {
            self.push(path, ViolationKind::TooLong { max, actual });
        }
    }
    fn non_empty(&mut self, path: impl Into<String>, s: Option<&str>) {
        if s.is_none_or(str::is_empty) {
            self.push(path, ViolationKind::Missing);
        }
    }
}

impl SendRequest {
    /// Checks Messenger limits (see [`crate::limits`]) and structure before sending.
    /// Returns every violation found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut c = Check(Vec::new());
        c.non_empty("recipient.id", Some(&self.recipient.id));
        match (&self.message, &self.sender_action) {
            (Some(_), Some(_)) => c.push(
                "sender_action",
                ViolationKind::Conflict("send either a message or a sender_action"),
            ),
            (None, None) => c.push("message", ViolationKind::Missing),
            _ => {}
        }
        if self.messaging_type == Some(MessagingType::MessageTag) && self.tag.is_none() {
            c.push("tag", ViolationKind::Missing);
        }
        if let Some(tc) = &self.thread_control {
            if self.message.is_none() {
                c.push(
                    "thread_control",
                    ViolationKind::Conflict("thread_control travels with a message"),
                );
            }
            if tc.control_type == ControlType::Pass {
                c.non_empty("thread_control.app_id", tc.app_id.as_deref());
            }
        }
        if let Some(m) = &self.message {
            match (&m.text, &m.attachment) {
                (Some(_), Some(_)) => c.push(
                    "message",
                    ViolationKind::Conflict("text and attachment cannot both be set"),
                ),
                (None, None) => c.push("message.text", ViolationKind::Missing),
                (Some(text), None) => {
                    c.non_empty("message.text", Some(text));
                    c.max_chars("message.text", text, limits::MAX_TEXT_CHARS);
                }
                (None, Some(a)) => check_attachment(&mut c, a),
            }
            check_quick_replies(&mut c, m);
            if let Some(meta) = &m.metadata {
                c.max_chars("message.metadata", meta, limits::MAX_METADATA_CHARS);
            }
        }
        if c.0.is_empty() {
            Ok(())
        } else {
            Err(c.0)
        }
    }
}

fn check_attachment(c: &mut Check, a: &OutgoingAttachment) {
    match a {
        OutgoingAttachment::Image(media) => {
            c.non_empty("message.attachment.payload.url", Some(&media.url));
        }
        OutgoingAttachment::Template(Template::Button { text, buttons }) => {
            let base = "message.attachment.payload";
            c.non_empty(format!("{base}.text"), Some(text));
            c.max_chars(
                format!("{base}.text"),
                text,
                limits::MAX_BUTTON_TEMPLATE_TEXT_CHARS,
            );
            check_buttons(c, &format!("{base}.buttons"), buttons);
        }
    }
}

/// Checks a button list (count 1–3, titles, payloads).
fn check_buttons(c: &mut Check, path: &str, buttons: &[Button]) {
    let n = buttons.len();
    if n < limits::MIN_BUTTONS {
        c.push(
            path,
            ViolationKind::TooFew {
                min: limits::MIN_BUTTONS,
                actual: n,
            },
        );
    }
    if n > limits::MAX_BUTTONS {
        c.push(
            path,
            ViolationKind::TooMany {
                max: limits::MAX_BUTTONS,
                actual: n,
            },
        );
    }
    for (i, b) in buttons.iter().enumerate() {
        let title = b.title();
        c.non_empty(format!("{path}[{i}].title"), Some(title));
        c.max_chars(
            format!("{path}[{i}].title"),
            title,
            limits::MAX_BUTTON_TITLE_CHARS,
        );
        match b {
            Button::Postback { payload, .. } => {
                c.non_empty(format!("{path}[{i}].payload"), Some(payload));
                c.max_chars(
                    format!("{path}[{i}].payload"),
                    payload,
                    limits::MAX_PAYLOAD_CHARS,
                );
            }
            Button::WebUrl { url, .. } => c.non_empty(format!("{path}[{i}].url"), Some(url)),
        }
    }
}

fn check_quick_replies(c: &mut Check, m: &OutgoingMessage) {
    let n = m.quick_replies.len();
    if n > limits::MAX_QUICK_REPLIES {
        c.push(
            "message.quick_replies",
            ViolationKind::TooMany {
                max: limits::MAX_QUICK_REPLIES,
                actual: n,
            },
        );
    }
    for (i, q) in m.quick_replies.iter().enumerate() {
        let p = format!("message.quick_replies[{i}]");
        if q.content_type != QuickReplyType::Text {
            continue;
        }
        c.non_empty(format!("{p}.title"), q.title.as_deref());
        c.non_empty(format!("{p}.payload"), q.payload.as_deref());
        if let Some(t) = &q.title {
            c.max_chars(format!("{p}.title"), t, limits::MAX_QUICK_REPLY_TITLE_CHARS);
        }
        if let Some(pl) = &q.payload {
            c.max_chars(
                format!("{p}.payload"),
                pl,
                limits::MAX_QUICK_REPLY_PAYLOAD_CHARS,
            );
        }
    }
}
