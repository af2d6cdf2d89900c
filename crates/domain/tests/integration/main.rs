//! The domain crate against real databases (SQLite and, when configured, PostgreSQL): accounts
//! and signing in, flows, the inbox, ingest, lanes, the outbox, pages, the sandbox store and the
//! shared send budget. One test binary, so the crate links once for all of them.

mod account_helpers;
mod accounts;
mod flow_service;
mod inbox;
mod ingest;
mod lanes;
mod outbox;
mod pages;
mod sandbox_store;
mod send_budget;
mod sign_in;
