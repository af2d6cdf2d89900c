//! Stand-in for screens whose issues have not landed yet.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotBuiltYet(title: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <section class="page">
            <h1>{title}</h1>
            <p class="notice">"This screen is not built yet."</p>
        </section>
    }
}
