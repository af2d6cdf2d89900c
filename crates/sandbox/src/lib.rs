//! Offline Messenger Platform emulator for Baton: Graph API endpoints (same paths and shapes
//! as Meta's, any `/vNN.0` prefix), thread ownership between Baton and Page Inbox, signed
//! webhook deliveries with retries, a controllable clock, test-user / agent actors, per-page
//! settings that produce every setup-wizard failure (scopes, expired token, secondary
//! receivers, routing), well-known user / expired tokens, `debug_token`, webhook
//! verification, and a JSON control API under `/_sandbox`.
//!
//! ```no_run
//! # async fn demo() {
//! let sandbox = sandbox::Sandbox::new(sandbox::SandboxConfig::default());
//! let app = axum::Router::new().nest("/sandbox", sandbox.router());
//! # let _ = app; }
//! ```
//! Mounted like that, Baton's `GraphClient` base URL is `http://HOST/sandbox/v21.0` and the
//! control API is at `http://HOST/sandbox/_sandbox/...`.

mod actors;
mod clock;
mod config;
mod control;
mod delivery;
mod fail;
mod graph_api;
mod handle;
mod handover;
mod outbound;
mod routing;
mod settings;
mod snapshot;
mod transcript;
mod verify;
mod world;

use std::net::SocketAddr;

use axum::Router;

pub use actors::Tap;
pub use clock::Clock;
pub use config::{
    AppConfig, DeliveryConfig, Limits, PageConfig, SandboxConfig, DEFAULT_APP_ID,
    DEFAULT_APP_SECRET, DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, DEFAULT_SCOPES, EXPIRED_TOKEN,
    SANDBOX_USER_ID, SANDBOX_USER_NAME, USER_TOKEN,
};
pub use delivery::{Attempt, DeliveryRecord, DeliveryStatus};
pub use fail::{GraphFail, SandboxError};
pub use routing::Refusal;
pub use settings::PageUpdate;
pub use snapshot::{PageSnapshot, Snapshot, SnapshotChanges, SNAPSHOT_VERSION};
pub use transcript::{OwnerChange, Speaker, ThreadView, TranscriptItem};
pub use verify::WebhookCheck;
pub use world::{NewUser, PageSettings, TestUser, UserState, TYPING_SHOWN_MS};

pub use handle::Sandbox;

impl Sandbox {
    /// All routes: Graph API at the root (`/v21.0/me/messages`, `/me/messages`, ...) and the
    /// control API under `/_sandbox`.
    pub fn router(&self) -> Router {
        Router::new()
            .nest("/_sandbox", self.control_router())
            .merge(self.graph_router())
    }

    /// Only the Graph API routes (catch-all), for mounting on their own prefix.
    pub fn graph_router(&self) -> Router {
        graph_api::router(self.clone())
    }

    /// Only the JSON control API (`/users`, `/clock/advance`, ...).
    pub fn control_router(&self) -> Router {
        control::router(self.clone())
    }
}

/// Runs the sandbox standalone on `addr` until the process stops (Graph API at the root,
/// control API under `/_sandbox`).
pub async fn serve(addr: SocketAddr, config: SandboxConfig) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_listener(listener, Sandbox::new(config)).await
}

/// Like [`serve`], on an already bound listener and an existing handle.
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    sandbox: Sandbox,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "sandbox listening");
    axum::serve(listener, sandbox.router()).await
}
