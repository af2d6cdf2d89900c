//! Messenger Platform limits and Baton's own bounds enforced by [`crate::validate`].
//!
//! All text lengths are counted in Unicode scalar values (`str::chars`), as the docs say
//! "characters".

/// Max characters of a plain text message (Send API `message.text`).
pub const TEXT_MAX: usize = 2000;
/// Max characters of a button template's text (a text part that has buttons).
pub const BUTTON_TEXT_MAX: usize = 640;
/// Max buttons on one button template (text part).
pub const BUTTONS_MAX: usize = 3;
/// Max characters of a button title.
pub const BUTTON_TITLE_MAX: usize = 20;
/// Max quick replies on one message.
pub const QUICK_REPLIES_MAX: usize = 13;
/// Max characters of a quick reply title.
pub const QUICK_REPLY_TITLE_MAX: usize = 20;
/// Max characters of a postback / quick reply payload.
pub const PAYLOAD_MAX: usize = 1000;
/// Max persistent menu items (flat menu, nested menus were removed by Meta).
pub const MENU_ITEMS_MAX: usize = 20;
/// Max characters of a persistent menu item title (Messenger's persistent-menu limit is 30).
pub const MENU_TITLE_MAX: usize = 30;
/// Max characters of the greeting text.
pub const GREETING_MAX: usize = 160;
/// Max characters of a message key (Baton's bound; keeps payloads short).
pub const KEY_MAX: usize = 64;
/// Shortest typing delay in seconds.
pub const TYPING_MIN_SECONDS: u32 = 1;
/// Longest typing delay in seconds (Baton's bound: longer pauses look broken to users and
/// hold the per-user outbox queue).
pub const TYPING_MAX_SECONDS: u32 = 20;
