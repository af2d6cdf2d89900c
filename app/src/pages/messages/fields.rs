//! Form pieces every part of the editor uses: a text field bound to one place in the flow
//! (with its character counter and the problems `flows::validate` finds there, in plain
//! words), and the searchable message picker that can also create a new message inline.

use std::sync::Arc;

use flows::{add_message, Flow};
use leptos::prelude::*;

use super::state::{sort_by_name, Editor};

/// Writes a field's new value into the flow.
pub type Setter = Arc<dyn Fn(&mut Flow, String) + Send + Sync>;

/// Wraps a closure as a [`Setter`].
pub fn setter(f: impl Fn(&mut Flow, String) + Send + Sync + 'static) -> Setter {
    Arc::new(f)
}

/// The problems found at `path`, each as a line of plain words next to its field.
#[component]
pub fn Problems(#[prop(into)] path: Signal<String>) -> impl IntoView {
    let ed = Editor::get();
    move || {
        ed.problems_at(&path.get())
            .into_iter()
            .map(|p| {
                let class = if p.is_error() {
                    "field-problem error"
                } else {
                    "field-problem warning"
                };
                view! { <p class=class>{sentence(&p.message)}</p> }
            })
            .collect_view()
    }
}

/// A problem message as a sentence: capital first letter (problem messages start with a plain
/// ASCII word), full stop.
pub fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_ascii_uppercase().into())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.is_empty() && !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}

/// A labelled text input (or textarea) bound to the flow: every keystroke is an edit (one
/// undo step per field and pause), the counter shows the length against `max`, and the
/// problems at `path` show under it.
#[component]
pub fn Field(
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    set: Setter,
    /// The field's JSON path (for its problems and its undo step).
    #[prop(into)]
    path: Signal<String>,
    #[prop(optional, into)] max: Option<Signal<usize>>,
    #[prop(optional)] multiline: bool,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    let ed = Editor::get();
    let invalid = move || {
        let p = path.get();
        ed.problems
            .with(|all| all.iter().any(|x| x.path == p && x.is_error()))
    };
    let on_input = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        let set = set.clone();
        ed.edit(&path.get_untracked(), move |f| set(f, text));
    };
    let counter = max.map(|max| {
        view! {
            <span class="counter" class:over={move || value.with(|v| v.chars().count()) > max.get()}>
                {move || format!("{} / {}", value.with(|v| v.chars().count()), max.get())}
            </span>
        }
    });
    let input = if multiline {
        view! {
            <textarea rows="3" placeholder=placeholder aria-invalid=move || invalid().to_string()
                prop:value=move || value.get() on:input=on_input></textarea>
        }
        .into_any()
    } else {
        view! {
            <input type="text" placeholder=placeholder aria-invalid=move || invalid().to_string()
                prop:value=move || value.get() on:input=on_input/>
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label>
                <span class="field-label">{label}{counter}</span>
                {input}
            </label>
            <Problems path/>
        </div>
    }
}

/// Value of the picker's "create a new message" option.
const CREATE: &str = "\u{0}create";

/// Picks a message by name: a filter box (with many messages), a list sorted by name, and
/// "Create a new message…", which asks for a name and points the reference at the new
/// message in one edit. `none` labels the empty choice where no message is allowed.
#[component]
pub fn MessagePicker(
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    set: Setter,
    #[prop(into)] path: Signal<String>,
    #[prop(optional)] none: Option<&'static str>,
) -> impl IntoView {
    let ed = Editor::get();
    let filter = RwSignal::new(String::new());
    let creating = RwSignal::new(false);
    let new_name = RwSignal::new(String::new());
    let many = Memo::new(move |_| ed.flow.with(|f| f.messages.len() > 12));
    let options = Memo::new(move |_| {
        let needle = flows::lowercase(&filter.get());
        let current = value.get();
        let mut all: Vec<(String, String)> = ed.flow.with(|f| {
            f.messages
                .iter()
                .filter(|m| {
                    m.key == current
                        || needle.is_empty()
                        || flows::lowercase(&m.name).contains(&needle)
                        || m.key.contains(&needle)
                })
                .map(|m| (m.key.clone(), m.name.clone()))
                .collect()
        });
        sort_by_name(&mut all, |(_, name)| name);
        all
    });
    let invalid = move || {
        let p = path.get();
        ed.problems
            .with(|all| all.iter().any(|x| x.path == p && x.is_error()))
    };
    let set_for_select = set.clone();
    let on_change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        if chosen == CREATE {
            creating.set(true);
            return;
        }
        creating.set(false);
        let set = set_for_select.clone();
        ed.edit(&path.get_untracked(), move |f| set(f, chosen));
    };
    let create = move || {
        let name = new_name.get_untracked();
        let set = set.clone();
        let mut created = String::new();
        ed.edit("(create message)", |f| {
            created = add_message(f, &name);
            set(f, created.clone());
        });
        new_name.set(String::new());
        creating.set(false);
    };
    let create_on_key = create.clone();
    view! {
        <div class="field picker">
            <label>
                <span class="field-label">{label}</span>
                {move || many.get().then(|| view! {
                    <input type="search" class="picker-filter" placeholder="Filter messages"
                        aria-label=format!("Filter: {label}") bind:value=filter/>
                })}
                // aria-label: a wrapping <label> alone would name the select after its options too.
                <select aria-label=label aria-invalid=move || invalid().to_string() on:change=on_change
                    prop:value=move || if creating.get() { CREATE.to_owned() } else { value.get() }>
                    <option value="">{none.unwrap_or("Choose a message…")}</option>
                    {move || options.get().into_iter().map(|(key, name)| {
                        let selected = value.get() == key;
                        view! { <option value=key selected=selected>{name}</option> }
                    }).collect_view()}
                    <option value=CREATE>"+ Create a new message…"</option>
                </select>
            </label>
            {move || creating.get().then(|| {
                let create = create.clone();
                let create_on_key = create_on_key.clone();
                view! {
                    <div class="inline-create">
                        <input type="text" placeholder="Name of the new message"
                            aria-label="Name of the new message" bind:value=new_name
                            on:keydown=move |ev| if ev.key() == "Enter" {
                                ev.prevent_default();
                                create_on_key();
                            }/>
                        <button type="button" on:click=move |_| create()>"Create"</button>
                        <button type="button" class="secondary"
                            on:click=move |_| creating.set(false)>"Cancel"</button>
                    </div>
                }
            })}
            <Problems path/>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn problems_read_as_sentences() {
        assert_eq!(
            sentence("longer than 20 characters (21)"),
            "Longer than 20 characters (21)."
        );
        assert_eq!(
            sentence("no message with key \"nowhere\""),
            "No message with key \"nowhere\"."
        );
        assert_eq!(sentence("Already one."), "Already one.");
        assert_eq!(sentence(""), "");
    }
}
