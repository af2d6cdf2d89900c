//! The placeholder of the screen's parts that are their own wasm chunk (the Push panel, the
//! Triggers and Versions tabs, the delete dialog): shown until the part's code has arrived.

use leptos::prelude::*;

/// Shows a lazily loaded part of the screen, with a placeholder until its code has arrived.
pub fn lazy_part(part: impl std::future::Future<Output = AnyView> + Send + 'static) -> AnyView {
    view! {
        <Suspense fallback=|| view! { <p class="hint" role="status">"Loading…"</p> }>
            {Suspend::new(part)}
        </Suspense>
    }
    .into_any()
}
