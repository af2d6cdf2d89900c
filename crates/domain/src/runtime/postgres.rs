//! The runtime's workers when several Baton instances share one PostgreSQL database. The
//! work is cut into lanes (`crate::lanes`): this instance applies the events and makes the
//! calls of the lanes it holds, and nothing else, so each event is applied once and each
//! user's events and calls keep their order while instances come and go.
//!
//! - A refresher renews the leases every third of [`LEASE`] and publishes the lanes held.
//!   Lanes it takes over from a stopped instance may hold calls that instance had started:
//!   they go back to pending (messages after waiting for their echo, as after a crash on
//!   SQLite).
//! - The event worker reads the oldest pending events of its lanes and applies them in one
//!   transaction opened with `Lanes::begin_on_lanes`, which it marks them done in: the
//!   events of a lane lost meanwhile are left to its new holder.
//! - The outbox worker claims only rows of its lanes, within the page's send cap shared by
//!   every instance (`send_budget`).
//!
//! Webhooks arrive at any instance; `notify` wakes the instance that holds the lane.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use super::{
    decode, engine, later, wait, BatchReads, BatchScope, RuntimeConfig, Touched, Wake, Workers,
};
use crate::backend::is_transient;
use crate::lanes::Lanes;
use crate::live::Live;
use crate::repo::{outbox, webhook_events};
use crate::send_budget::{SharedBudget, Take};
use crate::Clock;

/// How long a lane stays an instance's without a refresh: a stopped instance's users wait
/// this long, at most, before another instance answers them.
pub const LEASE: Duration = Duration::from_secs(6);

/// Events read per round.
const ROUND: i64 = 500;

/// A name for this instance among those sharing the database: host, process and start time.
pub fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "baton".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{host}-{}-{started}", std::process::id())
}

/// The process id in an [`instance_name`] (the host name may itself contain dashes).
pub fn instance_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '-');
    let _started = parts.next()?;
    let pid = parts.next()?;
    parts.next()?;
    pid.parse().ok()
}

/// Starts the lane refresher and both workers, supervised, for this instance (`lanes`).
/// At a clean shutdown, `lanes.release_all()` hands the lanes to the other instances at once.
pub fn spawn(
    lanes: Lanes,
    config: RuntimeConfig,
    wake: Wake,
    live: Live,
    clock: Clock,
    workers: &Workers,
) {
    let (held_tx, held) = watch::channel(Vec::<i64>::new());
    let refresher = (lanes.clone(), wake.clone(), clock.clone());
    workers.supervise("lanes", move || {
        let (lanes, wake, clock, held_tx) = (
            refresher.0.clone(),
            refresher.1.clone(),
            refresher.2.clone(),
            held_tx.clone(),
        );
        async move { refresh_loop(lanes, held_tx, wake, clock).await }
    });
    let events = (
        lanes.clone(),
        held.clone(),
        wake.clone(),
        live.clone(),
        clock.clone(),
    );
    workers.supervise("events", move || {
        let (lanes, held, wake, live, clock) = events.clone();
        async move { event_loop(lanes, held, wake, live, clock).await }
    });
    workers.supervise("outbox", move || {
        let (lanes, held, config, wake, live, clock) = (
            lanes.clone(),
            held.clone(),
            config.clone(),
            wake.clone(),
            live.clone(),
            clock.clone(),
        );
        async move { outbox_loop(lanes, held, config, wake, live, clock).await }
    });
}

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
                    let messages_at = clock.now_ms() + super::sender::ECHO_WAIT_MS;
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

async fn event_loop(
    lanes: Lanes,
    held: watch::Receiver<Vec<i64>>,
    wake: Wake,
    live: Live,
    clock: Clock,
) {
    loop {
        let lanes_now = held.borrow().clone();
        match process_events(lanes.pool(), Some(&lanes), &lanes_now, &clock, ROUND).await {
            Ok(t) if t.count == 0 => wait(&wake.events, Duration::from_millis(500)).await,
            Ok(t) => {
                t.tell(&live);
                wake.wake_outbox_here(); // this lane's calls are this instance's to make
            }
            Err(e) if is_transient(&e) => {
                tracing::warn!(error = %e, "event worker: the database could not apply the round just now; again shortly");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "event worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Applies up to `limit` pending events of the lanes `held`, in one transaction (or, when an
/// event fails, again with one savepoint per event). With `lanes`, a transaction first checks that this instance
/// still holds the lanes and applies only theirs; without (one instance alone: tests, the
/// CLI), every lane is applied.
pub async fn process_events(
    pool: &PgPool,
    lanes: Option<&Lanes>,
    held: &[i64],
    clock: &Clock,
    limit: i64,
) -> Result<Touched, sqlx::Error> {
    let pending = webhook_events::pending_in_lanes(pool, held, limit).await?;
    if pending.is_empty() {
        return Ok(Touched::default());
    }
    let reads = BatchReads::read(pool.into()).await?;
    let shared = reads.scope();
    let mut touched = Touched::default();
    // Fast path: every lane's share in one transaction (one commit for the round).
    if apply_all(pool, lanes, &pending, &shared, clock, &mut touched).await? {
        return Ok(touched);
    }
    // An event failed: again, one savepoint per event, so only that one is marked failed.
    apply_one_by_one(pool, lanes, &pending, &shared, clock, &mut touched).await?;
    Ok(touched)
}

/// A transaction for the events `pending` (lane, event), fenced on their lanes, and the ids
/// it has marked done: those of lanes this instance still holds, still pending. Only those
/// are this transaction's to apply.
async fn begin_fenced(
    pool: &PgPool,
    lanes: Option<&Lanes>,
    pending: &[(i64, webhook_events::EventRow)],
    clock: &Clock,
) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Vec<i64>), sqlx::Error> {
    let mut wanted: Vec<i64> = pending.iter().map(|(lane, _)| *lane).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let (mut tx, held) = match lanes {
        Some(lanes) => lanes.begin_on_lanes(&wanted).await?,
        None => (pool.begin().await?, wanted),
    };
    let ids: Vec<i64> = pending
        .iter()
        .filter(|(lane, _)| held.binary_search(lane).is_ok())
        .map(|(_, row)| row.id)
        .collect();
    let claimed = webhook_events::claim_done(&mut tx, &ids, clock.now()).await?;
    Ok((tx, claimed))
}

/// Applies the events `pending` (lane, event; in id order) of the lanes this instance still
/// holds in one transaction. False (and nothing changed) when an event failed to apply.
async fn apply_all(
    pool: &PgPool,
    lanes: Option<&Lanes>,
    pending: &[(i64, webhook_events::EventRow)],
    shared: &BatchScope<'_>,
    clock: &Clock,
    touched: &mut Touched,
) -> Result<bool, sqlx::Error> {
    let (mut tx, claimed) = begin_fenced(pool, lanes, pending, clock).await?;
    let mut later = later::Later::default();
    let mut users = Vec::new();
    let mut count = 0;
    for (_, row) in pending
        .iter()
        .filter(|(_, r)| claimed.binary_search(&r.id).is_ok())
    {
        count += 1;
        match decode(row) {
            Ok(event) => {
                let (scope, user) = shared.scope(row, &event, clock);
                if let Err(e) =
                    engine::apply(&mut *tx, &mut later, &scope, &row.channel, &event).await
                {
                    tx.rollback().await?;
                    if is_transient(&e) {
                        return Err(e); // the whole round again, shortly
                    }
                    tracing::warn!(event = row.id, error = %e, "event failed; applying the round one by one");
                    return Ok(false);
                }
                users.extend(user);
            }
            Err(e) => webhook_events::fail_in_row(&mut tx, row.id, &e, clock.now()).await?,
        }
    }
    if let Err(e) = later.flush(&mut *tx).await {
        tx.rollback().await?;
        if is_transient(&e) {
            return Err(e);
        }
        tracing::warn!(error = %e, "a round's writes failed; applying it one by one");
        return Ok(false);
    }
    tx.commit().await?;
    touched.count += count;
    for user in &users {
        touched.add(Some(user));
    }
    Ok(true)
}

/// Applies the events `pending` one savepoint each: one that fails rolls back alone and is
/// marked failed; the others commit. An error that is the database's for now
/// ([`is_transient`]) fails no event: the round is rolled back and the error returned.
async fn apply_one_by_one(
    pool: &PgPool,
    lanes: Option<&Lanes>,
    pending: &[(i64, webhook_events::EventRow)],
    shared: &BatchScope<'_>,
    clock: &Clock,
    touched: &mut Touched,
) -> Result<(), sqlx::Error> {
    let (mut tx, claimed) = begin_fenced(pool, lanes, pending, clock).await?;
    for (_, row) in pending
        .iter()
        .filter(|(_, r)| claimed.binary_search(&r.id).is_ok())
    {
        let event = match decode(row) {
            Ok(event) => event,
            Err(e) => {
                webhook_events::fail_in_row(&mut tx, row.id, &e, clock.now()).await?;
                continue;
            }
        };
        let (scope, user) = shared.scope(row, &event, clock);
        touched.add(user.as_deref());
        touched.count += 1;
        let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
        let mut later = later::Later::default();
        let applied =
            match engine::apply(&mut *savepoint, &mut later, &scope, &row.channel, &event).await {
                Ok(()) => later.flush(&mut *savepoint).await,
                Err(e) => Err(e),
            };
        match applied {
            Ok(()) => savepoint.commit().await?,
            Err(e) if is_transient(&e) => {
                // Not the event's fault: nothing of the round is kept, it runs again.
                savepoint.rollback().await?;
                tx.rollback().await?;
                return Err(e);
            }
            Err(e) => {
                savepoint.rollback().await?;
                tracing::error!(event = row.id, error = %e, "event could not be applied");
                webhook_events::fail_in_row(&mut tx, row.id, &e.to_string(), clock.now()).await?;
            }
        }
    }
    tx.commit().await
}

async fn outbox_loop(
    lanes: Lanes,
    held: watch::Receiver<Vec<i64>>,
    config: RuntimeConfig,
    wake: Wake,
    live: Live,
    clock: Clock,
) {
    let pool = lanes.pool().clone();
    let http = messenger::graph::HttpClient::new();
    // The page's send cap is shared with the other instances (`send_budget`).
    let budget = SharedBudget::new(pool.clone(), config.calls_per_second);
    // After a round failed part-way, its claimed rows are still `sending`: they go back to
    // pending before the next round (no other instance claims in these lanes).
    let mut stale = false;
    loop {
        let lanes_now = held.borrow().clone();
        if stale {
            let messages_at = clock.now_ms() + super::sender::ECHO_WAIT_MS;
            if let Err(e) = outbox::requeue_in_flight_in_lanes(&pool, messages_at, &lanes_now).await
            {
                tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            stale = false;
        }
        // Only rounds that may find work take tokens: an idle instance waits for a wake.
        let allowed = match budget.take(super::sender::MAX_IN_FLIGHT).await {
            Ok(Take::Granted(n)) => n,
            Ok(Take::Wait(wait)) => {
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let round = super::sender::Round {
            claim: (&pool).into(),
            record: (&pool).into(),
            lanes: Some((&lanes, &lanes_now)),
        };
        let sent =
            super::sender::send_due(round, &http, &config.graph_api_url, clock.now_ms(), allowed)
                .await;
        let made = sent.as_ref().map_or(0, |t| t.count as i64);
        if let Err(e) = budget.give_back(allowed - made).await {
            tracing::warn!(error = %e, "outbox worker: could not give back unused send budget");
        }
        match sent {
            Ok(t) if t.count == 0 => wait(&wake.outbox, Duration::from_millis(100)).await,
            Ok(t) => t.tell(&live),
            Err(e) => {
                stale = true;
                tracing::error!(error = %e, "outbox worker: database error; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instance_name_gives_back_its_process_id() {
        let name = instance_name();
        assert_eq!(instance_pid(&name), Some(std::process::id()));
        assert_eq!(instance_pid("web-3-eu-4242-1796399529645746"), Some(4242));
        assert_eq!(instance_pid("4242-17963995"), None);
        assert_eq!(instance_pid("host-notapid-1"), None);
    }
}
