//! Repositories: every SQL query Baton runs lives under this module, one file per domain,
//! taking a pool and returning domain types. Keep SQL portable (the PostgreSQL backend reuses it).
//! May use: the rest of `storage`, `model`, `flows` and `messenger` types. Must not use: the
//! runtime, the services, the signals; nothing here decides, it stores and reads.
//!
//! Multi-row INSERTs are kept as prepared statements only when they hold one row
//! ([`multi_row`]).

pub mod audit;
pub mod conversations;
pub mod draft_trials;
pub mod flows;
pub mod inbox;
pub mod login_limits;
mod multi_row;
pub mod outbox;
pub mod pages;
pub mod sandbox_state;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod users;
pub mod webhook_events;
