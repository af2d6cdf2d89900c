//! The bot runtime: an event worker that applies stored webhook events one by one in arrival
//! order (see `engine`, which drives the handover state machine in `handover`), and an
//! outbox worker that makes the resulting Graph API calls (see
//! `sender`). Both are plain loops over the database, so a restart picks up where a crash left
//! off; the webhook handler wakes them through [`Wake`].

pub mod agent;
mod bot;
pub(crate) mod compose;
pub mod engine;
pub mod handover;
pub mod later;
pub mod postgres;
mod refusal;
pub mod sender;

use std::sync::Arc;
use std::time::Duration;

use messenger::webhook::Event;
use sqlx::SqlitePool;

use crate::backend::Db;
use tokio::sync::Notify;

use crate::db::Deliveries;
use crate::live::Live;
use crate::repo::{outbox, pages, webhook_events};
use crate::Clock;

pub use compose::metadata;
pub use refusal::handover_notice;

/// Wakes the workers when there is new work (instead of waiting for the next poll): the
/// event worker when events were stored, the outbox worker when calls were queued. Waking
/// only the one with work saves the other an empty look at the database.
///
/// On PostgreSQL the work may be another instance's (it holds the user's lane): each wake is
/// also sent to the other instances (`crate::notify`).
#[derive(Clone, Default)]
pub struct Wake {
    events: Arc<Notify>,
    outbox: Arc<Notify>,
    remote: crate::notify::Remote,
}

impl Wake {
    /// Both workers.
    pub fn wake(&self) {
        self.wake_events();
        self.wake_outbox();
    }

    /// New webhook events are stored.
    pub fn wake_events(&self) {
        self.events.notify_waiters();
        self.remote.publish(crate::notify::Note::Events);
    }

    /// New calls are queued.
    pub fn wake_outbox(&self) {
        self.outbox.notify_waiters();
        self.remote.publish(crate::notify::Note::Outbox);
    }

    /// Both workers of this instance only.
    pub(crate) fn wake_here(&self) {
        self.events.notify_waiters();
        self.outbox.notify_waiters();
    }

    pub(crate) fn wake_events_here(&self) {
        self.events.notify_waiters();
    }

    pub(crate) fn wake_outbox_here(&self) {
        self.outbox.notify_waiters();
    }

    pub(crate) fn remote(&self) -> &crate::notify::Remote {
        &self.remote
    }
}

async fn wait(notify: &Notify, at_most: Duration) {
    let _ = tokio::time::timeout(at_most, notify.notified()).await;
}

/// Settings of the workers.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Base URL of the Graph API when the page has no override.
    pub graph_api_url: String,
    /// The page's send-rate cap (Meta allows 300 calls/s per page for text).
    pub calls_per_second: u32,
}

/// What a worker step did: how many events or calls, and which conversations changed
/// (for the live inbox).
#[derive(Debug, Default)]
pub struct Touched {
    pub count: usize,
    pub conversations: Vec<String>,
}

impl Touched {
    fn add(&mut self, psid: Option<&str>) {
        if let Some(psid) = psid {
            if !self.conversations.iter().any(|p| p == psid) {
                self.conversations.push(psid.to_owned());
            }
        }
    }

    fn tell(&self, live: &Live) {
        for psid in &self.conversations {
            live.changed(psid);
        }
    }
}

/// Events applied per transaction (each commit is an fsync).
const BATCH: usize = 100;

/// Applies up to `limit` pending events from `store`, recording their effects (and on SQLite
/// the cursor) in `db`. Returns how many were handled. On PostgreSQL it works on every lane,
/// as one instance alone (the workers use `postgres::process_events` on their own lanes).
pub async fn process_events<'a>(
    db: impl Into<crate::backend::DbRef<'a>>,
    store: &Deliveries,
    clock: &Clock,
    limit: usize,
) -> Result<Touched, sqlx::Error> {
    match db.into() {
        crate::backend::DbRef::Sqlite(pool) => {
            process_sqlite_events(pool, store, clock, limit).await
        }
        crate::backend::DbRef::Postgres(pool) => {
            let every: Vec<i64> = (0..crate::lanes::LANES).collect();
            postgres::process_events(pool, None, &every, clock, limit as i64).await
        }
    }
}

/// [`process_events`] on SQLite: the events after the cursor, in one worker's batches.
async fn process_sqlite_events(
    pool: &SqlitePool,
    store: &Deliveries,
    clock: &Clock,
    limit: usize,
) -> Result<Touched, sqlx::Error> {
    process_events_handing_over(pool, store, clock, limit, &|held| {
        held >= HAND_OVER_AFTER && crate::db::foreground_waiting()
    })
    .await
}

/// Whether a batch that has held the write turn this long should commit and hand it over.
type HandOver<'a> = dyn Fn(Duration) -> bool + Sync + 'a;

async fn process_events_handing_over(
    pool: &SqlitePool,
    store: &Deliveries,
    clock: &Clock,
    limit: usize,
    hand_over: &HandOver<'_>,
) -> Result<Touched, sqlx::Error> {
    let sqlite_store = store.sqlite().ok_or_else(|| {
        sqlx::Error::Configuration("SQLite's event worker needs SQLite deliveries".into())
    })?;
    let mut after = webhook_events::applied_through(pool).await?;
    let mut batch = webhook_events::pending(sqlite_store, after, limit.min(BATCH) as i64).await?;
    if batch.is_empty() {
        // Nothing to do: the page and the flow are not read (most wake-ups at low rates).
        return Ok(Touched::default());
    }
    let reads = BatchReads::read(pool.into()).await?;
    let batch_scope = reads.scope();
    let mut touched = Touched::default();
    while !batch.is_empty() {
        // Fast path: the batch in one transaction, claimed with one statement. If any event
        // fails, the transaction is rolled back and the batch applied again one event per
        // savepoint, so only the failing event is marked failed.
        let run = Run {
            after,
            batch: &batch,
            shared: &batch_scope,
        };
        match apply_batch(pool, clock, &run, hand_over, &mut touched).await? {
            Some(handled) => touched.count += handled,
            None => {
                apply_one_by_one(pool, clock, &run, &mut touched).await?;
                touched.count += batch.len();
            }
        }
        if touched.count >= limit {
            break;
        }
        after = webhook_events::applied_through(pool).await?;
        batch = webhook_events::pending(
            sqlite_store,
            after,
            (limit - touched.count).min(BATCH) as i64,
        )
        .await?;
    }
    Ok(touched)
}

/// A batch to apply: the events after the cursor `after`, in id order.
struct Run<'a> {
    after: i64,
    batch: &'a [webhook_events::EventRow],
    shared: &'a BatchScope<'a>,
}

impl Run<'_> {
    /// The id the cursor moves to once the whole batch is applied.
    fn through(&self) -> i64 {
        self.batch.last().map_or(self.after, |row| row.id)
    }
}

/// What a batch reads once: the connected page and the published flow (a publish during a
/// batch applies from the next one, a fraction of a second later), and the Simulator's draft
/// trials.
struct BatchReads {
    page: Option<pages::PageRow>,
    /// The page's bot disclosure, if on.
    disclosure: Option<String>,
    flow: Option<flows::Flow>,
    draft: Option<flows::Flow>,
    trials: Vec<String>,
}

impl BatchReads {
    async fn read(db: crate::backend::DbRef<'_>) -> Result<BatchReads, sqlx::Error> {
        let page = pages::current(db).await?;
        let disclosure = match &page {
            Some(p) => pages::bot_disclosure(db, &p.page_id).await?,
            None => None,
        };
        // A database failure here fails the batch (the worker retries it); treating it as
        // "no flow" would mark every event done without an answer. A stored flow that no
        // longer decodes is different: retrying cannot help, so events are recorded but not
        // answered.
        let flow = readable(crate::flows::published_flow(db).await)?.flatten();
        let flow = flow.map(|(_, f)| f);
        // Simulator test users trying the draft ("Try draft") get the draft instead. Trials
        // exist only on the sandbox page: a real page's batches skip the query.
        let trials = if page.as_ref().is_some_and(|p| p.is_sandbox) {
            crate::repo::draft_trials::all(db).await?
        } else {
            Vec::new()
        };
        let draft = if trials.is_empty() {
            None
        } else {
            readable(crate::flows::draft(db).await)?
        };
        Ok(BatchReads {
            page,
            disclosure,
            flow,
            draft,
            trials,
        })
    }

    fn scope(&self) -> BatchScope<'_> {
        BatchScope {
            app_id: self.page.as_ref().map_or("", |p| p.app_id.as_str()),
            disclosure: self.disclosure.as_deref(),
            flow: self.flow.as_ref(),
            draft: self.draft.as_ref(),
            trials: &self.trials,
        }
    }
}

/// What every event of a batch shares.
struct BatchScope<'a> {
    app_id: &'a str,
    disclosure: Option<&'a str>,
    flow: Option<&'a flows::Flow>,
    draft: Option<&'a flows::Flow>,
    /// Simulator test users trying the draft.
    trials: &'a [String],
}

impl BatchScope<'_> {
    fn scope<'a>(
        &'a self,
        row: &'a webhook_events::EventRow,
        event: &Event,
        clock: &Clock,
    ) -> (engine::Scope<'a>, Option<String>) {
        // The user's side of the conversation: the recipient of an echo, else the sender.
        let user = if event.sender.as_deref() == Some(row.page_id.as_str()) {
            event.recipient.clone()
        } else {
            event.sender.clone()
        };
        let trying = user
            .as_deref()
            .is_some_and(|u| self.trials.iter().any(|t| t == u));
        let scope = engine::Scope {
            page_id: &row.page_id,
            app_id: self.app_id,
            flow: if trying { self.draft } else { self.flow },
            now_ms: clock.now_ms(),
            clock_ms: clock.now_ms(),
            disclosure: self.disclosure,
        };
        (scope, user)
    }
}

fn decode(row: &webhook_events::EventRow) -> Result<Event, String> {
    serde_json::from_str(&row.payload)
        .map(Event::from_value)
        .map_err(|e| e.to_string())
}

/// How long a batch's transaction may keep a webhook waiting: once a foreground writer (a
/// webhook's deliveries, an agent's click) waits for the write turn and the batch has held
/// it this long, the events applied so far are committed and the rest go back to pending,
/// first in line for the next transaction. Short enough for a webhook to be acknowledged
/// within a few milliseconds; long enough that under a steady stream of deliveries each
/// transaction still applies a group of events.
const HAND_OVER_AFTER: Duration = Duration::from_millis(2);

/// Applies `batch`, or a first part of it, in one transaction. Returns how many of the
/// batch's events were handled (the rest are pending again, see [`HAND_OVER_AFTER`]), or
/// `None` (and changes nothing) when an event failed to apply.
async fn apply_batch(
    pool: &SqlitePool,
    clock: &Clock,
    run: &Run<'_>,
    hand_over: &HandOver<'_>,
    touched: &mut Touched,
) -> Result<Option<usize>, sqlx::Error> {
    let (batch, shared) = (run.batch, run.shared);
    let mut tx = crate::db::background_write_tx(pool).await?;
    let started = std::time::Instant::now();
    // The batch is ours unless another worker moved the cursor since it was read.
    if !webhook_events::advance(&mut tx, run.after, run.through(), clock.now()).await? {
        return Ok(Some(0));
    }
    let mut good = Vec::with_capacity(batch.len());
    for row in batch {
        match decode(row) {
            Ok(event) => good.push((row, event)),
            Err(e) => webhook_events::fail(&mut tx, row.id, &e, clock.now()).await?,
        }
    }
    let mut users = Vec::new();
    let mut handed_back = 0;
    let mut later = later::Later::default();
    for (i, (row, event)) in good.iter().enumerate() {
        let (scope, user) = shared.scope(row, event, clock);
        if let Err(e) = engine::apply(&mut tx, &mut later, &scope, &row.channel, event).await {
            tx.rollback().await?;
            if crate::backend::is_transient(&e) {
                return Err(e); // the whole batch again (the cursor did not move)
            }
            tracing::warn!(event = row.id, error = %e, "event failed; applying its batch one by one");
            return Ok(None);
        }
        users.extend(user);
        let rest = &good[i + 1..];
        if !rest.is_empty() && hand_over(started.elapsed()) {
            // The rest go back: the cursor stops at this event (events that failed to
            // decode after it are read and recorded again next time).
            webhook_events::advance(&mut tx, run.through(), row.id, clock.now()).await?;
            handed_back = batch.iter().filter(|r| r.id > row.id).count();
            break;
        }
    }
    // The batch's transcript lines and outbox rows, in one INSERT each.
    if let Err(e) = later.flush(&mut tx).await {
        tx.rollback().await?;
        if crate::backend::is_transient(&e) {
            return Err(e);
        }
        tracing::warn!(error = %e, "a batch's writes failed; applying it one by one");
        return Ok(None);
    }
    tx.commit().await?;
    for user in &users {
        touched.add(Some(user));
    }
    Ok(Some(batch.len() - handed_back))
}

/// Applies `batch` one event per savepoint: an event that fails rolls back alone and is
/// marked failed; the others commit. An error that is the database's for now
/// (`backend::is_transient`) fails no event: the batch is rolled back and the error returned.
async fn apply_one_by_one(
    pool: &SqlitePool,
    clock: &Clock,
    run: &Run<'_>,
    touched: &mut Touched,
) -> Result<(), sqlx::Error> {
    let mut tx = crate::db::background_write_tx(pool).await?;
    if !webhook_events::advance(&mut tx, run.after, run.through(), clock.now()).await? {
        return Ok(()); // another worker took the batch
    }
    for row in run.batch {
        let event = match decode(row) {
            Ok(event) => event,
            Err(e) => {
                webhook_events::fail(&mut tx, row.id, &e, clock.now()).await?;
                continue;
            }
        };
        let (scope, user) = run.shared.scope(row, &event, clock);
        touched.add(user.as_deref());
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let mut later = later::Later::default();
        let applied =
            match engine::apply(&mut savepoint, &mut later, &scope, &row.channel, &event).await {
                Ok(()) => later.flush(&mut savepoint).await,
                Err(e) => Err(e),
            };
        match applied {
            Ok(()) => savepoint.commit().await?,
            Err(e) if crate::backend::is_transient(&e) => {
                // Not the event's fault: nothing of the batch is kept, it runs again.
                savepoint.rollback().await?;
                tx.rollback().await?;
                return Err(e);
            }
            Err(e) => {
                savepoint.rollback().await?; // every effect of this event
                tracing::error!(event = row.id, error = %e, "event could not be applied");
                webhook_events::fail(&mut tx, row.id, &e.to_string(), clock.now()).await?;
            }
        }
    }
    tx.commit().await
}

/// A flow read for a batch: the flow, `None` when it cannot be decoded (logged), or the
/// database error that fails the batch.
fn readable<T>(read: Result<T, crate::flows::FlowError>) -> Result<Option<T>, sqlx::Error> {
    match read {
        Ok(flow) => Ok(Some(flow)),
        Err(crate::flows::FlowError::Database(e)) => Err(e),
        Err(e) => {
            tracing::error!(error = %e, "the flow cannot be read: events are recorded, not answered");
            Ok(None)
        }
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
        pool: crate::backend::DbRef<'_>,
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

/// Starts the workers, supervised; they run until the process ends. On PostgreSQL this
/// instance shares the work with the others through work lanes (`postgres`), which are
/// returned so that a clean shutdown can give them back at once (`Lanes::release_all`).
pub fn spawn(
    db: Db,
    store: Deliveries,
    config: RuntimeConfig,
    wake: Wake,
    live: Live,
    clock: Clock,
    workers: &Workers,
) -> Option<crate::lanes::Lanes> {
    let pool = match db {
        Db::Sqlite(pool) => pool,
        Db::Postgres(pool) => {
            let instance = postgres::instance_name();
            crate::notify::start(pool.clone(), instance.clone(), &wake, &live);
            let lanes = crate::lanes::Lanes::new(pool, instance, postgres::LEASE);
            postgres::spawn(lanes.clone(), config, wake, live, clock, workers);
            return Some(lanes);
        }
    };
    // Applying events and recording calls commit without waiting for the disk (see
    // `db::relaxed_twin` for why that loses nothing); claims wait for it, through pools of
    // the workers' own (their connections start on the workers' thread).
    let work = crate::db::relaxed_twin(&pool);
    let pool = crate::db::durable_twin(&pool);
    let (events_pool, events_wake, events_live, events_clock) =
        (work.clone(), wake.clone(), live.clone(), clock.clone());
    workers.supervise("events", move || {
        let (pool, store, wake, live, clock) = (
            events_pool.clone(),
            store.clone(),
            events_wake.clone(),
            events_live.clone(),
            events_clock.clone(),
        );
        async move { event_loop(pool, store, wake, live, clock).await }
    });
    workers.supervise("outbox", move || {
        let (pools, config, wake, live, clock) = (
            Pools {
                claim: pool.clone(),
                record: work.clone(),
            },
            config.clone(),
            wake.clone(),
            live.clone(),
            clock.clone(),
        );
        async move { outbox_loop(pools, config, wake, live, clock).await }
    });
    None
}

async fn event_loop(pool: SqlitePool, store: Deliveries, wake: Wake, live: Live, clock: Clock) {
    loop {
        match process_sqlite_events(&pool, &store, &clock, 500).await {
            Ok(t) if t.count == 0 => wait(&wake.events, Duration::from_millis(500)).await,
            Ok(t) => {
                t.tell(&live);
                wake.wake_outbox_here(); // new outbox rows for the sender
            }
            Err(e) => {
                tracing::error!(error = %e, "event worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The outbox's two pools: claims are durable (their fsync precedes every Graph call),
/// records need not be.
#[derive(Clone)]
struct Pools {
    claim: SqlitePool,
    record: SqlitePool,
}

async fn outbox_loop(pools: Pools, config: RuntimeConfig, wake: Wake, live: Live, clock: Clock) {
    let mut sender = Sender::default();
    let mut budget = Budget::new(config.calls_per_second);
    loop {
        let allowed = budget.available(tokio::time::Instant::now().into_std());
        if let Some(wait) = budget.wait_for_round() {
            // The budget is spent (a backlog): let half a burst build up instead of making
            // many rounds of one or two calls, each with its own commit.
            tokio::time::sleep(wait).await;
            continue;
        }
        match sender
            .step(&pools, &config.graph_api_url, clock.now_ms(), allowed)
            .await
        {
            Ok(t) if t.count == 0 => wait(&wake.outbox, Duration::from_millis(100)).await,
            Ok(t) => {
                t.tell(&live);
                budget.spend(t.count);
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// The outbox worker's rounds. This process's outbox worker is the only sender and makes one
/// round at a time, so between rounds a row still "sending" was left by a crash (at start, or
/// before a panic restarted the loop) or by a round that failed after claiming (a database
/// error while recording, say). Such rows are put back to pending before the next round
/// claims anything (messages after waiting for their echo); while that is impossible (the
/// database still fails), no round runs.
///
/// It keeps one HTTP client for all its rounds, so calls reuse open connections (and, against
/// the real Graph API, their TLS sessions). A client per round opened new connections every
/// round and rebuilt the TLS setup each time.
#[derive(Debug)]
struct Sender {
    stale: bool,
    http: messenger::graph::HttpClient,
}

impl Default for Sender {
    fn default() -> Self {
        Sender {
            stale: true,
            http: messenger::graph::HttpClient::new(),
        }
    }
}

impl Sender {
    async fn step(
        &mut self,
        pools: &Pools,
        graph_api_url: &str,
        now_ms: i64,
        limit: i64,
    ) -> Result<Touched, sqlx::Error> {
        if self.stale {
            let n = outbox::requeue_in_flight(&pools.claim, now_ms + sender::ECHO_WAIT_MS).await?;
            if n > 0 {
                tracing::warn!(
                    rows = n,
                    "interrupted calls will be made again unless Messenger echoes them"
                );
            }
            self.stale = false;
        }
        let round = sender::Round {
            claim: (&pools.claim).into(),
            record: (&pools.record).into(),
            lanes: None,
        };
        let sent = sender::send_due(round, &self.http, graph_api_url, now_ms, limit).await;
        self.stale = sent.is_err();
        sent
    }
}

/// The page's send-rate cap as a token bucket: `rate` calls per second, with bursts of at
/// most a tenth of a second's worth.
struct Budget {
    rate: f64,
    tokens: f64,
    last: Option<std::time::Instant>,
}

impl Budget {
    fn new(calls_per_second: u32) -> Self {
        let rate = f64::from(calls_per_second.max(1));
        Self {
            rate,
            tokens: (rate / 10.0).max(1.0),
            last: None,
        }
    }

    fn burst(&self) -> f64 {
        (self.rate / 10.0).max(1.0)
    }

    /// Whole calls that may be made now.
    fn available(&mut self, now: std::time::Instant) -> i64 {
        if let Some(last) = self.last {
            let refill = now.saturating_duration_since(last).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + refill).min(self.burst());
        }
        self.last = Some(now);
        self.tokens.floor() as i64
    }

    /// How long to wait before the next round when less than half a burst is left (a round
    /// is worth making with at least that many calls, or one when the budget is tiny).
    fn wait_for_round(&self) -> Option<Duration> {
        let want = (self.burst() / 2.0).max(1.0);
        (self.tokens < want).then(|| Duration::from_secs_f64((want - self.tokens) / self.rate))
    }

    fn spend(&mut self, calls: usize) {
        self.tokens -= calls as f64;
    }
}

/// Runs both steps until there is nothing left to do now (tests and the CLI use this
/// instead of the background loops). Calls waiting for a retry later are left waiting. On
/// PostgreSQL it works on every lane, as one instance alone.
pub async fn drain<'a>(
    db: impl Into<crate::backend::DbRef<'a>>,
    store: &Deliveries,
    clock: &Clock,
    graph_api_url: &str,
) -> Result<(), sqlx::Error> {
    let mut sender = Sender::default();
    match db.into() {
        crate::backend::DbRef::Sqlite(pool) => {
            let pools = Pools {
                claim: pool.clone(),
                record: pool.clone(),
            };
            loop {
                let events = process_sqlite_events(pool, store, clock, 1000).await?;
                let calls = sender
                    .step(&pools, graph_api_url, clock.now_ms(), 1000)
                    .await?;
                if events.count == 0 && calls.count == 0 {
                    return Ok(());
                }
            }
        }
        crate::backend::DbRef::Postgres(pool) => loop {
            let events = process_events(pool, store, clock, 1000).await?;
            let round = sender::Round {
                claim: pool.into(),
                record: pool.into(),
                lanes: None,
            };
            let calls =
                sender::send_due(round, &sender.http, graph_api_url, clock.now_ms(), 1000).await?;
            if events.count == 0 && calls.count == 0 {
                return Ok(());
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{process_events_handing_over, Budget, Workers};
    use crate::repo::webhook_events::{self, NewEvent};
    use crate::Clock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn message(i: usize) -> NewEvent {
        let payload = serde_json::json!({
            "sender": {"id": "u1"}, "recipient": {"id": "p1"}, "timestamp": i,
            "message": {"mid": format!("m{i}"), "text": format!("hello {i}")}
        });
        NewEvent {
            dedupe_key: format!("m{i}"),
            page_id: "p1".into(),
            channel: "messaging",
            kind: "message".into(),
            sender_id: Some("u1".into()),
            recipient_id: Some("p1".into()),
            timestamp_ms: Some(i as i64),
            payload: payload.to_string(),
            actionable: true,
        }
    }

    /// Stores five messages, applies them with `hand_over` answering `yes`, and returns each
    /// event's (status, processed_at) in arrival order. The clock moves a second each time
    /// the batch asks, so events committed in different transactions differ in processed_at.
    async fn apply_five(yes: bool) -> (usize, usize, Vec<String>, i64) {
        let pool = crate::db::connect("sqlite::memory:").await.unwrap();
        crate::db::migrate(&pool).await.unwrap();
        let store = crate::db::Deliveries::in_main(&pool);
        let clock = Clock::system();
        let events: Vec<NewEvent> = (1..=5).map(message).collect();
        webhook_events::store_delivery(&store, Some("page"), "{}", &events, clock.now())
            .await
            .unwrap();
        let asked = AtomicUsize::new(0);
        let touched = process_events_handing_over(&pool, &store, &clock, 100, &|_| {
            asked.fetch_add(1, Ordering::SeqCst);
            clock.advance(Duration::from_secs(1));
            yes
        })
        .await
        .unwrap();
        let statuses = webhook_events::list(&pool, &store, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.status)
            .collect();
        // The cursor's time is that of its last move: the clock when the last transaction began.
        let (at,): (i64,) = sqlx::query_as("SELECT applied_at FROM event_progress")
            .fetch_one(&pool)
            .await
            .unwrap();
        (
            touched.count,
            asked.load(Ordering::SeqCst),
            statuses,
            at - clock.now(),
        )
    }

    #[tokio::test]
    async fn a_batch_hands_the_write_turn_over_and_the_rest_follows_in_order() {
        // Nobody waiting: the five events share one transaction, begun before the batch
        // asked four times (the clock moves a second each time it asks).
        let (count, asked, statuses, at) = apply_five(false).await;
        assert_eq!((count, asked), (5, 4));
        assert!(statuses.iter().all(|s| s == "done"), "{statuses:?}");
        // The wall clock under the test clock may tick a second before the final read.
        assert!((-5..=-4).contains(&at), "{at}");
        // A writer waiting after every event: each event commits alone, the rest go back to
        // pending and are applied next, in arrival order, each exactly once. The last
        // transaction began after the fourth hand-over.
        let (count, asked, statuses, at) = apply_five(true).await;
        assert_eq!((count, asked), (5, 4));
        assert!(statuses.iter().all(|s| s == "done"), "{statuses:?}");
        assert!((-1..=0).contains(&at), "{at}");
    }

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
    use std::time::{Duration, Instant};

    #[test]
    fn the_budget_caps_calls_per_second() {
        let mut budget = Budget::new(100);
        let start = Instant::now();
        let mut made = 0;
        // Two simulated seconds, asking every millisecond for as many calls as allowed.
        for ms in 0..2000 {
            let n = budget.available(start + Duration::from_millis(ms));
            budget.spend(n as usize);
            made += n;
        }
        assert!((195..=211).contains(&made), "{made} calls in 2 s at 100/s");
        // Bursts are small: after a long pause only a tenth of a second's worth is available.
        assert_eq!(budget.available(start + Duration::from_secs(60)), 10);
    }
}
