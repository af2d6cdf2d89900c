//! `validate`: the one set of flow rules used by the browser editor, the server and the CLI.
//!
//! Every rule reports a [`Problem`] with a JSON path and a plain-language message; the full
//! list of rules and messages is in the crate docs (`lib.rs`).
//!
//! This file checks the messages and their parts; `triggers.rs` the flow-level sections
//! (triggers, handover, persistent menu, greeting); `context.rs` what both use (the flow
//! being checked, the checks of an action and its payload); `checks.rs` the small checks
//! under them all.

mod checks;
mod context;
mod triggers;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_triggers;

use std::collections::HashMap;

pub use checks::is_web_url;
use checks::{key_syntax, text_len, too_long, web_url, Keys};
use context::{Cx, Place};
pub(crate) use triggers::normalize;

use crate::limits::{
    BUTTONS_MAX, BUTTON_TEXT_MAX, BUTTON_TITLE_MAX, QUICK_REPLIES_MAX, QUICK_REPLY_TITLE_MAX,
    TEXT_MAX, TYPING_MAX_SECONDS, TYPING_MIN_SECONDS,
};
use crate::model::{Flow, Message, Part};
use crate::payload::ButtonKind;
use crate::problem::{field, index, Problem};

/// All problems of `flow` (errors and warnings), in document order.
/// A flow with no [`Severity::Error`](crate::problem::Severity) problem may be imported and published.
pub fn validate(flow: &Flow) -> Vec<Problem> {
    let mut out = Vec::new();
    if flow.version != crate::model::FLOW_VERSION {
        out.push(Problem::error(
            "version",
            format!(
                "unsupported version {} (this Baton reads version {})",
                flow.version,
                crate::model::FLOW_VERSION
            ),
        ));
    }
    let keys = message_keys(&mut out, flow);
    let cx = Cx { flow, keys: &keys };
    for (mi, m) in flow.messages.iter().enumerate() {
        cx.message(&mut out, &index("messages", mi), m);
    }
    cx.triggers(&mut out);
    out
}

/// Key syntax and uniqueness; returns key -> first index.
fn message_keys<'a>(out: &mut Vec<Problem>, flow: &'a Flow) -> Keys<'a> {
    let mut keys: Keys<'a> = HashMap::new();
    for (mi, m) in flow.messages.iter().enumerate() {
        let path = field(&index("messages", mi), "key");
        key_syntax(out, &path, &m.key);
        if m.key.is_empty() {
            continue;
        }
        if let Some(first) = keys.get(m.key.as_str()) {
            out.push(Problem::error(
                path,
                format!("duplicate key {:?} (also messages[{first}])", m.key),
            ));
        } else {
            keys.insert(&m.key, mi);
        }
    }
    keys
}

impl Cx<'_> {
    fn message(&self, out: &mut Vec<Problem>, path: &str, m: &Message) {
        if m.name.trim().is_empty() {
            out.push(Problem::error(field(path, "name"), "must not be empty"));
        }
        let parts_path = field(path, "parts");
        if m.parts.is_empty() {
            out.push(Problem::error(&parts_path, "needs at least one part"));
        }
        let last = m.parts.len().saturating_sub(1);
        for (pi, part) in m.parts.iter().enumerate() {
            let path = index(&parts_path, pi);
            self.part(out, &path, &m.key, pi, part);
            if pi < last && !part.quick_replies().is_empty() {
                out.push(Problem::error(
                    field(&path, "quick_replies"),
                    "quick replies are only allowed on the last part of a message",
                ));
            }
            if pi == last && matches!(part, Part::Typing(_)) {
                out.push(Problem::warning(
                    path,
                    "a typing delay as the last part shows nothing after it",
                ));
            }
        }
    }

    fn part(&self, out: &mut Vec<Problem>, path: &str, key: &str, pi: usize, part: &Part) {
        match part {
            Part::Text(t) => {
                let text_path = field(path, "text");
                if t.buttons.is_empty() {
                    text_len(out, &text_path, &t.text, TEXT_MAX);
                } else if t.text.trim().is_empty() {
                    out.push(Problem::error(text_path, "must not be empty"));
                } else {
                    let why = ", the limit for text with buttons";
                    too_long(out, &text_path, &t.text, BUTTON_TEXT_MAX, why);
                }
                let buttons_path = field(path, "buttons");
                if t.buttons.len() > BUTTONS_MAX {
                    out.push(Problem::error(
                        &buttons_path,
                        format!("more than {BUTTONS_MAX} buttons ({})", t.buttons.len()),
                    ));
                }
                for (bi, b) in t.buttons.iter().enumerate() {
                    let path = index(&buttons_path, bi);
                    text_len(out, &field(&path, "title"), &b.title, BUTTON_TITLE_MAX);
                    self.action(out, &path, &b.action, Place::Button);
                    self.payload(out, &path, &b.action, key, pi, ButtonKind::Button, bi);
                }
            }
            Part::Image(i) => web_url(out, &field(path, "url"), &i.url),
            Part::Typing(t) => {
                if !(TYPING_MIN_SECONDS..=TYPING_MAX_SECONDS).contains(&t.seconds) {
                    out.push(Problem::error(
                        field(path, "seconds"),
                        format!(
                            "must be from {TYPING_MIN_SECONDS} to {TYPING_MAX_SECONDS} seconds ({})",
                            t.seconds
                        ),
                    ));
                }
            }
        }
        let qrs = part.quick_replies();
        let qr_path = field(path, "quick_replies");
        if qrs.len() > QUICK_REPLIES_MAX {
            out.push(Problem::error(
                &qr_path,
                format!(
                    "more than {QUICK_REPLIES_MAX} quick replies ({})",
                    qrs.len()
                ),
            ));
        }
        for (qi, q) in qrs.iter().enumerate() {
            let path = index(&qr_path, qi);
            text_len(out, &field(&path, "title"), &q.title, QUICK_REPLY_TITLE_MAX);
            self.action(out, &path, &q.action, Place::QuickReply);
            self.payload(out, &path, &q.action, key, pi, ButtonKind::QuickReply, qi);
        }
    }
}
