//! Change notifications for open inbox screens: the runtime and agent actions say which
//! conversation changed; `GET /api/inbox/events` (server-sent events) passes that on to every
//! browser that has the inbox open, which then reloads what it shows.

use tokio::sync::broadcast;

/// How many notifications a slow browser may fall behind before it is told to reload all.
const BACKLOG: usize = 1024;

#[derive(Clone)]
pub struct Live(broadcast::Sender<String>);

impl Default for Live {
    fn default() -> Self {
        Self(broadcast::channel(BACKLOG).0)
    }
}

impl Live {
    /// Conversation `psid` changed (new message, state, failed send...).
    pub fn changed(&self, psid: &str) {
        // No open inbox screen is not an error.
        let _ = self.0.send(psid.to_owned());
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.0.subscribe()
    }
}
