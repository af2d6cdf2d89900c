//! `baton flows import|export|publish|versions|rollback`: the flow file and publishing from
//! the command line (the same operations as the editor, through `domain::flows`).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use app::model::{PublishReport, PushStatus, VersionInfo};
use domain::flows::{self, FlowError};
use domain::repo::audit::Actor;

use crate::config::Config;
use crate::startup;

#[derive(Debug, Subcommand)]
pub enum FlowsCommand {
    /// Replace the draft with a flow file. Every problem is listed; a bad file changes nothing.
    Import {
        /// The flow file (JSON, flow file format v1).
        file: PathBuf,
    },
    /// Write the draft as a flow file (to stdout without FILE).
    Export {
        /// Where to write the flow file.
        file: Option<PathBuf>,
    },
    /// Validate the draft, publish it as the next version and push the messenger profile.
    Publish,
    /// List the published versions, newest first.
    Versions,
    /// Publish the flow of version N again as a new version (it also becomes the draft).
    Rollback {
        /// The version to go back to.
        number: i64,
    },
}

pub async fn run(config: &Config, command: FlowsCommand) -> anyhow::Result<()> {
    // Read the file before touching the database, so a missing file creates nothing.
    let input = match &command {
        FlowsCommand::Import { file } => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("could not read {}", file.display()))?,
        ),
        _ => None,
    };
    let pool = startup::open_database(config).await?;
    let clock = domain::Clock::system();
    let actor = Actor::cli();
    let graph_base = config.graph_api_url.as_str();
    let result = match command {
        FlowsCommand::Import { file } => {
            let json = input.unwrap_or_default();
            match flows::import(&pool, &clock, &actor, &json).await {
                Ok(imported) => {
                    for w in &imported.warnings {
                        eprintln!("warning: {w}");
                    }
                    println!(
                        "imported {} into the draft ({} messages); publish it with `baton flows publish`",
                        file.display(),
                        imported.flow.messages.len()
                    );
                    Ok(())
                }
                Err(e) => Err(problems(e, &format!("{}", file.display()), "imported")),
            }
        }
        FlowsCommand::Export { file } => {
            let json = flows::export(&pool)
                .await
                .map_err(|e| problems(e, "the draft", "exported"))?;
            match file {
                None => {
                    print!("{json}");
                    Ok(())
                }
                Some(file) => std::fs::write(&file, json)
                    .with_context(|| format!("could not write {}", file.display()))
                    .map(|()| println!("exported the draft to {}", file.display())),
            }
        }
        FlowsCommand::Publish => match flows::publish(&pool, &clock, &actor, graph_base).await {
            Ok(report) => print_report(&report),
            Err(e) => Err(problems(e, "the draft", "published")),
        },
        FlowsCommand::Versions => {
            let versions = flows::versions(&pool)
                .await
                .map_err(|e| problems(e, "the list", "listed"))?;
            if versions.is_empty() {
                println!("no version published yet; publish the draft with `baton flows publish`");
            }
            for v in &versions {
                println!("{}", version_line(v));
            }
            Ok(())
        }
        FlowsCommand::Rollback { number } => {
            match flows::rollback(&pool, &clock, &actor, number, graph_base).await {
                Ok(report) => print_report(&report),
                Err(e) => Err(problems(e, &format!("version {number}"), "published")),
            }
        }
    };
    pool.close().await;
    result
}

/// Prints each problem on its own line (stderr) and returns the summary error.
fn problems(err: FlowError, what: &str, verb: &str) -> anyhow::Error {
    match err {
        FlowError::Problems(list) => {
            for p in &list {
                eprintln!("{p}");
            }
            let n = list.len();
            let noun = if n == 1 { "problem" } else { "problems" };
            anyhow::anyhow!("{what} has {n} {noun}; nothing was {verb}")
        }
        // The domain's own words: a database failure says what the database said.
        other => anyhow::anyhow!("{other}"),
    }
}

fn print_report(report: &PublishReport) -> anyhow::Result<()> {
    let v = &report.version;
    match v.rolled_back_from {
        Some(old) => println!(
            "published version {} with the flow of version {old} ({}); it is live for the bot",
            v.number, v.summary
        ),
        None => println!(
            "published version {} ({}); it is live for the bot",
            v.number, v.summary
        ),
    }
    match &report.page {
        None => println!(
            "messenger profile: not pushed, no page is connected (run `baton page connect ...` \
             or `baton page sandbox`)"
        ),
        Some(page) => {
            println!("messenger profile of page {page}:");
            for step in &report.steps {
                println!("  {step}");
            }
        }
    }
    if report.push_failed() {
        anyhow::bail!(
            "version {} is live, but the messenger profile push failed (see above); fix the \
             cause and run `baton flows publish` again to re-push",
            v.number
        );
    }
    Ok(())
}

fn version_line(v: &VersionInfo) -> String {
    let when = time::OffsetDateTime::from_unix_timestamp(v.published_at)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| v.published_at.to_string());
    let rollback = v
        .rolled_back_from
        .map(|n| format!(" (rollback to version {n})"))
        .unwrap_or_default();
    let push = match v.push_status {
        PushStatus::Pushed => "profile pushed",
        PushStatus::Failed => "profile push FAILED",
        PushStatus::Skipped => "profile not pushed (no page)",
        PushStatus::Pending => "profile push pending",
    };
    format!(
        "version {}  {when}  by {}  {}{rollback}  [{push}]",
        v.number, v.published_by, v.summary
    )
}
