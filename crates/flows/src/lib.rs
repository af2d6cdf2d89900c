//! Baton flows: the flow data model, its validation and the flow file format v1.
//!
//! Pure library (no I/O, no async): it compiles for the server, the CLI and the browser
//! (wasm32), so the editor, `flows import` and publishing all apply the very same rules.
//!
//! - [`parse_flow`]: read a flow file; `Err` lists every error with its JSON path.
//! - [`validate`]: all rules on an in-memory [`Flow`] (errors and warnings).
//! - [`to_json`]: canonical export (export -> import -> export is byte-identical).
//! - [`payload_for`] / [`resolve_payload`] / [`find_button_by_title`]: postback payloads.
//! - [`handover_messages`], [`match_keyword`], [`used_by`], [`handover_kit`],
//!   [`summarize_changes`]: helpers for the runtime and the editor.
//! - [`add_message`], [`duplicate_message`], [`delete_message`], [`move_item`],
//!   [`add_handover_kit`], [`key_from_name`]: the editor's editing operations.
//! - [`describe_changes`]: a line-by-line, plain-words diff for the versions screen.
//!
//! # Problems
//! A [`Problem`] is `{ path, message, severity }` and displays as `"{path}: {message}"`, e.g.
//! `messages[3].parts[0].buttons[1].title: longer than 20 characters (24)`. Paths use
//! `field.sub[index]`; `$` is the whole document. Lengths count characters (`char`s).
//!
//! Structure (reported by [`parse_flow`] only):
//! - `$: not valid JSON: <serde_json message with line and column>`
//! - `<path>: expected an object` / `expected an array` / `expected a string` /
//!   `expected a whole number` (`version`, `seconds`: a non-negative integer fitting u32)
//! - `<path>: missing` (required: `version`, `messages`, message `key`/`name`/`parts`, part
//!   and action `type`, text `text`, image `url`, typing `seconds`, `title` and `action` of
//!   buttons/quick replies/menu items, the fields of each action, keyword `match`/`words`/
//!   `message`). Optional: `triggers`, `handover`, `persistent_menu`, `greeting`, `buttons`,
//!   `quick_replies`, `get_started`, `fallback`, `keywords`, both `handover` fields; `null`
//!   counts as absent for optional fields.
//! - `<path>: unknown field` (also a field of another part/action type, e.g. `buttons` on
//!   an image part)
//! - `<path>.type: unknown part type "video" (expected text, image, typing)`
//! - `<path>.type: unknown action type "call" (expected go_to, url, handover, return_to_bot)`
//! - `<path>.target: unknown handover target "x" (expected page_inbox)` (the target is an
//!   enum, so "must be page_inbox" is enforced on import and cannot be broken in memory)
//! - `<path>.match: unknown match "regex" (expected exact, contains)`
//!
//! Rules (reported by [`validate`], and by [`parse_flow`] for errors):
//! - `version: unsupported version 2 (this Baton reads version 1)`
//! - key: `must not be empty`; `may only use lowercase letters a-z, digits 0-9, _ and -
//!   (found 'A')`; `longer than 64 characters (N)`; `duplicate key "x" (also messages[0])`
//! - `messages[i].name: must not be empty` (blank counts as empty, as for all texts below)
//! - `messages[i].parts: needs at least one part`
//! - text: `must not be empty`; `longer than 2000 characters (N)`; with buttons:
//!   `longer than 640 characters (N), the limit for text with buttons`
//! - `...buttons: more than 3 buttons (N)`; `...quick_replies: more than 13 quick replies (N)`
//! - button / quick reply title: `must not be empty`; `longer than 20 characters (N)`
//! - `...parts[j].quick_replies: quick replies are only allowed on the last part of a message`
//! - `...quick_replies[k].action: a quick reply cannot open a web address (only buttons and
//!   the persistent menu can)`
//! - `...action.url` and image `url`: `must be a full web address starting with http:// or
//!   https://` (scheme http/https, non-empty host, optional numeric port, no spaces)
//! - references (`action.message`, `action.confirmation`, `triggers.get_started`,
//!   `triggers.fallback`, `triggers.keywords[i].message`, `handover.*`):
//!   `no message with key "main_menu"`, or `no message chosen` when empty
//! - `...seconds: must be from 1 to 20 seconds (N)` (Baton's bound, see [`limits`])
//! - `triggers.keywords[i].words: needs at least one word`; word: `must not be empty`;
//!   `duplicate word "human" (also triggers.keywords[0].words[0])` (same match kind,
//!   compared trimmed and lowercased, across and within rules)
//! - `persistent_menu: more than 20 items (N)`; `persistent_menu: needs a Get Started message
//!   (set triggers.get_started)`; item title: `must not be empty`, `longer than 30 characters
//!   (N)` (Messenger's persistent-menu title limit)
//! - `greeting: must not be empty`; `greeting: longer than 160 characters (N)`
//! - `<button/quick reply/menu item path>: postback payload longer than 1000 characters (N);
//!   use a shorter message key` (only reachable with over-long keys)
//! - warnings: `messages[i].parts[j]: a typing delay as the last part shows nothing after it`;
//!   `...action.confirmation: message "x" has no "return to bot" button, so people cannot
//!   come back to the bot themselves` (on a handover action whose confirmation message offers
//!   no `return_to_bot` button or quick reply).

mod describe;
mod diff;
mod edit;
mod export;
mod import;
mod kit;
pub mod limits;
mod model;
mod payload;
mod problem;
mod runtime;
mod text;
mod validate;
mod wire;

pub use describe::describe_changes;
pub use diff::summarize_changes;
pub use edit::{
    add_handover_kit, add_message, delete_message, duplicate_message, key_from_name, move_item,
    KitAdded,
};
pub use export::to_json;
pub use import::{flow_from_value, parse_flow};
pub use kit::{example_flow, handover_kit, HANDOVER_KIT_KEYS};
pub use model::{
    Action, Button, Choice, Flow, HandoverSettings, HandoverTarget, ImagePart, KeywordRule,
    MatchKind, MenuItem, Message, Part, QuickReply, TextPart, Triggers, TypingPart,
    DEFAULT_UNAVAILABLE_TEXT, FLOW_VERSION,
};
pub use payload::{
    all_postbacks, find_button_by_title, payload_for, resolve_payload, ButtonKind, ResolvedAction,
    GET_STARTED_PAYLOAD,
};
pub use problem::{has_errors, Problem, Severity, ROOT_PATH};
pub use runtime::{handover_messages, match_keyword, used_by};
pub use text::lowercase;
pub use validate::{is_web_url, validate};
