//! The sign-in screen, the first-run "create the first admin" screen, and the `Gate` that
//! shows one of them, or the app, depending on the session.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use model::error::AppError;
use model::{Permission, SessionInfo, UserView};

use crate::api::auth::{
    create_first_admin, get_session, sign_in, sign_out, CreateFirstAdmin, SignIn, SignOut,
};

/// Session state shared by the whole app: the session resource, reloaded after every sign-in,
/// first admin and sign-out (plain server calls, not `ServerAction`s, whose generic code would
/// sit in the main wasm that every page load needs).
#[derive(Clone, Copy)]
pub struct Auth {
    changed: RwSignal<usize>,
    pub session: Resource<Result<SessionInfo, AppError>>,
}

impl Auth {
    pub fn provide() -> Self {
        let changed = RwSignal::new(0usize);
        let session = Resource::new(move || changed.get(), |_| get_session());
        let auth = Self { changed, session };
        provide_context(auth);
        auth
    }

    /// Asks the server for the session again (after it changed).
    fn reload(self) {
        self.changed.update(|n| *n += 1);
    }
}

/// The signed-in user, provided to everything inside [`Gate`].
#[derive(Clone, Debug)]
pub struct CurrentUser(pub UserView);

/// What admins must know now (see `SessionInfo::SignedIn`), provided inside [`Gate`].
#[derive(Clone, Debug)]
pub struct PageAlertText(pub Option<model::PageAlert>);

/// Shows `children` to a signed-in user, else the sign-in or first-admin screen.
#[component]
pub fn Gate(children: ChildrenFn) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Suspense fallback=|| view! { <p class="page">"Loading…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let screen = match auth.session.await {
                        Ok(SessionInfo::SignedIn(user, alert)) => {
                            provide_context(CurrentUser(user));
                            provide_context(PageAlertText(alert));
                            children().into_any()
                        }
                        Ok(SessionInfo::NeedsFirstAdmin) => view! { <BrandBar/><FirstAdminPage/> }.into_any(),
                        Ok(SessionInfo::SignedOut) => view! { <BrandBar/><SignInPage/> }.into_any(),
                        Err(e) => view! { <p class="page error" role="alert">{e.to_string()}</p> }.into_any(),
                    };
                    // Its first run comes after this view is hydrated.
                    mark_hydrated();
                    screen
                })
            }}
        </Suspense>
    }
}

/// Sets `data-hydrated="true"` on `<body>` once the wasm app has taken over the page, so
/// end-to-end tests (and curious people) can tell when clicks will be handled. [`Gate`] calls
/// it in its resolved view: the effect runs once that view (the top bar, the navigation and
/// the screen) is hydrated, not merely the shell around it. A click on a link before then is
/// routed in the browser while the server's HTML is still being adopted, and the links'
/// `aria-current` would keep the server's (old) value. (An effect, not a component: a
/// component after the screen would cost the main wasm 2.5 KB of view code.)
pub fn mark_hydrated() {
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Shows `children` only when the signed-in user's role has `permission`. The server
/// functions behind the screen check again; this only spares people a broken screen.
#[component]
pub fn RequirePermission(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let allowed = use_context::<CurrentUser>().is_some_and(|u| u.0.role.can(permission));
    if allowed {
        children().into_any()
    } else {
        view! {
            <Title text="Not allowed"/>
            <section class="page">
                <h1>"Not allowed"</h1>
                <p class="error" role="alert">{AppError::Forbidden.to_string()}</p>
            </section>
        }
        .into_any()
    }
}

/// Result text of an action, as an alert (errors) or a status line.
pub fn action_error<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || {
        value.get().and_then(|r| r.err()).map(|e| {
            view! { <p class="error" role="alert">{e.to_string()}</p> }
        })
    }
}

/// Submit handling for the forms of this file: what `<ActionForm>` does, written out. The
/// forms keep `action` and `method="post"`, so they also work before the wasm has loaded;
/// once it has, a submit calls `dispatch` instead. `<ActionForm>` would bring its form-field
/// parsing code into the main wasm, which every screen downloads (about 24 KB gzipped).
fn on_submit(dispatch: impl Fn() + 'static) -> impl FnMut(SubmitEvent) + 'static {
    move |ev: SubmitEvent| {
        if !ev.default_prevented() {
            ev.prevent_default();
            dispatch();
        }
    }
}

/// The current text of an input (empty before it is mounted).
fn value_of(input: NodeRef<Input>) -> String {
    input.get_untracked().map(|i| i.value()).unwrap_or_default()
}

/// A sign-in form's call to the server: whether it is running and its last error. It does
/// what a `ServerAction` would for these two forms in much less wasm, which matters here: the
/// signed-out screens are in the main wasm that every page load needs.
#[derive(Clone, Copy)]
struct FormCall {
    pending: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
}

impl FormCall {
    /// For the form that posts to server function `S`. A form sent before the wasm had loaded
    /// comes back with its error in the address; the server renders it (as `ServerAction`
    /// would).
    fn new<S: ServerFn<Error = AppError>>() -> Self {
        let error = use_context::<ServerActionError>()
            .filter(|e| e.path() == S::PATH)
            .map(|e| ServerFnUrlError::<AppError>::decode_err(e.err()));
        Self {
            pending: RwSignal::new(false),
            error: RwSignal::new(error),
        }
    }

    /// Runs `call`; once it succeeds the session reloads and the Gate shows the app.
    fn run(self, call: impl std::future::Future<Output = Result<SessionInfo, AppError>> + 'static) {
        let auth = expect_context::<Auth>();
        self.pending.set(true);
        leptos::task::spawn_local(async move {
            let result = call.await;
            self.pending.set(false);
            match result {
                Ok(_) => {
                    self.error.set(None);
                    auth.reload();
                }
                Err(e) => self.error.set(Some(e)),
            }
        });
    }

    /// The last error as an alert.
    fn error_view(self) -> impl IntoView {
        move || {
            self.error
                .get()
                .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
        }
    }
}

/// The top bar for people who are not signed in: just the name.
#[component]
fn BrandBar() -> impl IntoView {
    view! {
        <header class="topbar">
            <span class="brand">"Baton"</span>
        </header>
    }
}

#[component]
fn SignInPage() -> impl IntoView {
    let call = FormCall::new::<SignIn>();
    let (email, password) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    let submit = on_submit(move || {
        call.run(sign_in(value_of(email), value_of(password)));
    });
    view! {
        <Title text="Sign in"/>
        <section class="page narrow">
            <h1>"Sign in"</h1>
            <form action=SignIn::url() method="post" class="form stacked" on:submit=submit>
                <label for="signin-email">"Email"</label>
                <input id="signin-email" name="email" type="email" autocomplete="username" required node_ref=email/>
                <label for="signin-password">"Password"</label>
                <input id="signin-password" name="password" type="password" autocomplete="current-password" required node_ref=password/>
                <button type="submit" disabled=call.pending>"Sign in"</button>
            </form>
            {call.error_view()}
        </section>
    }
}

#[component]
fn FirstAdminPage() -> impl IntoView {
    let call = FormCall::new::<CreateFirstAdmin>();
    let (email, password) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    let submit = on_submit(move || {
        call.run(create_first_admin(value_of(email), value_of(password)));
    });
    view! {
        <Title text="Create the first admin"/>
        <section class="page narrow">
            <h1>"Create the first admin"</h1>
            <p>"Baton has no users yet. The first account is an admin: it can invite everyone else."</p>
            <form action=CreateFirstAdmin::url() method="post" class="form stacked" on:submit=submit>
                <label for="first-email">"Email"</label>
                <input id="first-email" name="email" type="email" autocomplete="username" required node_ref=email/>
                <label for="first-password">"Password (at least 10 characters)"</label>
                <input id="first-password" name="password" type="password" autocomplete="new-password" minlength="10" required node_ref=password/>
                <button type="submit" disabled=call.pending>"Create admin and sign in"</button>
            </form>
            {call.error_view()}
        </section>
    }
}

/// Signs out, then shows the sign-in screen (if the call fails the session reloads anyway and
/// shows what the server says).
fn sign_out_now(auth: Auth) {
    leptos::task::spawn_local(async move {
        let _ = sign_out().await;
        auth.reload();
    });
}

/// The signed-in user's email and role with a sign-out button (for the top bar).
#[component]
pub fn UserMenu() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let user = use_context::<CurrentUser>();
    user.map(|CurrentUser(user)| {
        view! {
            <div class="usermenu">
                <span data-testid="whoami">{user.email}" · "{user.role.as_str()}</span>
                <form action=SignOut::url() method="post"
                    on:submit=on_submit(move || sign_out_now(auth))>
                    <button type="submit" class="link">"Sign out"</button>
                </form>
            </div>
        }
    })
}
