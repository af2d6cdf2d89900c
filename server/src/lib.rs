//! The `baton` server as a library, so integration tests start exactly what the binary runs.

pub mod bench;
pub mod cli;
pub mod config;
mod errors;
mod health;
mod live;
mod sandbox_gate;
mod session;
pub mod startup;
pub mod telemetry;
pub mod webhook;
