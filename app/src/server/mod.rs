//! Server-only code (feature `ssr`): the shared state and the request context every server
//! function starts from. The domain itself (repositories, the handover runtime, accounts,
//! flows, pages, the setup wizard's checks) is the `domain` crate.

mod ctx;
mod state;

pub use ctx::Ctx;
pub use state::{state, AppState};
