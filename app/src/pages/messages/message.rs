//! One message: its name, its ordered parts (text with up to 3 buttons, image, typing delay)
//! with quick replies on the last part, and Duplicate / Delete (which says what uses the
//! message and lets the editor point those places at another message).

use flows::limits::{BUTTONS_MAX, BUTTON_TEXT_MAX, QUICK_REPLIES_MAX, TEXT_MAX};
use flows::{
    duplicate_message, move_item, Action, Button, ImagePart, Part, QuickReply, TextPart, TypingPart,
};
use leptos::lazy;
use leptos::prelude::*;

use super::choice::{ChoiceEditor, List, Slot};
use super::delete::DeleteDialog;
use super::fields::{setter, Field, Problems};
use super::lazy_part::lazy_part;
use super::state::Editor;

/// The shape of a part: what decides which controls it shows (not its texts, so typing does
/// not rebuild the form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    kind: &'static str,
    buttons: usize,
    quick_replies: usize,
}

/// The selected message's form, or what to do when there is none.
#[component]
pub fn MessageForm() -> impl IntoView {
    let ed = Editor::get();
    move || {
        match ed.selected.get() {
        Some(key) => view! { <MessageFields key/> }.into_any(),
        None => view! {
            <section class="panel msg-form empty-state">
                <h2>"No message open"</h2>
                <p>"Create a message with " <strong>"New message"</strong> ", or add the "
                   <strong>"Handover kit"</strong> " to start with the three messages that hand people to the Page Inbox and back."</p>
            </section>
        }
        .into_any(),
    }
    }
}

#[component]
fn MessageFields(key: String) -> impl IntoView {
    let ed = Editor::get();
    let k = key.clone();
    let path = Memo::new(move |_| {
        ed.flow
            .with(|f| format!("messages[{}]", f.message_index(&k).unwrap_or(usize::MAX)))
    });
    let k = key.clone();
    let shapes = Memo::new(move |_| {
        ed.flow.with(|f| {
            f.message(&k).map(|m| {
                m.parts
                    .iter()
                    .map(|p| Shape {
                        kind: p.type_name(),
                        buttons: p.buttons().len(),
                        quick_replies: p.quick_replies().len(),
                    })
                    .collect::<Vec<_>>()
            })
        })
    });
    let k = key.clone();
    let name = Signal::derive(move || {
        ed.flow
            .with(|f| f.message(&k).map(|m| m.name.clone()).unwrap_or_default())
    });
    let k = key.clone();
    let set_name = setter(move |f, v| {
        if let Some(m) = f.message_mut(&k) {
            m.name = v;
        }
    });
    let deleting = RwSignal::new(false);
    let k = key.clone();
    let duplicate = move |_| {
        let k = k.clone();
        let mut copy = None;
        ed.edit("(duplicate)", |f| copy = duplicate_message(f, &k));
        if copy.is_some() {
            ed.selected.set(copy);
        }
    };
    let k = key.clone();
    let add = move |kind: &'static str| {
        let k = k.clone();
        ed.edit("(add part)", move |f| {
            if let Some(m) = f.message_mut(&k) {
                m.parts.push(match kind {
                    "image" => Part::Image(ImagePart::default()),
                    "typing" => Part::Typing(TypingPart { seconds: 2 }),
                    _ => Part::Text(TextPart::default()),
                });
            }
        });
    };
    let key_shown = key.clone();
    let parts_key = key.clone();
    view! {
        <section class="panel msg-form" aria-label="Message">
            {move || shapes.get().is_none().then(|| view! {
                <p class="notice">"This message no longer exists (undo with Ctrl+Z, or pick another one)."</p>
            })}
            <div class="msg-form-head">
                <Field label="Message name" value=name set=set_name
                    path=Signal::derive(move || format!("{}.name", path.get()))/>
                <p class="key">"Key: " <code>{key_shown}</code></p>
                <div class="row-tools">
                    <button type="button" class="secondary" on:click=duplicate>"Duplicate"</button>
                    <button type="button" class="secondary danger" on:click=move |_| deleting.set(true)>"Delete…"</button>
                </div>
            </div>
            {move || deleting.get().then(|| lazy_part(delete_part(key.clone(), deleting)))}
            <Problems path=Signal::derive(move || format!("{}.parts", path.get()))/>
            <ol class="parts">
                {move || {
                    let shapes = shapes.get().unwrap_or_default();
                    let count = shapes.len();
                    shapes.into_iter().enumerate().map(|(pi, shape)| {
                        view! { <PartEditor key=parts_key.clone() pi shape count/> }
                    }).collect_view()
                }}
            </ol>
            <div class="add-row" role="group" aria-label="Add a part">
                <span>"Add:"</span>
                <button type="button" class="secondary" on:click={let add = add.clone(); move |_| add("text")}>"+ Text"</button>
                <button type="button" class="secondary" on:click={let add = add.clone(); move |_| add("image")}>"+ Image"</button>
                <button type="button" class="secondary" on:click=move |_| add("typing")>"+ Typing delay"</button>
            </div>
        </section>
    }
}

/// One part: its fields, its buttons (text), its quick replies (last part), and tools to move
/// or remove it.
#[component]
fn PartEditor(key: String, pi: usize, shape: Shape, count: usize) -> impl IntoView {
    let ed = Editor::get();
    let k = key.clone();
    let path = Signal::derive(move || {
        ed.flow.with(|f| {
            format!(
                "messages[{}].parts[{pi}]",
                f.message_index(&k).unwrap_or(usize::MAX)
            )
        })
    });
    let k = key.clone();
    let shift = move |delta: isize| {
        let k = k.clone();
        ed.edit("(move part)", move |f| {
            let Some(m) = f.message_mut(&k) else { return };
            if delta == 0 && pi < m.parts.len() {
                m.parts.remove(pi);
            } else if let Some(to) = pi.checked_add_signed(delta) {
                move_item(&mut m.parts, pi, to);
            }
        });
    };
    let last = pi + 1 == count;
    let title = match shape.kind {
        "image" => "Image",
        "typing" => "Typing delay",
        _ => "Text",
    };
    let body = match shape.kind {
        "image" => image_fields(key.clone(), pi, path).into_any(),
        "typing" => typing_fields(key.clone(), pi, path).into_any(),
        _ => text_fields(key.clone(), pi, path, shape).into_any(),
    };
    let choices = |list: List, n: usize| {
        (0..n)
            .map(|i| view! { <ChoiceEditor at=Slot { list, key: key.clone(), part: pi, i } count=n/> })
            .collect_view()
    };
    let buttons = (shape.kind == "text").then(|| choices(List::Buttons, shape.buttons));
    let replies = choices(List::QuickReplies, shape.quick_replies);
    let k = key.clone();
    let add_reply = move |_| {
        let k = k.clone();
        ed.edit("(add quick reply)", move |f| {
            let reply = QuickReply {
                title: String::new(),
                action: Action::GoTo {
                    message: String::new(),
                },
            };
            match f.message_mut(&k).and_then(|m| m.parts.get_mut(pi)) {
                Some(Part::Text(t)) => t.quick_replies.push(reply),
                Some(Part::Image(i)) => i.quick_replies.push(reply),
                _ => {}
            }
        });
    };
    let k = key.clone();
    let add_button = move |_| {
        let k = k.clone();
        ed.edit("(add button)", move |f| {
            if let Some(Part::Text(t)) = f.message_mut(&k).and_then(|m| m.parts.get_mut(pi)) {
                t.buttons.push(Button {
                    title: String::new(),
                    action: Action::GoTo {
                        message: String::new(),
                    },
                });
            }
        });
    };
    let can_reply = last && shape.kind != "typing";
    view! {
        <li class="part" data-kind=shape.kind>
            <div class="part-head">
                <strong>{format!("{}. {title}", pi + 1)}</strong>
                <span class="row-tools">
                    <button type="button" class="icon" aria-label=format!("Move part {} up", pi + 1) title="Move up"
                        disabled={pi == 0} on:click={let shift = shift.clone(); move |_| shift(-1)}>"↑"</button>
                    <button type="button" class="icon" aria-label=format!("Move part {} down", pi + 1) title="Move down"
                        disabled=last on:click={let shift = shift.clone(); move |_| shift(1)}>"↓"</button>
                    <button type="button" class="icon danger" aria-label=format!("Remove part {}", pi + 1) title="Remove"
                        on:click=move |_| shift(0)>"✕"</button>
                </span>
            </div>
            {body}
            <Problems path/>
            {buttons}
            {(shape.kind == "text").then(|| if shape.buttons < BUTTONS_MAX {
                view! { <button type="button" class="secondary small" on:click=add_button>"+ Button"</button> }.into_any()
            } else {
                view! { <p class="hint">"3 buttons is the most Messenger shows on one text."</p> }.into_any()
            })}
            <Problems path=Signal::derive(move || format!("{}.buttons", path.get()))/>
            {replies}
            <Problems path=Signal::derive(move || format!("{}.quick_replies", path.get()))/>
            {can_reply.then(|| if shape.quick_replies < QUICK_REPLIES_MAX {
                view! { <button type="button" class="secondary small" on:click=add_reply>"+ Quick reply"</button> }.into_any()
            } else {
                view! { <p class="hint">"13 quick replies is the most Messenger shows."</p> }.into_any()
            })}
        </li>
    }
}

fn text_fields(key: String, pi: usize, path: Signal<String>, shape: Shape) -> impl IntoView {
    let ed = Editor::get();
    let k = key.clone();
    let value = Signal::derive(move || {
        ed.flow
            .with(|f| match f.message(&k).and_then(|m| m.parts.get(pi)) {
                Some(Part::Text(t)) => t.text.clone(),
                _ => String::new(),
            })
    });
    let set = setter(move |f, v| {
        if let Some(Part::Text(t)) = f.message_mut(&key).and_then(|m| m.parts.get_mut(pi)) {
            t.text = v;
        }
    });
    let max = if shape.buttons > 0 {
        BUTTON_TEXT_MAX
    } else {
        TEXT_MAX
    };
    view! {
        <Field label="Text" value set multiline=true max=Signal::stored(max)
            placeholder="What the bot says"
            path=Signal::derive(move || format!("{}.text", path.get()))/>
    }
}

fn image_fields(key: String, pi: usize, path: Signal<String>) -> impl IntoView {
    let ed = Editor::get();
    let k = key.clone();
    let value = Signal::derive(move || {
        ed.flow
            .with(|f| match f.message(&k).and_then(|m| m.parts.get(pi)) {
                Some(Part::Image(i)) => i.url.clone(),
                _ => String::new(),
            })
    });
    let set = setter(move |f, v| {
        if let Some(Part::Image(i)) = f.message_mut(&key).and_then(|m| m.parts.get_mut(pi)) {
            i.url = v;
        }
    });
    view! {
        <Field label="Image address" value set placeholder="https://example.com/picture.png"
            path=Signal::derive(move || format!("{}.url", path.get()))/>
    }
}

fn typing_fields(key: String, pi: usize, path: Signal<String>) -> impl IntoView {
    let ed = Editor::get();
    let k = key.clone();
    let value = Signal::derive(move || {
        ed.flow
            .with(|f| match f.message(&k).and_then(|m| m.parts.get(pi)) {
                Some(Part::Typing(t)) => t.seconds.to_string(),
                _ => String::new(),
            })
    });
    let on_input = move |ev: leptos::ev::Event| {
        let seconds: u32 = event_target_value(&ev).trim().parse().unwrap_or(0);
        let key = key.clone();
        ed.edit(&path.get_untracked(), move |f| {
            if let Some(Part::Typing(t)) = f.message_mut(&key).and_then(|m| m.parts.get_mut(pi)) {
                t.seconds = seconds;
            }
        });
    };
    view! {
        <div class="field">
            <label>
                <span class="field-label">"Seconds of typing shown"</span>
                <input type="number" min="1" max="20" prop:value=move || value.get() on:input=on_input/>
            </label>
            <Problems path=Signal::derive(move || format!("{}.seconds", path.get()))/>
        </div>
    }
}

/// The delete confirmation is its own wasm chunk, loaded the first time someone deletes a
/// message: most visits never do.
#[lazy]
fn delete_part(key: String, open: RwSignal<bool>) -> AnyView {
    view! { <DeleteDialog key=key open=open/> }.into_any()
}
