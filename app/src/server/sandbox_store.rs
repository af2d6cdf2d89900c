//! Keeps the built-in sandbox's state in the database: restored when Baton starts, saved a
//! moment after it changes and when Baton stops. Without it a restart would forget the
//! sandbox users while Baton's conversations with them stay.

use std::time::Duration;

use sandbox::{Sandbox, Snapshot};
use sqlx::SqlitePool;

use crate::server::auth::now_ms;
use crate::server::repo::sandbox_state;

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

/// Restores the saved state, if any. Returns the snapshot text now in effect (the starting
/// point for [`spawn_saver`]) and how many test users came back.
pub async fn restore(
    pool: &SqlitePool,
    sandbox: &Sandbox,
) -> Result<(String, usize), RestoreError> {
    let Some(text) = sandbox_state::load(pool).await? else {
        return Ok((encode(&sandbox.snapshot()), 0));
    };
    let snapshot: Snapshot =
        serde_json::from_str(&text).map_err(|e| RestoreError::Unreadable(e.to_string()))?;
    let users = sandbox
        .restore(snapshot)
        .map_err(RestoreError::Unreadable)?;
    Ok((encode(&sandbox.snapshot()), users))
}

/// Saves the state every couple of seconds when it changed. `last` is the text already
/// saved (or restored).
pub fn spawn_saver(pool: SqlitePool, sandbox: Sandbox, mut last: String) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(SAVE_EVERY).await;
            if let Err(e) = save_if_changed(&pool, &sandbox, &mut last).await {
                tracing::error!(error = %e, "could not save the sandbox state; will retry");
            }
        }
    });
}

/// Saves the state if it differs from `last` (updated on success).
pub async fn save_if_changed(
    pool: &SqlitePool,
    sandbox: &Sandbox,
    last: &mut String,
) -> Result<bool, sqlx::Error> {
    let text = encode(&sandbox.snapshot());
    if text == *last {
        return Ok(false);
    }
    sandbox_state::save(pool, &text, now_ms()).await?;
    *last = text;
    Ok(true)
}

fn encode(snapshot: &Snapshot) -> String {
    serde_json::to_string(snapshot).unwrap_or_default()
}
