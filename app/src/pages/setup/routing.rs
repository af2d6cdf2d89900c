//! Steps 4 and 5 of the wizard: the page's routing settings (Conversation Routing first, the
//! older receivers for a page that still shows them, both when unsure) with the live round
//! trip, and the Human Agent permission with its tagged test reply; plus the picker of someone
//! who wrote to the page that these steps and the test message share.

use leptos::prelude::*;
use model::error::AppError;
use model::{RoutingPath, SetupView, CONFIRM_ITEMS, HUMAN_AGENT_ITEM};

use super::state::Wizard;
use crate::api::setup::{confirm_setting, human_agent_test, recent_people, routing_round_trip};

/// How recently the picked person must have written for the action to reach them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// 24 hours: the bot's messages.
    Day,
    /// 7 days: a person's reply with the HUMAN_AGENT tag.
    Week,
}

/// Someone who wrote to the page, picked from the newest (those inside `window` first), and a
/// button that runs the wizard's action `send` (a server function) with their id.
#[component]
pub fn PersonPicker<F, Fut>(
    wiz: Wizard,
    id: &'static str,
    label: &'static str,
    button: &'static str,
    window: Window,
    send: F,
) -> impl IntoView
where
    F: Fn(String) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<SetupView, AppError>> + 'static,
{
    let people = LocalResource::new(recent_people);
    let picked = RwSignal::new(String::new());
    let inside = move |p: &model::RecentPerson| match window {
        Window::Day => p.in_window,
        Window::Week => p.in_human_agent_window,
    };
    let outside = match window {
        Window::Day => " (outside 24 h)",
        Window::Week => " (outside 7 days)",
    };
    view! {
        <Suspense fallback=|| view! { <p class="notice">"Loading recent conversations…"</p> }>
            {move || Suspend::new(async move {
                match people.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="notice" data-testid="no-people">
                            "No one has written to the page yet. Send the page a message from \
                             Messenger (or, on the sandbox page, from the "
                            <a href="/simulator">"Simulator"</a>
                            "), then come back to this step."
                        </p>
                    }
                    .into_any(),
                    Ok(list) => {
                        if picked.get_untracked().is_empty() {
                            if let Some(first) = list.iter().find(|p| inside(p)).or(list.first()) {
                                picked.set(first.psid.clone());
                            }
                        }
                        view! {
                            <form class="form" on:submit=move |ev| {
                                ev.prevent_default();
                                wiz.act(None, false, send(picked.get_untracked()));
                            }>
                                <label for=id>{label}</label>
                                <select
                                    id=id
                                    prop:value=picked
                                    on:change=move |ev| picked.set(event_target_value(&ev))
                                >
                                    {list
                                        .into_iter()
                                        .map(|p| {
                                            let note = if inside(&p) { "" } else { outside };
                                            view! {
                                                <option value=p.psid.clone()>
                                                    {format!("{} · {}{note}", p.name, p.when)}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button type="submit">{button}</button>
                            </form>
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// A confirm-box: the setting, where to click, ticked or not.
fn confirm_box(
    wiz: Wizard,
    id: &'static str,
    label: &'static str,
    path: String,
    ticked: bool,
) -> impl IntoView {
    let input_id = format!("confirm-{id}");
    view! {
        <div class="confirm-box">
            <input
                type="checkbox"
                id=input_id.clone()
                prop:checked=ticked
                disabled=move || wiz.busy.get()
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    wiz.act(None, false, confirm_setting(id.to_owned(), on));
                }
            />
            <label for=input_id>
                <strong>{label}</strong>
                <span class="path">{path}</span>
            </label>
        </div>
    }
}

pub fn routing_step(wiz: Wizard, v: &SetupView) -> impl IntoView {
    let path = v.routing;
    let said = |id: &str| v.confirmed.iter().any(|c| c == id);
    let (said_routing, said_classic) = (
        said(RoutingPath::SHOWS_ROUTING),
        said(RoutingPath::SHOWS_CLASSIC),
    );
    let intro = match path {
        RoutingPath::Classic => view! {
            <p>
                "This page still shows the older settings: new conversations must go to Baton (the "
                <strong>"Primary Receiver"</strong> "), and Baton hands them to "
                <strong>"Page Inbox"</strong> " (a " <strong>"Secondary Receiver"</strong> ")."
            </p>
        }
        .into_any(),
        _ => view! {
            <p>
                "Under " <strong>"Conversation Routing"</strong>
                " (every page since 2025) Baton's app must be the page's "
                <strong>"default app"</strong> " for Messenger, with " <strong>"Page Inbox"</strong>
                " connected, so Talk to human can hand a conversation to a person and Mark as done \
                 can take it back. Baton checks what Facebook's API shows; tick the rest once you \
                 have set it."
            </p>
        }
        .into_any(),
    };
    let choose =
        move |id: &'static str| move |_| wiz.act(None, false, confirm_setting(id.to_owned(), true));
    let items: Vec<_> = CONFIRM_ITEMS
        .iter()
        .filter(|i| path.shows(i))
        .map(|item| {
            let ticked = v.confirmed.iter().any(|c| c == item.id);
            confirm_box(wiz, item.id, path.label(item), path.path(item), ticked)
        })
        .collect();
    view! {
        {intro}
        <fieldset class="routing-choice">
            <legend>"Which settings does your page show?"</legend>
            // Ticked: what the admin said, else what Facebook's API shows; none when unsure.
            <label>
                <input type="radio" name="routing-path" prop:checked={path == RoutingPath::ConversationRouting}
                    disabled=move || wiz.busy.get() on:change=choose(RoutingPath::SHOWS_ROUTING)/>
                " Conversation routing, with a default app (most pages)"
            </label>
            <label>
                <input type="radio" name="routing-path" prop:checked={path == RoutingPath::Classic}
                    disabled=move || wiz.busy.get() on:change=choose(RoutingPath::SHOWS_CLASSIC)/>
                " Primary and Secondary Receiver (the older settings)"
            </label>
            {(!said_routing && !said_classic).then(|| view! {
                <p class="hint">
                    {if path == RoutingPath::ConversationRouting {
                        "Facebook says Conversation Routing; change it only if your page shows otherwise."
                    } else {
                        "Not sure? Both click paths are shown below, Conversation Routing first."
                    }}
                </p>
            })}
        </fieldset>
        <fieldset class="confirm-boxes">
            <legend>"Settings you confirm"</legend>
            {items}
        </fieldset>
        <section class="round-trip" aria-labelledby="round-trip-title">
            <h3 id="round-trip-title">"Try a handover"</h3>
            <p>
                "Write to the page from your own Messenger first. Baton then sends that \
                 conversation a short message that hands it to the Page Inbox, and takes it \
                 straight back, checking each step with Facebook."
            </p>
            <PersonPicker wiz id="round-trip-person" label="Your test conversation"
                button="Run the round trip" window=Window::Day send=routing_round_trip/>
        </section>
        {v.page.is_none().then(|| view! {
            <p class="notice" role="note">"Connect a page (steps 1 and 2) so Baton can check these with Facebook."</p>
        })}
    }
}

pub fn human_agent_step(wiz: Wizard, v: &SetupView) -> impl IntoView {
    let ticked = v.confirmed.iter().any(|c| c == HUMAN_AGENT_ITEM.id);
    view! {
        <p>
            "Messenger lets a page answer within 24 hours of a customer's last message. Agents \
             may answer for 7 days with the " <strong>"HUMAN_AGENT"</strong>
            " tag, but only once Meta has approved the app's " <strong>"Human Agent"</strong>
            " permission in App Review. Without it, every agent reply after 24 hours fails."
        </p>
        <fieldset class="confirm-boxes">
            <legend>"Setting you confirm"</legend>
            {confirm_box(
                wiz,
                HUMAN_AGENT_ITEM.id,
                HUMAN_AGENT_ITEM.label,
                HUMAN_AGENT_ITEM.routing_path.to_owned(),
                ticked,
            )}
        </fieldset>
        <section class="round-trip" aria-labelledby="human-agent-title">
            <h3 id="human-agent-title">"Test it"</h3>
            <p>
                "Baton sends a short reply with the HUMAN_AGENT tag to a conversation of the \
                 last 7 days, yours ideally, and reports Meta's answer."
            </p>
            <PersonPicker wiz id="human-agent-person" label="Send to"
                button="Send a tagged test reply" window=Window::Week send=human_agent_test/>
        </section>
    }
}
