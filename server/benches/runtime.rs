//! Quick end-to-end throughput report: signed webhook deliveries through the real router
//! (ack latency, ingest rate), then the runtime applying them against the published flow and
//! making every Graph call to a local fake (events/s end to end). SQLite file database.
//!
//! Run: `cargo bench -p server --bench runtime` (BATON_BENCH_EVENTS sets the count, default
//! 5000). The full benchmark with concurrent load is its own issue.

use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceExt;

use app::server::repo::{outbox, webhook_events};
use app::server::runtime;
use server::startup;

#[path = "../tests/support/mod.rs"]
mod support;

const SECRET: &str = "bench-secret";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("BATON_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
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

    let now_ms = 1_800_000_000_000i64;
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            json!({"object": "page", "entry": [{"id": "1234567890", "time": now_ms, "messaging": [{
                "sender": {"id": format!("2400000{:08}", i % 1000)},
                "recipient": {"id": "1234567890"},
                "timestamp": now_ms + i as i64,
                "message": {"mid": format!("m_bench_{i}"), "text": "menu"}}]}]})
            .to_string()
            .into_bytes()
        })
        .collect();

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
    while runtime::process_events(&state.pool, 1000)
        .await
        .unwrap()
        .count
        > 0
    {}
    let apply = process_start.elapsed();
    runtime::drain(&state.pool, &graph).await.unwrap();
    let process = process_start.elapsed();
    assert_eq!(outbox::unfinished(&state.pool).await.unwrap(), 0);
    let done = webhook_events::list(&state.pool, Some("done"))
        .await
        .unwrap()
        .len();
    let (calls,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox WHERE status = 'done'")
        .fetch_one(&state.pool)
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
        "  end to end: {:>6.0} events/s    (webhook -> routing -> Graph call to a local fake)",
        n as f64 / total.as_secs_f64()
    );
}
