//! The runtime end to end, in-process: the handover stories, routing on today's Messenger, the
//! Graph API's failures, the database's failures and restarts. One test binary for all of them.

#[path = "../support/mod.rs"]
mod support;

mod failure_harness;
mod routing;
mod routing_graph;
mod runtime_failures;
mod runtime_recovery;
mod story;
mod trace;
