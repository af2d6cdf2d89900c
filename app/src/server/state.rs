//! The state every request handler and server function shares, provided to server functions
//! through Leptos context by the router (`leptos_routes` puts the router state in context).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::SqlitePool;

use crate::error::AppError;

/// Settings the app needs at run time, resolved once by the binary at start-up.
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

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: SqlitePool,
    pub config: Arc<ServerConfig>,
    /// The built-in offline Messenger Platform (mounted under /sandbox).
    pub sandbox: sandbox::Sandbox,
    /// Wakes the runtime workers when the webhook stored new events.
    pub wake: crate::server::runtime::Wake,
    /// Tells open inbox screens which conversation changed.
    pub live: crate::server::live::Live,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The shared state, for use inside server functions.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        let uri = use_context::<axum::http::request::Parts>().map(|p| p.uri.to_string());
        tracing::error!(?uri, "AppState missing from the server function context");
        AppError::Internal
    })
}
