//! The command line (product.md §3): `baton [serve]`, `baton migrate`, ... Every subcommand
//! exits 0 on success and non-zero with a plain message on stderr otherwise.

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigArgs};
use crate::startup;

#[derive(Debug, Parser)]
#[command(
    name = "baton",
    version,
    about = "Baton: a Messenger bot admin that hands conversations to people and back"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server: admin UI, webhook and bot runtime (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::resolve(cli.config).context("invalid configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(config).await,
        Command::Migrate => {
            let pool = startup::open_database(&config).await?;
            pool.close().await;
            println!(
                "database is up to date ({})",
                config.database_url_for_display()
            );
            Ok(())
        }
    }
}
