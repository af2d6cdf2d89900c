//! Storage, the ground floor: opening either database (`backend`, `db`), migrations, the
//! repositories (`repo`, one module per table group: every SQL statement lives there), the
//! page secrets sealed at rest, the work lanes and shared send budget of several instances,
//! and test databases. May use: `clock`, `model`, `messenger` and `flows` types. Must not use
//! anything above it: the signals, the runtime, the services.

pub mod backend;
pub mod db;
pub mod lanes;
pub mod postgres;
pub mod repo;
pub mod secrets;
pub mod send_budget;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod turns;
