//! Baton's server side without the web layer: what server functions, the webhook, the
//! workers and the CLI share. Nothing here knows about Leptos or HTTP routing; the app crate
//! turns these results into server-function answers and the server crate into HTTP.
//!
//! It is built in floors, each using only those below it (docs/architecture.md draws them):
//!
//! 1. `clock` (the one source of the current time) and `storage` (both databases,
//!    migrations, the repositories, sealed secrets, work lanes);
//! 2. `signal`: which conversation changed (`live`), notes between instances (`notify`);
//! 3. `runtime`: webhook events in, Graph API calls out, and the agents' actions;
//! 4. `services`: what the server functions and the CLI call (accounts, flows, inbox,
//!    ingest, pages, setup, simulator);
//! 5. this file: [`Services`], what the binary wires together at start-up.
//!
//! The other crates use the modules by their short names (`domain::repo`, `domain::flows`),
//! re-exported here.

pub mod clock;
pub mod runtime;
pub mod services;
pub mod signal;
pub mod storage;

pub use services::{accounts, auth, flows, inbox, ingest, pages, sandbox_store, setup, simulator};
pub use signal::{live, notify};
#[cfg(any(test, feature = "testing"))]
pub use storage::testing;
pub use storage::{backend, db, lanes, repo, secrets, send_budget};

pub use clock::Clock;
pub use services::{ServerConfig, Services};
