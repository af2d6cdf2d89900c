//! The offline Messenger Platform as Baton meets it: control, delivery, the Graph API, limits,
//! thread ownership, routing, and the setup checks (tokens, page permissions and settings,
//! webhook verification). One test binary for all of them.

#[path = "../common/mod.rs"]
mod common;

mod control;
mod delivery;
mod graph;
mod limits;
mod ownership;
mod routing;
mod setup_checks;
mod setup_page_settings;
mod setup_permissions;
mod setup_verification;
