//! A real `baton serve` process runs its runtime workers, and the SQLite threads they use, at
//! a lower CPU priority than the web server, so that on a busy machine the kernel runs webhook
//! acknowledgements and admin screens first.

use std::path::Path;
use std::time::{Duration, Instant};

use server::bench::sink::Sink;
use server::bench::target::{prepare_database, Target};

/// (thread name, nice value) of every thread of `pid`, read from /proc.
fn threads(pid: u32) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let stat = std::fs::read_to_string(task.unwrap().path().join("stat")).unwrap_or_default();
        // "tid (name) state ppid …": the name may hold spaces, so split after its ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_owned();
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // Field 19 of stat is the nice value; `fields` starts at field 3.
        if let Some(nice) = fields.get(16).and_then(|n| n.parse().ok()) {
            out.push((name, nice));
        }
    }
    out
}

#[tokio::test]
async fn the_workers_yield_the_cpu_to_the_web_server() {
    let exe = Path::new(env!("CARGO_BIN_EXE_baton"));
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_with(Duration::ZERO).await.unwrap();
    let db_url = prepare_database(dir.path(), &sink.graph_url).await.unwrap();
    let log = dir.path().join("baton.log");
    let baton = Target::serve(exe, &db_url, &sink.graph_url, &log, None, 250, &[])
        .await
        .unwrap();
    // The workers open their SQLite connections when they first look for work.
    let started = Instant::now();
    let seen = loop {
        let seen = threads(baton.pid);
        let niced_sqlite = seen
            .iter()
            .any(|(name, nice)| name.starts_with("sqlx-sqlite") && *nice == 10);
        if niced_sqlite || started.elapsed() > Duration::from_secs(10) {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let nice_of = |wanted: &str| {
        seen.iter()
            .filter(|(name, _)| name.starts_with(wanted))
            .map(|(_, nice)| *nice)
            .collect::<Vec<_>>()
    };
    assert_eq!(nice_of("baton-workers"), [10], "{seen:?}");
    // The web server's threads (tokio's workers and the main thread) keep normal priority.
    assert!(!nice_of("tokio-rt-worker").is_empty(), "{seen:?}");
    assert!(
        nice_of("tokio-rt-worker").iter().all(|n| *n == 0),
        "{seen:?}"
    );
    // Both kinds of SQLite thread: the workers' own, and the web server's.
    let sqlite = nice_of("sqlx-sqlite");
    assert!(sqlite.contains(&10) && sqlite.contains(&0), "{seen:?}");
    baton.kill_hard().await;
}
