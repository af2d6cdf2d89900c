//! The HTML shell, the router and the navigation every screen shares.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Outlet, ParentRoute, Route, Router, Routes, A};
use leptos_router::{lazy_route, path, Lazy, LazyRoute};
use model::Permission;

use crate::pages::{
    AuditPage, Auth, CurrentUser, Gate, HomePage, InboxPage, MessagesPage, NotFound, PageAlertText,
    RequirePermission, SettingsPage, SetupPage, SimulatorPage, UserMenu, UsersPage,
};
use crate::screens::SCREENS;

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
                // In the server-only shell (not in `App`), so the wasm carries no code for it.
                <link rel="stylesheet" id="leptos" href="/pkg/baton.css"/>
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
    Auth::provide();

    view! {
        <Title formatter=|page: String| format!("{page} · Baton")/>
        <Router>
            <Routes fallback=NotFound>
                // Routes stay outside any async boundary so the server's route list sees them;
                // the layout route below shows sign-in / first-admin screens instead when needed.
                <ParentRoute path=path!("") view=SignedInLayout>
                    <Route path=path!("") view={Lazy::<HomePageRoute>::new()}/>
                    <Route path=path!("/messages") view={Lazy::<MessagesPageRoute>::new()}/>
                    <Route path=path!("/inbox") view={Lazy::<InboxPageRoute>::new()}/>
                    <Route path=path!("/simulator") view={Lazy::<SimulatorPageRoute>::new()}/>
                    <Route path=path!("/setup") view={Lazy::<SetupPageRoute>::new()}/>
                    <Route path=path!("/settings") view={Lazy::<SettingsPageRoute>::new()}/>
                    <Route path=path!("/settings/users") view={Lazy::<UsersPageRoute>::new()}/>
                    <Route path=path!("/settings/audit") view={Lazy::<AuditPageRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Top bar and content area for signed-in people (the sign-in screen otherwise).
#[component]
fn SignedInLayout() -> impl IntoView {
    view! {
        <Gate>
            <header class="topbar">
                <A href="/" attr:class="brand">"Baton"</A>
                <MainNav/>
                <UserMenu/>
            </header>
            <PageAlert/>
            <main id="main">
                <Outlet/>
            </main>
        </Gate>
    }
}

/// A banner for admins while Baton cannot do its work (Facebook refuses the page token, so
/// the outbox waits; Messenger refuses handovers), with the way to fix it. It comes with the
/// session, once per page load.
#[component]
fn PageAlert() -> impl IntoView {
    use_context::<PageAlertText>()
        .and_then(|a| a.0)
        .map(|alert| {
            view! {
                <aside class="page-alert" aria-label="Problem">
                    {alert.text}". "<a href=alert.href>{alert.link}</a>
                </aside>
            }
        })
}

/// The main navigation, showing only the screens the user's role may open.
#[component]
fn MainNav() -> impl IntoView {
    let role = use_context::<CurrentUser>().map(|u| u.0.role);
    view! {
        <nav aria-label="Main">
            <ul>
                {SCREENS
                    .into_iter()
                    .filter(|s| role.is_some_and(|r| r.can(s.permission)))
                    .map(|s| view! { <li><A href=s.href>{s.label}</A></li> })
                    .collect_view()}
            </ul>
        </nav>
    }
}

// Lazy routes: each screen's code is a separate wasm chunk (`cargo leptos ... --split`), loaded
// when the screen is first shown (before hydration when the server rendered it), so the main
// wasm stays small (budget: under 250 KB gzipped). Build every mode with `--split`: without
// it the lazy chunks are never produced and the page cannot load. A new big screen belongs here.

/// Declares `$route`: the screen `$page`, behind `$permission`, in its own wasm chunk.
macro_rules! lazy_screen {
    ($(#[$doc:meta])* $route:ident, $permission:ident, $page:ident) => {
        $(#[$doc])*
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! {
                    <RequirePermission permission=Permission::$permission><$page/></RequirePermission>
                }
                .into_any()
            }
        }
    };
}

/// The home screen: small, but also a chunk of its own, since the main wasm is what every page
/// load waits for.
struct HomePageRoute;

#[lazy_route]
impl LazyRoute for HomePageRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <HomePage/> }.into_any()
    }
}

lazy_screen!(
    /// The Messages screen (the flow editor).
    MessagesPageRoute, EditFlows, MessagesPage
);
lazy_screen!(
    /// The Inbox screen.
    InboxPageRoute, WorkInbox, InboxPage
);
lazy_screen!(
    /// The Simulator screen.
    SimulatorPageRoute, UseSimulator, SimulatorPage
);
lazy_screen!(
    /// The setup wizard.
    SetupPageRoute, RunSetup, SetupPage
);
lazy_screen!(
    /// The Settings screen.
    SettingsPageRoute, ManageSettings, SettingsPage
);
lazy_screen!(
    /// The Users screen.
    UsersPageRoute, ManageUsers, UsersPage
);
lazy_screen!(
    /// The Audit log screen.
    AuditPageRoute, ViewAudit, AuditPage
);
