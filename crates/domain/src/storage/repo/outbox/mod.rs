//! The outbox: Graph API calls waiting to be made, executed in id order per user. Rows are
//! written in the same transaction as the decision that needs them, so nothing is lost.
//! `row` says what a row is; `enqueue` adds rows, `claim` takes them for a round, `record`
//! writes what a call did, `read` is for screens and reports.

mod claim;
mod enqueue;
mod read;
mod record;
mod row;

pub use claim::{
    claim_due, claim_due_in_lanes, claim_due_looking_at, claim_in_lanes_statement,
    requeue_in_flight, requeue_in_flight_in_lanes, CLAIM_WINDOW,
};
pub use enqueue::{enqueue, enqueue_many, Queued};
pub use read::{due_lag, list_for, unfinished};
pub use record::{
    complete, complete_many, confirm_by_echo, delay_next, fail, pause_page, retry_later,
};
pub use row::{Kind, NewRow, OutboxRow, Priority};
