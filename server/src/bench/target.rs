//! The servers under test, each its own process so its memory and CPU can be read from
//! /proc: Baton (`baton serve` on a fresh SQLite file, page connected to the sink, a flow
//! published) and the peer bot (Node, from bench/peer/).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use domain::lanes::instance_pid;
use domain::repo::audit::Actor;
use domain::repo::pages::{self, PageRow};
use flows::{KeywordRule, MatchKind, Message, Part, TextPart};
use messenger::Secret;

use crate::config::{Config, ConfigArgs};
use crate::startup;

pub const PAGE_ID: &str = "1234567890";
pub const APP_SECRET: &str = "bench-app-secret";
const TOKEN: &str = "bench-page-token";
const VERIFY: &str = "bench-verify";
/// Baton's app id on the bench page (its own echoes carry it).
pub const APP_ID: &str = "111111111111111";
/// The bench's users send `k0` … `k9`; the flow answers `kN` with `rN`.
pub const KEYWORDS: u32 = 10;

/// A running server under test.
pub struct Target {
    pub name: &'static str,
    pub webhook_url: String,
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    pub pid: u32,
    child: Child,
    _dir: Option<tempfile::TempDir>,
}

impl Target {
    /// Baton as `baton serve` runs it (this executable), on a fresh database in a temporary
    /// folder, with a send budget of `send_rate` calls/s. Its log (warnings, or what
    /// `BATON_BENCH_LOG` asks for in RUST_LOG's syntax) goes to `log_path`.
    pub async fn baton(graph_url: &str, log_path: &Path, send_rate: u32) -> anyhow::Result<Target> {
        let dir = tempfile::tempdir()?;
        let db_url = prepare_database(dir.path(), graph_url)
            .await
            .context("preparing Baton's database")?;
        let exe = std::env::current_exe().context("finding the baton executable")?;
        let mut target =
            Target::serve(&exe, &db_url, graph_url, log_path, None, send_rate, &[]).await?;
        target._dir = Some(dir);
        Ok(target)
    }

    /// `exe serve` on `db_url` (see [`prepare_database`]), on `port` or a free one, with a send
    /// budget of `send_rate` calls per second and more environment variables in `env`
    /// (`BATON_SECRET_KEY` on PostgreSQL).
    pub async fn serve(
        exe: &Path,
        db_url: &str,
        graph_url: &str,
        log_path: &Path,
        port: Option<u16>,
        send_rate: u32,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Target> {
        let port = match port {
            Some(p) => p,
            None => free_port()?,
        };
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let filter = std::env::var("BATON_BENCH_LOG").unwrap_or_else(|_| "warn".into());
        let mut child = Command::new(exe)
            .arg("serve")
            .env("BATON_DATABASE_URL", db_url)
            .env("BATON_ADDR", format!("127.0.0.1:{port}"))
            .env("BATON_GRAPH_API_URL", graph_url)
            .env("BATON_SEND_RATE", send_rate.to_string())
            .env("RUST_LOG", filter)
            .env_remove("BATON_AUTO_SANDBOX")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .context("starting `baton serve`")?;
        let pid = child.id().context("baton exited at once")?;
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&format!("{base}/healthz"), &mut child, log_path).await?;
        Ok(Target {
            name: "baton",
            webhook_url: format!("{base}/webhook"),
            port,
            pid,
            child,
            _dir: None,
        })
    }

    /// Kills the process at once (SIGKILL: no shutdown, nothing flushed), as a crash or a
    /// power cut would.
    pub async fn kill_hard(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Asks the process to stop (SIGTERM, as a service manager does) and waits up to 10 s
    /// for it to exit; kills it after that. Returns whether it exited by itself.
    pub async fn terminate(mut self) -> bool {
        let pid = rustix::process::Pid::from_raw(self.pid as i32);
        let asked = pid.is_some_and(|pid| {
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).is_ok()
        });
        let exited = asked
            && tokio::time::timeout(Duration::from_secs(10), self.child.wait())
                .await
                .is_ok();
        if !exited {
            let _ = self.child.kill().await;
        }
        exited
    }

    /// The peer bot (bench/peer/server.js), installed with `npm ci` when needed.
    pub async fn peer(dir: &Path, graph_url: &str) -> anyhow::Result<Target> {
        let script = dir.join("server.js");
        if !script.exists() {
            bail!("the peer bot is not at {}", script.display());
        }
        if !dir.join("node_modules").exists() {
            eprintln!("  installing the peer bot's packages (npm ci)…");
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(dir)
                .status()
                .await
                .context("running npm (is Node.js installed?)")?;
            if !status.success() {
                bail!("npm ci in {} failed", dir.display());
            }
        }
        let port = free_port()?;
        let mut child = Command::new("node")
            .arg("server.js")
            .current_dir(dir)
            .env("PORT", port.to_string())
            .env("APP_SECRET", APP_SECRET)
            .env("PAGE_ACCESS_TOKEN", TOKEN)
            .env("PAGE_ID", PAGE_ID)
            .env("VERIFY_TOKEN", VERIFY)
            .env("GRAPH_API_URL", graph_url)
            .env("NODE_ENV", "production")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the peer bot with node")?;
        let pid = child.id().context("the peer bot exited at once")?;
        let stdout = child.stdout.take().context("peer stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let ready = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if line.starts_with("peer ready") {
                    return Ok::<bool, std::io::Error>(true);
                }
            }
            Ok(false)
        })
        .await;
        if !matches!(ready, Ok(Ok(true))) {
            bail!("the peer bot exited or did not say it was ready within 30 s");
        }
        // Keep draining its stdout so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Target {
            name: "peer",
            webhook_url: format!("http://127.0.0.1:{port}/webhook"),
            port,
            pid,
            child,
            _dir: None,
        })
    }

    /// Stops the process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// CPU time (user + system) the process has used so far, and its peak resident memory.
    pub fn usage(&self) -> Usage {
        usage_of(self.pid)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub cpu: Duration,
    pub peak_rss_bytes: u64,
}

/// Reads /proc/PID/stat (utime, stime) and /proc/PID/status (VmHWM).
pub fn usage_of(pid: u32) -> Usage {
    // /proc counts CPU time in USER_HZ ticks, which Linux fixes at 100 per second.
    let ticks = 100.0;
    let cpu = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some(Duration::from_secs_f64((utime + stime) / ticks))
        })
        .unwrap_or_default();
    let peak_rss_bytes = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or_default();
    Usage {
        cpu,
        peak_rss_bytes,
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_healthy(url: &str, child: &mut Child, log: &Path) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Some(status) = child.try_wait()? {
            let tail = std::fs::read_to_string(log).unwrap_or_default();
            bail!("`baton serve` exited ({status}) before it was ready:\n{tail}");
        }
        if let Ok(resp) = http.get(url).send().await {
            if resp.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "`baton serve` was not healthy within 30 s (log: {})",
        log.display()
    )
}

/// A migrated database in `dir` with the page connected to the Graph API at `graph_url` (bot
/// disclosure off) and the bench flow published. Returns its URL.
pub async fn prepare_database(dir: &Path, graph_url: &str) -> anyhow::Result<String> {
    let db_url = format!("sqlite://{}/baton.db", dir.display());
    prepare_database_at(&db_url, graph_url, None).await?;
    Ok(db_url)
}

/// [`prepare_database`] at `db_url` (an empty PostgreSQL database, say). On PostgreSQL the
/// page secrets are sealed with `secret_key`, which `baton serve` then needs as
/// `BATON_SECRET_KEY`.
pub async fn prepare_database_at(
    db_url: &str,
    graph_url: &str,
    secret_key: Option<&str>,
) -> anyhow::Result<()> {
    let config = Config::resolve(ConfigArgs {
        database_url: Some(db_url.to_owned()),
        addr: Some("127.0.0.1:0".into()),
        graph_api_url: Some(graph_url.to_owned()),
        ..Default::default()
    })?;
    let state = startup::build_state(&config).await?;
    if let (domain::backend::Db::Postgres(pool), Some(key)) = (&state.pool, secret_key) {
        domain::secrets::set_database_key(pool, key)?;
    }
    let page = PageRow {
        page_id: PAGE_ID.into(),
        name: "Bench page".into(),
        access_token: Secret::new(TOKEN),
        app_secret: Secret::new(APP_SECRET),
        verify_token: Secret::new(VERIFY),
        app_id: APP_ID.into(),
        graph_api_url: Some(graph_url.to_owned()),
        is_sandbox: false,
        connected_at: state.clock.now(),
    };
    pages::connect(&state.pool, &page).await?;
    // The bench measures the flow's replies and checks one per message: without the bot's
    // disclosure (sent once per new user, it would add a call per user).
    pages::set_bot_disclosure(&state.pool, PAGE_ID, None).await?;
    let flow = flows::to_json(&bench_flow());
    domain::flows::import(&state.pool, &state.clock, &Actor::cli(), &flow)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    domain::flows::publish(&state.pool, &state.clock, &Actor::cli(), graph_url)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    state.pool.close().await;
    Ok(())
}

/// The example flow (the handover story and a main menu) plus ten keyword rules: `kN` is
/// answered with the message `rN`, so the sink can tell replies apart and check their order.
pub fn bench_flow() -> flows::Flow {
    let mut flow = flows::example_flow();
    for n in 0..KEYWORDS {
        flow.messages.push(Message {
            key: format!("r{n}"),
            name: format!("Reply {n}"),
            parts: vec![Part::Text(TextPart {
                text: format!("r{n}"),
                ..Default::default()
            })],
        });
        flow.triggers.keywords.push(KeywordRule {
            match_kind: MatchKind::Exact,
            words: vec![format!("k{n}")],
            message: format!("r{n}"),
        });
    }
    flow
}

/// On PostgreSQL: waits (up to 30 s) until each of the instances `pids` holds its share of the
/// work lanes. The first instance takes every lane and gives some back as others start.
pub async fn wait_for_lanes(pool: &sqlx::PgPool, pids: &[u32]) -> anyhow::Result<()> {
    // Each takes up to the fair share (rounded up), so the last one gets what is left.
    let n = pids.len().max(1) as i64;
    let least = domain::lanes::LANES - (n - 1) * domain::lanes::fair_share(n);
    for _ in 0..300 {
        let owners: Vec<Option<String>> = sqlx::query_scalar("SELECT owner FROM work_lanes")
            .fetch_all(pool)
            .await?;
        let held = |pid: u32| owners.iter().filter(|o| owned_by(pid, o)).count() as i64;
        if pids.iter().all(|&pid| held(pid) >= least) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the instances did not share the work lanes within 30 s")
}

/// Whether a work lane's `owner` (from `work_lanes`) is the `baton serve` process `pid`.
pub fn owned_by(pid: u32, owner: &Option<String>) -> bool {
    owner.as_deref().and_then(instance_pid) == Some(pid)
}

/// CPU time each local PostgreSQL server process has used so far (by pid): the bench's own
/// throwaway server runs on this machine, and its work is part of Baton's cost on PostgreSQL.
pub fn postgres_cpu() -> std::collections::HashMap<u32, Duration> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Default::default();
    };
    dir.filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .map(|pid| (pid, usage_of(pid).cpu))
        .collect()
}

/// CPU the PostgreSQL processes used between two [`postgres_cpu`] readings (a process that
/// started in between counts from zero; one that ended in between is missed).
pub fn postgres_cpu_since(before: &std::collections::HashMap<u32, Duration>) -> Duration {
    postgres_cpu()
        .into_iter()
        .map(|(pid, now)| now.saturating_sub(before.get(&pid).copied().unwrap_or_default()))
        .sum()
}
