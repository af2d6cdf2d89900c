//! What the workers are told and tell: [`Wake`], which wakes them when there is new work,
//! and [`Touched`], what one of their steps did and whose conversations changed.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::signal::live::Live;

/// Wakes the workers when there is new work (instead of waiting for the next poll): the
/// event worker when events were stored, the outbox worker when calls were queued. Waking
/// only the one with work saves the other an empty look at the database.
///
/// On PostgreSQL the work may be another instance's (it holds the user's lane): each wake is
/// also sent to the other instances (`crate::signal::notify`).
#[derive(Clone, Default)]
pub struct Wake {
    pub(super) events: Arc<Notify>,
    pub(super) outbox: Arc<Notify>,
    remote: crate::signal::notify::Remote,
}

impl Wake {
    /// Both workers.
    pub fn wake(&self) {
        self.wake_events();
        self.wake_outbox();
    }

    /// New webhook events are stored.
    pub fn wake_events(&self) {
        self.events.notify_waiters();
        self.remote.publish(crate::signal::notify::Note::Events);
    }

    /// New calls are queued.
    pub fn wake_outbox(&self) {
        self.outbox.notify_waiters();
        self.remote.publish(crate::signal::notify::Note::Outbox);
    }

    /// Both workers of this instance only.
    pub(crate) fn wake_here(&self) {
        self.events.notify_waiters();
        self.outbox.notify_waiters();
    }

    pub(crate) fn wake_events_here(&self) {
        self.events.notify_waiters();
    }

    pub(crate) fn wake_outbox_here(&self) {
        self.outbox.notify_waiters();
    }

    pub(crate) fn remote(&self) -> &crate::signal::notify::Remote {
        &self.remote
    }
}

/// What a worker step did: how many events or calls, and which conversations changed
/// (for the live inbox).
#[derive(Debug, Default)]
pub struct Touched {
    pub count: usize,
    pub conversations: Vec<String>,
}

impl Touched {
    pub(super) fn add(&mut self, psid: Option<&str>) {
        if let Some(psid) = psid {
            if !self.conversations.iter().any(|p| p == psid) {
                self.conversations.push(psid.to_owned());
            }
        }
    }

    pub(super) fn tell(&self, live: &Live) {
        for psid in &self.conversations {
            live.changed(psid);
        }
    }
}
