//! Settings screen (admins): the connected Facebook Page's health (Settings → Page), the page
//! display name, and links to Users and the Audit log.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::settings_page::PageSection;
use crate::api::settings::{get_page_name, SavePageName};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SavePageName>::new();
    let current = Resource::new(move || save.version().get(), |_| get_page_name());
    let pending = save.pending();
    // This screen is a lazy chunk that hydrates after the rest of the app: until it has, a
    // click on Save would post the plain form (and reload). `data-ready` tells when it is live.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));

    view! {
        <Title text="Settings"/>
        <section class="page">
            <h1>"Settings"</h1>
            <ul class="sublinks">
                <li><A href="/settings/users">"Users"</A></li>
                <li><A href="/settings/audit">"Audit log"</A></li>
            </ul>
            <PageSection/>
            <h2>"Display name"</h2>
            <p>
                "Page display name: "
                <Suspense fallback=|| view! { <span>"Loading…"</span> }>
                    {move || Suspend::new(async move {
                        match current.await {
                            Ok(Some(name)) => view! { <strong data-testid="page-name">{name}</strong> }.into_any(),
                            Ok(None) => view! { <em data-testid="page-name">"not set"</em> }.into_any(),
                            Err(e) => view! { <span class="error" role="alert">{e.to_string()}</span> }.into_any(),
                        }
                    })}
                </Suspense>
            </p>
            <ActionForm action=save attr:class="form" attr:data-ready=move || ready.get().to_string()>
                <label for="page-name-input">"New page display name"</label>
                <input id="page-name-input" name="name" type="text" required maxlength="100" autocomplete="off"/>
                <button type="submit" disabled=pending>"Save"</button>
            </ActionForm>
            {move || save.value().get().map(|result| match result {
                Ok(_) => view! { <p class="ok" role="status">"Saved."</p> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })}
        </section>
    }
}
