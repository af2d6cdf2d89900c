//! One open conversation: profile, thread owner, the 24 h window, the agent actions, the
//! transcript (who said what), the reply box, the handover history and failed sends with their
//! reasons.

use leptos::prelude::*;
use model::{
    ago, time_left, window_words, AgentAction, ConversationDetail, ConversationState, ReplyRule,
    MAX_REPLY_CHARS, WINDOW_MS,
};

use crate::api::inbox::{get_conversation, ActOnConversation, Reply};

/// How often the countdowns move on (browser only).
#[cfg(feature = "hydrate")]
const TICK_MS: u64 = 30_000;
use crate::pages::auth::action_error;

#[component]
pub fn ConversationView(
    psid: String,
    act: ServerAction<ActOnConversation>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    // What an action said about the previous conversation does not belong to this one.
    act.value().set(None);
    let reply = ServerAction::<Reply>::new();
    let detail = Resource::new(move || (act.version().get(), refresh.get()), {
        let psid = psid.clone();
        move |_| get_conversation(psid.clone())
    });
    // Countdowns (the 24 h window, the reply rule) keep running while the screen stays
    // open: the server's time at the last load plus the time passed since, read from the
    // browser's clock every 30 s (timers in background tabs may run late, the clock does not).
    let ticks = RwSignal::new(0i64);
    let interactive = RwSignal::new(false);
    Effect::new(move |_| {
        interactive.set(true);
        #[cfg(feature = "hydrate")]
        {
            let opened = js_sys::Date::now();
            let tick = move || ticks.set((js_sys::Date::now() - opened) as i64);
            let step = std::time::Duration::from_millis(TICK_MS);
            if let Ok(handle) = set_interval_with_handle(tick, step) {
                on_cleanup(move || handle.clear());
            }
        }
    });
    // The reply box lives outside the Transition, so a live update of the transcript does not
    // rebuild it while the agent types. It appears once the page is interactive (rendering it
    // on the server would read the resource outside a Suspense boundary).
    let loaded_at = Memo::new(move |_| {
        detail.get().and_then(Result::ok).map(|d| {
            let last_user_ms = d.window_closes_ms.map(|c| c - WINDOW_MS);
            (
                d.thread_owner,
                last_user_ms,
                d.now_ms,
                ticks.get_untracked(),
            )
        })
    });
    let rule = Memo::new(move |_| {
        loaded_at
            .get()
            .map(|(owner, last_user_ms, server_now, at)| {
                let now = server_now + ticks.get() - at;
                (ReplyRule::for_conversation(owner, last_user_ms, now), now)
            })
    });
    // The action button lives outside the Transitions too: a live update (a message arriving)
    // rebuilds the profile and the transcript, and a button rebuilt under the agent's pointer
    // or keyboard focus would swallow the click. It only follows the conversation's state.
    let state = Memo::new(move |_| detail.get().and_then(Result::ok).map(|d| d.summary.state));
    // Type-erased parts keep the nested view type shallow enough for the compiler.
    let loaded = view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(d) => view! { <Detail d ticks/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any();
    let transcript = view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| view! { <Transcript d/> })
            })}
        </Transition>
    }
    .into_any();
    let history = view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                detail.await.ok().map(|d| view! { <History d/> })
            })}
        </Transition>
    }
    .into_any();
    view! {
        <section class="page inbox-detail" aria-label="Conversation">
            <a class="inbox-back" href="/inbox">"← All conversations"</a>
            {loaded}
            {
                let psid = psid.clone();
                move || interactive.get().then(|| {
                    view! { <Actions psid=psid.clone() state act reply/> }.into_any()
                })
            }
            {transcript}
            {move || interactive.get().then(|| {
                view! { <ReplyBox psid=psid.clone() rule reply act/> }.into_any()
            })}
            {history}
        </section>
    }
}

/// The profile: name, state, thread owner and the 24-hour window.
#[component]
fn Detail(d: ConversationDetail, ticks: RwSignal<i64>) -> impl IntoView {
    let now = d.now_ms;
    let loaded_at = ticks.get_untracked();
    let closes = d.window_closes_ms;
    let window = move || window_words(now + ticks.get() - loaded_at, closes);
    view! {
        <header class="inbox-profile">
            {d.profile_pic.clone().map(|src| view! { <ProfilePicture src/> })}
            <div>
                <h2>{d.summary.name.clone()}</h2>
                <span class="badge" data-testid="conversation-state">{d.summary.state.words()}</span>
            </div>
        </header>
        <dl class="inbox-facts">
            <dt>"Thread owner"</dt>
            <dd>{d.thread_owner.words()}</dd>
            <dt>"24-hour window"</dt>
            <dd>{window}</dd>
        </dl>
    }
}

/// Mark as done (in the inbox) or Move to inbox (otherwise), and what the last one said.
/// Built once per open conversation; only its label follows the state.
#[component]
fn Actions(
    psid: String,
    state: Memo<Option<ConversationState>>,
    act: ServerAction<ActOnConversation>,
    reply: ServerAction<Reply>,
) -> impl IntoView {
    let action = move || {
        if state.get() == Some(ConversationState::Inbox) {
            AgentAction::MarkAsDone
        } else {
            AgentAction::MoveToInbox
        }
    };
    let status = move || {
        act.value()
            .get()
            .and_then(Result::ok)
            .map(|r| view! { <p class="ok" role="status">{r.message}</p> })
    };
    view! {
        <Show when=move || state.with(Option::is_some)>
            <div class="inbox-actions">
                <button type="button" disabled=move || act.pending().get()
                    on:click={
                        let psid = psid.clone();
                        move |_| {
                            reply.value().set(None);
                            let psid = psid.clone();
                            act.dispatch(ActOnConversation { psid, action: action() });
                        }
                    }>
                    {move || action().label()}
                </button>
            </div>
        </Show>
        {action_error(act.value())}
        {status}
    }
}

/// Who said what, oldest first.
#[component]
fn Transcript(d: ConversationDetail) -> impl IntoView {
    let now = d.now_ms;
    view! {
        <h3>"Transcript"</h3>
        {d.transcript.is_empty().then(|| view! { <p class="notice">"Nothing said yet."</p> })}
        <ol class="transcript">
            {d.transcript.into_iter().map(|t| view! {
                <li class=format!("line who-{}", t.who.as_str())>
                    <span class="who">
                        {t.who.words()}
                        {t.author.map(|a| format!(" · {a}"))}
                    </span>
                    <span class="text">{t.text}</span>
                    <span class="when">{ago(now, t.at_ms)}</span>
                </li>
            }).collect_view()}
        </ol>
    }
}

/// The user's picture. An unreachable one (offline, expired URL) is left out rather than
/// shown broken. It is added once the page is interactive, so the `error` handler is attached
/// before the browser tries to load it (no inline `onerror`, which a CSP would block).
#[component]
fn ProfilePicture(src: String) -> impl IntoView {
    let show = RwSignal::new(false);
    Effect::new(move |_| show.set(true));
    move || {
        show.get().then(|| {
            view! {
                <img src=src.clone() alt="" width="56" height="56"
                    on:error=move |_| show.set(false)/>
            }
        })
    }
}

/// The handover history and the failed sends, below the reply box.
#[component]
fn History(d: ConversationDetail) -> impl IntoView {
    let now = d.now_ms;
    view! {
        <h3>"Handover history"</h3>
        {d.ledger.is_empty().then(|| view! { <p class="notice">"No handovers yet."</p> })}
        <ol class="ledger">
            {d.ledger.into_iter().map(|l| {
                let why = match l.actor {
                    Some(actor) => format!("by {actor}"),
                    None => format!("by {}", l.cause.words()),
                };
                view! {
                    <li>
                        {format!("{} → {} ({why})", l.from_state.words(), l.to_state.words())}
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

/// Where an agent types a message to the user, when Baton may send one; otherwise the
/// reason it may not (the Page Inbox has the conversation, the windows are closed).
/// Ctrl+Enter (or Cmd+Enter) sends.
#[component]
fn ReplyBox(
    psid: String,
    rule: Memo<Option<(ReplyRule, i64)>>,
    reply: ServerAction<Reply>,
    act: ServerAction<ActOnConversation>,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let open = move || {
        matches!(
            rule.get(),
            Some((ReplyRule::Response { .. } | ReplyRule::HumanAgent { .. }, _))
        )
    };
    let hint = move || {
        match rule.get() {
        Some((ReplyRule::Response { until_ms }, now)) => format!(
            "Sent as a normal reply. The 24-hour window closes in {}.",
            time_left(now, until_ms)
        ),
        Some((ReplyRule::HumanAgent { until_ms }, now)) => format!(
            "More than 24 hours since the user wrote: sent with the HUMAN_AGENT tag, allowed for {} more.",
            time_left(now, until_ms)
        ),
        _ => String::new(),
    }
    };
    let note = move || match rule.get() {
        Some((ReplyRule::PageInbox, _)) => Some(
            "A person in the Page Inbox has this conversation: reply in the Page Inbox. \
             Their messages show here as they arrive."
                .to_owned(),
        ),
        Some((ReplyRule::Closed { reason }, _)) => Some(reason),
        _ => None,
    };
    let chars = move || draft.with(|d| d.chars().count());
    let too_long = move || chars() > MAX_REPLY_CHARS;
    let blocked =
        move || reply.pending().get() || too_long() || draft.with(|d| d.trim().is_empty());
    let send = move || {
        if blocked() {
            return;
        }
        act.value().set(None);
        reply.dispatch(Reply {
            psid: psid.clone(),
            text: draft.get_untracked(),
        });
    };
    // A sent reply empties the box; a refused one keeps the text so nothing is lost.
    Effect::new(move |_| {
        if let Some(Ok(_)) = reply.value().get() {
            draft.set(String::new());
        }
    });
    let status = move || {
        reply
            .value()
            .get()
            .and_then(Result::ok)
            .map(|r| view! { <p class="ok" role="status">{r.message}</p> })
    };
    let fallback = move || {
        note().map(|n| view! { <p class="notice reply-note" data-testid="reply-note">{n}</p> })
    };
    view! {
        <Show when=open fallback>
            <form class="form reply" on:submit={
                let send = send.clone();
                move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    send();
                }
            }>
                <label for="reply-text">"Reply to the user"</label>
                <textarea id="reply-text" name="text" rows="3"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown={
                        let send = send.clone();
                        move |ev: leptos::ev::KeyboardEvent| {
                            if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                                ev.prevent_default();
                                send();
                            }
                        }
                    }></textarea>
                <p class="hint">{hint}" "<span class:error=too_long>{move || format!("{}/{MAX_REPLY_CHARS}", chars())}</span></p>
                <button type="submit" disabled=blocked>
                    {move || if reply.pending().get() { "Sending…" } else { "Send" }}
                </button>
            </form>
        </Show>
        {action_error(reply.value())}
        {status}
    }
}
