//! Validation of the flow-level sections: triggers, handover settings, persistent menu, greeting.

use std::collections::HashMap;

use super::checks::{reference, text_len};
use super::context::{Cx, Place};
use crate::limits::{GREETING_MAX, MENU_ITEMS_MAX, MENU_TITLE_MAX, TEXT_MAX};
use crate::model::MatchKind;
use crate::payload::ButtonKind;
use crate::problem::{field, index, Problem};

/// Normalised form of a keyword word or user text: trimmed and lowercased.
pub(crate) fn normalize(s: &str) -> String {
    crate::text::lowercase(s.trim())
}

impl Cx<'_> {
    pub(super) fn triggers(&self, out: &mut Vec<Problem>) {
        let t = &self.flow.triggers;
        if let Some(k) = &t.get_started {
            reference(out, self.keys, "triggers.get_started", k);
        }
        if let Some(k) = &t.fallback {
            reference(out, self.keys, "triggers.fallback", k);
        }
        // (match kind, normalised word) -> path of its first occurrence
        let mut seen: HashMap<(MatchKind, String), String> = HashMap::new();
        for (ri, rule) in t.keywords.iter().enumerate() {
            let path = index("triggers.keywords", ri);
            let words_path = field(&path, "words");
            if rule.words.is_empty() {
                out.push(Problem::error(&words_path, "needs at least one word"));
            }
            for (wi, w) in rule.words.iter().enumerate() {
                let path = index(&words_path, wi);
                let norm = normalize(w);
                if norm.is_empty() {
                    out.push(Problem::error(path, "must not be empty"));
                } else if let Some(first) = seen.get(&(rule.match_kind, norm.clone())) {
                    out.push(Problem::error(
                        path,
                        format!("duplicate word {:?} (also {first})", w.trim()),
                    ));
                } else {
                    seen.insert((rule.match_kind, norm), path);
                }
            }
            reference(out, self.keys, &field(&path, "message"), &rule.message);
        }

        if let Some(h) = &self.flow.handover {
            if let Some(k) = &h.to_inbox_message {
                reference(out, self.keys, "handover.to_inbox_message", k);
            }
            if let Some(k) = &h.back_to_bot_message {
                reference(out, self.keys, "handover.back_to_bot_message", k);
            }
            if let Some(text) = &h.unavailable_text {
                text_len(out, "handover.unavailable_text", text, TEXT_MAX);
            }
        }

        let menu = &self.flow.persistent_menu;
        if menu.len() > MENU_ITEMS_MAX {
            out.push(Problem::error(
                "persistent_menu",
                format!("more than {MENU_ITEMS_MAX} items ({})", menu.len()),
            ));
        }
        if !menu.is_empty() && t.get_started.is_none() {
            out.push(Problem::error(
                "persistent_menu",
                "needs a Get Started message (set triggers.get_started)",
            ));
        }
        for (i, item) in menu.iter().enumerate() {
            let path = index("persistent_menu", i);
            text_len(out, &field(&path, "title"), &item.title, MENU_TITLE_MAX);
            self.action(out, &path, &item.action, Place::Menu);
            self.payload(out, &path, &item.action, "", 0, ButtonKind::Menu, i);
        }

        if let Some(g) = &self.flow.greeting {
            text_len(out, "greeting", g, GREETING_MAX);
        }
    }
}
