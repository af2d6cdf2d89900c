//! Shared types and their validation, compiled for both the browser and the server (no I/O).
//! Each input type has a `parse` that is the single place its rules live.

mod account;
mod flow_versions;
mod settings;

pub use account::{AuditEntry, Email, NewPassword, Permission, Role, SessionInfo, UserView};
pub use flow_versions::{PublishReport, PushStatus, PushStep, VersionInfo};
pub use settings::PageName;
