//! Baton's server side without the web layer: what server functions, the webhook, the
//! workers and the CLI share. Nothing here knows about Leptos or HTTP routing; the app crate
//! turns these results into server-function answers and the server crate into HTTP.
//!
//! - `db`, `repo::*`: the SQLite pool, migrations and one repository module per table group.
//! - `runtime`: the event worker (webhook events → flow answers and handovers, `engine`), the
//!   agent actions (`agent`), composing Messenger sends (`compose`) and the outbox sender.
//! - `accounts`, `auth`: people, roles, sessions and passwords.
//! - `flows`: drafts, validation, publishing and pushing the messenger profile.
//! - `inbox`: the agent inbox's lists and conversation detail.
//! - `ingest`: webhook deliveries stored with group commit.
//! - `pages`, `setup`, `secrets`: connecting a Facebook page, the setup wizard's checks and
//!   the page secrets sealed at rest.
//! - `simulator`, `sandbox_store`: the built-in Messenger sandbox and its saved state.
//! - `live`: which conversation changed, for open inbox screens.
//! - `clock`: the one source of the current time.

pub mod accounts;
pub mod auth;
pub mod backend;
pub mod clock;
pub mod db;
pub mod flows;
pub mod inbox;
pub mod ingest;
pub mod lanes;
pub mod live;
pub mod notify;
pub mod pages;
pub mod repo;
pub mod runtime;
pub mod sandbox_store;
pub mod secrets;
pub mod send_budget;
pub mod setup;
pub mod simulator;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::sync::Arc;

pub use clock::Clock;

/// Settings resolved once by the binary at start-up.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Base URL of the Graph API (the real one or a local fake).
    pub graph_api_url: String,
    /// Public base URL Facebook reaches Baton at (used for the callback URL), if known.
    pub public_url: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (`BATON_TRUSTED_PROXIES`); from
    /// anyone else the header is ignored and the socket address is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// What every domain operation may use: the database, the settings, the built-in sandbox and
/// the two signals between request handlers and the workers.
#[derive(Clone)]
pub struct Services {
    /// The database: SQLite, or PostgreSQL shared with other instances.
    pub pool: backend::Db,
    pub config: Arc<ServerConfig>,
    /// The built-in offline Messenger Platform (mounted under /sandbox).
    pub sandbox: sandbox::Sandbox,
    /// Wakes the runtime workers when the webhook stored new events.
    pub wake: runtime::Wake,
    /// Stores webhook deliveries, many per transaction.
    pub ingest: ingest::Ingest,
    /// Where the deliveries and their events are stored (a file of their own on disk).
    pub deliveries: db::Deliveries,
    /// The connected page as the webhook reads it on every delivery.
    pub page: repo::pages::PageCache,
    /// Tells open inbox screens which conversation changed.
    pub live: live::Live,
    /// The time (tests move it forward).
    pub clock: Clock,
    /// The runtime workers' restarts and lag (for /healthz).
    pub workers: runtime::Workers,
}
