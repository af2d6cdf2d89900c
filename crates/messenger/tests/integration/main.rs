//! The Messenger wire types and Graph client against recorded payloads and a local fake: the
//! client, errors, sends, signatures and webhooks. One test binary for all of them.

mod client;
mod errors;
mod send;
mod signature;
mod webhook;
