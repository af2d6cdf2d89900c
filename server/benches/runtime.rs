//! Runtime throughput, in two parts, on a SQLite file with every Graph call going to a local
//! fake over HTTP:
//! 1. **Stage by stage**: signed webhook deliveries through the real router one after another
//!    (ack latency, ingest rate), then the runtime applying them against the published flow,
//!    then making the Graph calls. Each stage's rate, and their sum as "end to end".
//! 2. **Under load**: the background workers run (as in `baton serve`, send cap lifted) while
//!    deliveries arrive at a steady rate from concurrent senders: ack latency while
//!    persisting, and how long until every event is answered.
//!
//! Run: `cargo bench -p server --bench runtime`. BATON_BENCH_EVENTS sets the count (default
//! 5000), BATON_BENCH_RATE the arrival rate of part 2 (default 1000/s).

use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceExt;

use domain::repo::{outbox, webhook_events};
use domain::runtime;
use server::startup;

#[path = "../tests/support/mod.rs"]
mod support;

const SECRET: &str = "bench-secret";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let n: usize = env_or("BATON_BENCH_EVENTS", 5000);
    let rate: usize = env_or("BATON_BENCH_RATE", 1000);
    let fake = Router::new()
        .route(
            "/v21.0/me/messages",
            post(|| async { Json(json!({"recipient_id": "1", "message_id": "m"})) }),
        )
        .fallback(|| async { Json(json!({"success": true, "first_name": "Bench"})) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let graph = format!("http://{}/v21.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, fake).await.unwrap() });

    let (_dir, db_url) = support::temp_db();
    let state = support::state_on(&db_url).await;
    let router = startup::router(state.clone());
    support::connect_page(&state, &graph, SECRET).await;
    support::publish_kit(&state, &graph).await;

    let bodies = deliveries(n, "stages");

    let mut acks = Vec::with_capacity(n);
    let ingest_start = Instant::now();
    for body in bodies {
        let req = support::signed_webhook(body, SECRET);
        let t = Instant::now();
        let resp = router.clone().oneshot(req).await.unwrap();
        acks.push(t.elapsed());
        assert!(resp.status().is_success());
    }
    let ingest = ingest_start.elapsed();

    let process_start = Instant::now();
    while runtime::process_events(&state.pool, &state.deliveries, &state.clock, 1000)
        .await
        .unwrap()
        .count
        > 0
    {}
    let apply = process_start.elapsed();
    runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
        .await
        .unwrap();
    let process = process_start.elapsed();
    assert_eq!(outbox::unfinished(&state.pool).await.unwrap(), 0);
    let done = webhook_events::list(&state.pool, &state.deliveries, Some("done"))
        .await
        .unwrap()
        .len();
    let (calls,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'done'")
        .fetch_one(state.pool.as_sqlite().unwrap())
        .await
        .unwrap();

    acks.sort();
    let total = ingest + process;
    println!(
        "Baton runtime throughput ({n} webhook deliveries, 1,000 users, SQLite file, 1 worker)"
    );
    println!(
        "  ingest:   {:>8.0} deliveries/s   ack p50 {:?}  p99 {:?}  max {:?}",
        n as f64 / ingest.as_secs_f64(),
        percentile(&acks, 0.50),
        percentile(&acks, 0.99),
        acks.last().unwrap()
    );
    println!(
        "  apply:    {:>8.0} events/s      (routing + state + outbox rows, {done} events)",
        n as f64 / apply.as_secs_f64()
    );
    println!(
        "  calls:    {:>8.0} calls/s       ({calls} Graph calls to the fake)",
        calls as f64 / (process - apply).as_secs_f64()
    );
    println!(
        "  end to end: {:>6.0} events/s    (the stages one after another)",
        n as f64 / total.as_secs_f64()
    );

    under_load(&graph, n, rate).await;
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `n` signed-to-be webhook bodies: one user message ("menu") each, from 1,000 users.
fn deliveries(n: usize, tag: &str) -> Vec<Vec<u8>> {
    let now_ms = 1_800_000_000_000i64;
    (0..n)
        .map(|i| {
            json!({"object": "page", "entry": [{"id": "1234567890", "time": now_ms, "messaging": [{
                "sender": {"id": format!("2400000{:08}", i % 1000)},
                "recipient": {"id": "1234567890"},
                "timestamp": now_ms + i as i64,
                "message": {"mid": format!("m_{tag}_{i}"), "text": "menu"}}]}]})
            .to_string()
            .into_bytes()
        })
        .collect()
}

/// Part 2: deliveries at `rate`/s while the workers run; ack latency and time to answer all.
async fn under_load(graph: &str, n: usize, rate: usize) {
    let (_dir, db_url) = support::temp_db();
    let state = support::state_on(&db_url).await;
    let router = startup::router(state.clone());
    support::connect_page(&state, graph, SECRET).await;
    support::publish_kit(&state, graph).await;
    runtime::spawn(
        state.pool.clone(),
        state.deliveries.clone(),
        runtime::RuntimeConfig {
            graph_api_url: graph.to_owned(),
            calls_per_second: 1_000_000,
        },
        state.wake.clone(),
        state.live.clone(),
        state.clock.clone(),
        &state.workers,
    );
    let start = tokio::time::Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let mut sends = Vec::with_capacity(n);
    for (i, body) in deliveries(n, "load").into_iter().enumerate() {
        tokio::time::sleep_until(start + period * i as u32).await;
        let router = router.clone();
        sends.push(tokio::spawn(async move {
            let req = support::signed_webhook(body, SECRET);
            let t = Instant::now();
            let resp = router.oneshot(req).await.unwrap();
            assert!(resp.status().is_success());
            t.elapsed()
        }));
    }
    let mut acks = Vec::with_capacity(n);
    for send in sends {
        acks.push(send.await.unwrap());
    }
    let arrived = start.elapsed();
    // Answered: every event applied and every Graph call made.
    loop {
        let pending = webhook_events::pending_lag(&state.pool, &state.deliveries)
            .await
            .unwrap()
            .0;
        if pending == 0 && outbox::unfinished(&state.pool).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let answered = start.elapsed();
    acks.sort();
    println!("Under load ({n} deliveries at {rate}/s from concurrent senders, workers running)");
    println!(
        "  ack:      p50 {:?}  p99 {:?}  max {:?}   (all arrived in {:.2} s)",
        percentile(&acks, 0.50),
        percentile(&acks, 0.99),
        acks.last().unwrap(),
        arrived.as_secs_f64()
    );
    println!(
        "  answered: all {n} {:.2} s after the first arrived ({:.0} events/s sustained)",
        answered.as_secs_f64(),
        n as f64 / answered.as_secs_f64()
    );
}
