//! Server functions, one file per domain. Each is thin: take the request context with
//! `server::Ctx::get()?` before any await, authorize with `ctx.require(..)` (or
//! `ctx.require_user()`), parse with `model`, call one domain
//! function, map the error to `AppError`. `server/tests/api/authz.rs` lists every one of them with
//! the access it needs and fails when a new one is missing from that table.

pub mod audit;
pub mod auth;
pub mod flows;
pub mod inbox;
pub mod settings;
pub mod setup;
pub mod simulator;
pub mod users;
