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
pub mod report;
pub mod sink;
pub mod snapshot;
pub mod target;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};

use load::{Load, Pace, Phase};
use report::{print_table, report_phase, LoadShape, Machine, Report, ServerReport};
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
    /// Also run Baton on PostgreSQL: a server URL (a database of its own is created on it for
    /// each row, and dropped after), e.g. postgres://user:password@localhost/postgres.
    /// scripts/bench.sh starts a throwaway local server and passes it.
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// With --postgres: how many `baton serve` instances share the database, one row each.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub instances: Vec<u32>,
    /// With --postgres: write the database's state (queues, lanes, activity, the claims'
    /// plans) after every phase, not only after one whose replies stalled.
    #[arg(long)]
    pub snapshots: bool,
}

/// The page secrets' key (BATON_SECRET_KEY) of the bench's PostgreSQL databases, which live
/// only for the run.
const BENCH_SECRET_KEY: &str = "6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeerMode {
    Auto,
    On,
    Off,
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
    anyhow::ensure!(
        args.instances
            .iter()
            .all(|n| (1..=domain::lanes::LANES as u32).contains(n)),
        "--instances must be between 1 and {}",
        domain::lanes::LANES
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
            vec![baton],
            &sink,
            &http,
            "baton".into(),
            format!("Baton (SQLite, send budget {} calls/s)", args.send_budget),
            None,
        )
        .await,
    );
    if let Some(server) = &args.postgres {
        for &n in &args.instances {
            eprintln!("Baton on PostgreSQL: {n} instance(s) on a fresh database…");
            let row = postgres_row(&args, server, n as usize, out_dir, &http).await?;
            servers.push(row);
        }
    }
    if run_peer {
        eprintln!("Peer: starting the bottender bot (bench/peer)…");
        let sink = Sink::start().await?;
        let peer = Target::peer(&args.peer_dir, &sink.graph_url)
            .await
            .context("starting the peer bot")?;
        servers.push(
            measure(
                &args,
                vec![peer],
                &sink,
                &http,
                "peer".into(),
                "bottender 1.5.5 on Node (memory only, nothing on disk)".into(),
                None,
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
        .filter(|s| s.name != "peer" && !s.exactly_once_in_order.passed())
        .map(|s| s.name.as_str())
        .collect();
    anyhow::ensure!(
        failed.is_empty(),
        "Baton did not answer every message exactly once and in order"
    );
    Ok(())
}

/// One row on PostgreSQL: a fresh database on `server`, `n` instances sharing it (each
/// delivery goes to the next instance in turn), measured as one server; the database is
/// dropped afterwards.
async fn postgres_row(
    args: &BenchArgs,
    server: &str,
    n: usize,
    out_dir: &std::path::Path,
    http: &reqwest::Client,
) -> anyhow::Result<ServerReport> {
    let (db_url, name) = domain::backend::create_database(server, "baton_bench")
        .await
        .context("creating the bench database on the PostgreSQL server")?;
    let sink = Sink::start().await?;
    let row = async {
        target::prepare_database_at(&db_url, &sink.graph_url, Some(BENCH_SECRET_KEY))
            .await
            .context("preparing Baton's PostgreSQL database")?;
        let exe = std::env::current_exe().context("finding the baton executable")?;
        let mut targets = Vec::new();
        for i in 0..n {
            let log = out_dir.join(format!("baton-pg{n}-{i}.log"));
            let _ = std::fs::remove_file(&log);
            let target = Target::serve(
                &exe,
                &db_url,
                &sink.graph_url,
                &log,
                None,
                args.send_budget,
                &[("BATON_SECRET_KEY", BENCH_SECRET_KEY)],
            )
            .await?;
            targets.push(target);
        }
        let pool = sqlx::PgPool::connect(&db_url).await?;
        let pids: Vec<u32> = targets.iter().map(|t| t.pid).collect();
        target::wait_for_lanes(&pool, &pids).await?;
        pool.close().await;
        Ok::<_, anyhow::Error>(
            measure(
                args,
                targets,
                &sink,
                http,
                format!("pg×{n}"),
                format!("Baton on PostgreSQL, {n} instance(s), round-robin"),
                Some((&db_url, out_dir)),
            )
            .await,
        )
    }
    .await;
    if matches!(&row, Ok(r) if !r.exactly_once_in_order.passed()) {
        eprintln!("  kept the database {name} of this row to look into: {db_url}");
    } else if let Err(e) = domain::backend::drop_database(server, &name).await {
        eprintln!("  could not drop the bench database {name}: {e}");
    }
    row
}

/// Runs every phase against `targets` (one server, or several instances sharing the load).
/// With `postgres` (the database's URL and the report's folder), a phase whose replies
/// stalled leaves a snapshot of the database there, taken while the instances still run.
#[allow(clippy::too_many_arguments)]
async fn measure(
    args: &BenchArgs,
    targets: Vec<Target>,
    sink: &Sink,
    http: &reqwest::Client,
    name: String,
    description: String,
    postgres: Option<(&str, &std::path::Path)>,
) -> ServerReport {
    let urls: Vec<String> = targets.iter().map(|t| t.webhook_url.clone()).collect();
    let pids: Vec<u32> = targets.iter().map(|t| t.pid).collect();
    let on_postgres = name.starts_with("pg");
    let database_before = on_postgres.then(target::postgres_cpu);
    let mut load = Load::new(args.users);
    let mut phases = Vec::new();
    for &rate in &args.rates {
        let events = ((rate as f64 * args.seconds).round() as u32).max(1);
        eprintln!(
            "  {name}: {rate} deliveries/s for {} s ({events})…",
            args.seconds
        );
        let phase = load
            .run_spread(
                &format!("{rate}/s"),
                Pace::Fixed { rate, events },
                &urls,
                &pids,
                sink,
                http,
            )
            .await;
        report_phase(&phase);
        snapshot_after(&phase, &name, postgres, args.snapshots).await;
        phases.push(phase);
    }
    eprintln!(
        "  {name}: {} deliveries flat out from {} senders…",
        args.flat_out, args.senders
    );
    let flat = load
        .run_spread(
            "flat out",
            Pace::Flat {
                senders: args.senders,
                events: args.flat_out,
            },
            &urls,
            &pids,
            sink,
            http,
        )
        .await;
    report_phase(&flat);
    snapshot_after(&flat, &name, postgres, args.snapshots).await;
    let sustained = flat.end_to_end_per_s;
    phases.push(flat);
    let usages: Vec<target::Usage> = targets.iter().map(Target::usage).collect();
    let events: u32 = phases.iter().map(|p| p.events).sum();
    let database_cpu = database_before
        .filter(|before| !before.is_empty())
        .map(|before| target::postgres_cpu_since(&before));
    let check = load.check(sink);
    let instances = targets.len();
    for target in targets {
        target.stop().await;
    }
    let cpu: Duration = usages.iter().map(|u| u.cpu).sum();
    let peak = usages.iter().map(|u| u.peak_rss_bytes).max().unwrap_or(0);
    ServerReport {
        name,
        instances,
        description,
        phases,
        sustained_end_to_end_per_s: sustained,
        peak_rss_mb: peak as f64 / 1e6,
        cpu_ms_per_event: cpu.as_secs_f64() * 1000.0 / events.max(1) as f64,
        database_cpu_ms_per_event: database_cpu
            .map(|cpu| cpu.as_secs_f64() * 1000.0 / events.max(1) as f64),
        exactly_once_in_order: check,
    }
}

async fn snapshot_after(
    phase: &Phase,
    name: &str,
    postgres: Option<(&str, &std::path::Path)>,
    always: bool,
) {
    let Some((db_url, dir)) = postgres.filter(|_| always || !phase.all_answered) else {
        return;
    };
    let label: String = format!("{name}-{}", phase.label)
        .replace('×', "x")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let kind = if phase.all_answered { "state" } else { "stall" };
    let path = dir.join(format!("{kind}-{label}.txt"));
    match snapshot::postgres_snapshot(db_url, &path).await {
        Ok(()) => eprintln!("    the database's state is in {}", path.display()),
        Err(e) => eprintln!("    could not take the database's state: {e:#}"),
    }
}
