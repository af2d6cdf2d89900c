//! The services the server functions and the CLI call: accounts and sessions, the flow
//! editor and publishing, the agent inbox's reads, webhook ingest, connecting a page, the
//! setup wizard's checks, the Simulator and the sandbox's saved state. May use: storage, the
//! signals, the runtime. Must not use: anything of the web layer (Leptos, HTTP routing).

pub mod accounts;
pub mod auth;
pub mod flows;
pub mod inbox;
pub mod ingest;
pub mod pages;
pub mod sandbox_store;
pub mod setup;
pub mod simulator;

use std::sync::Arc;

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
    pub pool: crate::storage::backend::Db,
    pub config: Arc<ServerConfig>,
    /// The built-in offline Messenger Platform (mounted under /sandbox).
    pub sandbox: sandbox::Sandbox,
    /// Wakes the runtime workers when the webhook stored new events.
    pub wake: crate::runtime::Wake,
    /// Stores webhook deliveries, many per transaction.
    pub ingest: ingest::Ingest,
    /// Where the deliveries and their events are stored (a file of their own on disk).
    pub deliveries: crate::storage::db::Deliveries,
    /// The connected page as the webhook reads it on every delivery.
    pub page: crate::storage::repo::pages::PageCache,
    /// Tells open inbox screens which conversation changed.
    pub live: crate::signal::live::Live,
    /// The time (tests move it forward).
    pub clock: crate::clock::Clock,
    /// The runtime workers' restarts and lag (for /healthz).
    pub workers: crate::runtime::Workers,
}
