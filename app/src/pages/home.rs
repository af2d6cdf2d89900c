//! The landing screen: what Baton does and where to go next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use model::Permission;

use crate::pages::auth::CurrentUser;
use crate::screens::SCREENS;

#[component]
pub fn HomePage() -> impl IntoView {
    let role = use_context::<CurrentUser>().map(|u| u.0.role);
    view! {
        <Title text="Home"/>
        <section class="page">
            <h1>"Baton"</h1>
            <p class="lead">
                "Run your Messenger bot and hand conversations to people in the Page Inbox, then back to the bot."
            </p>
            {role.is_some_and(|r| r.can(Permission::UseSimulator)).then(|| view! {
                <div class="start-here">
                    <h2>"New here? Start with the Simulator"</h2>
                    <ol>
                        <li>"Open the " <A href="/simulator">"Simulator"</A> ", create a test user and tap " <strong>"Get Started"</strong> "."</li>
                        <li>"Tap " <strong>"Talk to human"</strong> " twice: the bot hands the conversation to the Page Inbox."</li>
                        <li>"Open the " <strong>"Inbox"</strong> " to see it, and " <strong>"Mark as done"</strong> " to hand it back to the bot."</li>
                    </ol>
                    <p class="hint">"It all runs on the built-in sandbox page: no Facebook account needed. Change what the bot says in Messages."</p>
                </div>
            })}
            <ul class="cards">
                {SCREENS
                    .into_iter()
                    .filter(|s| role.is_some_and(|r| r.can(s.permission)))
                    .map(|s| view! { <li><A href=s.href>{s.label}</A><span>{s.blurb}</span></li> })
                    .collect_view()}
            </ul>
        </section>
    }
}
