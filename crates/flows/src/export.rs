//! Export: `to_json` writes a flow file in its one canonical form.
//!
//! Canonical form: serde_json's pretty printer (2-space indent, `"key": value`), UTF-8 text
//! unescaped, a trailing newline. Keys come in the order of the example in docs/spec.md §3:
//! `version, messages, triggers, handover, persistent_menu, greeting` at the top;
//! `key, name, parts` in messages; `type` first in parts and actions, then
//! `text, buttons, quick_replies` / `url, quick_replies` / `seconds`;
//! `title, action` in buttons, quick replies and menu items; `target, confirmation` in
//! handover actions; `get_started, fallback, keywords` in triggers; `match, words, message`
//! in keyword rules; `to_inbox_message, back_to_bot_message, unavailable_text` in `handover`.
//! Empty lists and absent optional values are left out (`messages` and `triggers` are always
//! written). Hence export -> [`crate::import::parse_flow`] -> export is byte-identical.

use crate::model::Flow;

/// The flow as a canonical, pretty-printed flow file (see the module docs).
pub fn to_json(flow: &Flow) -> String {
    // Serialising these plain structs (string keys only, no floats, no maps) cannot fail.
    let mut out = serde_json::to_string_pretty(flow).expect("flow serialises to JSON");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_flow_is_small_and_canonical() {
        let json = to_json(&Flow::default());
        assert_eq!(
            json,
            "{\n  \"version\": 1,\n  \"messages\": [],\n  \"triggers\": {}\n}\n"
        );
        assert_eq!(crate::import::parse_flow(&json), Ok(Flow::default()));
    }

    #[test]
    fn non_ascii_is_written_as_is() {
        let flow = Flow {
            greeting: Some("Olá 👋".into()),
            ..Flow::default()
        };
        assert!(to_json(&flow).contains("\"greeting\": \"Olá 👋\""));
    }
}
