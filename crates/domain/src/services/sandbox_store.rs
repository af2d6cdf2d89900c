//! Keeps the built-in sandbox's state in the database: restored when Baton starts, saved a
//! moment after it changes and when Baton stops. Without it a restart would forget the
//! sandbox users while Baton's conversations with them stay. A save writes the small state
//! (pages, counters, clock) when it changed and only the test users that changed.

use crate::clock::Clock;
use std::time::Duration;

use crate::storage::backend::{Db, DbRef};
use sandbox::{Sandbox, Snapshot, UserState};

use crate::storage::repo::sandbox_state;

/// How often the saver looks for changes.
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Why the saved state could not be used. It is left in the database untouched.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error("could not read the saved sandbox state: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the saved sandbox state is not readable ({0}); it is left as it is")]
    Unreadable(String),
}

/// The small state last written, so an unchanged one is not written again.
#[derive(Debug, Default, Clone)]
pub struct Saved {
    header: String,
}

/// Restores the saved state, if any. Returns what is saved now (the starting point for
/// [`spawn_saver`]) and how many test users came back.
pub async fn restore<'a>(
    pool: impl Into<DbRef<'a>>,
    sandbox: &Sandbox,
) -> Result<(Saved, usize), RestoreError> {
    let pool = pool.into();
    let Some((header, user_rows)) = sandbox_state::load(pool).await? else {
        return Ok((Saved::default(), 0));
    };
    let unreadable = |e: serde_json::Error| RestoreError::Unreadable(e.to_string());
    let mut snapshot: Snapshot = serde_json::from_str(&header).map_err(unreadable)?;
    // Older versions kept the users inside the snapshot: they are written as rows next time.
    let moved: Vec<String> = snapshot.users.iter().map(|u| u.user.psid.clone()).collect();
    for row in &user_rows {
        let user: UserState = serde_json::from_str(row).map_err(unreadable)?;
        snapshot.users.retain(|u| u.user.psid != user.user.psid);
        snapshot.users.push(user);
    }
    let users = sandbox
        .restore(snapshot)
        .map_err(RestoreError::Unreadable)?;
    if !moved.is_empty() {
        sandbox.mark_changed(moved);
    }
    Ok((Saved { header }, users))
}

/// Saves the changes every couple of seconds.
pub fn spawn_saver(pool: impl Into<Db>, clock: Clock, sandbox: Sandbox, mut saved: Saved) {
    let pool: Db = pool.into();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SAVE_EVERY).await;
            if let Err(e) = save_if_changed(&pool, &clock, &sandbox, &mut saved).await {
                tracing::error!(error = %e, "could not save the sandbox state; will retry");
            }
        }
    });
}

/// Saves what changed since the last save. Returns whether anything was written. On a
/// database error the changes are handed back to the sandbox for the next try.
pub async fn save_if_changed<'a>(
    pool: impl Into<DbRef<'a>>,
    clock: &Clock,
    sandbox: &Sandbox,
    saved: &mut Saved,
) -> Result<bool, sqlx::Error> {
    let pool = pool.into();
    let changes = sandbox.take_changes();
    let header = encode(&changes.header);
    let header_changed = header != saved.header;
    if !header_changed && changes.users.is_empty() {
        return Ok(false);
    }
    let users: Vec<(String, Option<String>)> = changes
        .users
        .iter()
        .map(|(psid, state)| {
            let text = state
                .as_ref()
                .map(|s| serde_json::to_string(s).unwrap_or_default());
            (psid.clone(), text)
        })
        .collect();
    let written = sandbox_state::save(
        pool,
        header_changed.then_some(header.as_str()),
        &users,
        clock.now_ms(),
    )
    .await;
    match written {
        Ok(()) => {
            saved.header = header;
            Ok(true)
        }
        Err(e) => {
            sandbox.mark_changed(changes.users.into_iter().map(|(psid, _)| psid));
            Err(e)
        }
    }
}

fn encode(snapshot: &Snapshot) -> String {
    serde_json::to_string(snapshot).unwrap_or_default()
}
