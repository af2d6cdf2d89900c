//! Signals that tell a part of Baton to look again, never the work itself: which
//! conversation changed (`live`, for open inbox screens) and, on PostgreSQL, notes between
//! instances (`notify`). May use: nothing of this crate but `clock`. The runtime's `Wake`
//! and the listeners are wired above.

pub mod live;
pub mod notify;
