//! Deleting a message: the confirmation says, in words, every place that uses the message
//! and lets the editor point them at another message (or leave them empty, flagged until
//! someone chooses).

use flows::{delete_message, used_by, Flow};
use leptos::prelude::*;

use super::state::{sort_by_name, Editor};

/// Confirms a delete: lists every place that uses the message, in words, and lets the editor
/// point them at another message (or leave them empty, flagged until someone chooses).
#[component]
pub fn DeleteDialog(key: String, open: RwSignal<bool>) -> impl IntoView {
    let ed = Editor::get();
    let places: Vec<String> = ed.flow.with_untracked(|f| {
        used_by(f, &key)
            .iter()
            .map(|p| reference_words(f, p))
            .collect()
    });
    let name = ed.flow.with_untracked(|f| f.message_name(&key).to_owned());
    let replacement = RwSignal::new(String::new());
    let others: Vec<(String, String)> = ed.flow.with_untracked(|f| {
        let mut v: Vec<_> = f
            .messages
            .iter()
            .filter(|m| m.key != key)
            .map(|m| (m.key.clone(), m.name.clone()))
            .collect();
        sort_by_name(&mut v, |(_, n)| n);
        v
    });
    let n = places.len();
    let confirm = move |_| {
        let key = key.clone();
        let to = replacement.get_untracked();
        ed.edit("(delete)", move |f| {
            delete_message(f, &key, (!to.is_empty()).then_some(to.as_str()));
        });
        open.set(false);
        ed.selected.set(
            ed.flow
                .with_untracked(|f| f.messages.first().map(|m| m.key.clone())),
        );
    };
    view! {
        <div class="dialog" role="alertdialog" aria-label="Delete message">
            <p><strong>{format!("Delete \u{201c}{name}\u{201d}?")}</strong></p>
            {if n == 0 {
                view! { <p>"Nothing uses this message."</p> }.into_any()
            } else {
                view! {
                    <p class="warning">{format!("Used by {n} {}:", if n == 1 { "button / trigger" } else { "buttons / triggers" })}</p>
                    <ul class="used-by">{places.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    <label class="field">
                        <span class="field-label">"Point them to"</span>
                        <select aria-label="Point them to" bind:value=replacement>
                            <option value="">"Nothing for now (they are flagged until you choose)"</option>
                            {others.into_iter().map(|(k, n)| view! { <option value=k>{n}</option> }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            }}
            <div class="row-tools">
                <button type="button" class="danger" on:click=confirm>"Delete message"</button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </div>
    }
}

/// A reference path in words: `Button “Talk to human” in “Main menu”`, `Get Started`, ...
pub fn reference_words(f: &Flow, path: &str) -> String {
    let num = |s: &str, name: &str| -> Option<usize> {
        s.split_once(&format!("{name}["))
            .and_then(|(_, rest)| rest.split(']').next())
            .and_then(|n| n.parse().ok())
    };
    if path.starts_with("messages[") {
        let m = num(path, "messages").and_then(|i| f.messages.get(i));
        let part = m.and_then(|m| num(path, "parts").and_then(|i| m.parts.get(i)));
        let (noun, title) = if let Some(i) = num(path, "buttons") {
            (
                "Button",
                part.and_then(|p| p.buttons().get(i))
                    .map(|b| b.title.clone()),
            )
        } else {
            let i = num(path, "quick_replies");
            (
                "Quick reply",
                part.and_then(|p| i.and_then(|i| p.quick_replies().get(i)))
                    .map(|q| q.title.clone()),
            )
        };
        let msg = m.map(|m| m.name.as_str()).unwrap_or("?");
        return format!(
            "{noun} \u{201c}{}\u{201d} in \u{201c}{msg}\u{201d}",
            title.unwrap_or_default()
        );
    }
    if let Some(i) = num(path, "persistent_menu") {
        let title = f
            .persistent_menu
            .get(i)
            .map(|m| m.title.as_str())
            .unwrap_or("?");
        return format!("Persistent menu item \u{201c}{title}\u{201d}");
    }
    if let Some(i) = num(path, "keywords") {
        let words = f
            .triggers
            .keywords
            .get(i)
            .map(|r| r.words.join(", "))
            .unwrap_or_default();
        return format!("Keyword rule \u{201c}{words}\u{201d}");
    }
    match path {
        "triggers.get_started" => "Get Started".into(),
        "triggers.fallback" => "Fallback message".into(),
        "handover.to_inbox_message" => {
            "Handover settings: message when moved to the Page Inbox".into()
        }
        "handover.back_to_bot_message" => "Handover settings: message when back in the bot".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::reference_words;

    #[test]
    fn references_read_as_words() {
        let f = flows::example_flow();
        let words: Vec<String> = flows::used_by(&f, "main_menu")
            .iter()
            .map(|p| reference_words(&f, p))
            .collect();
        assert_eq!(
            words,
            [
                "Quick reply \u{201c}Main menu\u{201d} in \u{201c}Back in the bot\u{201d}",
                "Persistent menu item \u{201c}Main menu\u{201d}",
                "Get Started",
                "Fallback message",
                "Keyword rule \u{201c}menu\u{201d}",
            ]
        );
        let words: Vec<String> = flows::used_by(&f, "now_human")
            .iter()
            .map(|p| reference_words(&f, p))
            .collect();
        assert_eq!(
            words[0],
            "Button \u{201c}Talk to human\u{201d} in \u{201c}Talk to a human\u{201d}"
        );
    }
}
