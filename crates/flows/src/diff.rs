//! `summarize_changes`: a one-line diff summary for published-version records.

use std::collections::HashMap;

use crate::model::{Flow, Message};

/// E.g. `"2 messages added, 1 changed, 0 removed; triggers changed"`.
///
/// Messages are matched by key (a renamed key counts as one removed and one added). The
/// message counts are always given; then, each only when it differs: `messages reordered`
/// (same messages, other order), `triggers changed`, `handover settings changed`,
/// `persistent menu changed`, `greeting changed`, `version changed`.
pub fn summarize_changes(old: &Flow, new: &Flow) -> String {
    let old_by_key: HashMap<&str, &Message> =
        old.messages.iter().map(|m| (m.key.as_str(), m)).collect();
    let new_by_key: HashMap<&str, &Message> =
        new.messages.iter().map(|m| (m.key.as_str(), m)).collect();
    let added = new_by_key
        .keys()
        .filter(|k| !old_by_key.contains_key(*k))
        .count();
    let removed = old_by_key
        .keys()
        .filter(|k| !new_by_key.contains_key(*k))
        .count();
    let changed = new_by_key
        .iter()
        .filter(|(k, m)| old_by_key.get(*k).is_some_and(|o| o != *m))
        .count();
    let noun = if added == 1 { "message" } else { "messages" };
    let mut out = format!("{added} {noun} added, {changed} changed, {removed} removed");
    let order = |f: &Flow| -> Vec<String> { f.messages.iter().map(|m| m.key.clone()).collect() };
    let mut sections = Vec::new();
    if added == 0 && removed == 0 && order(old) != order(new) {
        sections.push("messages reordered");
    }
    if old.triggers != new.triggers {
        sections.push("triggers changed");
    }
    if old.handover != new.handover {
        sections.push("handover settings changed");
    }
    if old.persistent_menu != new.persistent_menu {
        sections.push("persistent menu changed");
    }
    if old.greeting != new.greeting {
        sections.push("greeting changed");
    }
    if old.version != new.version {
        sections.push("version changed");
    }
    for s in sections {
        out.push_str("; ");
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::example_flow;

    #[test]
    fn no_changes() {
        let f = example_flow();
        assert_eq!(
            summarize_changes(&f, &f),
            "0 messages added, 0 changed, 0 removed"
        );
    }

    #[test]
    fn counts_and_sections() {
        let old = example_flow();
        let mut new = old.clone();
        new.messages.remove(3); // main_menu removed
        new.messages[0].name = "Human please".into(); // changed
        let mut extra = new.messages[1].clone();
        extra.key = "extra".into();
        new.messages.push(extra.clone());
        extra.key = "extra_2".into();
        new.messages.push(extra);
        new.triggers.fallback = None;
        new.greeting = None;
        assert_eq!(
            summarize_changes(&old, &new),
            "2 messages added, 1 changed, 1 removed; triggers changed; greeting changed"
        );
    }

    #[test]
    fn one_added_singular_and_reorder() {
        let old = example_flow();
        let mut new = old.clone();
        new.messages.swap(0, 1);
        assert_eq!(
            summarize_changes(&old, &new),
            "0 messages added, 0 changed, 0 removed; messages reordered"
        );
        let mut new = old.clone();
        new.messages.push(crate::model::Message {
            key: "x".into(),
            name: "X".into(),
            parts: vec![],
        });
        new.persistent_menu.clear();
        new.handover = None;
        assert_eq!(
            summarize_changes(&old, &new),
            "1 message added, 0 changed, 0 removed; handover settings changed; persistent menu changed"
        );
    }
}
