//! Server-only code (feature `ssr`): shared state, database access and repositories.
//! Server functions in `crate::api` reach this through [`state()`].

pub mod db;
pub mod repo;
mod state;

pub use state::{state, AppState, ServerConfig};
