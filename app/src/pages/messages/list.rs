//! The messages list: search, sorted by name, each with its problem count; New message and
//! the one-click Handover kit.

use flows::{add_handover_kit, add_message};
use leptos::prelude::*;

use super::state::{sort_by_name, Editor};

#[component]
pub fn MessageList() -> impl IntoView {
    let ed = Editor::get();
    let search = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    // (key, name, index), filtered and sorted; only rebuilt when names or keys change.
    let rows = Memo::new(move |_| {
        let needle = flows::lowercase(search.get().trim());
        let mut rows: Vec<(String, String, usize)> = ed.flow.with(|f| {
            f.messages
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    needle.is_empty()
                        || flows::lowercase(&m.name).contains(&needle)
                        || m.key.contains(&needle)
                })
                .map(|(i, m)| (m.key.clone(), m.name.clone(), i))
                .collect()
        });
        sort_by_name(&mut rows, |(_, name, _)| name);
        rows
    });
    let total = Memo::new(move |_| ed.flow.with(|f| f.messages.len()));
    let count = Memo::new(move |_| rows.with(Vec::len));
    let new_message = move |_| {
        let mut key = String::new();
        ed.edit("(new message)", |f| key = add_message(f, "New message"));
        search.set(String::new());
        ed.selected.set(Some(key));
        note.set(None);
    };
    let kit = move |_| {
        let mut added = None;
        ed.edit("(handover kit)", |f| added = Some(add_handover_kit(f)));
        if let Some(k) = added {
            let main = if k.created_main_menu {
                "a new main menu"
            } else {
                "your main menu"
            };
            note.set(Some(format!(
                "Added \u{201c}Talk to a human\u{201d}, \u{201c}Now with a person\u{201d} and \u{201c}Back in the bot\u{201d}, wired together and back to {main}. Point a button at \u{201c}Talk to a human\u{201d} to offer it."
            )));
            ed.selected.set(Some(k.talk));
        }
    };
    view! {
        <nav class="panel msg-list" aria-label="Messages">
            <div class="msg-list-tools">
                <input type="search" placeholder="Search messages" aria-label="Search messages" bind:value=search/>
                <button type="button" on:click=new_message>"+ New message"</button>
                <button type="button" class="secondary" on:click=kit
                    title="Adds the three messages that hand a person to the Page Inbox and back">"Handover kit"</button>
            </div>
            {move || note.get().map(|n| view! { <p class="ok small" role="status">{n}</p> })}
            {move || (total.get() == 0).then(|| view! {
                <p class="notice">"No messages yet. Start with " <strong>"New message"</strong>
                    ", or the " <strong>"Handover kit"</strong> ", or upload a flow file."</p>
            })}
            {move || (total.get() > 0 && rows.with(Vec::is_empty)).then(|| view! {
                <p class="notice">"No message matches \u{201c}" {search.get()} "\u{201d}."</p>
            })}
            // One row per position, rebuilt only when the number of rows changes: a rename or
            // a re-sort updates the rows' texts in place (no elements are made while typing a
            // name in a list of 500, and no keyed diff is shipped in the wasm).
            <ul>
                {move || (0..count.get()).map(|pos| view! { <Row rows pos/> }).collect_view()}
            </ul>
        </nav>
    }
}

/// The row at `pos` of the sorted list: (key, name, index in the flow).
#[component]
fn Row(rows: Memo<Vec<(String, String, usize)>>, pos: usize) -> impl IntoView {
    let ed = Editor::get();
    let row = Memo::new(move |_| rows.with(|r| r.get(pos).cloned()).unwrap_or_default());
    let current = move || {
        let selected = ed.selected.get();
        row.with(|(key, _, _)| selected.as_deref() == Some(key.as_str()))
            .then_some("true")
    };
    let problems = move || {
        let i = row.with(|r| r.2);
        ed.problem_count_under(&format!("messages[{i}]"))
    };
    let name = move || {
        row.with(|(_, name, _)| match name.trim() {
            "" => "(no name)".to_owned(),
            _ => name.clone(),
        })
    };
    view! {
        <li>
            <button type="button" class="msg-item" aria-current=current
                on:click=move |_| ed.selected.set(Some(row.get_untracked().0))>
                <span class="name">{name}</span>
                {move || match problems() {
                    0 => None,
                    n => Some(view! { <span class="badge bad" title="Problems to fix">{n}</span> }),
                }}
            </button>
        </li>
    }
}
