//! Messenger Platform building blocks for Baton: webhook wire types, signature checks,
//! Send API types and limits, typed Graph errors, and the `GraphApi` trait with its
//! reqwest client (feature `client`, on by default). No UI, no database.
//!
//! Platform facts follow `docs/messenger-platform.md`; section numbers in comments refer to it.

pub mod error;
pub mod graph;
pub mod limits;
mod secret;
pub mod send;
pub mod signature;
pub mod webhook;

pub use error::{ApiError, ErrorKind, GraphError};
#[cfg(feature = "client")]
pub use graph::GraphClient;
pub use graph::{FeatureStatus, GraphApi, TokenDebug, TokenDebugError, TokenKind, TokenOwner};
pub use secret::Secret;

/// App id of Meta's Page Inbox (Business Suite inbox), the usual secondary receiver (§5).
pub const PAGE_INBOX_APP_ID: &str = "263902037430900";
