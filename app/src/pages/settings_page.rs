//! Settings → Page (admins): the connected page's health checked with Facebook (token,
//! webhooks arriving, subscription, routing), the bot disclosure, rotating its token / app
//! secret / verify token, and disconnecting it.

use leptos::prelude::*;
use leptos_router::components::A;
use model::format_time;

use crate::api::settings::{
    disconnect_page, get_bot_disclosure, page_health, RotatePageSecrets, SaveBotDisclosure,
};
use crate::pages::checks::CheckList;

#[component]
pub fn PageSection() -> impl IntoView {
    let rotate = ServerAction::<RotatePageSecrets>::new();
    let disconnect = Action::new(|_: &()| disconnect_page());
    let recheck = RwSignal::new(0u32);
    let health = Resource::new(
        move || {
            (
                recheck.get(),
                rotate.version().get(),
                disconnect.version().get(),
            )
        },
        |_| page_health(),
    );
    let confirm_disconnect = RwSignal::new(false);

    view! {
        <section class="page-health" aria-labelledby="page-health-title">
            <h2 id="page-health-title">"Facebook Page"</h2>
            <Transition fallback=|| view! { <p class="notice" role="status">"Checking the page with Facebook…"</p> }>
                {move || Suspend::new(async move {
                    match health.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(h) => match h.page {
                            None => view! {
                                <p class="notice" data-testid="no-page">
                                    "No page is connected. "
                                    <A href="/setup">"Open the setup wizard"</A>
                                    " to connect your Facebook Page or the built-in sandbox page."
                                </p>
                            }
                            .into_any(),
                            Some(page) => {
                                let sandbox = page.is_sandbox;
                                view! {
                                    <p data-testid="page-connected">
                                        <strong>{page.name.clone()}</strong>
                                        {format!(" (page {}, app {})", page.page_id, page.app_id)}
                                        {sandbox.then_some(" · built-in sandbox page")}
                                        <br/>
                                        <span class="notice small">
                                            {format!("Connected {}. Checked {}.", format_time(page.connected_at), format_time(h.checked_at))}
                                        </span>
                                    </p>
                                    <CheckList checks=h.checks.clone()/>
                                    <div class="actions">
                                        <button type="button" class="secondary" on:click=move |_| recheck.update(|n| *n += 1)>
                                            "Check again"
                                        </button>
                                        <A href="/setup">"Open the setup wizard"</A>
                                    </div>
                                    {(!sandbox).then(|| view! { <RotateForm rotate/> })}
                                }
                                .into_any()
                            }
                        },
                    }
                })}
            </Transition>
            // Its own resource beside the health check, not inside it: a resource created
            // while a resolved Suspense renders does not hydrate (the page would stop working).
            <DisclosureForm refresh=Signal::derive(move || disconnect.version().get())/>
            <div class="danger-zone">
                {move || if confirm_disconnect.get() {
                    view! {
                        <p role="alert">
                            "Disconnect the page? Baton stops receiving its messages until a page \
                             is connected again. Conversations and messages stay."
                        </p>
                        <button type="button" class="secondary danger" on:click=move |_| {
                            confirm_disconnect.set(false);
                            disconnect.dispatch(());
                        }>"Yes, disconnect"</button>
                        <button type="button" class="secondary" on:click=move |_| confirm_disconnect.set(false)>"Cancel"</button>
                    }
                    .into_any()
                } else {
                    view! {
                        <button type="button" class="secondary danger" disabled=move || disconnect.pending().get()
                            on:click=move |_| confirm_disconnect.set(true)>
                            "Disconnect the page…"
                        </button>
                    }
                    .into_any()
                }}
                {move || disconnect.value().get().map(|r| match r {
                    Ok(()) => view! { <p class="ok" role="status">"The page is disconnected."</p> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </div>
        </section>
    }
}

/// Whether the bot says it is an automated assistant, and in which words (the law requires
/// it in some places).
#[component]
fn DisclosureForm(
    /// Changes when the page is disconnected (then there is nothing to disclose).
    refresh: Signal<usize>,
) -> impl IntoView {
    let save = ServerAction::<SaveBotDisclosure>::new();
    let current = Resource::new(
        move || (refresh.get(), save.version().get()),
        |_| get_bot_disclosure(),
    );
    let said = move || {
        save.value().get().map(|r| match r {
            Ok(d) if d.on => view! { <p class="ok" role="status">"Saved: the bot says it is a bot."</p> }.into_any(),
            Ok(_) => view! { <p class="ok" role="status">"Saved: the bot no longer says it is a bot."</p> }.into_any(),
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match current.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    // No page connected: nothing to say on its behalf.
                    Ok(None) => ().into_any(),
                    Ok(Some(d)) => view! {
                        <section class="disclosure" aria-labelledby="disclosure-title">
                            <h3 id="disclosure-title">"The bot says it is a bot"</h3>
                            <ActionForm action=save attr:class="form stacked">
                                <label class="checkbox">
                                    <input type="checkbox" name="on" value="true" prop:checked=d.on/>
                                    " Before the bot's first message, and when someone comes back to \
                                     the bot from a person, send:"
                                </label>
                                <label for="disclosure-text" class="visually-hidden">"What the bot says about itself"</label>
                                <textarea id="disclosure-text" name="text" rows="2" maxlength="2000"
                                    prop:value=d.text.clone()></textarea>
                                <span class="hint">
                                    "Some laws (California, Germany) require telling people they are \
                                     talking to an automated assistant."
                                </span>
                                <button type="submit" class="secondary" disabled=save.pending()>"Save what the bot says"</button>
                            </ActionForm>
                            {said}
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

/// New page token and/or app secret (checked with Facebook before they are stored), or a new
/// verify token shown once.
#[component]
fn RotateForm(rotate: ServerAction<RotatePageSecrets>) -> impl IntoView {
    let pending = rotate.pending();
    view! {
        <details class="rotate">
            <summary>"Replace the token or secrets"</summary>
            <ActionForm action=rotate attr:class="form stacked">
                <label for="rotate-token">"New page access token"</label>
                <input id="rotate-token" name="access_token" type="password" autocomplete="off"
                    maxlength="1000" placeholder="Leave empty to keep the current one"/>
                <label for="rotate-secret">"New app secret"</label>
                <input id="rotate-secret" name="app_secret" type="password" autocomplete="off"
                    maxlength="1000" placeholder="Leave empty to keep the current one"/>
                <label class="checkbox">
                    <input type="checkbox" name="new_verify" value="true"/>
                    " Make a new verify token (then paste it into the App Dashboard's webhook settings)"
                </label>
                <button type="submit" disabled=pending>"Check and replace"</button>
            </ActionForm>
            {move || rotate.value().get().map(|r| match r {
                Ok(report) => view! {
                    <p class="ok" role="status">"Replaced. The checks above are fresh."</p>
                    {report.new_verify_token.map(|t| view! {
                        <p class="notice" role="status">
                            "New verify token (copy it now, it is not shown again): "
                            <code data-testid="new-verify-token">{t}</code>
                        </p>
                    })}
                }
                .into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </details>
    }
}
