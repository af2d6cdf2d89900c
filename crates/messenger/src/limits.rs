//! Messenger limits (§4, §5, §7 of the platform doc), counted in chars (Unicode scalar values).

use std::time::Duration;

/// `message.text`.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Button template `text`.
pub const MAX_BUTTON_TEMPLATE_TEXT_CHARS: usize = 640;
/// Fewest buttons in a button template.
pub const MIN_BUTTONS: usize = 1;
/// Most buttons in a button template / generic card.
pub const MAX_BUTTONS: usize = 3;
/// Button `title`.
pub const MAX_BUTTON_TITLE_CHARS: usize = 20;
/// Postback button `payload` (also Get Started / persistent menu payloads).
pub const MAX_PAYLOAD_CHARS: usize = 1000;
/// Quick replies per message.
pub const MAX_QUICK_REPLIES: usize = 13;
/// Quick reply `title` (Meta truncates; we reject).
pub const MAX_QUICK_REPLY_TITLE_CHARS: usize = 20;
/// Quick reply `payload`.
pub const MAX_QUICK_REPLY_PAYLOAD_CHARS: usize = 1000;
/// `message.metadata` (unconfirmed upstream; treated as 1000).
pub const MAX_METADATA_CHARS: usize = 1000;
/// Handover `metadata` (unconfirmed upstream; treated as 1000).
pub const MAX_HANDOVER_METADATA_CHARS: usize = 1000;
/// Persistent menu `call_to_actions` per locale.
pub const MAX_PERSISTENT_MENU_ITEMS: usize = 20;
/// Greeting text (unconfirmed upstream; treated as 160).
pub const MAX_GREETING_CHARS: usize = 160;
/// Persistent menu item `title`.
pub const MAX_MENU_ITEM_TITLE_CHARS: usize = 30;

/// Standard messaging window after the user's last message / postback.
pub const STANDARD_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// `MESSAGE_TAG` + `HUMAN_AGENT` window after the user's last message.
pub const HUMAN_AGENT_WINDOW: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// [`STANDARD_WINDOW`] in milliseconds (timestamps are Unix milliseconds).
pub const STANDARD_WINDOW_MS: i64 = STANDARD_WINDOW.as_millis() as i64;
/// [`HUMAN_AGENT_WINDOW`] in milliseconds.
pub const HUMAN_AGENT_WINDOW_MS: i64 = HUMAN_AGENT_WINDOW.as_millis() as i64;

/// Length of `s` as Messenger counts it (Unicode scalar values, not bytes).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_chars_not_bytes() {
        assert_eq!(super::char_len("ção😀"), 4);
        assert_eq!("ção😀".len(), 9);
    }
}
