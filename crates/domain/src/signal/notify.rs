//! Signals between Baton instances on one PostgreSQL database, with `LISTEN`/`NOTIFY`:
//!
//! - wakes: a webhook stored on instance A may belong to a lane instance B holds, and an
//!   agent's click on B may queue a call in A's lane, so `Wake` tells every instance;
//! - live inbox changes: `Live::changed` on B reaches the inbox screens open on A.
//!
//! Each instance publishes on one channel and listens to it, skipping what it sent itself
//! (its name is in each payload). A notification is a hint, not the work: the work is in the
//! database, and the workers also look there on a short timer, so a notification lost (the
//! listening connection dropped) delays work by that timer and never loses it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::mpsc;

/// The `LISTEN`/`NOTIFY` channel every instance shares.
const CHANNEL: &str = "baton";

/// What one instance tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Note {
    /// New webhook events are stored.
    Events,
    /// New calls are queued.
    Outbox,
    /// The conversation with this PSID changed (for open inbox screens).
    Changed(String),
}

impl Note {
    fn encode(&self, instance: &str) -> String {
        match self {
            Note::Events => format!("{instance}\te"),
            Note::Outbox => format!("{instance}\to"),
            Note::Changed(psid) => format!("{instance}\tc\t{psid}"),
        }
    }

    /// The note in `payload`, unless this instance sent it (or it is not one of Baton's).
    fn decode(payload: &str, instance: &str) -> Option<Note> {
        let mut parts = payload.splitn(3, '\t');
        let from = parts.next()?;
        if from == instance {
            return None;
        }
        match (parts.next()?, parts.next()) {
            ("e", None) => Some(Note::Events),
            ("o", None) => Some(Note::Outbox),
            ("c", Some(psid)) => Some(Note::Changed(psid.to_owned())),
            _ => None,
        }
    }
}

/// Where `Wake` and `Live` send notes for the other instances: nowhere until [`start`]
/// (SQLite, or tests), so they cost nothing then.
#[derive(Clone, Default)]
pub struct Remote(Arc<OnceLock<mpsc::UnboundedSender<Note>>>);

impl Remote {
    pub fn publish(&self, note: Note) {
        if let Some(tx) = self.0.get() {
            let _ = tx.send(note);
        }
    }
}

/// What this instance does with a note from another one; `None` after notes may have been
/// lost (the listening connection dropped), when the workers should look at the database.
pub type OnNote = Arc<dyn Fn(Option<Note>) + Send + Sync>;

/// Starts passing what is published on `remotes` (the runtime's wakes, the live inbox's
/// changes) to the other instances, and theirs to `on_note`. `instance` names this instance
/// (`lanes::instance_name`).
pub fn start(pool: PgPool, instance: String, remotes: &[&Remote], on_note: OnNote) {
    let (tx, rx) = mpsc::unbounded_channel();
    for remote in remotes {
        let _ = remote.0.set(tx.clone());
    }
    tokio::spawn(publish_loop(pool.clone(), instance.clone(), rx));
    tokio::spawn(listen_loop(pool, instance, on_note));
}

/// Sends notes as they come, those that came together in one statement, each once.
async fn publish_loop(pool: PgPool, instance: String, mut rx: mpsc::UnboundedReceiver<Note>) {
    let mut notes = Vec::new();
    while rx.recv_many(&mut notes, 512).await > 0 {
        let mut payloads: Vec<String> = Vec::with_capacity(notes.len());
        for note in notes.drain(..) {
            let payload = note.encode(&instance);
            if !payloads.contains(&payload) {
                payloads.push(payload);
            }
        }
        let sent = sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
            .bind(CHANNEL)
            .bind(&payloads)
            .execute(&pool)
            .await;
        if let Err(e) = sent {
            // The others find the work on their timers.
            tracing::warn!(error = %e, "could not notify the other instances");
        }
    }
}

async fn listen_loop(pool: PgPool, instance: String, on_note: OnNote) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen to the other instances; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen to the other instances; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        loop {
            match listener.recv().await {
                Ok(n) => {
                    if let Some(note) = Note::decode(n.payload(), &instance) {
                        on_note(Some(note));
                    }
                }
                Err(e) => {
                    // The listener connects again on the next `recv`; notes sent meanwhile
                    // are lost, so the workers look at the database now.
                    tracing::warn!(error = %e, "lost the other instances' notifications");
                    on_note(None);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Note;

    #[test]
    fn notes_round_trip_and_an_instance_skips_its_own() {
        for note in [Note::Events, Note::Outbox, Note::Changed("u\t1".into())] {
            let payload = note.encode("a");
            assert_eq!(Note::decode(&payload, "b"), Some(note.clone()));
            assert_eq!(Note::decode(&payload, "a"), None);
        }
        assert_eq!(Note::decode("b\tx", "a"), None);
        assert_eq!(Note::decode("", "a"), None);
    }
}
