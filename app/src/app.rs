//! The HTML shell, the router and the navigation every screen shares.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::pages::{HomePage, NotBuiltYet, NotFound, SettingsPage};

/// The full HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <link rel="icon" href="/favicon.ico"/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    mark_hydrated();

    view! {
        <Stylesheet id="leptos" href="/pkg/baton.css"/>
        <Title formatter=|page: String| format!("{page} · Baton")/>
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Baton"</A>
                <nav aria-label="Main">
                    <ul>
                        <li><A href="/messages">"Messages"</A></li>
                        <li><A href="/inbox">"Inbox"</A></li>
                        <li><A href="/simulator">"Simulator"</A></li>
                        <li><A href="/setup">"Setup"</A></li>
                        <li><A href="/settings">"Settings"</A></li>
                    </ul>
                </nav>
            </header>
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("/messages") view=|| view! { <NotBuiltYet title="Messages"/> }/>
                    <Route path=path!("/inbox") view=|| view! { <NotBuiltYet title="Inbox"/> }/>
                    <Route path=path!("/simulator") view=|| view! { <NotBuiltYet title="Simulator"/> }/>
                    <Route path=path!("/setup") view=|| view! { <NotBuiltYet title="Setup"/> }/>
                    <Route path=path!("/settings") view=SettingsPage/>
                </Routes>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated="true"` on `<body>` once the wasm app has taken over the page, so
/// end-to-end tests (and curious people) can tell when clicks will be handled.
fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
