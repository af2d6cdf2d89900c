//! The live Messenger preview: the selected message as a person sees it in Messenger (text
//! bubbles, a button card, images, the typing dots, quick-reply chips), updated as you type.

use flows::{Message, Part};
use leptos::prelude::*;

use super::state::Editor;

#[component]
pub fn Preview() -> impl IntoView {
    let ed = Editor::get();
    let message = Memo::new(move |_| {
        let key = ed.selected.get()?;
        ed.flow.with(|f| f.message(&key).cloned())
    });
    view! {
        <aside class="preview" aria-label="Messenger preview">
            <div class="phone">
                <div class="phone-head">"Messenger preview"</div>
                <div class="chat">
                    {move || match message.get() {
                        None => view! { <p class="chat-empty">"Open a message to see it here."</p> }.into_any(),
                        Some(m) => bubbles(m).into_any(),
                    }}
                </div>
            </div>
        </aside>
    }
}

fn bubbles(m: Message) -> impl IntoView {
    let replies = m.quick_replies().to_vec();
    let parts = m.parts.into_iter().map(|p| match p {
        Part::Text(t) if t.buttons.is_empty() => view! {
            <div class="bubble" class:placeholder=t.text.trim().is_empty()>{shown(&t.text)}</div>
        }
        .into_any(),
        Part::Text(t) => view! {
            <div class="card">
                <div class="card-text" class:placeholder=t.text.trim().is_empty()>{shown(&t.text)}</div>
                {t.buttons.into_iter().map(|b| view! {
                    <div class="card-button">{title(&b.title)}</div>
                }).collect_view()}
            </div>
        }
        .into_any(),
        Part::Image(i) if flows::is_web_url(&i.url) => view! {
            <img class="bubble-image" src=i.url alt="Image sent by the bot"/>
        }
        .into_any(),
        Part::Image(_) => view! { <div class="bubble placeholder">"(image: add its address)"</div> }.into_any(),
        Part::Typing(t) => view! {
            <div class="typing" title=format!("typing for {} s", t.seconds)>
                <span></span><span></span><span></span>
            </div>
        }
        .into_any(),
    });
    view! {
        {parts.collect_view()}
        {(!replies.is_empty()).then(|| view! {
            <div class="chips">
                {replies.into_iter().map(|q| view! { <span class="chip">{title(&q.title)}</span> }).collect_view()}
            </div>
        })}
    }
}

fn shown(text: &str) -> String {
    if text.trim().is_empty() {
        "(empty text)".into()
    } else {
        text.into()
    }
}

fn title(text: &str) -> String {
    if text.trim().is_empty() {
        "(no title)".into()
    } else {
        text.into()
    }
}
