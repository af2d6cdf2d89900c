//! A real `baton serve` process killed with SIGKILL in the middle of a steady load, then
//! started again on the same database and port: every acknowledged message is answered exactly
//! once and in each user's order. The Graph API fake records each send, answers it 200 ms
//! later (so calls are in flight when the process dies) and echoes it back through the
//! webhook with its metadata, as Messenger does; Facebook's side (the load) retries
//! deliveries that were not acknowledged while the server was down.

use std::path::Path;
use std::time::Duration;

use server::bench::sink::Sink;
use server::bench::target::{prepare_database, Target};

use crate::under_load::{steady_load, until_replies_flow};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_load_loses_nothing_and_sends_nothing_twice() {
    let exe = Path::new(env!("CARGO_BIN_EXE_baton"));
    let dir = tempfile::tempdir().unwrap();
    let sink = Sink::start_with(Duration::from_millis(200)).await.unwrap();
    let db_url = prepare_database(dir.path(), &sink.graph_url).await.unwrap();
    let log = dir.path().join("baton.log");
    let first = Target::serve(exe, &db_url, &sink.graph_url, &log, None, 100_000, &[])
        .await
        .unwrap();
    sink.echo_to(&first.webhook_url);
    let (url, pid, port) = (first.webhook_url.clone(), first.pid, first.port);

    let driver = steady_load("crash", vec![url], vec![pid], &sink);
    // Kill once replies flow, with about 30 calls waiting for the fake's answer.
    until_replies_flow(&sink, 150).await;
    first.kill_hard().await;
    let second = Target::serve(
        exe,
        &db_url,
        &sink.graph_url,
        &log,
        Some(port),
        100_000,
        &[],
    )
    .await
    .unwrap();

    let (load, phase) = driver.await.unwrap();
    let check = load.check(&sink);
    let server_log = std::fs::read_to_string(&log).unwrap_or_default();
    assert_eq!(phase.lost, 0, "every delivery was acknowledged in the end");
    assert!(
        phase.all_answered && check.passed(),
        "{phase:?}\n{check:?}\nserver log:\n{server_log}"
    );
    // The crash really caught calls in flight (their rows were left "sending").
    assert!(
        server_log.contains("interrupted calls will be made again"),
        "no call was in flight at the kill; server log:\n{server_log}"
    );
    second.kill_hard().await;
}
