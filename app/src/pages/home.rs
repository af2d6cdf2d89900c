//! The landing screen: what Baton does and where to go next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <section class="page">
            <h1>"Baton"</h1>
            <p class="lead">
                "Run your Messenger bot and hand conversations to people in the Page Inbox, then back to the bot."
            </p>
            <ul class="cards">
                <li><A href="/messages">"Messages"</A><span>"Build the bot's messages and buttons."</span></li>
                <li><A href="/inbox">"Inbox"</A><span>"See who asked for a human."</span></li>
                <li><A href="/simulator">"Simulator"</A><span>"Try the bot with a test user, offline."</span></li>
                <li><A href="/setup">"Setup"</A><span>"Connect a Facebook Page."</span></li>
            </ul>
        </section>
    }
}
