//! The command line (docs/spec.md §3): `baton [serve]`, `baton migrate`, ... Every subcommand
//! exits 0 on success and non-zero with a plain message on stderr otherwise. The `flows` and
//! `page` subcommands live in `cli/`.

mod flows;
mod page;

use anyhow::Context;
use clap::{Parser, Subcommand};

use app::model::Role;
use domain::repo::audit::Actor;
use domain::{accounts, Clock};

use crate::config::{Config, ConfigArgs};
use crate::startup;
pub use flows::FlowsCommand;
pub use page::PageCommand;

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
    /// Manage the people who sign in to Baton.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Flow files, publishing and rollback: the draft and the published versions.
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
    /// Connect the Facebook Page (or the built-in sandbox page).
    Page {
        #[command(subcommand)]
        command: PageCommand,
    },
    /// Measure throughput end to end (signed webhooks over loopback, a local Graph sink),
    /// beside a peer bot, and write target/bench/report.json.
    Bench(crate::bench::BenchArgs),
    /// The built-in offline Messenger Platform, for testing any bot without Facebook.
    Sandbox {
        #[command(subcommand)]
        command: SandboxCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox on its own: Graph API at /vNN.0/..., control API at /_sandbox/...
    Serve {
        /// Port to listen on (127.0.0.1).
        #[arg(long, default_value_t = 3100)]
        port: u16,
        /// Webhook callback URL the sandbox delivers signed events to.
        #[arg(long)]
        callback: Option<String>,
        /// App secret used to sign webhook deliveries.
        #[arg(long, env = "BATON_SANDBOX_APP_SECRET")]
        app_secret: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password comes from BATON_PASSWORD, else the first line of stdin.
    Add {
        #[arg(long)]
        email: String,
        /// admin, editor or agent.
        #[arg(long)]
        role: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    use domain::backend::Backend;
    let config = Config::resolve(cli.config).context("invalid configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => startup::serve(config).await,
        Command::Bench(args) => crate::bench::run(args).await,
        Command::Migrate if Backend::of_url(&config.database_url) == Some(Backend::Postgres) => {
            // sqlx holds a PostgreSQL advisory lock while it migrates: instances starting, or
            // another `baton migrate`, wait for it and find the work done.
            let db = domain::backend::open(&config.database_url).await?;
            db.migrate().await?;
            db.close().await;
            println!(
                "database is up to date ({})",
                config.database_url_for_display()
            );
            Ok(())
        }
        Command::Migrate => {
            let pool = startup::open_database(&config).await?;
            let deliveries = startup::open_deliveries(&pool).await?;
            deliveries.close().await;
            pool.close().await;
            println!(
                "database is up to date ({})",
                config.database_url_for_display()
            );
            Ok(())
        }
        Command::Flows { command } => flows::run(&config, command).await,
        Command::Page { command } => page::run(&config, command).await,
        Command::Sandbox {
            command:
                SandboxCommand::Serve {
                    port,
                    callback,
                    app_secret,
                },
        } => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            let config = sandbox::SandboxConfig::new(app_secret, callback);
            println!(
                "Messenger sandbox at http://{addr}/ (page {}, token {:?}, app {})",
                sandbox::DEFAULT_PAGE_ID,
                sandbox::DEFAULT_PAGE_TOKEN,
                sandbox::DEFAULT_APP_ID
            );
            sandbox::serve(addr, config)
                .await
                .with_context(|| format!("could not serve the sandbox on {addr}"))
        }
        Command::User {
            command: UserCommand::Add { email, role },
        } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let password = read_password()?;
            let pool = startup::open_database(&config).await?;
            let user = accounts::create_user(
                &pool,
                &Clock::system(),
                &Actor::cli(),
                &email,
                role,
                &password,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            pool.close().await;
            println!("added {} as {}", user.email, user.role());
            Ok(())
        }
    }
}

/// The password for `user add`: `BATON_PASSWORD`, else one line of stdin (never an argument,
/// which would show in `ps` and shell history).
fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("BATON_PASSWORD") {
        return Ok(p);
    }
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new user: ");
        std::io::stderr().flush().ok();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password given: set BATON_PASSWORD or write it on stdin");
    }
    Ok(password)
}
