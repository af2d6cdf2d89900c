//! The test user's phone: the chat as Messenger shows it (their messages on the right, the
//! page's on the left, button cards, images, quick-reply chips under the newest page message,
//! the typing dots), Get Started on an empty chat, the persistent menu and the composer.

use leptos::prelude::*;
use model::{SimFrom, SimLine, SimView, MAX_SIM_TEXT};

use super::state::{note_view, take_typed, Sim};
use crate::api::simulator::test_user_act;

/// Sends a user action for the open test user.
fn user_act(sim: Sim, act: &'static str, text: String, mid: String, index: usize) {
    let Some(psid) = sim.selected.get_untracked() else {
        return;
    };
    sim.act(
        sim.phone_note,
        None,
        test_user_act(psid, act.into(), text, mid, index),
    );
}

#[component]
pub fn Phone(sim: Sim) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let menu_open = RwSignal::new(false);
    let chat = NodeRef::<leptos::html::Div>::new();
    let lines = Memo::new(move |_| {
        sim.view
            .with(|v| v.as_ref().map(|v| v.lines.clone()).unwrap_or_default())
    });
    // Keep the newest message in sight, as a phone does.
    Effect::new(move |_| {
        lines.track();
        sim.view
            .with(|v| v.as_ref().map(|v| v.typing))
            .unwrap_or(false);
        if let Some(el) = chat.get() {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let send = move |ev: leptos::ev::SubmitEvent| {
        if let Some(typed) = take_typed(ev, text) {
            user_act(sim, "say", typed, String::new(), 0);
        }
    };
    let name = move || {
        sim.view
            .with(|v| v.as_ref().map(|v| v.user.name.clone()))
            .unwrap_or_default()
    };
    view! {
        <section class="sim-phone-wrap" aria-label="Test user's phone">
            <div class="phone sim-phone">
                <div class="phone-head sim-phone-head">
                    <span class="sim-page-name">"Baton Demo"</span>
                    <span class="muted small">{move || format!("as {}", name())}</span>
                    {move || sim.view.with(|v| v.as_ref().is_some_and(|v| v.user.trying_draft)).then(|| view! {
                        <span class="badge draft">"Draft"</span>
                    })}
                </div>
                <div class="chat sim-chat" role="log" aria-label="Conversation" node_ref=chat>
                    {move || sim.view.with(Option::is_none).then(|| view! { <p class="chat-empty">"Loading…"</p> })}
                    // Rebuilt only when a line is added (the view is replaced only when it
                    // changed); a keyed list would pull its diffing code into the main wasm.
                    {move || lines.get().into_iter().map(|line| line_view(sim, line)).collect_view()}
                    {move || sim.view.with(|v| v.as_ref().is_some_and(|v| v.typing)).then(|| view! {
                        <div class="typing" aria-label="The page is typing"><span></span><span></span><span></span></div>
                    })}
                    {move || get_started(sim)}
                </div>
                {move || quick_replies(sim)}
                {move || menu_open.get().then(|| menu(sim, menu_open))}
                <form class="sim-composer" on:submit=send>
                    <button type="button" class="secondary sim-menu-button" aria-label="Menu"
                        aria-expanded=move || menu_open.get().to_string()
                        on:click=move |_| menu_open.update(|o| *o = !*o)>"☰"</button>
                    <input type="text" aria-label="Message" placeholder="Aa" maxlength=MAX_SIM_TEXT.to_string()
                        prop:value=text on:input=move |ev| text.set(event_target_value(&ev))/>
                    <button type="submit" disabled=move || sim.busy.get()>"Send"</button>
                </form>
            </div>
            {note_view(sim.phone_note)}
        </section>
    }
}

fn line_view(sim: Sim, line: SimLine) -> impl IntoView {
    let mine = line.from == SimFrom::User;
    let who =
        (line.from == SimFrom::Agent).then(|| view! { <span class="sim-who">"Page Inbox"</span> });
    let body = if !line.buttons.is_empty() {
        let mid = line.mid.clone();
        view! {
            <div class="card">
                <div class="card-text">{line.text.clone().unwrap_or_default()}</div>
                {line.buttons.into_iter().enumerate().map(|(i, b)| match b.url {
                    Some(url) => view! {
                        <a class="card-button" href=url target="_blank" rel="noopener noreferrer">{b.title}</a>
                    }.into_any(),
                    None => {
                        let mid = mid.clone();
                        view! {
                            <button type="button" class="card-button"
                                on:click=move |_| user_act(sim, "tap", String::new(), mid.clone(), i)>
                                {b.title}
                            </button>
                        }.into_any()
                    }
                }).collect_view()}
            </div>
        }
        .into_any()
    } else if let Some(url) = line.image_url.clone() {
        view! { <img class="bubble-image" src=url alt="Image from the page"/> }.into_any()
    } else {
        view! { <div class="bubble" class:mine=mine>{line.text.clone().unwrap_or_default()}</div> }
            .into_any()
    };
    view! {
        <div class="sim-line" class:mine=mine>
            {who}
            {body}
        </div>
    }
}

/// Quick replies of the newest message, if it is the page's (Messenger hides them once the
/// user answers).
fn quick_replies(sim: Sim) -> Option<impl IntoView> {
    let last = sim
        .view
        .with(|v| v.as_ref().and_then(|v| v.lines.last().cloned()))?;
    if last.from == SimFrom::User || last.quick_replies.is_empty() {
        return None;
    }
    let chips = last
        .quick_replies
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let index = SimView::quick_reply_index(&last, i);
            let mid = last.mid.clone();
            view! {
                <button type="button" class="chip"
                    on:click=move |_| user_act(sim, "tap", String::new(), mid.clone(), index)>
                    {title.clone()}
                </button>
            }
        })
        .collect_view();
    Some(
        view! { <div class="chips sim-chips" role="group" aria-label="Quick replies">{chips}</div> },
    )
}

/// The Get Started button a new conversation shows, or why it is missing.
fn get_started(sim: Sim) -> Option<impl IntoView> {
    let (empty, available) = sim
        .view
        .with(|v| v.as_ref().map(|v| (v.lines.is_empty(), v.get_started)))?;
    if !empty {
        return None;
    }
    Some(if available {
        view! {
            <div class="sim-start">
                <p class="muted">"A new conversation starts with Get Started."</p>
                <button type="button" on:click=move |_| user_act(sim, "get_started", String::new(), String::new(), 0)>
                    "Get Started"
                </button>
            </div>
        }
        .into_any()
    } else {
        view! {
            <p class="chat-empty">
                "The page has no Get Started button yet. Type a message, push your messages in Messages, or switch on Try draft."
            </p>
        }
        .into_any()
    })
}

/// The page's persistent menu (the draft's while trying it).
fn menu(sim: Sim, open: RwSignal<bool>) -> impl IntoView {
    let items = sim
        .view
        .with(|v| v.as_ref().map(|v| v.menu.clone()))
        .unwrap_or_default();
    if items.is_empty() {
        return view! { <p class="sim-menu muted">"This page has no menu."</p> }.into_any();
    }
    view! {
        <ul class="sim-menu" aria-label="Menu">
            {items.into_iter().enumerate().map(|(i, item)| match item.url {
                Some(url) => view! {
                    <li><a href=url target="_blank" rel="noopener noreferrer">{item.title}" ↗"</a></li>
                }.into_any(),
                None => view! {
                    <li><button type="button" class="link"
                        on:click=move |_| {
                            open.set(false);
                            user_act(sim, "menu", String::new(), String::new(), i);
                        }>{item.title}</button></li>
                }.into_any(),
            }).collect_view()}
        </ul>
    }
    .into_any()
}
