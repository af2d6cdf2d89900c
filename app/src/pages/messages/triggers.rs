//! Triggers: the Get Started message, keyword rules (exact / contains), the fallback message,
//! the persistent menu, the greeting, which messages agents' moves send, and what a user reads
//! when no one can take the conversation.

use flows::limits::{GREETING_MAX, MENU_ITEMS_MAX, TEXT_MAX};
use flows::{Action, Flow, HandoverSettings, KeywordRule, MatchKind, MenuItem};
use leptos::prelude::*;

use super::choice::{ChoiceEditor, List, Slot};
use super::fields::{setter, Field, MessagePicker, Problems};
use super::state::Editor;

/// `Some(v)`, or `None` for an empty choice.
fn chosen(v: String) -> Option<String> {
    (!v.is_empty()).then_some(v)
}

#[component]
pub fn TriggersPanel() -> impl IntoView {
    let ed = Editor::get();
    let get_started = Signal::derive(move || {
        ed.flow
            .with(|f| f.triggers.get_started.clone().unwrap_or_default())
    });
    let fallback = Signal::derive(move || {
        ed.flow
            .with(|f| f.triggers.fallback.clone().unwrap_or_default())
    });
    let greeting = Signal::derive(move || ed.flow.with(|f| f.greeting.clone().unwrap_or_default()));
    let to_inbox = Signal::derive(move || {
        ed.flow.with(|f| {
            f.handover
                .as_ref()
                .and_then(|h| h.to_inbox_message.clone())
                .unwrap_or_default()
        })
    });
    let back = Signal::derive(move || {
        ed.flow.with(|f| {
            f.handover
                .as_ref()
                .and_then(|h| h.back_to_bot_message.clone())
                .unwrap_or_default()
        })
    });
    let unavailable = Signal::derive(move || {
        ed.flow.with(|f| {
            f.handover
                .as_ref()
                .and_then(|h| h.unavailable_text.clone())
                .unwrap_or_default()
        })
    });
    let rules = Memo::new(move |_| ed.flow.with(|f| f.triggers.keywords.len()));
    let menu = Memo::new(move |_| ed.flow.with(|f| f.persistent_menu.len()));
    view! {
        <section class="panel triggers" aria-label="Triggers">
            <h2>"Where conversations start"</h2>
            <MessagePicker label="Get Started message" value=get_started path="triggers.get_started"
                none="No Get Started button"
                set=setter(|f, v| f.triggers.get_started = chosen(v))/>
            <MessagePicker label="Fallback message (when nothing else matches)" value=fallback
                path="triggers.fallback" none="No fallback: unmatched messages get no answer"
                set=setter(|f, v| f.triggers.fallback = chosen(v))/>

            <h2>"Keyword rules"</h2>
            <p class="hint">"Words are compared without regard to capitals. " <em>"Exact"</em>
                ": the whole message is the word. " <em>"Contains"</em>": the word is anywhere in it. Exact rules win."</p>
            {move || (rules.get() == 0).then(|| view! { <p class="notice">"No keyword rules yet."</p> })}
            <ol class="rules">
                {move || (0..rules.get()).map(|i| view! { <KeywordRuleEditor i/> }).collect_view()}
            </ol>
            <button type="button" class="secondary small" on:click=move |_| ed.edit("(add rule)", |f| {
                f.triggers.keywords.push(KeywordRule { match_kind: MatchKind::Exact, words: vec![String::new()], message: String::new() });
            })>"+ Keyword rule"</button>

            <h2>"Persistent menu"</h2>
            <p class="hint">"Always available from the menu button in Messenger. Needs a Get Started message."</p>
            <Problems path="persistent_menu"/>
            {move || (menu.get() == 0).then(|| view! { <p class="notice">"No menu items yet."</p> })}
            {move || {
                let n = menu.get();
                (0..n).map(|i| view! {
                    <ChoiceEditor at=Slot { list: List::Menu, key: String::new(), part: 0, i } count=n/>
                }).collect_view()
            }}
            {move || (menu.get() < MENU_ITEMS_MAX).then(|| view! {
                <button type="button" class="secondary small" on:click=move |_| ed.edit("(add menu item)", |f| {
                    f.persistent_menu.push(MenuItem { title: String::new(), action: Action::GoTo { message: String::new() } });
                })>"+ Menu item"</button>
            })}

            <h2>"Greeting"</h2>
            <Field label="Greeting (shown before someone starts the conversation)" value=greeting
                path="greeting" multiline=true max=Signal::stored(GREETING_MAX)
                set=setter(|f, v| f.greeting = chosen(v))/>

            <h2>"When agents move a conversation"</h2>
            <p class="hint">"By default Baton sends the confirmation messages of the first Handover and Pass-back buttons."</p>
            <MessagePicker label="Sent when moved to the Page Inbox" value=to_inbox
                path="handover.to_inbox_message" none="Default"
                set=setter(|f, v| set_handover(f, |h| h.to_inbox_message = chosen(v)))/>
            <MessagePicker label="Sent when back in the bot" value=back
                path="handover.back_to_bot_message" none="Default"
                set=setter(|f, v| set_handover(f, |h| h.back_to_bot_message = chosen(v)))/>
            <Field label="Sent when no one can take the conversation (Messenger refused the handover)"
                value=unavailable path="handover.unavailable_text" multiline=true
                max=Signal::stored(TEXT_MAX) placeholder=flows::DEFAULT_UNAVAILABLE_TEXT
                set=setter(|f, v| set_handover(f, |h| h.unavailable_text = chosen(v)))/>
            <p class="hint">"Left empty, users read the text shown in grey. The conversation stays with the bot."</p>
        </section>
    }
}

/// Changes the handover section; an empty section is left out of the flow.
fn set_handover(f: &mut Flow, change: impl FnOnce(&mut HandoverSettings)) {
    change(f.handover.get_or_insert_with(Default::default));
    if f.handover == Some(HandoverSettings::default()) {
        f.handover = None;
    }
}

#[component]
fn KeywordRuleEditor(i: usize) -> impl IntoView {
    let ed = Editor::get();
    let path = format!("triggers.keywords[{i}]");
    let kind = Signal::derive(move || {
        ed.flow
            .with(|f| f.triggers.keywords.get(i).map(|r| r.match_kind))
            .unwrap_or_default()
    });
    let words = Signal::derive(move || {
        ed.flow.with(|f| {
            f.triggers
                .keywords
                .get(i)
                .map(|r| r.words.join(","))
                .unwrap_or_default()
        })
    });
    let message = Signal::derive(move || {
        ed.flow.with(|f| {
            f.triggers
                .keywords
                .get(i)
                .map(|r| r.message.clone())
                .unwrap_or_default()
        })
    });
    let set_kind = move |ev: leptos::ev::Event| {
        let kind = if event_target_value(&ev) == "contains" {
            MatchKind::Contains
        } else {
            MatchKind::Exact
        };
        ed.edit("(match)", move |f| {
            if let Some(r) = f.triggers.keywords.get_mut(i) {
                r.match_kind = kind;
            }
        });
    };
    // Words are typed as "human, agent"; spaces are trimmed when the field is left.
    let tidy_words = move |_| {
        ed.edit("(words)", move |f| {
            if let Some(r) = f.triggers.keywords.get_mut(i) {
                r.words = r.words.iter().map(|w| w.trim().to_owned()).collect();
            }
        });
    };
    let p = path.clone();
    let words_path = Signal::derive(move || format!("{p}.words"));
    let word_problems = move || {
        let prefix = format!("{}[", words_path.get());
        ed.problems.with(|all| {
            all.iter()
                .filter(|x| x.path.starts_with(&prefix))
                .map(|x| super::fields::sentence(&x.message))
                .collect::<Vec<_>>()
        })
    };
    view! {
        <li class="rule">
            <div class="choice-head">
                <strong>{format!("Rule {}", i + 1)}</strong>
                <button type="button" class="icon danger" aria-label=format!("Remove rule {}", i + 1)
                    on:click=move |_| ed.edit("(remove rule)", move |f| { if i < f.triggers.keywords.len() { f.triggers.keywords.remove(i); } })>"✕"</button>
            </div>
            <div class="field">
                <label>
                    <span class="field-label">"Match"</span>
                    <select aria-label="Match" on:change=set_kind prop:value=move || if kind.get() == MatchKind::Contains { "contains" } else { "exact" }>
                        <option value="exact" selected=move || kind.get() == MatchKind::Exact>"Exact"</option>
                        <option value="contains" selected=move || kind.get() == MatchKind::Contains>"Contains"</option>
                    </select>
                </label>
            </div>
            <div on:change=tidy_words>
                <Field label="Words (separate with commas)" value=words path=words_path placeholder="human, agent"
                    set=setter(move |f, v| {
                        if let Some(r) = f.triggers.keywords.get_mut(i) {
                            r.words = v.split(',').map(str::to_owned).collect();
                        }
                    })/>
                {move || word_problems().into_iter().map(|m| view! { <p class="field-problem error">{m}</p> }).collect_view()}
            </div>
            <MessagePicker label="Reply with" value=message path=format!("{path}.message")
                set=setter(move |f, v| {
                    if let Some(r) = f.triggers.keywords.get_mut(i) {
                        r.message = v;
                    }
                })/>
        </li>
    }
}
