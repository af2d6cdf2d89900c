//! The handle to a running emulator: its shared state (the world, the clock, the delivery
//! worker, the app it plays Baton's), and the accessors every part of the sandbox uses.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::{Limits, SandboxConfig};
use crate::delivery::{Deliveries, DeliveryRecord};
use crate::world::World;

/// Handle to a running emulator. Cheap to clone; all clones share state.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) world: Mutex<World>,
    pub(crate) clock: Clock,
    pub(crate) deliveries: Arc<Deliveries>,
    pub(crate) app_id: String,
    pub(crate) app_name: String,
    pub(crate) app_secret: messenger::Secret,
    pub(crate) callback_fixed: AtomicBool,
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

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the world at the current sandbox time, then queues the webhooks it
    /// produced (under the same lock, so deliveries keep platform order).
    pub(crate) fn with_world<R>(&self, f: impl FnOnce(&mut World, i64) -> R) -> R {
        let now = self.inner.clock.now_ms();
        let mut world = self.lock();
        let out = f(&mut world, now);
        world.trim_changed();
        let events = std::mem::take(&mut world.outbox);
        self.inner.deliveries.enqueue(events, now);
        out
    }
}
