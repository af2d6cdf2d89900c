//! The landing screen: what Baton does and where to go next.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::model::Permission;
use crate::pages::CurrentUser;

const CARDS: [(&str, &str, &str, Permission); 5] = [
    (
        "/messages",
        "Messages",
        "Build the bot's messages and buttons.",
        Permission::EditFlows,
    ),
    (
        "/inbox",
        "Inbox",
        "See who asked for a human.",
        Permission::WorkInbox,
    ),
    (
        "/simulator",
        "Simulator",
        "Try the bot with a test user, offline.",
        Permission::UseSimulator,
    ),
    (
        "/setup",
        "Setup",
        "Connect a Facebook Page.",
        Permission::RunSetup,
    ),
    (
        "/settings",
        "Settings",
        "Page name, users and the audit log.",
        Permission::ManageSettings,
    ),
];

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
                {CARDS
                    .into_iter()
                    .filter(|(_, _, _, p)| role.is_some_and(|r| r.can(*p)))
                    .map(|(href, label, text, _)| view! { <li><A href=href>{label}</A><span>{text}</span></li> })
                    .collect_view()}
            </ul>
        </section>
    }
}
