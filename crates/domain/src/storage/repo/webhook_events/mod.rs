//! Durable storage of webhook deliveries and their events, deduplicated by event key, and
//! the runtime's record of which events it has applied.
//!
//! Deliveries and events live in [`Deliveries`] (a file of their own beside a database on
//! disk) and are written once, by the webhook. The runtime never updates them: it applies
//! events in id order and keeps its place in the main database, in the same transaction as
//! the events' effects. That place is a cursor, `event_progress.applied_through`: every event
//! stored as 'pending' with an id up to it has been applied, and those that could not be have
//! a row in `event_failures`. Events stored as 'ignored' are never applied. An event's status
//! is therefore read from both databases (see [`list`]).
//!
//! On PostgreSQL the deliveries are tables of the one database, stored by every instance at
//! once, and each event keeps its status in its row (`pending` → `done` / `failed`), because
//! ids from a sequence do not become visible in id order: see [`pending_in_lanes`].

mod claim;
mod read;
mod row;
mod store;

pub use claim::{
    advance, applied_through, claim_done, fail_claimed, pending, pending_in_lanes, PENDING_IN_LANES,
};
pub use read::{count_deliveries, failure, last_delivery_at, list, pending_lag};
pub use row::EventRow;
pub use store::{store_deliveries, store_delivery, NewDelivery, NewEvent, Stored};
