//! Baton's admin app: the Leptos UI shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`), its server functions and, behind `ssr`, the server-side state and
//! repositories those functions use.

pub mod api;
mod app;
pub mod error;
pub mod model;
mod pages;

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
