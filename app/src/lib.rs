//! Baton's admin app: the Leptos UI shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`), its server functions and, behind `ssr`, the request context they
//! start from. What they call on the server is the `domain` crate.

pub mod api;
mod app;
mod pages;

pub use ::model;
/// The shared types live in the `model` crate (the domain crate uses them too); the app names
/// them `crate::model` and `crate::error` as before.
pub use model::error;

#[cfg(feature = "ssr")]
pub mod server;

pub use app::{shell, App};

/// Browser entry point: attaches the reactive system to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(App);
}
