//! The agent inbox screen: tabs Inbox / Done / All with counts, search, the list with
//! "Load more", and the open conversation (`?c=<psid>`) beside it, or alone on narrow screens.

mod detail;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use model::error::AppError;
use model::{
    ago, AgentAction, ConversationPage, ConversationState, ConversationSummary, InboxList,
};

use crate::api::inbox::{list_conversations, ActOnConversation};
use detail::ConversationView;

/// Loads the first `pages` pages of a list (so a refetch after an action keeps what
/// "Load more" showed).
async fn load(list: InboxList, search: String, pages: usize) -> Result<ConversationPage, AppError> {
    let name = list.as_str().to_owned();
    let mut page = list_conversations(name.clone(), search.clone(), String::new()).await?;
    for _ in 1..pages {
        let Some(cursor) = page.next_cursor.take() else {
            break;
        };
        let more = list_conversations(name.clone(), search.clone(), cursor).await?;
        page.items.extend(more.items);
        page.next_cursor = more.next_cursor;
        page.counts = more.counts;
        page.now_ms = more.now_ms;
    }
    Ok(page)
}

/// The link that opens a conversation.
pub(crate) fn conversation_href(psid: &str) -> String {
    let encoded: String = psid
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/inbox?c={encoded}")
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let selected = Memo::new(move |_| query.read().get("c").filter(|c| !c.is_empty()));
    let list = RwSignal::new(InboxList::Inbox);
    let search = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    let pages = RwSignal::new(1usize);
    let refresh = RwSignal::new(0u32);
    let search_box = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| follow_changes(refresh));
    let act = ServerAction::<ActOnConversation>::new();
    let conversations = Resource::new(
        move || {
            (
                list.get(),
                search.get(),
                pages.get(),
                act.version().get(),
                refresh.get(),
            )
        },
        |(list, search, pages, ..)| load(list, search, pages),
    );

    keyboard_shortcuts(conversations, selected, act, search_box);

    let choose = move |l: InboxList| {
        list.set(l);
        pages.set(1);
    };
    let on_search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        search.set(draft.get_untracked());
        pages.set(1);
    };

    view! {
        <Title text="Inbox"/>
        <div class="inbox" class:has-selection=move || selected.get().is_some()>
            <section class="page inbox-list" aria-labelledby="inbox-title">
                <h1 id="inbox-title">"Inbox"</h1>
                <form class="form inbox-search" role="search" on:submit=on_search>
                    <input type="search" aria-label="Search by name or text" node_ref=search_box
                        placeholder="Search by name or text" maxlength=model::MAX_SEARCH_CHARS.to_string()
                        bind:value=draft/>
                    <button type="submit">"Search"</button>
                    <button type="button" class="secondary"
                        on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button>
                </form>
                {move || {
                    let term = search.get();
                    (!term.is_empty()).then(|| view! {
                        <p class="search-note">
                            {search_words(&term)}" "
                            <button type="button" class="link"
                                on:click=move |_| {
                                    draft.set(String::new());
                                    search.set(String::new());
                                    pages.set(1);
                                }>"Clear search"</button>
                        </p>
                    })
                }}
                <p class="keys">"Keys: " <kbd>"j"</kbd>" / "<kbd>"k"</kbd>" next / previous, "
                    <kbd>"e"</kbd>" mark done, "<kbd>"/"</kbd>" search"</p>
                <Transition fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match conversations.await {
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                            Ok(page) => view! {
                                <ListTabs page=page.clone() list choose/>
                                <ConversationList page selected pages/>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            {move || match selected.get() {
                None => view! {
                    <section class="page inbox-detail inbox-empty">
                        <p class="notice">"Pick a conversation to read it."</p>
                    </section>
                }.into_any(),
                Some(psid) => view! {
                    <ConversationView psid act refresh/>
                }.into_any(),
            }}
        </div>
    }
}

/// What a search matches, in words (see `repo::inbox` for the rules).
fn search_words(term: &str) -> String {
    if term.chars().count() < 3 {
        format!("Names with a word starting with \u{201c}{term}\u{201d}.")
    } else {
        format!("Matches for \u{201c}{term}\u{201d} in names and in messages people wrote.")
    }
}

/// Inbox / Done / All buttons with their counts.
#[component]
fn ListTabs(
    page: ConversationPage,
    list: RwSignal<InboxList>,
    choose: impl Fn(InboxList) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="inbox-tabs" role="group" aria-label="Lists">
            {InboxList::ALL.into_iter().map(|l| {
                let count = page.counts.of(l);
                view! {
                    <button type="button" class="tab"
                        aria-pressed=move || (list.get() == l).to_string()
                        on:click=move |_| choose(l)>
                        {l.label()}" "<span class="count">{format!("({count})")}</span>
                    </button>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn ConversationList(
    page: ConversationPage,
    selected: Memo<Option<String>>,
    pages: RwSignal<usize>,
) -> impl IntoView {
    if !page.connected {
        return view! {
            <p class="notice">"No Facebook page is connected yet: connect one (or the sandbox page) in Setup."</p>
        }
        .into_any();
    }
    let now = page.now_ms;
    let more = page.next_cursor.is_some();
    let empty = page.items.is_empty();
    view! {
        {empty.then(|| view! { <p class="notice">"No conversations here."</p> })}
        <ul class="inbox-items">
            {page.items.into_iter().map(|c| view! { <Row c now selected/> }).collect_view()}
        </ul>
        {more.then(|| view! {
            <button type="button" class="secondary load-more"
                on:click=move |_| pages.update(|n| *n += 1)>"Load more"</button>
        })}
    }
    .into_any()
}

#[component]
fn Row(c: ConversationSummary, now: i64, selected: Memo<Option<String>>) -> impl IntoView {
    let href = conversation_href(&c.psid);
    let psid = c.psid.clone();
    let current = move || (selected.get().as_deref() == Some(psid.as_str())).then_some("true");
    view! {
        <li class="inbox-item" data-psid=c.psid.clone()>
            <a href=href aria-current=current>
                <span class="name">{c.name}</span>
                <span class="when">{ago(now, c.last_activity_ms)}</span>
                <span class="last">{c.last_text.unwrap_or_default()}</span>
                <span class="state badge">{c.state.words()}</span>
            </a>
        </li>
    }
}

/// Reloads the lists and the open conversation whenever the server says a conversation
/// changed (`GET /api/inbox/events`, server-sent events). The browser reconnects by itself
/// after a network loss; every (re)connection reloads too, to catch up on what was missed.
fn follow_changes(refresh: RwSignal<u32>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::JsCast;

        let Ok(source) = web_sys::EventSource::new("/api/inbox/events") else {
            return;
        };
        let reload = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            refresh.update(|n| *n += 1);
        });
        let callback = reload.as_ref().unchecked_ref();
        let _ = source.add_event_listener_with_callback("change", callback);
        let _ = source.add_event_listener_with_callback("resync", callback);
        source.set_onopen(Some(callback));
        let kept = StoredValue::new_local((source, reload));
        on_cleanup(move || kept.with_value(|(source, _)| source.close()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = refresh;
}

/// Keyboard: `j` / `k` open the next / previous conversation of the list, `e` marks the open
/// one done, `/` jumps to the search box. Ignored while typing in a field or with modifiers.
fn keyboard_shortcuts(
    conversations: Resource<Result<ConversationPage, AppError>>,
    selected: Memo<Option<String>>,
    act: ServerAction<ActOnConversation>,
    search_box: NodeRef<leptos::html::Input>,
) {
    let navigate = use_navigate();
    let handle = window_event_listener(leptos::ev::keydown, move |ev| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| {
                    matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                });
            if typing || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
        }
        let key = ev.key();
        let items = || match conversations.get_untracked() {
            Some(Ok(page)) => page.items,
            _ => Vec::new(),
        };
        match key.as_str() {
            "/" => {
                ev.prevent_default();
                if let Some(input) = search_box.get_untracked() {
                    let _ = input.focus();
                }
            }
            "j" | "k" => {
                let items = items();
                let at = selected
                    .get_untracked()
                    .and_then(|p| items.iter().position(|c| c.psid == p));
                let next = match (key.as_str(), at) {
                    (_, None) => 0,
                    ("j", Some(i)) => (i + 1).min(items.len().saturating_sub(1)),
                    (_, Some(i)) => i.saturating_sub(1),
                };
                if let Some(c) = items.get(next) {
                    navigate(&conversation_href(&c.psid), Default::default());
                }
            }
            "e" => {
                let Some(psid) = selected.get_untracked() else {
                    return;
                };
                let in_inbox = items()
                    .iter()
                    .any(|c| c.psid == psid && c.state == ConversationState::Inbox);
                if in_inbox && !act.pending().get_untracked() {
                    let action = AgentAction::MarkAsDone;
                    act.dispatch(ActOnConversation { psid, action });
                }
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}
