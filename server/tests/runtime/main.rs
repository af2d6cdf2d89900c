//! The runtime end to end, in-process: the handover stories, routing on today's Messenger, the
//! Graph API's failures. One test binary for all of them.

#[path = "../support/mod.rs"]
mod support;

mod routing;
mod routing_graph;
mod runtime_failures;
mod story;
