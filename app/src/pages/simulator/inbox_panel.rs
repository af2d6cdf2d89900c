//! Beside the phone: the emulated Page Inbox (who has the thread, a reply box for the page's
//! person, Done and Move to inbox, done as Meta's inbox does them), the test tools (the
//! sandbox clock, Try draft) and the ledger of thread-control changes.

use leptos::prelude::*;
use leptos_router::components::A;
use model::{
    format_time, offset_words, ConversationState, SimOwner, SimPage, SimRefusal, MAX_SIM_TEXT,
};

use super::state::{note_view, take_typed, Sim};
use crate::api::simulator::{advance_clock, page_inbox_act, set_sim_page, try_draft};

fn inbox_act(sim: Sim, act: &'static str, text: String, done: Option<&'static str>) {
    let Some(psid) = sim.selected.get_untracked() else {
        return;
    };
    sim.act(sim.inbox_note, done, page_inbox_act(psid, act.into(), text));
}

#[component]
pub fn PageInboxPanel(sim: Sim) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let owner = move || sim.view.with(|v| v.as_ref().map(|v| v.user.owner));
    let has_it = move || owner() == Some(SimOwner::PageInbox);
    let send = move |ev: leptos::ev::SubmitEvent| {
        if let Some(typed) = take_typed(ev, text) {
            inbox_act(sim, "say", typed, None);
        }
    };
    let owner_words = move || match owner() {
        Some(SimOwner::PageInbox) => "The Page Inbox has this conversation: the bot stays quiet.",
        Some(SimOwner::Bot) => "The bot has this conversation.",
        Some(SimOwner::Idle) => {
            "Nobody has this conversation: the bot takes it when the user writes."
        }
        Some(SimOwner::Other) => "Another app has this conversation.",
        None => "…",
    };
    let window = move || {
        sim.view.with(|v| {
            v.as_ref().map(|v| {
                match (
                    v.last_user_message_ms,
                    v.window_open,
                    v.human_agent_window_open,
                ) {
                    (None, ..) => {
                        "The user has not written yet: the page can answer, never write first."
                    }
                    (_, true, _) => "The 24-hour window is open.",
                    (_, false, true) => {
                        "The 24-hour window is closed; a person may still answer for 7 days."
                    }
                    (_, false, false) => {
                        "The user has not written for 7 days: the page cannot write to them."
                    }
                }
            })
        })
    };
    view! {
        <section class="panel sim-inbox" aria-label="Page Inbox">
            <h2>"Page Inbox " <span class="muted small">"(emulated)"</span></h2>
            <p class="sim-owner" role="status">
                <span class="badge" class:ok=has_it>{move || owner().map(SimOwner::label).unwrap_or("…")}</span>
                " " {owner_words}
            </p>
            <p class="hint">{window}</p>
            {move || sim.view.with(|v| v.as_ref().and_then(|v| v.baton.clone())).map(|b| {
                let words = match b.state {
                    ConversationState::Inbox => "In Baton's Inbox: a person has it, the bot stays silent",
                    ConversationState::Done => "In Baton: done, the bot answers",
                    ConversationState::Bot => "In Baton: with the bot",
                };
                view! {
                    <p class="sim-baton" data-testid="sim-baton">
                        {words}
                        {b.why.map(|why| format!(" ({why})"))}
                        "."
                    </p>
                }
            })}
            {move || sim.view.with(|v| v.as_ref().is_some_and(|v| v.pending_request)).then(|| view! {
                <p class="notice">"The Page Inbox asked the bot for this conversation; waiting for Baton."</p>
            })}
            <div class="row-tools">
                <button type="button" disabled=move || !has_it() || sim.busy.get()
                    title="Hand the conversation back to the bot, as Done does in Meta's inbox"
                    on:click=move |_| inbox_act(sim, "done", String::new(), Some("Done: the conversation went back to the bot."))>
                    "Done"
                </button>
                <button type="button" class="secondary" disabled=move || has_it() || sim.busy.get()
                    title="Take the conversation into the Page Inbox, as Move to inbox does in Meta's inbox"
                    on:click=move |_| inbox_act(sim, "move_to_inbox", String::new(), Some("Moved to the inbox: the bot is told and stays quiet."))>
                    "Move to inbox"
                </button>
            </div>
            <form class="form reply" on:submit=send>
                <label>
                    <span>"Reply as the page's person"</span>
                    <textarea rows="2" maxlength=MAX_SIM_TEXT.to_string() prop:value=text
                        on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                </label>
                <button type="submit" class="secondary" disabled=move || sim.busy.get()>"Send as Page Inbox"</button>
            </form>
            {note_view(sim.inbox_note)}
            <p class="hint">
                "Baton's own " <A href="/inbox">"Inbox"</A> " shows the same conversation to your agents."
            </p>
        </section>
    }
}

#[component]
pub fn TestTools(sim: Sim) -> impl IntoView {
    let advance = move |minutes: u32, said: &'static str| {
        sim.run(sim.tools_note, advance_clock(minutes), move |()| {
            sim.refresh();
            Some(said.to_owned())
        });
    };
    let trying = move || {
        sim.view
            .with(|v| v.as_ref().is_some_and(|v| v.user.trying_draft))
    };
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        let Some(psid) = sim.selected.get_untracked() else {
            return;
        };
        let said = if on {
            "This test user now runs your draft. Nothing is published."
        } else {
            "This test user runs the published flow again."
        };
        sim.act(sim.tools_note, Some(said), async move {
            let view = try_draft(psid, on).await;
            // The user list marks who is trying the draft.
            sim.reload_users();
            view
        });
    };
    let clock = move || {
        sim.view.with(|v| {
            v.as_ref().map(|v| {
                let moved = offset_words(v.clock_offset_ms);
                let at = format_time(v.now_ms / 1000);
                if moved.is_empty() {
                    format!("Sandbox time: {at} UTC (real time)")
                } else {
                    format!("Sandbox time: {at} UTC ({moved})")
                }
            })
        })
    };
    view! {
        <section class="panel sim-tools" aria-label="Test tools">
            <h2>"Test tools"</h2>
            <p role="status">{clock}</p>
            <div class="row-tools" role="group" aria-label="Move the clock forward">
                <button type="button" class="secondary" disabled=move || sim.busy.get()
                    on:click=move |_| advance(60, "The clock moved 1 hour forward.")>"+1 hour"</button>
                <button type="button" class="secondary" disabled=move || sim.busy.get()
                    on:click=move |_| advance(24 * 60, "The clock moved 1 day forward: the 24-hour window has closed.")>"+1 day"</button>
                <button type="button" class="secondary" disabled=move || sim.busy.get()
                    on:click=move |_| advance(7 * 24 * 60, "The clock moved 7 days forward: even a person cannot write now.")>"+7 days"</button>
            </div>
            <label class="sim-check">
                <input type="checkbox" prop:checked=trying on:change=toggle disabled=move || sim.busy.get()/>
                <span>"Try draft: run the draft from Messages for this test user, without publishing"</span>
            </label>
            <PageRouting sim/>
            {move || sim.view.with(|v| v.as_ref().filter(|v| v.user.trying_draft && v.draft_problems > 0).map(|v| {
                let n = v.draft_problems;
                view! {
                    <p class="notice">{format!("The draft has {n} problem{} (see Messages); buttons that point nowhere do nothing.", if n == 1 { "" } else { "s" })}</p>
                }
            }))}
            {note_view(sim.tools_note)}
        </section>
    }
}

#[component]
pub fn Ledger(sim: Sim) -> impl IntoView {
    let entries = move || {
        sim.view
            .with(|v| v.as_ref().map(|v| v.ledger.clone()))
            .unwrap_or_default()
    };
    view! {
        <section class="panel sim-ledger" aria-label="Who has the conversation">
            <h2>"Who has the conversation"</h2>
            {move || {
                let list = entries();
                if list.is_empty() {
                    view! {
                        <p class="muted">"No hand-overs yet. Tap “Talk to human” on the phone to see the first one."</p>
                    }.into_any()
                } else {
                    view! {
                        <ol>
                            {list.into_iter().map(|e| view! {
                                <li><time>{format_time(e.at_ms / 1000)}</time>" "{e.text}</li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The sandbox page's routing: Conversation Routing or the older receivers, how Messenger
/// refuses handovers, and the Human Agent permission, so each case can be played.
#[component]
fn PageRouting(sim: Sim) -> impl IntoView {
    view! {
        <fieldset class="sim-routing">
            <legend>"The page's routing"</legend>
            {page_switch(sim, |p| &mut p.conversation_routing,
                "Conversation Routing, Baton the default app (off: the older Primary / Secondary Receiver settings)")}
            <label for="sim-refuse">"Handovers"</label>
            <select id="sim-refuse" disabled=move || sim.busy.get()
                prop:value=move || sim_page(sim).map(|p| p.refuse_handovers.slug()).unwrap_or("off")
                on:change=move |ev| {
                    let picked = event_target_value(&ev);
                    change_page(sim, |p| {
                        if let Ok(r) = SimRefusal::parse(&picked) {
                            p.refuse_handovers = r;
                        }
                    });
                }>
                {SimRefusal::ALL.into_iter().map(|r| view! { <option value=r.slug()>{r.words()}</option> }).collect_view()}
            </select>
            {page_switch(sim, |p| &mut p.human_agent,
                "The app has Meta's Human Agent permission (agents' replies after 24 hours)")}
        </fieldset>
    }
}

/// The sandbox page's settings, as the open user's view shows them.
fn sim_page(sim: Sim) -> Option<SimPage> {
    sim.view.with(|v| v.as_ref().map(|v| v.page))
}

/// Changes the sandbox page's settings by `edit`, for the open user.
fn change_page(sim: Sim, edit: impl FnOnce(&mut SimPage)) {
    let (Some(psid), Some(mut p)) = (sim.selected.get_untracked(), sim_page(sim)) else {
        return;
    };
    edit(&mut p);
    let refuse = p.refuse_handovers.slug().to_owned();
    let call = set_sim_page(psid, p.conversation_routing, refuse, p.human_agent);
    sim.act(
        sim.tools_note,
        Some("The sandbox page's settings changed."),
        call,
    );
}

/// A checkbox for one on/off setting of the sandbox page (`setting` points at it).
fn page_switch(
    sim: Sim,
    setting: fn(&mut SimPage) -> &mut bool,
    words: &'static str,
) -> impl IntoView {
    view! {
        <label class="sim-check">
            <input type="checkbox" disabled=move || sim.busy.get()
                prop:checked=move || sim_page(sim).is_some_and(|mut p| *setting(&mut p))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    change_page(sim, |p| *setting(p) = on);
                }/>
            <span>{words}</span>
        </label>
    }
}
