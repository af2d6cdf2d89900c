//! The messages list: search, sorted by name, each with its problem count; New message and
//! the one-click Handover kit.

use flows::{add_handover_kit, add_message};
use leptos::prelude::*;

use super::state::Editor;

#[component]
pub fn MessageList() -> impl IntoView {
    let ed = Editor::get();
    let search = RwSignal::new(String::new());
    let note = RwSignal::new(None::<String>);
    // (key, name, index), filtered and sorted; only rebuilt when names or keys change.
    let rows = Memo::new(move |_| {
        let needle = search.get().trim().to_lowercase();
        let mut rows: Vec<(String, String, usize)> = ed.flow.with(|f| {
            f.messages
                .iter()
                .enumerate()
                .filter(|(_, m)| {
                    needle.is_empty()
                        || m.name.to_lowercase().contains(&needle)
                        || m.key.contains(&needle)
                })
                .map(|(i, m)| (m.key.clone(), m.name.clone(), i))
                .collect()
        });
        rows.sort_by_cached_key(|(_, name, _)| name.to_lowercase());
        rows
    });
    let total = Memo::new(move |_| ed.flow.with(|f| f.messages.len()));
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
            // Keyed: renaming one message re-renders its row only, not all 500.
            <ul>
                <For each=move || rows.get() key=|row| row.clone() children=move |(key, name, i)| {
                    let k = key.clone();
                    let current = move || (ed.selected.get().as_deref() == Some(k.as_str())).then_some("true");
                    let problems = move || ed.problem_count_under(&format!("messages[{i}]"));
                    let k = key.clone();
                    view! {
                        <li>
                            <button type="button" class="msg-item" aria-current=current
                                on:click=move |_| ed.selected.set(Some(k.clone()))>
                                <span class="name">{if name.trim().is_empty() { "(no name)".to_owned() } else { name }}</span>
                                {move || match problems() {
                                    0 => None,
                                    n => Some(view! { <span class="badge bad" title="Problems to fix">{n}</span> }),
                                }}
                            </button>
                        </li>
                    }
                }/>
            </ul>
        </nav>
    }
}
