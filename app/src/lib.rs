//! Baton's admin app: the Leptos UI shared by the server (feature `ssr`) and the browser
//! (feature `hydrate`), its server functions and, behind `ssr`, the request context they
//! start from. What they call on the server is the `domain` crate.

pub mod api;
mod app;
mod pages;
mod screens;

// The shared types live in the `model` crate (the domain crate uses them too). The app's own
// modules name that crate directly (`model::…`, `model::error::AppError`), never this root,
// which only wires things together; the server names them `app::model` and `app::error`.
pub use ::model;
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
