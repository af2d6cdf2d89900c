//! `baton bench`: Baton's throughput end to end, beside a peer bot built with a popular Node
//! framework, on this machine. Each server runs as its own process; this process plays
//! Facebook twice over: it sends signed webhook deliveries over loopback from simulated users
//! and answers the Graph API calls at once (the sink), recording every reply.
//!
//! For each server: acknowledgement latency at fixed arrival rates, then a flat-out run whose
//! end-to-end rate (first delivery → last reply recorded) is the sustained rate, peak memory
//! and CPU per event (from /proc), and a check that every message got exactly one reply, in
//! each user's order. The table is printed and written as JSON (target/bench/report.json).

pub mod load;
pub mod sink;
pub mod target;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Serialize;

use load::{Check, Load, Pace, Phase};
use sink::Sink;
use target::Target;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Arrival rates to hold, in deliveries per second, one after another.
    #[arg(long, value_delimiter = ',', default_value = "500,1000,5000")]
    pub rates: Vec<u32>,
    /// How long each rate is held, in seconds.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Deliveries in the flat-out run that gives the sustained end-to-end rate.
    #[arg(long, default_value_t = 10_000)]
    pub flat_out: u32,
    /// Simulated users (each has at most one delivery in flight).
    #[arg(long, default_value_t = 1000)]
    pub users: u32,
    /// Baton's send budget (BATON_SEND_RATE) for the run: lifted by default, so that Baton's
    /// own speed is measured; 250 (Baton's default) shows how close it stays to the budget.
    #[arg(long = "budget", value_name = "CALLS_PER_S", default_value_t = 100_000)]
    pub send_budget: u32,
    /// Concurrent senders in the flat-out run.
    #[arg(long, default_value_t = 50)]
    pub senders: u32,
    /// Run the peer bot (bench/peer, Node.js) on the same load: auto = when `node` is found.
    #[arg(long, value_enum, default_value_t = PeerMode::Auto)]
    pub peer: PeerMode,
    /// Where the peer bot lives.
    #[arg(long, default_value = "bench/peer")]
    pub peer_dir: PathBuf,
    /// Where the JSON report is written.
    #[arg(long, default_value = "target/bench/report.json")]
    pub out: PathBuf,
    /// A short smoke run (for CI): 200 and 500 deliveries/s for 1 s each, 1,000 flat out.
    #[arg(long)]
    pub quick: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeerMode {
    Auto,
    On,
    Off,
}

#[derive(Debug, Serialize)]
struct Report {
    generated_at: String,
    machine: Machine,
    load: LoadShape,
    servers: Vec<ServerReport>,
}

#[derive(Debug, Serialize)]
struct Machine {
    cpus: usize,
    note: &'static str,
}

#[derive(Debug, Serialize)]
struct LoadShape {
    users: u32,
    send_budget: u32,
    rates: Vec<u32>,
    seconds_per_rate: f64,
    flat_out_events: u32,
    senders: u32,
    flow: &'static str,
}

#[derive(Debug, Serialize)]
struct ServerReport {
    name: &'static str,
    description: String,
    phases: Vec<Phase>,
    sustained_end_to_end_per_s: f64,
    peak_rss_mb: f64,
    cpu_ms_per_event: f64,
    exactly_once_in_order: Check,
}

pub async fn run(mut args: BenchArgs) -> anyhow::Result<()> {
    if args.quick {
        args.rates = vec![200, 500];
        args.seconds = 1.0;
        args.flat_out = 1000;
        args.users = args.users.min(200);
    }
    anyhow::ensure!(
        args.users > 0 && args.senders > 0,
        "--users and --senders must be > 0"
    );
    anyhow::ensure!(
        args.rates.iter().all(|r| *r > 0) && args.seconds > 0.0,
        "--rates and --seconds must be > 0"
    );
    let run_peer = match args.peer {
        PeerMode::Off => false,
        PeerMode::On => true,
        PeerMode::Auto => std::process::Command::new("node")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(10))
        .build()?;

    let mut servers = Vec::new();
    eprintln!("Baton bench: starting `baton serve` on a fresh SQLite database…");
    let sink = Sink::start().await?;
    let out_dir = args.out.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let log = out_dir.join("baton.log");
    let baton = Target::baton(&sink.graph_url, &log, args.send_budget).await?;
    servers.push(
        measure(
            &args,
            baton,
            &sink,
            &http,
            format!("Baton (SQLite, send budget {} calls/s)", args.send_budget),
        )
        .await,
    );
    if run_peer {
        eprintln!("Peer: starting the bottender bot (bench/peer)…");
        let sink = Sink::start().await?;
        let peer = Target::peer(&args.peer_dir, &sink.graph_url)
            .await
            .context("starting the peer bot")?;
        servers.push(
            measure(
                &args,
                peer,
                &sink,
                &http,
                "bottender 1.5.5 on Node (memory only, nothing on disk)".into(),
            )
            .await,
        );
    }

    let report = Report {
        generated_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        machine: Machine {
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            note: "driver, Graph sink and server share this machine",
        },
        load: LoadShape {
            users: args.users,
            send_budget: args.send_budget,
            rates: args.rates.clone(),
            seconds_per_rate: args.seconds,
            flat_out_events: args.flat_out,
            senders: args.senders,
            flow: "the example flow plus keyword rules k0..k9 → text replies r0..r9",
        },
        servers,
    };
    print_table(&report);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "Report written to {} (Baton's log: {})",
        args.out.display(),
        log.display()
    );
    let failed: Vec<&str> = report
        .servers
        .iter()
        .filter(|s| s.name == "baton" && !s.exactly_once_in_order.passed())
        .map(|s| s.name)
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "Baton did not answer every message exactly once and in order"
    );
    Ok(())
}

async fn measure(
    args: &BenchArgs,
    target: Target,
    sink: &Sink,
    http: &reqwest::Client,
    description: String,
) -> ServerReport {
    let mut load = Load::new(args.users);
    let mut phases = Vec::new();
    for &rate in &args.rates {
        let events = ((rate as f64 * args.seconds).round() as u32).max(1);
        eprintln!(
            "  {}: {rate} deliveries/s for {} s ({events})…",
            target.name, args.seconds
        );
        let phase = load
            .run(
                &format!("{rate}/s"),
                Pace::Fixed { rate, events },
                &target.webhook_url,
                target.pid,
                sink,
                http,
            )
            .await;
        report_phase(&phase);
        phases.push(phase);
    }
    eprintln!(
        "  {}: {} deliveries flat out from {} senders…",
        target.name, args.flat_out, args.senders
    );
    let flat = load
        .run(
            "flat out",
            Pace::Flat {
                senders: args.senders,
                events: args.flat_out,
            },
            &target.webhook_url,
            target.pid,
            sink,
            http,
        )
        .await;
    report_phase(&flat);
    let sustained = flat.end_to_end_per_s;
    phases.push(flat);
    let usage = target.usage();
    let events: u32 = phases.iter().map(|p| p.events).sum();
    let check = load.check(sink);
    target.stop().await;
    ServerReport {
        name: if description.starts_with("Baton") {
            "baton"
        } else {
            "peer"
        },
        description,
        phases,
        sustained_end_to_end_per_s: sustained,
        peak_rss_mb: usage.peak_rss_bytes as f64 / 1e6,
        cpu_ms_per_event: usage.cpu.as_secs_f64() * 1000.0 / events.max(1) as f64,
        exactly_once_in_order: check,
    }
}

fn report_phase(p: &Phase) {
    eprintln!(
        "    sent {:.0}/s, ack p50 {:.1} ms p99 {:.1} ms, all answered after {:.2} s ({:.0}/s){}",
        p.sent_per_s,
        p.ack_p50_ms,
        p.ack_p99_ms,
        p.answered_s,
        p.end_to_end_per_s,
        if p.all_answered {
            ""
        } else {
            " — NOT all answered"
        }
    );
}

fn print_table(report: &Report) {
    let servers = &report.servers;
    println!();
    println!(
        "Baton bench: {} users, {} CPUs, loopback, Graph sink answering at once",
        report.load.users, report.machine.cpus
    );
    let mut header = format!("{:<34}", "");
    for s in servers {
        header += &format!("{:>14}", s.name);
    }
    if servers.len() == 2 {
        header += &format!("{:>14}", "baton / peer");
    }
    println!("{header}");
    let row = |label: String, values: Vec<f64>, unit: &str, higher_is_better: bool| {
        let mut line = format!("{label:<34}");
        for v in &values {
            line += &format!("{:>14}", format!("{v:.1}{unit}"));
        }
        if values.len() == 2 && values[1] > 0.0 {
            let ratio = if higher_is_better {
                values[0] / values[1]
            } else {
                values[1] / values[0]
            };
            line += &format!("{:>13.2}×", ratio);
        }
        println!("{line}");
    };
    let phases = servers.first().map_or(0, |s| s.phases.len());
    for i in 0..phases {
        let label = &servers[0].phases[i].label;
        let get = |f: fn(&Phase) -> f64| servers.iter().map(|s| f(&s.phases[i])).collect();
        if label != "flat out" {
            row(
                format!("ack p50 at {label}"),
                get(|p| p.ack_p50_ms),
                " ms",
                false,
            );
            row(
                format!("ack p99 at {label}"),
                get(|p| p.ack_p99_ms),
                " ms",
                false,
            );
            row(
                format!("answered/s at {label}"),
                get(|p| p.end_to_end_per_s),
                "",
                true,
            );
        } else {
            row("acks/s flat out".into(), get(|p| p.sent_per_s), "", true);
            row(
                "ack p99 flat out".into(),
                get(|p| p.ack_p99_ms),
                " ms",
                false,
            );
        }
    }
    row(
        "sustained end to end (events/s)".into(),
        servers
            .iter()
            .map(|s| s.sustained_end_to_end_per_s)
            .collect(),
        "",
        true,
    );
    row(
        "peak RSS".into(),
        servers.iter().map(|s| s.peak_rss_mb).collect(),
        " MB",
        false,
    );
    row(
        "CPU per event".into(),
        servers.iter().map(|s| s.cpu_ms_per_event).collect(),
        " ms",
        false,
    );
    let mut line = format!("{:<34}", "every message answered once, in order");
    for s in servers {
        line += &format!(
            "{:>14}",
            if s.exactly_once_in_order.passed() {
                "yes"
            } else {
                "NO"
            }
        );
    }
    println!("{line}");
    for s in servers.iter().filter(|s| !s.exactly_once_in_order.passed()) {
        let c = &s.exactly_once_in_order;
        println!(
            "  {}: {} replies for {} messages; {} missing, {} extra, {} of {} users answered out of order",
            s.name, c.replies, c.expected_replies, c.missing, c.duplicates_or_extra,
            c.users_out_of_order, c.users
        );
    }
}
