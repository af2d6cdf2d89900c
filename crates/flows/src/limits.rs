//! The limits [`crate::validate::validate`] enforces: Messenger's own (defined once, in the `messenger`
//! crate, and named here as the editor speaks of them) and Baton's own bounds.
//!
//! All text lengths are counted in Unicode scalar values (`str::chars`), as the docs say
//! "characters".

use messenger::limits as platform;

/// Max characters of a plain text message (Send API `message.text`).
pub const TEXT_MAX: usize = platform::MAX_TEXT_CHARS;
/// Max characters of a button template's text (a text part that has buttons).
pub const BUTTON_TEXT_MAX: usize = platform::MAX_BUTTON_TEMPLATE_TEXT_CHARS;
/// Max buttons on one button template (text part).
pub const BUTTONS_MAX: usize = platform::MAX_BUTTONS;
/// Max characters of a button title.
pub const BUTTON_TITLE_MAX: usize = platform::MAX_BUTTON_TITLE_CHARS;
/// Max quick replies on one message.
pub const QUICK_REPLIES_MAX: usize = platform::MAX_QUICK_REPLIES;
/// Max characters of a quick reply title.
pub const QUICK_REPLY_TITLE_MAX: usize = platform::MAX_QUICK_REPLY_TITLE_CHARS;
/// Max characters of a postback / quick reply payload.
pub const PAYLOAD_MAX: usize = platform::MAX_PAYLOAD_CHARS;
/// Max persistent menu items (flat menu, nested menus were removed by Meta).
pub const MENU_ITEMS_MAX: usize = platform::MAX_PERSISTENT_MENU_ITEMS;
/// Max characters of a persistent menu item title.
pub const MENU_TITLE_MAX: usize = platform::MAX_MENU_ITEM_TITLE_CHARS;
/// Max characters of the greeting text.
pub const GREETING_MAX: usize = platform::MAX_GREETING_CHARS;
/// Max characters of a message key (Baton's bound; keeps payloads short).
pub const KEY_MAX: usize = 64;
/// Shortest typing delay in seconds.
pub const TYPING_MIN_SECONDS: u32 = 1;
/// Longest typing delay in seconds (Baton's bound: longer pauses look broken to users and
/// hold the per-user outbox queue).
pub const TYPING_MAX_SECONDS: u32 = 20;
