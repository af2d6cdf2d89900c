//! Buttons, quick replies and persistent-menu items: a title and an action picked from a
//! clear list (go to a message, open a web address, or the Handover protocol's "Handover to
//! Page Inbox" / "Pass control back to bot", each with its confirmation message).

use flows::limits::{BUTTON_TITLE_MAX, MENU_TITLE_MAX, QUICK_REPLY_TITLE_MAX};
use flows::{move_item, Action, Flow, HandoverTarget};
use leptos::prelude::*;

use super::fields::{setter, Field, MessagePicker, Problems};
use super::state::Editor;

/// Which list a title-and-action item sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Buttons,
    QuickReplies,
    Menu,
}

impl List {
    fn field(self) -> &'static str {
        match self {
            List::Buttons => "buttons",
            List::QuickReplies => "quick_replies",
            List::Menu => "persistent_menu",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            List::Buttons => "Button",
            List::QuickReplies => "Quick reply",
            List::Menu => "Menu item",
        }
    }

    fn max_title(self) -> usize {
        match self {
            List::Buttons => BUTTON_TITLE_MAX,
            List::QuickReplies => QUICK_REPLY_TITLE_MAX,
            List::Menu => MENU_TITLE_MAX,
        }
    }
}

/// Where one title-and-action item is: message `key`'s part `part` (buttons or quick
/// replies), or the persistent menu (then `key` is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub list: List,
    pub key: String,
    pub part: usize,
    pub i: usize,
}

impl Slot {
    /// The JSON path of the item (`messages[2].parts[0].buttons[1]`, `persistent_menu[0]`).
    pub fn path(&self, f: &Flow) -> String {
        match self.list {
            List::Menu => format!("persistent_menu[{}]", self.i),
            list => format!(
                "messages[{}].parts[{}].{}[{}]",
                f.message_index(&self.key).unwrap_or(usize::MAX),
                self.part,
                list.field(),
                self.i
            ),
        }
    }

    fn get<'a>(&self, f: &'a Flow) -> Option<(&'a String, &'a Action)> {
        match self.list {
            List::Menu => f.persistent_menu.get(self.i).map(|m| (&m.title, &m.action)),
            List::Buttons => f
                .message(&self.key)?
                .parts
                .get(self.part)?
                .buttons()
                .get(self.i)
                .map(|b| (&b.title, &b.action)),
            List::QuickReplies => f
                .message(&self.key)?
                .parts
                .get(self.part)?
                .quick_replies()
                .get(self.i)
                .map(|q| (&q.title, &q.action)),
        }
    }

    fn get_mut<'a>(&self, f: &'a mut Flow) -> Option<(&'a mut String, &'a mut Action)> {
        match self.list {
            List::Menu => f
                .persistent_menu
                .get_mut(self.i)
                .map(|m| (&mut m.title, &mut m.action)),
            List::Buttons => match f.message_mut(&self.key)?.parts.get_mut(self.part)? {
                flows::Part::Text(t) => t
                    .buttons
                    .get_mut(self.i)
                    .map(|b| (&mut b.title, &mut b.action)),
                _ => None,
            },
            List::QuickReplies => {
                let part = f.message_mut(&self.key)?.parts.get_mut(self.part)?;
                let list = match part {
                    flows::Part::Text(t) => &mut t.quick_replies,
                    flows::Part::Image(i) => &mut i.quick_replies,
                    flows::Part::Typing(_) => return None,
                };
                list.get_mut(self.i).map(|q| (&mut q.title, &mut q.action))
            }
        }
    }

    /// Removes the item, or moves it by `delta` places (`0`: remove).
    fn shift(&self, f: &mut Flow, delta: isize) {
        let i = self.i;
        let to = i.checked_add_signed(delta);
        fn apply<T>(list: &mut Vec<T>, i: usize, to: Option<usize>, delta: isize) {
            if delta == 0 {
                if i < list.len() {
                    list.remove(i);
                }
            } else if let Some(to) = to {
                move_item(list, i, to);
            }
        }
        match self.list {
            List::Menu => apply(&mut f.persistent_menu, i, to, delta),
            list => {
                let Some(part) = f
                    .message_mut(&self.key)
                    .and_then(|m| m.parts.get_mut(self.part))
                else {
                    return;
                };
                match (list, part) {
                    (List::Buttons, flows::Part::Text(t)) => apply(&mut t.buttons, i, to, delta),
                    (List::QuickReplies, flows::Part::Text(t)) => {
                        apply(&mut t.quick_replies, i, to, delta)
                    }
                    (List::QuickReplies, flows::Part::Image(m)) => {
                        apply(&mut m.quick_replies, i, to, delta)
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The action kinds as the picker offers them.
const GO_TO: &str = "go_to";
const URL: &str = "url";
const HANDOVER: &str = "handover";
const RETURN: &str = "return_to_bot";

/// One button, quick reply or menu item: its title (with counter), its action, and buttons
/// to move it or remove it.
#[component]
pub fn ChoiceEditor(at: Slot, count: usize) -> impl IntoView {
    let slot = at;
    let ed = Editor::get();
    let list = slot.list;
    let s = slot.clone();
    let path = Signal::derive(move || ed.flow.with(|f| s.path(f)));
    let s = slot.clone();
    let title = Signal::derive(move || {
        ed.flow
            .with(|f| s.get(f).map(|(t, _)| t.clone()).unwrap_or_default())
    });
    let s = slot.clone();
    let set_title = setter(move |f, v| {
        if let Some((t, _)) = s.get_mut(f) {
            *t = v;
        }
    });
    let s = slot.clone();
    let shift = move |delta: isize| {
        let s = s.clone();
        ed.edit("(move item)", move |f| s.shift(f, delta));
    };
    let number = slot.i + 1;
    let title_path = Signal::derive(move || format!("{}.title", path.get()));
    view! {
        <div class="choice">
            <div class="choice-head">
                <strong>{format!("{} {number}", list.noun())}</strong>
                <span class="row-tools">
                    <button type="button" class="icon" title="Move up" aria-label=format!("Move {} {number} up", list.noun().to_ascii_lowercase())
                        disabled={slot.i == 0} on:click={let shift = shift.clone(); move |_| shift(-1)}>"↑"</button>
                    <button type="button" class="icon" title="Move down" aria-label=format!("Move {} {number} down", list.noun().to_ascii_lowercase())
                        disabled={slot.i + 1 >= count} on:click={let shift = shift.clone(); move |_| shift(1)}>"↓"</button>
                    <button type="button" class="icon danger" title="Remove" aria-label=format!("Remove {} {number}", list.noun().to_ascii_lowercase())
                        on:click=move |_| shift(0)>"✕"</button>
                </span>
            </div>
            <Field label="Title" value=title set=set_title path=title_path
                max=Signal::stored(list.max_title())/>
            <ActionPicker at=slot/>
            <Problems path=Signal::derive(move || format!("{}.action", path.get()))/>
        </div>
    }
}

/// "When tapped": the action kind, then what it needs (a message, a confirmation message, a
/// web address).
#[component]
fn ActionPicker(at: Slot) -> impl IntoView {
    let slot = at;
    let ed = Editor::get();
    let s = slot.clone();
    let kind = Memo::new(move |_| {
        ed.flow
            .with(|f| s.get(f).map(|(_, a)| a.type_name()).unwrap_or(GO_TO))
    });
    let s = slot.clone();
    let path = Signal::derive(move || ed.flow.with(|f| format!("{}.action", s.path(f))));
    let s = slot.clone();
    let choose = move |ev: leptos::ev::Event| {
        let new = event_target_value(&ev);
        let s = s.clone();
        ed.edit("(action kind)", move |f| {
            if let Some((_, action)) = s.get_mut(f) {
                let kept = action
                    .message_ref()
                    .map(|(_, k)| k.to_owned())
                    .unwrap_or_default();
                *action = match new.as_str() {
                    URL => Action::Url { url: String::new() },
                    HANDOVER => Action::Handover {
                        target: HandoverTarget::PageInbox,
                        confirmation: kept,
                    },
                    RETURN => Action::ReturnToBot { confirmation: kept },
                    _ => Action::GoTo { message: kept },
                };
            }
        });
    };
    let allows_url = slot.list != List::QuickReplies;
    let s = slot.clone();
    let reference = Signal::derive(move || {
        ed.flow.with(|f| {
            s.get(f)
                .and_then(|(_, a)| a.message_ref().map(|(_, k)| k.to_owned()))
                .unwrap_or_default()
        })
    });
    let s = slot.clone();
    let set_reference = setter(move |f, v| {
        if let Some((_, a)) = s.get_mut(f) {
            match a {
                Action::GoTo { message } => *message = v,
                Action::Handover { confirmation, .. } | Action::ReturnToBot { confirmation } => {
                    *confirmation = v
                }
                Action::Url { .. } => {}
            }
        }
    });
    let s = slot.clone();
    let url = Signal::derive(move || {
        ed.flow.with(|f| match s.get(f) {
            Some((_, Action::Url { url })) => url.clone(),
            _ => String::new(),
        })
    });
    let s = slot;
    let set_url = setter(move |f, v| {
        if let Some((_, Action::Url { url })) = s.get_mut(f) {
            *url = v;
        }
    });
    view! {
        <div class="field">
            <label>
                <span class="field-label">"When tapped"</span>
                <select aria-label="When tapped" on:change=choose prop:value=move || kind.get()>
                    <option value=GO_TO selected=move || kind.get() == GO_TO>"Go to message"</option>
                    {allows_url.then(|| view! {
                        <option value=URL selected=move || kind.get() == URL>"Open a web address"</option>
                    })}
                    <optgroup label="Handover protocol">
                        <option value=HANDOVER selected=move || kind.get() == HANDOVER>"Handover to Page Inbox"</option>
                        <option value=RETURN selected=move || kind.get() == RETURN>"Pass control back to bot"</option>
                    </optgroup>
                </select>
            </label>
        </div>
        {move || match kind.get() {
            URL => view! {
                <Field label="Web address" value=url set=set_url.clone() placeholder="https://"
                    path=Signal::derive(move || format!("{}.url", path.get()))/>
            }.into_any(),
            GO_TO => view! {
                <MessagePicker label="Message" value=reference set=set_reference.clone()
                    path=Signal::derive(move || format!("{}.message", path.get()))/>
            }.into_any(),
            k => view! {
                <p class="hint">{if k == HANDOVER {
                    "Sends the confirmation message, then hands the conversation to a person in the Page Inbox; the bot stays silent until it comes back."
                } else {
                    "Takes the conversation back from the Page Inbox, then sends the confirmation message."
                }}</p>
                <MessagePicker label="Confirmation message" value=reference set=set_reference.clone()
                    path=Signal::derive(move || format!("{}.confirmation", path.get()))/>
            }.into_any(),
        }}
    }
}
