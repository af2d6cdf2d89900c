//! The Simulator screen (every role): a phone-like Messenger chat for a test user of the
//! built-in sandbox page, beside an emulated Page Inbox for the same user, test tools (the
//! sandbox clock, Try draft) and the ledger of thread-control changes. Everything goes through
//! the sandbox, so Baton receives the same webhooks as from Messenger.
//!
//! Loaded in the browser only (like the Messages editor): the server renders the loading line,
//! then the chosen user's view is polled a few times a second while the screen is open.

mod inbox_panel;
mod phone;
mod state;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use model::SimOverview;

use crate::api::simulator::{create_test_user, remove_test_user};
use inbox_panel::{Ledger, PageInboxPanel, TestTools};
use phone::Phone;
use state::{note_view, Sim};

/// How often the open user's chat is read again (browser only).
#[cfg(feature = "hydrate")]
const POLL_MS: u64 = 700;

/// "Ana Silva" → ("Ana", "Silva"); one word is a first name only.
fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (name.trim().to_owned(), String::new()),
    }
}

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let sim = Sim::new();
    let query = use_query_map();
    let navigate = use_navigate();
    let mounted = RwSignal::new(false);
    Effect::new(move |_| {
        mounted.set(true);
        sim.selected
            .set(query.get_untracked().get("u").filter(|u| !u.is_empty()));
        sim.reload_users();
        sim.refresh();
        #[cfg(feature = "hydrate")]
        {
            let step = std::time::Duration::from_millis(POLL_MS);
            // A tab in the background does not ask: the user cannot see the chat there.
            let tick = move || {
                if !document().hidden() {
                    sim.refresh();
                }
            };
            if let Ok(handle) = set_interval_with_handle(tick, step) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    // The chosen user goes into the address (?u=), so a reload or a shared link keeps them.
    Effect::new(move |prev: Option<Option<String>>| {
        let now = sim.selected.get();
        if prev.is_some() && prev.as_ref() != Some(&now) {
            let href = now
                .as_ref()
                .map_or("/simulator".to_owned(), |p| format!("/simulator?u={p}"));
            navigate(
                &href,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
        now
    });
    view! {
        <Title text="Simulator"/>
        <section class="page sim-screen">
            <h1>"Simulator"</h1>
            <p class="lead">
                "Chat with your bot as a test user, and answer as a person in the Page Inbox. "
                "Nothing here reaches Facebook."
            </p>
            {move || match mounted.get().then(|| sim.overview.get()).flatten() {
                None => view! { <p>"Loading the Simulator…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="error" role="alert">{e.to_string()}</p>
                    <p><A href="/setup">"Go to Setup"</A></p>
                }.into_any(),
                Some(Ok(o)) => view! { <Screen sim overview=o/> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Screen(sim: Sim, overview: SimOverview) -> impl IntoView {
    let not_published = (!overview.published).then(|| {
        view! {
            <p class="notice">
                "Nothing is published yet, so the bot has nothing to say. Push your messages in "
                <A href="/messages">"Messages"</A>
                ", or switch on Try draft for a test user."
            </p>
        }
    });
    let empty = overview.users.is_empty();
    view! {
        {not_published}
        <UserBar sim overview/>
        {if empty {
            view! {
                <div class="panel sim-empty">
                    <h2>"No test users yet"</h2>
                    <p>"Create a test user above: you will see their phone, tap Get Started and follow the conversation from there."</p>
                </div>
            }.into_any()
        } else {
            view! {
                <div class="sim-layout">
                    <Phone sim/>
                    <div class="sim-side">
                        <PageInboxPanel sim/>
                        <TestTools sim/>
                    </div>
                </div>
                <Ledger sim/>
            }.into_any()
        }}
    }
}

/// Choose, create and remove test users.
#[component]
fn UserBar(sim: Sim, overview: SimOverview) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let note = sim.users_note;
    let full = overview.users.len() >= overview.max_users;
    let users = overview.users.clone();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (first, last) = split_name(&name.get_untracked());
        sim.run(note, create_test_user(first, last), move |u| {
            name.set(String::new());
            sim.select(Some(u.psid));
            sim.reload_users();
            Some(format!(
                "{} is ready: tap Get Started on their phone.",
                u.name
            ))
        });
    };
    let remove = move |_| {
        let Some(psid) = sim.selected.get_untracked() else {
            return;
        };
        sim.run(note, remove_test_user(psid), move |()| {
            sim.select(None);
            sim.reload_users();
            Some("Test user removed. Their conversation stays in the Inbox.".into())
        });
    };
    // Start over: a fresh test user with the same name (a new conversation from Get Started);
    // the old one is removed from the sandbox, their conversation stays in the Inbox.
    let start_over = move |_| {
        let Some(old) = sim.selected.get_untracked() else {
            return;
        };
        let Some(name) = sim
            .view
            .with_untracked(|v| v.as_ref().map(|v| v.user.name.clone()))
        else {
            return;
        };
        let (first, last) = split_name(&name);
        let call = async move {
            let u = create_test_user(first, last).await?;
            remove_test_user(old).await?;
            Ok(u)
        };
        sim.run(note, call, move |u| {
            sim.select(Some(u.psid));
            sim.reload_users();
            Some(format!("{} starts over with a new conversation.", u.name))
        });
    };
    view! {
        <div class="sim-users">
            {(!users.is_empty()).then(|| view! {
                <label class="sim-pick">
                    <span>"Test user"</span>
                    <select aria-label="Test user"
                        prop:value=move || sim.selected.get().unwrap_or_default()
                        on:change=move |ev| sim.select(Some(event_target_value(&ev)))>
                        {users.into_iter().map(|u| {
                            // Who has the thread changes all the time: the Page Inbox panel
                            // shows it; the list keeps names only.
                            let label = format!("{}{}", u.name,
                                if u.trying_draft { " · trying the draft" } else { "" });
                            view! { <option value=u.psid.clone()>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="button" class="secondary" on:click=start_over disabled=move || sim.busy.get()
                    title="A fresh test user with the same name: a new conversation from Get Started">
                    "Start over"
                </button>
                <button type="button" class="secondary" on:click=remove disabled=move || sim.busy.get()>
                    "Remove"
                </button>
            })}
            <form class="sim-new" on:submit=create>
                <input type="text" aria-label="New test user's name" placeholder="Name (optional)"
                    maxlength="80" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
                <button type="submit" disabled=move || full || sim.busy.get()>"New test user"</button>
            </form>
            {full.then(|| view! {
                <p class="hint">{format!("The sandbox keeps at most {} test users: remove one to add another.", overview.max_users)}</p>
            })}
        </div>
        {note_view(note)}
    }
}
