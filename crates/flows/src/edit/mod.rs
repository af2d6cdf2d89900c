//! Editing operations for the browser editor: add, duplicate, delete and move messages (and
//! their parts, buttons, quick replies), and add the Handover kit to an existing flow.
//!
//! All of them are pure functions on a [`Flow`]; they never validate. A result may well
//! have problems (an empty text, a reference with "no message chosen") for the editor to
//! show with [`crate::validate::validate`].

use crate::kit::handover_kit;
use crate::model::{Action, Button, Flow, Message, Part, TextPart};
use crate::runtime::for_each_reference_mut;

/// Longest key [`key_from_name`] makes, leaving room for the `_2` suffixes of
/// [`Flow::free_key`] under [`crate::limits::KEY_MAX`].
const NAME_KEY_MAX: usize = 40;

/// Longest base [`duplicate_message`] passes to [`Flow::free_key`] (same reason).
const COPY_BASE_MAX: usize = 56;

/// A message key made from a human name: lowercase ASCII letters and digits, every other run
/// of characters becomes one `_`, no `_` at either end, at most 40 characters, `"message"`
/// when nothing is left. E.g. `"Talk to a human!"` -> `"talk_to_a_human"`.
pub fn key_from_name(name: &str) -> String {
    let mut key = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    key.truncate(NAME_KEY_MAX); // ASCII only, so any byte index is a char boundary
    let key = key.trim_end_matches('_');
    if key.is_empty() {
        "message".to_owned()
    } else {
        key.to_owned()
    }
}

/// Appends a message called `name` (trimmed; `"New message"` when blank) with one empty
/// text part, under a free key made from the name. Returns the new key.
pub fn add_message(flow: &mut Flow, name: &str) -> String {
    let name = match name.trim() {
        "" => "New message",
        trimmed => trimmed,
    };
    let key = flow.free_key(&key_from_name(name));
    flow.messages.push(Message {
        key: key.clone(),
        name: name.to_owned(),
        parts: vec![Part::Text(TextPart::default())],
    });
    key
}

/// Inserts a copy of message `key` right after it, named "`<name> (copy)`", under a free key
/// based on `key`. References inside the copy are kept as they are. Returns the new key, or
/// `None` when there is no such message.
pub fn duplicate_message(flow: &mut Flow, key: &str) -> Option<String> {
    let at = flow.message_index(key)?;
    let mut copy = flow.messages[at].clone();
    let base: String = key.chars().take(COPY_BASE_MAX).collect();
    copy.key = flow.free_key(&base);
    copy.name = format!("{} (copy)", copy.name);
    let new_key = copy.key.clone();
    flow.messages.insert(at + 1, copy);
    Some(new_key)
}

/// Removes message `key` and retargets every reference to it (the places
/// [`crate::runtime::used_by`] lists): with `Some(replacement)` they all point at `replacement`;
/// with `None` actions and keyword rules get `""` ("no message chosen" for
/// [`crate::validate::validate`]) and the Get Started, fallback and handover section fields are
/// cleared. Returns how many references were changed (`used_by(flow, key).len()` before).
///
/// Nothing happens (and 0 is returned) when there is no such message. When the key is
/// duplicated, only the first message goes and the references stay with the other one.
pub fn delete_message(flow: &mut Flow, key: &str, replacement: Option<&str>) -> usize {
    let Some(at) = flow.message_index(key) else {
        return 0;
    };
    flow.messages.remove(at);
    if flow.message(key).is_some() {
        return 0;
    }
    let replacement = replacement.filter(|r| !r.is_empty());
    let mut changed = 0;
    for_each_reference_mut(flow, |_, mut slot| {
        if slot.key() == Some(key) {
            slot.set(replacement);
            changed += 1;
        }
    });
    changed
}

/// Moves the item at `from` so that it ends up at index `to` (parts, buttons, quick replies,
/// messages, menu items). Returns `false`, changing nothing, when either index is out of
/// range or they are equal.
pub fn move_item<T>(list: &mut Vec<T>, from: usize, to: usize) -> bool {
    if from >= list.len() || to >= list.len() || from == to {
        return false;
    }
    let item = list.remove(from);
    list.insert(to, item);
    true
}

/// What [`add_handover_kit`] added: the keys of the three kit messages and of the main menu
/// that "Back in the bot" now leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitAdded {
    /// "Talk to a human" (its button hands over to the Page Inbox).
    pub talk: String,
    /// "Now with a person" (the handover confirmation, with a "Return to bot" button).
    pub now_human: String,
    /// "Back in the bot" (the return confirmation, with a "Main menu" quick reply).
    pub back: String,
    /// The flow's main menu: an existing message, or a new one (see `created_main_menu`).
    pub main_menu: String,
    /// True when no main menu was found and a new "Main menu" message was appended.
    pub created_main_menu: bool,
}

/// Appends the three messages of [`crate::kit::handover_kit`] under free keys (e.g.
/// `talk_to_human_2` when `talk_to_human` is taken), wired to each other, with the "Main
/// menu" quick reply of "Back in the bot" pointing at the flow's main menu: the Get Started
/// message if it exists, else the message keyed `main_menu`, else the first message named
/// "Main menu" (any case). When there is none, a "Main menu" message with a "Talk to human"
/// button is appended too. Triggers are left alone.
pub fn add_handover_kit(flow: &mut Flow) -> KitAdded {
    let existing_menu = main_menu_key(flow).map(str::to_owned);
    let mut kit = Flow {
        messages: handover_kit(),
        ..Flow::default()
    };
    // Kit keys have distinct bases, so keys picked against `flow` cannot clash with each
    // other; `main_menu` is only picked when no message has that key.
    let mut renames: Vec<(String, String)> = kit
        .messages
        .iter()
        .map(|m| (m.key.clone(), flow.free_key(&m.key)))
        .collect();
    let created_main_menu = existing_menu.is_none();
    let main_menu = existing_menu.unwrap_or_else(|| flow.free_key("main_menu"));
    renames.push(("main_menu".to_owned(), main_menu.clone()));
    for m in &mut kit.messages {
        if let Some((_, new)) = renames.iter().find(|(old, _)| *old == m.key) {
            m.key.clone_from(new);
        }
    }
    for_each_reference_mut(&mut kit, |_, mut slot| {
        let new = renames.iter().find(|(old, _)| slot.key() == Some(old));
        if let Some((_, new)) = new {
            slot.set(Some(new));
        }
    });
    let [talk, now_human, back] = [0, 1, 2].map(|i| kit.messages[i].key.clone());
    flow.messages.append(&mut kit.messages);
    if created_main_menu {
        flow.messages.push(Message {
            key: main_menu.clone(),
            name: "Main menu".into(),
            parts: vec![Part::Text(TextPart {
                text: "How can we help?".into(),
                buttons: vec![Button {
                    title: "Talk to human".into(),
                    action: Action::GoTo {
                        message: talk.clone(),
                    },
                }],
                quick_replies: vec![],
            })],
        });
    }
    KitAdded {
        talk,
        now_human,
        back,
        main_menu,
        created_main_menu,
    }
}

/// The flow's main menu for [`add_handover_kit`].
fn main_menu_key(flow: &Flow) -> Option<&str> {
    let get_started = flow.triggers.get_started.as_deref();
    get_started
        .and_then(|k| flow.message(k))
        .or_else(|| flow.message("main_menu"))
        .or_else(|| {
            let named = |m: &&Message| m.name.trim().eq_ignore_ascii_case("main menu");
            flow.messages.iter().find(named)
        })
        .map(|m| m.key.as_str())
}

#[cfg(test)]
mod tests;
