//! Tests that start `baton` itself as a process: the CLI, flows on the command line, a crash mid-
//! load, several instances on one database, live reloads, the workers' CPU priority. One test
//! binary for all of them.

#[path = "../support/mod.rs"]
mod support;

mod cli;
mod crash;
mod flows_cli;
mod instances;
mod live;
mod priority;
mod under_load;
