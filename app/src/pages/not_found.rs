//! The 404 screen (also sets the HTTP status when rendered on the server).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::auth::mark_hydrated;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    mark_hydrated();
    view! {
        <Title text="Not found"/>
        <section class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <A href="/">"Go to the home screen"</A>"."</p>
        </section>
    }
}
