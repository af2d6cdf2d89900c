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
mod handover;
mod outbound;
mod routing;
mod settings;
mod snapshot;
mod transcript;
mod verify;
mod world;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
pub use settings::{PageSettings, PageUpdate};
pub use snapshot::{PageSnapshot, Snapshot, SnapshotChanges, SNAPSHOT_VERSION};
pub use transcript::{OwnerChange, Speaker, ThreadView, TranscriptItem};
pub use verify::WebhookCheck;
pub use world::{NewUser, TestUser, UserState, TYPING_SHOWN_MS};

use delivery::Deliveries;
use world::World;

/// Handle to a running emulator. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    world: Mutex<World>,
    clock: Clock,
    deliveries: Arc<Deliveries>,
    app_id: String,
    app_name: String,
    app_secret: messenger::Secret,
    callback_fixed: AtomicBool,
}

impl Sandbox {
    /// Builds the emulator and starts its delivery worker. Must run inside a Tokio runtime.
    pub fn new(config: SandboxConfig) -> Self {
        let deliveries = Deliveries::start(
            config.delivery.clone(),
            config.app.secret.clone(),
            config.callback_url.clone(),
            config.limits.max_delivery_records,
        );
        Self {
            inner: Arc::new(Inner {
                world: Mutex::new(World::new(&config)),
                clock: Clock::default(),
                deliveries,
                app_id: config.app.id.clone(),
                app_name: config.app.name.clone(),
                app_secret: config.app.secret.clone(),
                callback_fixed: AtomicBool::new(false),
            }),
        }
    }

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

    /// The caps this sandbox applies.
    pub fn limits(&self) -> Limits {
        self.lock().limits.clone()
    }

    /// The primary (Baton) app id.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// The primary (Baton) app's name.
    pub fn app_name(&self) -> &str {
        &self.inner.app_name
    }

    /// The sandbox clock (timestamps and messaging windows).
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Fast-forwards the sandbox clock.
    pub fn advance(&self, by: Duration) {
        self.inner.clock.advance(by);
    }

    /// Sets (or clears) Baton's webhook callback URL; queued deliveries then go out.
    pub fn set_callback_url(&self, url: Option<String>) {
        self.inner.deliveries.set_callback_url(url);
    }

    /// Fixes the callback URL: from now on the control API cannot change it (Baton serving
    /// the sandbox page keeps it on its own /webhook).
    pub fn fix_callback_url(&self) {
        self.inner.callback_fixed.store(true, Ordering::Relaxed);
    }

    /// Whether [`Sandbox::fix_callback_url`] was called.
    pub fn callback_url_fixed(&self) -> bool {
        self.inner.callback_fixed.load(Ordering::Relaxed)
    }

    /// Current callback URL.
    pub fn callback_url(&self) -> Option<String> {
        self.inner.deliveries.callback_url()
    }

    /// Every webhook delivery so far, oldest first, with its attempts.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        self.inner.deliveries.records()
    }

    /// Waits until the delivery queue is empty (each delivery delivered or given up), or
    /// until nothing can be delivered because no callback URL is set.
    pub async fn settle(&self) {
        while !self.inner.deliveries.is_settled() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    fn lock(&self) -> MutexGuard<'_, World> {
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the world at the current sandbox time, then queues the webhooks it
    /// produced (under the same lock, so deliveries keep platform order).
    fn with_world<R>(&self, f: impl FnOnce(&mut World, i64) -> R) -> R {
        let now = self.inner.clock.now_ms();
        let mut world = self.lock();
        let out = f(&mut world, now);
        world.trim_changed();
        let events = std::mem::take(&mut world.outbox);
        self.inner.deliveries.enqueue(events, now);
        out
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
