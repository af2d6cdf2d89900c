//! One open conversation: profile, thread owner, the 24 h window, the agent actions, the
//! transcript (who said what), the handover history and failed sends with their reasons.

use leptos::prelude::*;

use crate::api::inbox::{get_conversation, MarkAsDone, MoveToInbox};
use crate::model::{ago, owner_words, who_words, window_words, ConversationDetail};
use crate::pages::auth::action_error;

#[component]
pub fn ConversationView(
    psid: String,
    mark_done: ServerAction<MarkAsDone>,
    move_in: ServerAction<MoveToInbox>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    // What an action said about the previous conversation does not belong to this one.
    clear(mark_done, move_in);
    let detail = Resource::new(
        move || {
            (
                mark_done.version().get(),
                move_in.version().get(),
                refresh.get(),
            )
        },
        move |_| get_conversation(psid.clone()),
    );
    view! {
        <section class="page inbox-detail" aria-label="Conversation">
            <a class="inbox-back" href="/inbox">"← All conversations"</a>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(d) => view! { <Detail d mark_done move_in/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Detail(
    d: ConversationDetail,
    mark_done: ServerAction<MarkAsDone>,
    move_in: ServerAction<MoveToInbox>,
) -> impl IntoView {
    let now = d.now_ms;
    let psid = d.summary.psid.clone();
    let in_inbox = d.summary.state == "inbox";
    let busy = move || mark_done.pending().get() || move_in.pending().get();
    let action = if in_inbox {
        let psid = psid.clone();
        view! {
            <button type="button" disabled=busy
                on:click=move |_| {
                    clear(mark_done, move_in);
                    mark_done.dispatch(MarkAsDone { psid: psid.clone() });
                }>
                "Mark as done"
            </button>
        }
        .into_any()
    } else {
        let psid = psid.clone();
        view! {
            <button type="button" disabled=busy
                on:click=move |_| {
                    clear(mark_done, move_in);
                    move_in.dispatch(MoveToInbox { psid: psid.clone() });
                }>
                "Move to inbox"
            </button>
        }
        .into_any()
    };
    let status = move || {
        let report = mark_done
            .value()
            .get()
            .and_then(|r| r.ok())
            .or_else(|| move_in.value().get().and_then(|r| r.ok()));
        report.map(|r| view! { <p class="ok" role="status">{r.message}</p> })
    };
    view! {
        <header class="inbox-profile">
            {d.profile_pic.clone().map(|src| view! {
                // An unreachable picture (offline, expired URL) is hidden, not shown broken.
                <img src=src alt="" width="56" height="56" onerror="this.hidden = true"/>
            })}
            <div>
                <h2>{d.summary.name.clone()}</h2>
                <span class="badge" data-testid="conversation-state">{state_words(&d.summary.state)}</span>
            </div>
        </header>
        <dl class="inbox-facts">
            <dt>"Thread owner"</dt>
            <dd>{owner_words(&d.thread_owner)}</dd>
            <dt>"24-hour window"</dt>
            <dd>{window_words(now, d.window_closes_ms)}</dd>
        </dl>
        <div class="inbox-actions">{action}</div>
        {action_error(mark_done.value())}
        {action_error(move_in.value())}
        {status}
        <h3>"Transcript"</h3>
        {d.transcript.is_empty().then(|| view! { <p class="notice">"Nothing said yet."</p> })}
        <ol class="transcript">
            {d.transcript.into_iter().map(|t| view! {
                <li class=format!("line who-{}", t.who)>
                    <span class="who">{who_words(&t.who)}</span>
                    <span class="text">{t.text}</span>
                    <span class="when">{ago(now, t.at_ms)}</span>
                </li>
            }).collect_view()}
        </ol>
        <h3>"Handover history"</h3>
        {d.ledger.is_empty().then(|| view! { <p class="notice">"No handovers yet."</p> })}
        <ol class="ledger">
            {d.ledger.into_iter().map(|l| {
                let by = l.actor.map(|a| format!(" by {a}")).unwrap_or_default();
                view! {
                    <li>
                        {format!("{} → {} ({}{by})", state_words(&l.from_state), state_words(&l.to_state), l.cause)}
                        " "<span class="when">{ago(now, l.at_ms)}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!d.failed_sends.is_empty()).then(|| view! {
            <h3>"Failed sends"</h3>
            <ul class="failed">
                {d.failed_sends.into_iter().map(|f| {
                    let what = match f.text {
                        Some(t) => format!("{} (\"{t}\")", f.what),
                        None => f.what,
                    };
                    view! {
                        <li><strong>{what}</strong>": "{f.reason}" "<span class="when">{ago(now, f.at_ms)}</span></li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

/// Forgets both actions' last results, so only the newest one is shown.
fn clear(mark_done: ServerAction<MarkAsDone>, move_in: ServerAction<MoveToInbox>) {
    mark_done.value().set(None);
    move_in.value().set(None);
}

/// A conversation state in words.
fn state_words(state: &str) -> &'static str {
    match state {
        "inbox" => "Inbox",
        "done" => "Done",
        "bot" => "With the bot",
        _ => "Unknown",
    }
}
