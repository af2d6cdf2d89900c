//! The server's HTTP-level tests, in-process: authorization, the flow, inbox, setup and Simulator
//! server functions, the live inbox, sandbox mode and the webhook. One test binary, so the server
//! links once for all of them.

#[path = "../support/mod.rs"]
mod support;

mod authz;
mod flows_api;
mod http;
mod live_inbox;
mod sandbox_mode;
mod setup;
mod setup_harness;
mod setup_profile_and_settings;
mod setup_routing;
mod simulator;
mod webhook;
