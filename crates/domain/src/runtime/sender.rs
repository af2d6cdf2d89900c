//! The outbox worker's step: claim due rows (one per user, oldest first), make the Graph API
//! calls concurrently across users, and record each result: done, retry later with backoff and
//! jitter for retryable errors, or a permanent failure with its plain-language reason.
//! Results are recorded in groups, one transaction for all the calls that have finished,
//! instead of one transaction per call competing for SQLite's write lock.

use std::sync::Arc;

use messenger::send::SendRequest;
use messenger::{ErrorKind, GraphApi, GraphError, PAGE_INBOX_APP_ID};
use rand::Rng;
use tracing::Instrument;

use super::compose;
use super::refusal::{self, Refused};
use super::wake::Touched;
use super::work::Round;
use crate::storage::backend::{DbRef, Exec, Tx};
use crate::storage::lanes;
use crate::storage::repo::conversations as conv;
use crate::storage::repo::outbox::{self, Kind, NewRow, OutboxRow, Priority};
use crate::storage::repo::pages;
use crate::storage::repo::settings::{self, keys};
use model::ThreadOwner;

/// First retry after about this long...
const BACKOFF_START_MS: i64 = 250;
/// ...doubling up to this...
const BACKOFF_CAP_MS: i64 = 30_000;
/// ...and giving up once a call has been failing for this long.
pub const GIVE_UP_AFTER_MS: i64 = 60 * 60 * 1000;
/// A message interrupted mid-call waits this long for its echo before it is sent again.
pub const ECHO_WAIT_MS: i64 = 15_000;
/// While Facebook refuses the page token, one waiting call a minute checks it again.
const TOKEN_RETRY_MS: i64 = 60_000;
/// What admins read while the token is refused.
pub const TOKEN_NOTICE: &str = "Baton has stopped sending: Facebook no longer accepts the page \
    access token. Messages wait and go out once a new token is saved in Settings → Facebook Page";

/// Delay before attempt `attempts + 1`: exponential from 250 ms, capped at 30 s, with
/// "equal jitter" (between half and all of it) so retries from many users spread out.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    let full = (BACKOFF_START_MS << exp).min(BACKOFF_CAP_MS);
    rand::thread_rng().gen_range(full / 2..=full)
}

/// Graph calls in flight at once, at most. Each holds a connection and its buffers: with the
/// budget lifted, a round could otherwise open one connection per waiting user (a 1,000-user
/// backlog took Baton from 36 MB to over 110 MB). 128 calls of 200 ms each still allow
/// 640 calls/s, over twice Meta's per-page cap.
pub const MAX_IN_FLIGHT: i64 = 128;

/// Makes up to `limit` due calls (at most [`MAX_IN_FLIGHT`]), claimed and recorded as `round`
/// says, over `http`'s connections. Returns how many rows were claimed, and whose.
pub async fn send_due(
    round: Round<'_>,
    http: &messenger::graph::HttpClient,
    default_graph_url: &str,
    now_ms: i64,
    limit: i64,
) -> Result<Touched, sqlx::Error> {
    let limit = limit.min(MAX_IN_FLIGHT);
    // On SQLite the claim takes a background writer's turn itself (a write transaction).
    let rows = match (round.claim, round.lanes) {
        (DbRef::Postgres(_), Some((lanes, held))) => {
            let (mut tx, held) = lanes.begin_on_lanes(held).await?;
            let rows = outbox::claim_due_in_lanes(&mut tx, now_ms, limit, &held).await?;
            tx.commit().await?;
            rows
        }
        (claim, _) => outbox::claim_due(claim, now_ms, limit).await?,
    };
    let mut touched = Touched::default();
    for row in &rows {
        touched.add(Some(&row.psid));
    }
    touched.count = rows.len();
    if rows.is_empty() {
        return Ok(touched);
    }
    let Some(page) = pages::current(round.claim).await? else {
        let mut tx = Tx::background(round.claim).await?;
        for row in &rows {
            outbox::retry_later(
                tx.exec(),
                row.id,
                now_ms + BACKOFF_CAP_MS,
                "no_page",
                "No Facebook page is connected.",
            )
            .await?;
        }
        tx.commit().await?;
        return Ok(touched);
    };
    let graph: Arc<dyn GraphApi> = Arc::new(page.graph_client(default_graph_url, http.clone()));
    let mut tasks = tokio::task::JoinSet::new();
    for row in rows {
        let graph = graph.clone();
        let baton = page.app_id.clone();
        let span = tracing::debug_span!(
            "graph_call",
            row = row.id,
            event = row.event_id,
            page = %row.page_id,
            user = %row.psid,
            kind = %row.kind,
            lane = lanes::lane_of(&row.page_id, &row.psid),
        );
        tasks.spawn(async move {
            let result = call(graph.as_ref(), &row).await;
            tracing::debug!(ok = result.is_ok(), "Graph call made");
            // A thread-control change refused for good: ask who holds the thread, so the
            // conversation can follow Messenger instead of what Baton meant to happen.
            let refused = match &result {
                Err(e) => Refused::of(&row, e),
                Ok(_) => None,
            };
            let follow = match refused {
                Some(refused) => match graph.thread_owner(&row.psid).await {
                    Ok(app) => Some((refused, owner_of(app.as_deref(), &baton))),
                    Err(e) => {
                        tracing::warn!(error = %e, "thread owner unknown after a refused handover");
                        refused.assumed_owner().map(|owner| (refused, owner))
                    }
                },
                None => None,
            };
            (row, result, follow)
        }.instrument(span));
    }
    // Wait for the next finished call, take every other one finished by then, and record
    // them together: large groups under load, no waiting on a slow call when idle.
    while let Some(first) = tasks.join_next().await {
        let mut finished = Vec::new();
        let mut joined = Some(first);
        while let Some(done) = joined {
            match done {
                Ok(result) => finished.push(result),
                Err(join) => tracing::error!(error = %join, "outbox task panicked"),
            }
            joined = tasks.try_join_next();
        }
        // A user's profile goes in first, one statement each. In the group's transaction it
        // would lock conversations in the order the calls finished, while an event round
        // locks them in the order the events came: on PostgreSQL the two could deadlock.
        for (row, result, _) in &finished {
            if let Ok(Done::Profile(p)) = result {
                conv::set_profile(
                    round.record,
                    &row.page_id,
                    &row.psid,
                    p.first_name.as_deref(),
                    p.last_name.as_deref(),
                    p.profile_pic.as_deref(),
                )
                .await?;
            }
        }
        // A refused handover is answered with the published flow's "no one can take this"
        // text (read only when there is one).
        let unavailable = if finished
            .iter()
            .any(|(_, _, f)| matches!(f, Some((Refused::Handover, _))))
        {
            match crate::storage::repo::flows::published(round.record).await {
                Ok(Some((_, flow))) => flow.unavailable_text().to_owned(),
                _ => flows::DEFAULT_UNAVAILABLE_TEXT.to_owned(),
            }
        } else {
            String::new()
        };
        // The calls are made: their results must be recorded, not the calls made again. A
        // transaction the database gave up on for now (a deadlock, a busy file) is retried.
        let mut attempt = 0;
        loop {
            match record_group(round.record, &finished, &unavailable, now_ms).await {
                Ok(()) => break,
                Err(e)
                    if crate::storage::backend::is_transient(&e) && attempt < RECORD_ATTEMPTS =>
                {
                    attempt += 1;
                    tracing::warn!(error = %e, attempt, "recording call results failed for now; again");
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(touched)
}

/// Tries at recording a group of results before the round gives up (its calls are then
/// put back, and messages wait for their echo before being sent again).
const RECORD_ATTEMPTS: u64 = 5;

/// A finished call: its row, its result and, when Messenger refused a thread-control change
/// for good, what was refused and who holds the thread now.
type Finished = (
    OutboxRow,
    Result<Done, GraphError>,
    Option<(Refused, ThreadOwner)>,
);

/// Records the results of `finished` calls in one transaction.
async fn record_group(
    db: DbRef<'_>,
    finished: &[Finished],
    unavailable: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = Tx::background(db).await?;
    // Plain successes (most calls) are recorded together; the rest one by one.
    let (plain, other): (Vec<_>, Vec<_>) = finished.iter().partition(|(row, result, _)| {
        matches!(result, Ok(Done::Plain))
            && !token_probe(row)
            && !hands_over(row)
            && !human_agent(row)
    });
    let plain: Vec<&OutboxRow> = plain.iter().map(|(row, _, _)| row).collect();
    outbox::complete_many(tx.exec(), &plain, now_ms).await?;
    let mut later = super::later::Later::default();
    for (row, result, follow) in other {
        record(tx.exec(), row, result, now_ms).await?;
        if let (Some((refused, owner)), Err(err)) = (follow, result) {
            refusal::follow(
                tx.exec(),
                &mut later,
                row,
                *refused,
                err,
                *owner,
                unavailable,
                now_ms,
            )
            .await?;
            later.flush(tx.exec()).await?;
        }
    }
    tx.commit().await
}

/// Queues the separate pass to the Page Inbox for the user of `row`, whose message was to
/// carry it.
async fn pass_alone(conn: Exec<'_>, row: &OutboxRow, now: i64) -> Result<(), sqlx::Error> {
    let pass = NewRow {
        kind: Kind::Pass,
        body: compose::HANDOVER_METADATA.into(),
        transcript: None,
        author: None,
    };
    outbox::enqueue(
        conn,
        &row.page_id,
        &row.psid,
        &[pass],
        Priority::Urgent,
        now,
    )
    .await
}

/// Whether `row` is an agent's reply with the `HUMAN_AGENT` tag.
fn human_agent(row: &OutboxRow) -> bool {
    row.kind == Kind::Message && row.body.contains("\"HUMAN_AGENT\"")
}

/// Whether `row` hands a conversation to the Page Inbox (a pass, or a message carrying one).
fn hands_over(row: &OutboxRow) -> bool {
    match row.kind {
        Kind::Pass => true,
        Kind::Message => compose::carries_pass(&row.body),
        _ => false,
    }
}

/// The thread owner an app id stands for (`None`: nobody holds the thread).
fn owner_of(app: Option<&str>, baton: &str) -> ThreadOwner {
    match app {
        None => ThreadOwner::Idle,
        Some(a) if a == baton => ThreadOwner::Baton,
        Some(PAGE_INBOX_APP_ID) => ThreadOwner::PageInbox,
        Some(_) => ThreadOwner::Other,
    }
}

/// Whether `row` is the call that checks a token Facebook refused (its last error was 190).
fn token_probe(row: &OutboxRow) -> bool {
    row.error_code
        .as_deref()
        .is_some_and(|c| c.starts_with("190"))
}

/// What a call returned that matters after it.
enum Done {
    Plain,
    /// The page does not take a handover inside a message: the message went out alone, and
    /// the pass follows as a call of its own.
    SentPassLater,
    /// Hold the user's next row this long (typing indicator).
    Hold(u64),
    Profile(messenger::graph::UserProfile),
}

async fn call(graph: &dyn GraphApi, row: &OutboxRow) -> Result<Done, GraphError> {
    match row.kind {
        Kind::Message => {
            let mut request: SendRequest =
                serde_json::from_str(&row.body).map_err(|e| GraphError::Decode(e.to_string()))?;
            if let Some(message) = request.message.as_mut() {
                message.metadata = Some(compose::tag_row(message.metadata.as_deref(), row.id));
            }
            match graph.send(&request).await {
                Ok(_) => Ok(Done::Plain),
                // The older Handover Protocol settings: the message, then the separate pass.
                Err(e)
                    if request.thread_control.is_some()
                        && e.kind() == ErrorKind::ThreadControlUnsupported =>
                {
                    request.thread_control = None;
                    graph.send(&request).await.map(|_| Done::SentPassLater)
                }
                Err(e) => Err(e),
            }
        }
        Kind::Typing => {
            let (request, hold) = compose::parse_typing(&row.body)
                .ok_or_else(|| GraphError::Decode("bad typing row".into()))?;
            graph.send(&request).await.map(|_| Done::Hold(hold))
        }
        Kind::Pass => graph
            .pass_thread_control(&row.psid, PAGE_INBOX_APP_ID, Some(&row.body))
            .await
            .map(|_| Done::Plain),
        Kind::Take => graph
            .take_thread_control(&row.psid, Some(&row.body))
            .await
            .map(|_| Done::Plain),
        Kind::Profile => graph.user_profile(&row.psid).await.map(Done::Profile),
    }
}

async fn record(
    mut conn: Exec<'_>,
    row: &OutboxRow,
    result: &Result<Done, GraphError>,
    now: i64,
) -> Result<(), sqlx::Error> {
    match result {
        Ok(done) => {
            match done {
                // The profile itself was written before the group's transaction.
                Done::Plain | Done::Profile(_) => {}
                Done::Hold(ms) => {
                    outbox::delay_next(conn.reborrow(), row, now + *ms as i64).await?
                }
                Done::SentPassLater => pass_alone(conn.reborrow(), row, now).await?,
            }
            outbox::complete(conn.reborrow(), row, now).await?;
            // A handover went through: the routing problem admins were told about is gone.
            if hands_over(row) && !matches!(done, Done::SentPassLater) {
                settings::remove(conn.reborrow(), keys::HANDOVER_PROBLEM).await?;
            }
            if human_agent(row) {
                settings::remove(conn.reborrow(), keys::HUMAN_AGENT_PROBLEM).await?;
            }
            // The call that checked a refused token went through: the token works again
            // (fixed on Meta's side), so the admins' notice goes.
            if token_probe(row) {
                settings::remove(conn.reborrow(), keys::TOKEN_PROBLEM).await?;
            }
            Ok(())
        }
        Err(err) => {
            let code = err.code().map_or_else(
                || "network".to_owned(),
                |(c, s)| match s {
                    Some(s) => format!("{c}/{s}"),
                    None => c.to_string(),
                },
            );
            let reason = err.plain_message();
            if err.kind() == ErrorKind::TokenExpired {
                // Every call of the page would fail the same way: keep them all waiting, try
                // one a minute, and tell admins (cleared when a page is connected again).
                tracing::error!(id = row.id, %code, "Facebook refuses the page token; the outbox waits");
                let until = now + TOKEN_RETRY_MS;
                outbox::retry_later(conn.reborrow(), row.id, until, &code, reason).await?;
                outbox::pause_page(conn.reborrow(), &row.page_id, until).await?;
                let notice = format!("{TOKEN_NOTICE} (Facebook error {code})");
                return settings::set(conn.reborrow(), keys::TOKEN_PROBLEM, &notice, now / 1000)
                    .await;
            }
            if err.kind() == ErrorKind::HumanAgentNotApproved {
                let notice = "Meta refused an agent's reply sent more than 24 hours after the \
                              customer's last message: this app does not have the Human Agent \
                              permission (Setup → Human Agent permission)";
                settings::set(
                    conn.reborrow(),
                    keys::HUMAN_AGENT_PROBLEM,
                    notice,
                    now / 1000,
                )
                .await?;
            }
            let give_up = now - row.created_ms > GIVE_UP_AFTER_MS;
            if err.is_retryable() && !give_up {
                tracing::warn!(id = row.id, event = row.event_id, kind = %row.kind, attempts = row.attempts, %code, "Graph call failed; will retry");
                outbox::retry_later(
                    conn.reborrow(),
                    row.id,
                    now + backoff_ms(row.attempts),
                    &code,
                    reason,
                )
                .await
            } else {
                tracing::warn!(id = row.id, event = row.event_id, kind = %row.kind, %code, reason, "Graph call failed permanently");
                let reason = if give_up && err.is_retryable() {
                    format!("{reason} (gave up after retrying for an hour)")
                } else {
                    reason.to_owned()
                };
                outbox::fail(conn.reborrow(), row, now, &code, &reason).await?;
                // The confirmation that carried the handover could not go out for its own
                // sake (the window closed, its content): the handover still happens, alone.
                if row.kind == Kind::Message
                    && compose::carries_pass(&row.body)
                    && !err.kind().refuses_handover()
                {
                    pass_alone(conn.reborrow(), row, now).await?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_ms;

    #[test]
    fn backoff_grows_from_a_quarter_second_to_thirty_seconds_with_jitter() {
        for _ in 0..100 {
            let first = backoff_ms(1);
            assert!((125..=250).contains(&first), "{first}");
            let fourth = backoff_ms(4);
            assert!((1000..=2000).contains(&fourth), "{fourth}");
            let late = backoff_ms(30);
            assert!((15_000..=30_000).contains(&late), "{late}");
        }
    }
}
