//! The events pipeline, written once for both backends: read the oldest pending events,
//! claim them in a transaction (`work::Work::begin`), apply each to its conversation
//! (`engine`), write the held transcript lines and outbox rows (`later`), commit. If an
//! event fails, the batch is rolled back and applied again one event per savepoint, so only
//! that event is marked failed; an error that is only the database's for now
//! (`backend::is_transient`) fails no event: the batch is rolled back and runs again.

use std::time::Duration;

use messenger::webhook::Event;
use tracing::Instrument;

use super::engine;
use super::later::Later;
use super::scope::Scope;
use super::wake::Touched;
use super::work::{Pending, Work};
use crate::clock::Clock;
use crate::storage::backend::{is_transient, Tx};
use crate::storage::lanes;
use crate::storage::repo::flows as flows_repo;
use crate::storage::repo::{pages, webhook_events};

/// Whether a batch that has held the write turn this long should commit and hand it over.
pub(crate) type HandOver<'a> = dyn Fn(Duration) -> bool + Sync + 'a;

/// Applies up to `limit` pending events of `work`, batch after batch. Returns how many were
/// handled (applied or marked failed) and whose conversations changed.
pub(crate) async fn process(
    work: &Work,
    clock: &Clock,
    limit: usize,
    hand_over: &HandOver<'_>,
) -> Result<Touched, sqlx::Error> {
    let mut touched = Touched::default();
    let mut reads: Option<BatchReads> = None;
    while touched.count < limit {
        let pending = work
            .pending((limit - touched.count).min(work.batch_size()))
            .await?;
        if pending.rows.is_empty() {
            // Nothing to do: the page and the flow are not read (most wake-ups at low rates).
            break;
        }
        if reads.is_none() {
            reads = Some(BatchReads::read(work.db()).await?);
        }
        let shared = reads.as_ref().map(BatchReads::scope).unwrap_or_default();
        let batch = Batch {
            work,
            clock,
            pending: &pending,
            shared: &shared,
        };
        let handled = match batch.apply_together(hand_over, &mut touched).await? {
            Some(handled) => handled,
            None => batch.apply_one_by_one(&mut touched).await?,
        };
        if handled == 0 && !work.none_claimed_means_read_again() {
            break; // not this instance's events (their lanes moved on)
        }
        touched.count += handled;
    }
    Ok(touched)
}

/// One batch of events and what they share.
struct Batch<'a> {
    work: &'a Work,
    clock: &'a Clock,
    pending: &'a Pending,
    shared: &'a BatchScope<'a>,
}

impl Batch<'_> {
    /// The claimed events of the batch, decoded; one that cannot be decoded is marked
    /// failed in `tx` (retrying cannot help) and left out.
    async fn decoded<'r>(
        &'r self,
        tx: &mut Tx,
        claimed: &[i64],
        now: i64,
    ) -> Result<Vec<(&'r webhook_events::EventRow, Event)>, sqlx::Error> {
        let mut good = Vec::with_capacity(claimed.len());
        for (_, row) in &self.pending.rows {
            if claimed.binary_search(&row.id).is_err() {
                continue;
            }
            match decode(row) {
                Ok(event) => good.push((row, event)),
                Err(e) => self.work.fail(tx.exec(), row.id, &e, now).await?,
            }
        }
        Ok(good)
    }

    /// Applies one event in `tx`, inside the event's span, its sends held in `later`.
    /// Returns the result and whose conversation it is.
    async fn apply_event(
        &self,
        tx: &mut Tx,
        later: &mut Later,
        row: &webhook_events::EventRow,
        event: &Event,
    ) -> (Result<(), sqlx::Error>, Option<String>) {
        let (scope, user) = self.shared.scope(row, event, self.clock);
        let span = event_span(row, event, self.work);
        later.for_event(Some(row.id));
        let applied = engine::apply(tx.exec(), later, &scope, &row.channel, event)
            .instrument(span.clone())
            .await;
        tracing::debug!(parent: &span, ok = applied.is_ok(), "event applied");
        (applied, user)
    }

    /// Applies the batch, or a first part of it, in one transaction. Returns how many of its
    /// events were handled (the rest are pending again, see `Work::should_hand_over`), or
    /// `None` (and changes nothing) when an event failed to apply.
    async fn apply_together(
        &self,
        hand_over: &HandOver<'_>,
        touched: &mut Touched,
    ) -> Result<Option<usize>, sqlx::Error> {
        let now = self.clock.now();
        let (mut tx, claimed) = self.work.begin(self.pending, now).await?;
        if claimed.is_empty() {
            tx.rollback().await?;
            return Ok(Some(0));
        }
        let started = std::time::Instant::now();
        let mut users = Vec::new();
        let mut handed_back = 0;
        let mut later = Later::default();
        for (row, event) in self.decoded(&mut tx, &claimed, now).await? {
            let (applied, user) = self.apply_event(&mut tx, &mut later, row, &event).await;
            if let Err(e) = applied {
                tx.rollback().await?;
                if is_transient(&e) {
                    return Err(e); // the whole batch again (nothing was claimed)
                }
                tracing::warn!(event = row.id, error = %e, "event failed; applying its batch one by one");
                return Ok(None);
            }
            users.extend(user);
            let more = claimed.last().is_some_and(|&last| last > row.id);
            if more && hand_over(started.elapsed()) {
                // The rest go back: the claim stops at this event (events after it that
                // failed to decode are read and marked failed again next time).
                handed_back = self
                    .work
                    .give_back(&mut tx, self.pending, row.id, now)
                    .await?;
                break;
            }
        }
        // The batch's transcript lines and outbox rows, in one INSERT each.
        if let Err(e) = later.flush(tx.exec()).await {
            tx.rollback().await?;
            if is_transient(&e) {
                return Err(e);
            }
            tracing::warn!(error = %e, "a batch's writes failed; applying it one by one");
            return Ok(None);
        }
        tx.commit().await?;
        for user in &users {
            touched.add(Some(user));
        }
        Ok(Some(claimed.len() - handed_back))
    }

    /// Applies the batch one event per savepoint: an event that fails rolls back alone and
    /// is marked failed; the others commit. Returns how many events were handled.
    async fn apply_one_by_one(&self, touched: &mut Touched) -> Result<usize, sqlx::Error> {
        let now = self.clock.now();
        let (mut tx, claimed) = self.work.begin(self.pending, now).await?;
        for (row, event) in self.decoded(&mut tx, &claimed, now).await? {
            tx.savepoint().await?;
            let mut later = Later::default();
            let (applied, user) = self.apply_event(&mut tx, &mut later, row, &event).await;
            touched.add(user.as_deref());
            let applied = match applied {
                Ok(()) => later.flush(tx.exec()).await,
                Err(e) => Err(e),
            };
            match applied {
                Ok(()) => tx.release_savepoint().await?,
                Err(e) if is_transient(&e) => {
                    // Not the event's fault: nothing of the batch is kept, it runs again.
                    tx.rollback().await?;
                    return Err(e);
                }
                Err(e) => {
                    tx.rollback_to_savepoint().await?; // every effect of this event
                    tracing::error!(event = row.id, error = %e, "event could not be applied");
                    self.work
                        .fail(tx.exec(), row.id, &e.to_string(), now)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(claimed.len())
    }
}

/// The span of one event's work: its id, its delivery, page, user (whose conversation it is),
/// its lane and the lanes this instance works on. The outbox rows it queues carry the event's
/// id (`outbox.event_id`), which the Graph call's span names (`sender`).
fn event_span(row: &webhook_events::EventRow, event: &Event, work: &Work) -> tracing::Span {
    let user = event.sender.as_deref().unwrap_or_default();
    tracing::debug_span!(
        "event",
        event = row.id,
        delivery = row.delivery_id,
        page = %row.page_id,
        user = %user,
        kind = %row.kind,
        lane = lanes::lane_of(&row.page_id, user),
        lanes = %work.lanes_label(),
    )
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
    async fn read(db: crate::storage::backend::DbRef<'_>) -> Result<BatchReads, sqlx::Error> {
        let page = pages::current(db).await?;
        let disclosure = match &page {
            Some(p) => pages::bot_disclosure(db, &p.page_id).await?,
            None => None,
        };
        // A database failure here fails the batch (the worker retries it); treating it as
        // "no flow" would mark every event done without an answer. A stored flow that no
        // longer decodes is different: retrying cannot help, so events are recorded but not
        // answered.
        let flow = readable(flows_repo::published(db).await)?.flatten();
        let flow = flow.map(|(_, f)| f);
        // Simulator test users trying the draft ("Try draft") get the draft instead. Trials
        // exist only on the sandbox page: a real page's batches skip the query.
        let trials = if page.as_ref().is_some_and(|p| p.is_sandbox) {
            crate::storage::repo::draft_trials::all(db).await?
        } else {
            Vec::new()
        };
        let draft = if trials.is_empty() {
            None
        } else {
            readable(flows_repo::draft_flow(db).await)?
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
#[derive(Default)]
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
    ) -> (Scope<'a>, Option<String>) {
        // The user's side of the conversation: the recipient of an echo, else the sender.
        let user = if event.sender.as_deref() == Some(row.page_id.as_str()) {
            event.recipient.clone()
        } else {
            event.sender.clone()
        };
        let trying = user
            .as_deref()
            .is_some_and(|u| self.trials.iter().any(|t| t == u));
        let scope = Scope {
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

/// A flow read for a batch: the flow, `None` when it cannot be decoded (logged), or the
/// database error that fails the batch.
fn readable<T>(read: Result<T, flows_repo::ReadError>) -> Result<Option<T>, sqlx::Error> {
    match read {
        Ok(flow) => Ok(Some(flow)),
        Err(flows_repo::ReadError::Database(e)) => Err(e),
        Err(e) => {
            tracing::error!(error = %e, "the flow cannot be read: events are recorded, not answered");
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::process;
    use crate::clock::Clock;
    use crate::runtime::work::Work;
    use crate::storage::repo::webhook_events::{self, NewEvent};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

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

    /// A database in memory holding `n` messages from one user, and the work on it.
    async fn stored(
        n: usize,
    ) -> (
        sqlx::SqlitePool,
        crate::storage::db::Deliveries,
        Clock,
        Work,
    ) {
        let pool = crate::storage::db::connect("sqlite::memory:")
            .await
            .unwrap();
        crate::storage::db::migrate(&pool).await.unwrap();
        let store = crate::storage::db::Deliveries::in_main(&pool);
        let clock = Clock::system();
        let events: Vec<NewEvent> = (1..=n).map(message).collect();
        webhook_events::store_delivery(&store, Some("page"), "{}", &events, clock.now())
            .await
            .unwrap();
        let work = Work::alone((&pool).into(), &store).unwrap();
        (pool, store, clock, work)
    }

    /// Stores five messages, applies them with `hand_over` answering `yes`, and returns each
    /// event's (status, processed_at) in arrival order. The clock moves a second each time
    /// the batch asks, so events committed in different transactions differ in processed_at.
    async fn apply_five(yes: bool) -> (usize, usize, Vec<String>, i64) {
        let (pool, store, clock, work) = stored(5).await;
        let asked = AtomicUsize::new(0);
        let touched = process(&work, &clock, 100, &|_| {
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

    /// The calls an event queues name it, so a Graph call's log line can say which event
    /// it answers: the first message from a new user queues the profile fetch.
    #[tokio::test]
    async fn outbox_rows_name_the_event_that_queued_them() {
        let (pool, store, clock, work) = stored(2).await;
        process(&work, &clock, 100, &|_| false).await.unwrap();
        let ids: Vec<i64> = webhook_events::list(&pool, &store, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect();
        let queued: Vec<(String, Option<i64>)> =
            sqlx::query_as("SELECT kind, event_id FROM outbox ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(queued, [("profile".to_owned(), Some(ids[0]))]);
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
}
