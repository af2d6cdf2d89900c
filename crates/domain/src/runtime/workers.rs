//! The runtime's background workers, the same on both backends: an event worker applying
//! webhook events (`events`), an outbox worker making the Graph API calls (`sender`), each a
//! plain loop over the database under a supervisor that starts it again if it panics. On
//! PostgreSQL a third loop keeps this instance's work lanes leased (`crate::storage::lanes`): a
//! refresher renews the leases every third of [`LEASE`], and calls of lanes taken over from a
//! stopped instance go back to pending (messages after waiting for their echo, as after a
//! crash on SQLite). Webhooks arrive at any instance; `notify` wakes the one that holds the
//! lane.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tracing::Instrument;

use super::budget::{Budget, SendBudget};
use super::events;
use super::sender::{self, ECHO_WAIT_MS, MAX_IN_FLIGHT};
use super::wake::{Touched, Wake};
use super::work::Work;
use crate::clock::Clock;
use crate::signal::live::Live;
use crate::signal::notify::Note;
use crate::storage::backend::{is_transient, Db};
use crate::storage::db::Deliveries;
use crate::storage::lanes::Lanes;
use crate::storage::repo::{outbox, webhook_events};
use crate::storage::send_budget::{SharedBudget, Take};

/// Settings of the workers.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Base URL of the Graph API when the page has no override.
    pub graph_api_url: String,
    /// The page's send-rate cap (Meta allows 300 calls/s per page for text).
    pub calls_per_second: u32,
}

/// How long a lane stays an instance's without a refresh: a stopped instance's users wait
/// this long, at most, before another instance answers them.
pub const LEASE: Duration = Duration::from_secs(6);

/// Events an event worker's step applies at most before it tells the outbox worker.
const STEP: usize = 500;

/// Starts the workers, supervised; they run until the process ends. This is where the
/// backend decides how the work is shared: on SQLite this process does all of it; on
/// PostgreSQL this instance shares it with the others through work lanes, which are returned
/// so that a clean shutdown can give them back at once (`Lanes::release_all`).
pub fn spawn(
    db: Db,
    store: Deliveries,
    config: RuntimeConfig,
    wake: Wake,
    live: Live,
    clock: Clock,
    workers: &Workers,
) -> Option<Lanes> {
    let (work, held, lanes, budget) = match db {
        Db::Sqlite(pool) => {
            let Some(store) = store.sqlite().cloned() else {
                tracing::error!("SQLite's workers need SQLite deliveries; the runtime is off");
                return None;
            };
            // Applying events and recording calls commit without waiting for the disk (see
            // `db::relaxed_twin` for why that loses nothing); claims wait for it, through
            // pools of the workers' own (their connections start on the workers' thread).
            let work = Work::Sqlite {
                main: crate::storage::db::relaxed_twin(&pool),
                claim: crate::storage::db::durable_twin(&pool),
                store,
            };
            let budget = SendBudget::Local(Budget::new(config.calls_per_second));
            (work, None, None, budget)
        }
        Db::Postgres(pool) => {
            let instance = crate::storage::lanes::instance_name();
            let (here, shown) = (wake.clone(), live.clone());
            let on_note: crate::signal::notify::OnNote = Arc::new(move |note| match note {
                Some(Note::Events) => here.wake_events_here(),
                Some(Note::Outbox) => here.wake_outbox_here(),
                Some(Note::Changed(psid)) => shown.changed_here(&psid),
                None => here.wake_here(),
            });
            let remotes = [wake.remote(), live.remote()];
            crate::signal::notify::start(pool.clone(), instance.clone(), &remotes, on_note);
            let lanes = Lanes::new(pool.clone(), instance, LEASE);
            let (held_tx, held) = watch::channel(Vec::<i64>::new());
            let refresher = (lanes.clone(), wake.clone(), clock.clone());
            workers.supervise("lanes", move || {
                let (lanes, wake, clock) = refresher.clone();
                let held_tx = held_tx.clone();
                async move { refresh_loop(lanes, held_tx, wake, clock).await }
            });
            let work = Work::Postgres {
                pool: pool.clone(),
                lanes: Some(lanes.clone()),
                held: Vec::new(),
            };
            // The page's send cap is shared with the other instances.
            let budget = SendBudget::Shared(SharedBudget::new(pool, config.calls_per_second));
            (work, Some(held), Some(lanes), budget)
        }
    };
    let worker = Worker {
        work,
        held,
        wake,
        live,
        clock,
    };
    let events = worker.clone();
    workers.supervise("events", move || {
        let worker = events.clone();
        async move { worker.event_loop().await }
    });
    let outbox = (worker, config, budget);
    workers.supervise("outbox", move || {
        let (worker, config, budget) = (outbox.0.clone(), outbox.1.clone(), outbox.2.clone());
        async move { worker.outbox_loop(config, budget).await }
    });
    lanes
}

/// What both loops share: where they work, the lanes held (PostgreSQL), and the signals.
#[derive(Clone)]
struct Worker {
    work: Work,
    held: Option<watch::Receiver<Vec<i64>>>,
    wake: Wake,
    live: Live,
    clock: Clock,
}

impl Worker {
    /// Where to work this round: on PostgreSQL, the lanes held now.
    fn now(&self) -> Work {
        match (&self.work, &self.held) {
            (Work::Postgres { pool, lanes, .. }, Some(held)) => Work::Postgres {
                pool: pool.clone(),
                lanes: lanes.clone(),
                held: held.borrow().clone(),
            },
            (work, _) => work.clone(),
        }
    }

    async fn event_loop(self) {
        loop {
            let work = self.now();
            let hand_over = |held| work.should_hand_over(held);
            match events::process(&work, &self.clock, STEP, &hand_over).await {
                Ok(t) if t.count == 0 => wait(&self.wake.events, Duration::from_millis(500)).await,
                Ok(t) => {
                    t.tell(&self.live);
                    self.wake.wake_outbox_here(); // new outbox rows for this instance's sender
                }
                Err(e) if is_transient(&e) => {
                    tracing::warn!(error = %e, "event worker: the database could not apply the batch just now; again shortly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "event worker: database error; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    async fn outbox_loop(self, config: RuntimeConfig, mut budget: SendBudget) {
        let mut sender = Sender::new(self.work.in_flight_is_ours_at_start());
        loop {
            let work = self.now();
            // Only rounds that may find work take tokens: an idle instance waits for a wake.
            let allowed = match budget.take(MAX_IN_FLIGHT).await {
                Ok(Take::Granted(n)) => n,
                Ok(Take::Wait(wait)) => {
                    // The budget is spent (a backlog): let half a burst build up instead of
                    // making many rounds of one or two calls, each with its own commit.
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let sent = sender
                .step(&work, &config.graph_api_url, self.clock.now_ms(), allowed)
                .await;
            let made = sent.as_ref().map_or(0, |t| t.count as i64);
            if let Err(e) = budget.settle(allowed, made).await {
                tracing::warn!(error = %e, "outbox worker: could not give back unused send budget");
            }
            match sent {
                Ok(t) if t.count == 0 => wait(&self.wake.outbox, Duration::from_millis(100)).await,
                Ok(t) => t.tell(&self.live),
                Err(e) => {
                    tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

async fn wait(notify: &Notify, at_most: Duration) {
    let _ = tokio::time::timeout(at_most, notify.notified()).await;
}

/// The outbox worker's rounds. Between two rounds a row still "sending" in this instance's
/// work was left by a crash (at start, or before a panic restarted the loop) or by a round
/// that failed after claiming (a database error while recording, say). Such rows are put
/// back to pending before the next round claims anything (messages after waiting for their
/// echo); while that is impossible (the database still fails), no round runs.
///
/// It keeps one HTTP client for all its rounds, so calls reuse open connections (and, against
/// the real Graph API, their TLS sessions).
#[derive(Debug)]
pub(crate) struct Sender {
    stale: bool,
    http: messenger::graph::HttpClient,
}

impl Sender {
    /// `stale`: whether calls left "sending" are this process's own to put back first.
    pub(crate) fn new(stale: bool) -> Sender {
        Sender {
            stale,
            http: messenger::graph::HttpClient::new(),
        }
    }

    pub(crate) async fn step(
        &mut self,
        work: &Work,
        graph_api_url: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Touched, sqlx::Error> {
        if self.stale {
            let n = work.requeue_in_flight(now_ms + ECHO_WAIT_MS).await?;
            if n > 0 {
                tracing::warn!(
                    rows = n,
                    "interrupted calls will be made again unless Messenger echoes them"
                );
            }
            self.stale = false;
        }
        let span = tracing::info_span!("outbox_round", lanes = %work.lanes_label());
        let sent = sender::send_due(work.round(), &self.http, graph_api_url, now_ms, limit)
            .instrument(span)
            .await;
        self.stale = sent.is_err();
        sent
    }
}

/// Keeps this instance's lanes leased and publishes those held to the workers.
async fn refresh_loop(lanes: Lanes, held_tx: watch::Sender<Vec<i64>>, wake: Wake, clock: Clock) {
    loop {
        match lanes.refresh().await {
            Ok(now_held) => {
                let before = held_tx.borrow().clone();
                let taken: Vec<i64> = now_held
                    .iter()
                    .copied()
                    .filter(|l| !before.contains(l))
                    .collect();
                if !taken.is_empty() {
                    // Calls another instance had started in these lanes before it stopped (or
                    // gave them up) go back to pending. A message first waits for its echo,
                    // which marks it done if it did arrive.
                    let messages_at = clock.now_ms() + ECHO_WAIT_MS;
                    match outbox::requeue_in_flight_in_lanes(lanes.pool(), messages_at, &taken)
                        .await
                    {
                        Ok(0) => {}
                        Ok(n) => tracing::warn!(
                            rows = n,
                            "calls interrupted on another instance will be made again unless \
                             Messenger echoes them"
                        ),
                        Err(e) => {
                            tracing::error!(error = %e, "lanes: could not requeue interrupted calls");
                            tokio::time::sleep(LEASE / 6).await;
                            continue; // taken again (and requeued) next time
                        }
                    }
                    tracing::info!(lanes = now_held.len(), "this instance's work lanes changed");
                }
                let changed = before != now_held;
                held_tx.send_replace(now_held);
                if changed {
                    wake.wake_here();
                }
            }
            Err(e) => {
                // Without a refresh the leases run out and other instances take the work;
                // this instance's `begin_on` then finds its lanes gone and does nothing.
                tracing::error!(error = %e, "lanes: refresh failed; retrying");
            }
        }
        tokio::time::sleep(LEASE / 3).await;
    }
}

/// How the workers are doing, for `/healthz`: restarts after a panic, and the lag (the
/// oldest event waiting to be applied, the oldest call waiting to be made).
#[derive(Clone, Default)]
pub struct Workers {
    restarts: Arc<std::sync::atomic::AtomicU64>,
}

/// What `/healthz` reports about the workers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WorkerReport {
    /// Times a worker panicked and was started again since the server started.
    pub restarts: u64,
    pub events_pending: i64,
    /// Seconds the oldest pending event has waited (0 when none waits).
    pub events_lag_s: i64,
    pub calls_due: i64,
    /// Seconds the oldest due call has waited past its time (0 when none waits).
    pub calls_lag_s: i64,
}

impl Workers {
    pub fn restarts(&self) -> u64 {
        self.restarts.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn report(
        &self,
        pool: crate::storage::backend::DbRef<'_>,
        store: &Deliveries,
        clock: &Clock,
    ) -> Result<WorkerReport, sqlx::Error> {
        let (events_pending, oldest_event) = webhook_events::pending_lag(pool, store).await?;
        let now_ms = clock.now_ms();
        let (calls_due, oldest_call_ms) = outbox::due_lag(pool, now_ms).await?;
        Ok(WorkerReport {
            restarts: self.restarts(),
            events_pending,
            events_lag_s: oldest_event.map_or(0, |at| (clock.now() - at).max(0)),
            calls_due,
            calls_lag_s: oldest_call_ms.map_or(0, |at| (now_ms - at).max(0) / 1000),
        })
    }

    /// Runs the loop `work` makes, and makes and runs it again whenever it panics (after a
    /// second, so a panic on every turn does not spin). A worker that died silently would
    /// leave webhooks answered with 200 and never processed.
    pub fn supervise<F, Fut>(&self, name: &'static str, work: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let restarts = self.restarts.clone();
        tokio::spawn(async move {
            loop {
                match tokio::spawn(work()).await {
                    Err(e) if e.is_panic() => {
                        restarts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(worker = name, "worker panicked; starting it again in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    // Ended or cancelled: the process is shutting down.
                    _ => return,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Workers;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_worker_that_panics_is_started_again_and_counted() {
        let workers = Workers::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
        let done_tx = Arc::new(std::sync::Mutex::new(Some(done_tx)));
        let counter = runs.clone();
        workers.supervise("test", move || {
            let (counter, done_tx) = (counter.clone(), done_tx.clone());
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    panic!("first run fails");
                }
                if let Some(tx) = done_tx.lock().unwrap().take() {
                    let _ = tx.send(());
                }
            }
        });
        tokio::time::timeout(std::time::Duration::from_secs(10), done_rx)
            .await
            .expect("the worker ran again after its panic")
            .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(workers.restarts(), 1);
    }
}
