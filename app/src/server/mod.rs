//! Server-only code (feature `ssr`): shared state, authentication, database access,
//! repositories and the domain operations server functions and the CLI share.
//! Server functions in `crate::api` reach this through [`state()`].

pub mod accounts;
pub mod auth;
pub mod db;
pub mod flows;
pub mod inbox;
pub mod live;
pub mod pages;
pub mod repo;
pub mod runtime;
pub mod sandbox_store;
pub mod secrets;
pub mod setup;
pub mod simulator;
mod state;

pub use auth::Ctx;
pub use state::{state, AppState, ServerConfig};
