//! The bot runtime: webhook events in, Graph API calls out, written once for both backends.
//!
//! - `events`: the pipeline that applies stored webhook events in arrival order, one batch
//!   per transaction. For each event `engine` records its facts, asks `decide` (the pure
//!   core: `handover`, the state machine bot → inbox → done, and `bot`, what the bot says)
//!   for a `decision::Decision`, and writes it; `later` holds the batch's inserts.
//! - `sender`: the outbox round that makes the resulting Graph API calls, and `refusal`,
//!   what happens when Messenger refuses a handover.
//! - `agent`: the actions agents take from the inbox (done, move to inbox, reply), decided by
//!   the same `handover` functions and written by the same `engine::write`.
//! - `work`: the storage seam, the one place where SQLite (one lane, a cursor) and
//!   PostgreSQL (leased lanes) differ.
//! - `workers`: the supervised loops and the choice of backend at start-up; `budget`, the
//!   page's send-rate cap; `wake`, how the loops are woken and what they report.
//!
//! Everything here is a loop over the database, so a restart picks up where a crash left off;
//! the webhook handler wakes the workers through [`Wake`]. May use: storage, `flows`,
//! `messenger`, `model`, the signals (`live`, `notify`). Must not use: the services above it
//! (setup, inbox, accounts, simulator); `decide`, `decision`, `handover` and `bot` do no I/O.

pub mod agent;
mod bot;
mod budget;
pub(crate) mod compose;
pub mod decide;
pub mod decision;
pub mod engine;
mod events;
pub mod handover;
pub mod later;
mod refusal;
pub mod scope;
pub mod sender;
mod wake;
pub mod work;
mod workers;

use crate::clock::Clock;
use crate::storage::db::Deliveries;
use work::Work;
use workers::Sender;

pub use compose::metadata;
pub use refusal::handover_notice;
pub use wake::{Touched, Wake};
pub use workers::{spawn, RuntimeConfig, WorkerReport, Workers, LEASE};

/// Applies up to `limit` pending events from `store`, recording their effects in `db`.
/// Returns how many were handled. On PostgreSQL it works on every lane, as one instance
/// alone (the workers work on their own lanes).
pub async fn process_events<'a>(
    db: impl Into<crate::storage::backend::DbRef<'a>>,
    store: &Deliveries,
    clock: &Clock,
    limit: usize,
) -> Result<Touched, sqlx::Error> {
    let work = Work::alone(db.into(), store)?;
    let hand_over = |held| work.should_hand_over(held);
    events::process(&work, clock, limit, &hand_over).await
}

/// Runs both steps until there is nothing left to do now (tests and the CLI use this
/// instead of the background loops). Calls waiting for a retry later are left waiting. On
/// PostgreSQL it works on every lane, as one instance alone.
pub async fn drain<'a>(
    db: impl Into<crate::storage::backend::DbRef<'a>>,
    store: &Deliveries,
    clock: &Clock,
    graph_api_url: &str,
) -> Result<(), sqlx::Error> {
    let work = Work::alone(db.into(), store)?;
    let mut sender = Sender::new(work.in_flight_is_ours_at_start());
    let hand_over = |held| work.should_hand_over(held);
    loop {
        let events = events::process(&work, clock, 1000, &hand_over).await?;
        let calls = sender
            .step(&work, graph_api_url, clock.now_ms(), 1000)
            .await?;
        if events.count == 0 && calls.count == 0 {
            return Ok(());
        }
    }
}
