//! Change notifications for open inbox screens: the runtime and agent actions say which
//! conversation changed; `GET /api/inbox/events` (server-sent events) passes that on to every
//! browser that has the inbox open, which then reloads what it shows.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};

/// How many notifications a slow browser may fall behind before it is told to reload all.
const BACKLOG: usize = 1024;

/// Open live-update streams per user at most (browser tabs with the Inbox open).
pub const MAX_STREAMS_PER_USER: usize = 8;

///
/// On PostgreSQL, changes made on one instance are passed to the others (`crate::signal::notify`),
/// so an agent's Inbox on instance A shows what was done on instance B.
#[derive(Clone)]
pub struct Live {
    changes: broadcast::Sender<String>,
    /// Open streams per user id.
    open: Arc<Mutex<HashMap<i64, usize>>>,
    remote: crate::signal::notify::Remote,
    /// Set when the server shuts down: open streams end, so the shutdown need not wait for
    /// browsers to hang up.
    closing: Arc<(AtomicBool, Notify)>,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            changes: broadcast::channel(BACKLOG).0,
            open: Arc::default(),
            remote: crate::signal::notify::Remote::default(),
            closing: Arc::default(),
        }
    }
}

/// One open stream of a user; dropping it (the stream ended) frees the place.
pub struct StreamSlot {
    user_id: i64,
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = open.get_mut(&self.user_id) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

impl Live {
    /// Conversation `psid` changed (new message, state, failed send...).
    pub fn changed(&self, psid: &str) {
        self.changed_here(psid);
        self.remote
            .publish(crate::signal::notify::Note::Changed(psid.to_owned()));
    }

    /// A change another instance made (or one this instance need not pass on).
    pub(crate) fn changed_here(&self, psid: &str) {
        // No open inbox screen is not an error.
        let _ = self.changes.send(psid.to_owned());
    }

    pub(crate) fn remote(&self) -> &crate::signal::notify::Remote {
        &self.remote
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }

    /// The server is shutting down: every open stream ends ([`Live::closed`]).
    pub fn close(&self) {
        self.closing.0.store(true, Ordering::SeqCst);
        self.closing.1.notify_waiters();
    }

    /// Resolves once [`Live::close`] was called.
    pub async fn closed(&self) {
        loop {
            // Created before the check, so a close in between still wakes it.
            let notified = self.closing.1.notified();
            if self.closing.0.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    /// A place for one more stream of `user_id`, or `None` when they have
    /// [`MAX_STREAMS_PER_USER`] open already.
    pub fn open_stream(&self, user_id: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let n = open.entry(user_id).or_insert(0);
        if *n >= MAX_STREAMS_PER_USER {
            return None;
        }
        *n += 1;
        Some(StreamSlot {
            user_id,
            open: self.open.clone(),
        })
    }
}
