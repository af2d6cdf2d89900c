//! Repositories: every SQL query Baton runs lives under this module, one file per domain,
//! taking a pool and returning domain types. Keep SQL portable (the PostgreSQL backend reuses it).
//! May use: the rest of `storage`, `model`, `flows` and `messenger` types. Must not use: the
//! runtime, the services, the signals; nothing here decides, it stores and reads.
//!
//! Multi-row INSERTs (`QueryBuilder::push_values`) are kept as prepared statements only when
//! they hold one row (`.persistent(rows == 1)`): sqlx keeps a prepared statement per distinct
//! text and connection, and a statement whose length follows its row count would otherwise
//! leave hundreds of sizes in the cache.

pub mod audit;
pub mod conversations;
pub mod draft_trials;
pub mod flows;
pub mod inbox;
pub mod login_limits;
pub mod outbox;
pub mod pages;
pub mod sandbox_state;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod users;
pub mod webhook_events;
