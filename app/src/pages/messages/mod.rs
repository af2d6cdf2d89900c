//! The Messages screen (editors and admins): the visual message and button editor with its
//! live Messenger preview, triggers, Push changes, versions and the flow file. Everything is
//! edited in the browser on one `flows::Flow` (see `state.rs`) and autosaved as the draft;
//! the bot only ever runs what Push changes published.
//!
//! Layout: a header (save state, Undo / Redo, Push changes), tabs (Messages, Triggers,
//! Versions & file); on Messages the list, the open message and the preview side by side at
//! desktop widths, stacked (preview under the form) on a phone.

mod choice;
mod delete;
mod fields;
mod lazy_part;
mod list;
mod message;
mod preview;
mod publish;
mod state;
mod triggers;

use leptos::lazy;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::flows::load_editor;
use lazy_part::lazy_part;
use list::MessageList;
use message::MessageForm;
use preview::Preview;
use publish::{save_words, FileTools, PushPanel, VersionsPanel};
use state::{Editor, SaveState};
use triggers::TriggersPanel;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Messages,
    Triggers,
    Versions,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Messages, Tab::Triggers, Tab::Versions];

    fn label(self) -> &'static str {
        match self {
            Tab::Messages => "Messages",
            Tab::Triggers => "Triggers & menu",
            Tab::Versions => "Versions & file",
        }
    }
}

#[component]
pub fn MessagesPage() -> impl IntoView {
    // Loaded in the browser only: the editor is all interaction, nothing to render earlier.
    // The server renders the loading line, so the browser must hydrate that same line first:
    // the editor state is only read once mounted (an effect runs after hydration), or a
    // quick answer could arrive mid-hydration and the nodes would not match.
    let state = LocalResource::new(load_editor);
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    view! {
        <Title text="Messages"/>
        {move || match mounted.get().then(|| state.get()).flatten() {
            None => view! { <section class="page"><h1>"Messages"</h1><p>"Loading the editor…"</p></section> }.into_any(),
            Some(Ok(s)) => view! { <EditorScreen state=s/> }.into_any(),
            Some(Err(e)) => view! {
                <section class="page"><h1>"Messages"</h1><p class="error" role="alert">{e.to_string()}</p></section>
            }.into_any(),
        }}
    }
}

#[component]
fn EditorScreen(state: model::EditorState) -> impl IntoView {
    let ed = Editor::provide(state);
    let tab = RwSignal::new(Tab::Messages);
    let pushing = RwSignal::new(false);
    keyboard_shortcuts(ed);
    warn_before_leaving(ed);
    let error_count = Memo::new(move |_| {
        ed.problems
            .with(|p| p.iter().filter(|x| x.is_error()).count())
    });
    view! {
        <div class="editor-screen">
            <header class="editor-head">
                <h1>"Messages"</h1>
                <SaveBadge/>
                <div class="row-tools">
                    <button type="button" class="secondary" on:click=move |_| ed.undo()
                        disabled=move || !ed.can_undo() title="Undo (Ctrl+Z)">"Undo"</button>
                    <button type="button" class="secondary" on:click=move |_| ed.redo()
                        disabled=move || !ed.can_redo() title="Redo (Ctrl+Shift+Z)">"Redo"</button>
                    <button type="button" class="push-open" on:click=move |_| pushing.update(|p| *p = !*p)
                        aria-expanded=move || pushing.get().to_string()>
                        "Push changes"
                        {move || match error_count.get() {
                            0 => None,
                            n => Some(view! { <span class="badge bad" title="Problems to fix first">{n}</span> }),
                        }}
                    </button>
                </div>
            </header>
            <ConflictBanner/>
            {move || pushing.get().then(|| lazy_part(push_part(pushing)))}
            <div class="tabs" role="group" aria-label="Editor sections">
                {Tab::ALL.into_iter().map(|t| view! {
                    <button type="button" class="tab" aria-pressed=move || (tab.get() == t).to_string()
                        on:click=move |_| tab.set(t)>{t.label()}</button>
                }).collect_view()}
            </div>
            {move || match tab.get() {
                Tab::Messages => view! {
                    <div class="msg-layout">
                        <MessageList/>
                        <MessageForm/>
                        <Preview/>
                    </div>
                }.into_any(),
                Tab::Triggers => lazy_part(triggers_part()),
                Tab::Versions => lazy_part(versions_part()),
            }}
        </div>
    }
}

// The Push panel and the Triggers and Versions tabs are each their own wasm chunk, loaded the
// first time they are opened: the editor people start in (list, form, preview) downloads less.
// Each takes a moment on a slow line the first time, hence `lazy_part`'s placeholder.

/// The Push changes panel.
#[lazy]
fn push_part(open: RwSignal<bool>) -> AnyView {
    view! { <PushPanel open=open/> }.into_any()
}

/// The "Triggers & menu" tab.
#[lazy]
fn triggers_part() -> AnyView {
    view! { <TriggersPanel/> }.into_any()
}

/// The "Versions & file" tab: the flow file, then the published versions.
#[lazy]
fn versions_part() -> AnyView {
    view! {
        <section class="panel" aria-label="Flow file">
            <h2>"Flow file"</h2>
            <p class="hint">"The whole draft as one JSON file (the format of " <code>"baton flows export"</code>
                "). Upload one to replace the draft; a file with problems changes nothing."</p>
            <FileTools/>
        </section>
        <VersionsPanel/>
    }
    .into_any()
}

/// "All changes saved" / "Saving…" / "Not saved" with the reason.
#[component]
fn SaveBadge() -> impl IntoView {
    let ed = Editor::get();
    view! {
        <p class="save-state" role="status" data-state=move || match ed.save.get() {
            SaveState::Saved => "saved",
            SaveState::Pending | SaveState::Saving => "saving",
            SaveState::Failed(_) | SaveState::Conflict(_) => "unsaved",
        }>
            {move || save_words(&ed.save.get())}
            {move || match ed.save.get() {
                SaveState::Failed(why) => Some(view! { <span class="why">{why}</span> }),
                _ => None,
            }}
        </p>
    }
}

/// Someone else saved the draft: load theirs (Ctrl+Z brings this version back) or keep mine.
#[component]
fn ConflictBanner() -> impl IntoView {
    let ed = Editor::get();
    let error = RwSignal::new(None::<String>);
    let run = move |keep_mine: bool| {
        leptos::task::spawn_local(async move {
            let done = if keep_mine {
                ed.keep_mine().await
            } else {
                ed.load_theirs().await
            };
            error.set(done.err().map(|e| e.to_string()));
        });
    };
    move || match ed.save.get() {
        SaveState::Conflict(text) => Some(view! {
            <div class="conflict" role="alert">
                <p>{text}" Your edits are still here and not lost."</p>
                <div class="row-tools">
                    <button type="button" on:click=move |_| run(false)>"Load their version"</button>
                    <button type="button" class="secondary" on:click=move |_| run(true)>"Keep mine (replace theirs)"</button>
                </div>
                {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
            </div>
        }),
        _ => None,
    }
}

/// Ctrl+Z undoes, Ctrl+Shift+Z and Ctrl+Y redo (also ⌘ on a Mac), even inside a field: the
/// editor's history knows every field.
fn keyboard_shortcuts(ed: Editor) {
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        if !(ev.ctrl_key() || ev.meta_key()) || ev.alt_key() {
            return;
        }
        match ev.key().to_ascii_lowercase().as_str() {
            "z" if ev.shift_key() => {
                ev.prevent_default();
                ed.redo();
            }
            "z" => {
                ev.prevent_default();
                ed.undo();
            }
            "y" => {
                ev.prevent_default();
                ed.redo();
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

/// The browser asks before closing the tab while edits are not saved yet.
fn warn_before_leaving(ed: Editor) {
    let handle = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if !ed.all_saved() {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    on_cleanup(move || handle.remove());
}
