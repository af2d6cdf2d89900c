//! `baton page connect|sandbox`: connect the Facebook Page Baton works for, or the built-in
//! sandbox page (through `domain::pages`, shared with the setup wizard).

use clap::Subcommand;

use domain::pages::{self, PageInput};
use domain::repo::audit::Actor;
use messenger::Secret;

use crate::config::Config;
use crate::startup;

#[derive(Debug, Subcommand)]
pub enum PageCommand {
    /// Connect a Facebook Page. The token is checked with GET /me first: a token Facebook
    /// refuses (or one of another page) is not stored.
    Connect {
        #[arg(long)]
        page_id: String,
        /// Page access token; `-` reads it from stdin. Better than a flag (which other users
        /// of the machine can see in the process list): BATON_PAGE_ACCESS_TOKEN.
        #[arg(long, env = "BATON_PAGE_ACCESS_TOKEN", hide_env_values = true)]
        access_token: String,
        /// The Facebook app's secret (checks webhook signatures, signs Graph calls); `-` reads
        /// it from stdin. Or BATON_APP_SECRET.
        #[arg(long, env = "BATON_APP_SECRET", hide_env_values = true)]
        app_secret: String,
        /// The verify token you enter in the app's webhook settings; `-` reads it from stdin.
        /// Or BATON_VERIFY_TOKEN.
        #[arg(long, env = "BATON_VERIFY_TOKEN", hide_env_values = true)]
        verify_token: String,
        /// The Baton app's id (how Baton recognises its own thread-control events and echoes).
        #[arg(long)]
        app_id: String,
    },
    /// Connect the built-in sandbox page (served by `baton serve` under /sandbox).
    Sandbox,
}

pub async fn run(config: &Config, command: PageCommand) -> anyhow::Result<()> {
    let pool = startup::open_database(config).await?;
    let clock = domain::Clock::system();
    let actor = Actor::cli();
    let result = match command {
        PageCommand::Connect {
            page_id,
            access_token,
            app_secret,
            verify_token,
            app_id,
        } => {
            let input = PageInput {
                page_id: page_id.trim().to_owned(),
                access_token: Secret::new(from_stdin_if_dash("access token", access_token)?.trim()),
                app_secret: Secret::new(from_stdin_if_dash("app secret", app_secret)?.trim()),
                verify_token: Secret::new(from_stdin_if_dash("verify token", verify_token)?.trim()),
                app_id: app_id.trim().to_owned(),
            };
            pages::connect(&pool, &clock, &actor, input, &config.graph_api_url)
                .await
                .map(|connected| {
                    for note in &connected.notes {
                        println!("{note}");
                    }
                    let page = connected.page;
                    println!("connected page {} ({})", page.name, page.page_id);
                })
        }
        PageCommand::Sandbox => {
            let url = format!("http://{}/sandbox/v21.0", config.addr);
            pages::connect_sandbox(&pool, &clock, &actor, &url)
                .await
                .map(|page| {
                    println!(
                        "connected the sandbox page {} ({}); its Graph API is {url} (served by `baton serve`)",
                        page.name, page.page_id
                    );
                })
        }
    };
    pool.close().await;
    result.map_err(|e| anyhow::anyhow!("{e}"))
}

/// A secret given as `-` is read from the next line of stdin (in the order access token, app
/// secret, verify token), so it appears neither in argv nor in the environment.
fn from_stdin_if_dash(what: &str, value: String) -> anyhow::Result<String> {
    if value != "-" {
        return Ok(value);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    if line.trim().is_empty() {
        anyhow::bail!("the {what} was to be read from stdin, but stdin had no line for it");
    }
    Ok(line)
}
