//! The steady load that the crash tests (crash.rs, instances.rs) kill a process under, and the
//! wait for its replies to flow before the kill.

use std::time::{Duration, Instant};

use server::bench::load::{Load, Pace, Phase};
use server::bench::sink::Sink;
use tokio::task::JoinHandle;

/// Starts the load on a task of its own: 40 users, 900 deliveries at 150 a second, spread
/// round-robin over `urls` (the CPU time is that of `pids`), each delivery retried for up to
/// 60 s while no instance acknowledges it. Gives back the load (to check the sink against)
/// and the phase's figures.
pub fn steady_load(
    label: &'static str,
    urls: Vec<String>,
    pids: Vec<u32>,
    sink: &Sink,
) -> JoinHandle<(Load, Phase)> {
    let sink = sink.clone();
    tokio::spawn(async move {
        let mut load = Load::new(40).patient(Duration::from_secs(60));
        let http = reqwest::Client::new();
        let pace = Pace::Fixed {
            rate: 150,
            events: 900,
        };
        let phase = load
            .run_spread(label, pace, &urls, &pids, &sink, &http)
            .await;
        (load, phase)
    })
}

/// Waits until `sink` has received `replies` replies; fails after 60 s. Gives back when the
/// wait began, for the deadlines that follow.
pub async fn until_replies_flow(sink: &Sink, replies: u64) -> Instant {
    let started = Instant::now();
    while sink.count() < replies {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no replies before the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started
}
