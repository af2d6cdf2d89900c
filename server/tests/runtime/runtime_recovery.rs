//! The runtime when the database or the process fails: a database error fails the batch (and
//! the events are applied once it answers again), calls claimed by a failed round are put
//! back, a restart processes what was stored and resends interrupted calls (an echo confirms a
//! send instead of sending it twice), an event that cannot be applied fails alone, and a
//! deadlock on PostgreSQL retries the round. The Graph API's own failures: runtime_failures.rs.

use std::time::Duration;

use serde_json::json;

use app::model::Speaker;
use app::server::AppState;
use domain::repo::{conversations, outbox, webhook_events};
use domain::runtime;

use crate::failure_harness::{
    apply_events, baton, deliver, deliver_get_started, delivery, drain, event_statuses, fake_graph,
    finish, messages_to, setup, text_event, FakeGraph, PAGE, USER,
};

/// A database error while reading the published flow fails the batch instead of marking its
/// events done without an answer: once the database answers again, the user is answered.
#[tokio::test]
async fn a_database_error_reading_the_flow_retries_the_batch() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    // The published versions become unreadable for a while.
    let away = "ALTER TABLE flow_versions RENAME TO flow_versions_away";
    crate::support::raw_sql(&state.pool, away, away).await;
    deliver_get_started(&router).await;
    let failed = runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10).await;
    assert!(failed.is_err(), "{failed:?}");
    let statuses = event_statuses(&state).await;
    assert!(statuses.iter().all(|s| s == "pending"), "{statuses:?}");

    let back = "ALTER TABLE flow_versions_away RENAME TO flow_versions";
    crate::support::raw_sql(&state.pool, back, back).await;
    finish(&state, &graph).await;
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows.len(), 1, "the Get Started answer, once");
    assert_eq!(rows[0].status, "done");
    assert_eq!(fake.sent(), 1);
}

/// A round that fails after claiming its calls (here: the connected page cannot be read)
/// leaves them "sending". The running worker puts them back before its next round, even when
/// the database keeps failing for a while (then no round runs), and makes them once it
/// works: one reply, no restart needed.
#[tokio::test]
async fn calls_claimed_by_a_failed_round_are_requeued_while_running() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    apply_events(&state).await;
    // The sender will claim the calls, then fail to read the connected page; putting rows
    // back to pending fails too, for now.
    crate::support::raw_sql(
        &state.pool,
        "ALTER TABLE pages RENAME TO pages_away;
         CREATE TRIGGER stuck BEFORE UPDATE OF status ON outbox
         WHEN OLD.status = 'sending' AND NEW.status = 'pending'
         BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
        "ALTER TABLE pages RENAME TO pages_away;
         CREATE FUNCTION stuck() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'disk I/O error'; END $$;
         CREATE TRIGGER stuck BEFORE UPDATE OF status ON outbox FOR EACH ROW
         WHEN (OLD.status = 'sending' AND NEW.status = 'pending') EXECUTE FUNCTION stuck()",
    )
    .await;
    crate::support::spawn_runtime(&state, &graph);
    let sending = || async {
        let rows = outbox::list_for(&state.pool, PAGE, USER).await.unwrap();
        rows.iter().filter(|r| r.status == "sending").count()
    };
    let started = std::time::Instant::now();
    while sending().await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing was claimed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(sending().await > 0, "stuck while the database fails");
    assert_eq!(fake.sent(), 0);

    // The database recovers: the rows go back to pending, the reply (after waiting for an
    // echo that never comes) goes out once.
    crate::support::raw_sql(
        &state.pool,
        "DROP TRIGGER stuck; ALTER TABLE pages_away RENAME TO pages",
        "DROP TRIGGER stuck ON outbox; ALTER TABLE pages_away RENAME TO pages",
    )
    .await;
    while sending().await > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "never requeued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    state.clock.advance(Duration::from_millis(
        runtime::sender::ECHO_WAIT_MS as u64 + 1000,
    ));
    while fake.sent() == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "done");
    assert_eq!(fake.sent(), 1);
}

#[tokio::test]
async fn a_restart_processes_what_was_stored_and_resends_interrupted_calls() {
    let (_dir, db) = crate::support::temp_db_url().await;
    let (graph, fake) = fake_graph(vec![]).await;
    {
        // First life: the webhook stored the event, then the process died before the worker ran.
        let (router, state) = setup(&graph, &db).await;
        deliver_get_started(&router).await;
        assert_eq!(
            webhook_events::list(&state.pool, &state.deliveries, Some("pending"))
                .await
                .unwrap()
                .len(),
            1
        );
        state.pool.close().await;
    }
    // Second life on the same database.
    let (_, state) = baton(&db).await;
    apply_events(&state).await;
    assert!(
        webhook_events::list(&state.pool, &state.deliveries, Some("pending"))
            .await
            .unwrap()
            .is_empty()
    );
    // Pretend the process died in the middle of the Graph call...
    let sending = "UPDATE outbox SET status = 'sending'";
    crate::support::raw_sql(&state.pool, sending, sending).await;
    let now = state.clock.now_ms();
    assert_eq!(
        outbox::requeue_in_flight(&state.pool, now).await.unwrap(),
        2
    ); // profile + message
    finish(&state, &graph).await;
    assert_eq!(fake.sent(), 1);
    // ...and processing the same events again changes nothing.
    apply_events(&state).await;
    finish(&state, &graph).await;
    assert_eq!(fake.sent(), 1);
}

#[tokio::test]
async fn an_event_that_cannot_be_applied_fails_alone_and_leaves_no_trace() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, _fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    // Any transcript line for this user makes the database refuse the whole event.
    crate::support::raw_sql(
        &state.pool,
        "CREATE TRIGGER poison BEFORE INSERT ON transcript WHEN NEW.psid = 'poison'
         BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'poisoned'; END $$;
         CREATE TRIGGER poison BEFORE INSERT ON transcript FOR EACH ROW
         WHEN (NEW.psid = 'poison') EXECUTE FUNCTION poison()",
    )
    .await;
    let menu = |psid: &str, n: i64| text_event(psid, n, "menu");
    let body = delivery(vec![menu("a", 1), menu("poison", 2), menu("b", 3)]);
    deliver(&router, body).await;

    apply_events(&state).await;
    let statuses: Vec<(String, String)> =
        webhook_events::list(&state.pool, &state.deliveries, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.sender_id.unwrap_or_default(), e.status))
            .collect();
    assert_eq!(
        statuses,
        [
            ("a".into(), "done".into()),
            ("poison".into(), "failed".into()),
            ("b".into(), "done".into())
        ]
    );
    assert!(conversations::get(&state.pool, PAGE, "poison")
        .await
        .unwrap()
        .is_none());
    assert!(outbox::list_for(&state.pool, PAGE, "poison")
        .await
        .unwrap()
        .is_empty());
    for psid in ["a", "b"] {
        assert_eq!(messages_to(&state, psid).await.len(), 1);
    }
}

/// An echo webhook for the page's own send to `psid`, carrying `metadata`.
fn echo(psid: &str, mid: &str, metadata: &str) -> Vec<u8> {
    delivery(vec![json!({
        "sender": {"id": PAGE}, "recipient": {"id": psid}, "timestamp": 1_800_000_000_500i64,
        "message": {"is_echo": true, "app_id": 111111111111111i64, "mid": mid,
                    "metadata": metadata, "text": "How can we help?"}})])
}

/// How many lines of Baton's transcript of `psid` the bot wrote.
async fn bot_lines(state: &AppState, psid: &str) -> usize {
    let transcript = conversations::transcript(&state.pool, PAGE, psid)
        .await
        .unwrap();
    transcript.iter().filter(|t| t.who == Speaker::Bot).count()
}

/// A crash after Facebook accepted a send but before Baton recorded it: after the restart the
/// message waits for its echo; the echo (which names the outbox row in its metadata) marks it
/// delivered, so it is not sent twice. A message whose echo never comes is sent again once
/// the wait is over.
#[tokio::test]
async fn an_interrupted_send_is_confirmed_by_its_echo_instead_of_sent_twice() {
    let (_dir, db) = crate::support::temp_db();
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    let deliver = |body: Vec<u8>| deliver(&router, body);
    let (echoed, silent) = ("24000000000000101", "24000000000000102");
    for (n, psid) in [echoed, silent].into_iter().enumerate() {
        deliver(delivery(vec![json!({
            "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1_800_000_000_000i64,
            "message": {"mid": format!("m_crash_{n}"), "text": "menu"}})]))
        .await;
    }
    apply_events(&state).await;
    // The process dies with both replies claimed and (as far as anyone knows) sent.
    let sending = "UPDATE outbox SET status = 'sending', attempts = 1 WHERE kind = 'message'";
    crate::support::raw_sql(&state.pool, sending, sending).await;
    let restart = state.clock.now_ms() + runtime::sender::ECHO_WAIT_MS;
    outbox::requeue_in_flight(&state.pool, restart)
        .await
        .unwrap();
    let row = messages_to(&state, echoed).await[0].clone();
    // Messenger's echo of the reply (as Baton tagged it), delivered and applied.
    let echo_arrives = |mid: &'static str| {
        let deliver = &deliver;
        let state = &state;
        async move {
            deliver(echo(echoed, mid, &format!("baton:main_menu#{}", row.id))).await;
            apply_events(state).await;
        }
    };
    // The first reply's echo arrives (it reached the user before the crash).
    echo_arrives("m_echo_1").await;
    let rows = messages_to(&state, echoed).await;
    assert_eq!(rows[0].status, "done");
    finish(&state, &graph).await;

    assert_eq!(
        fake.sent(),
        1,
        "only the reply whose echo never came is sent again"
    );
    for psid in [echoed, silent] {
        assert_eq!(bot_lines(&state, psid).await, 1, "{psid}: one bot line");
    }
    // A late or repeated echo changes nothing.
    echo_arrives("m_echo_2").await;
    assert_eq!(bot_lines(&state, echoed).await, 1);
}

/// On PostgreSQL, `victim` (a trigger function) reports the first `times` writes it sees as a
/// deadlock's victim, as PostgreSQL does to one of two transactions that wait on each other.
/// A sequence counts them: it is not rolled back with the failed transaction.
fn deadlock_victim(times: u32, table: &str, when: &str) -> String {
    format!(
        "CREATE SEQUENCE victim_seen;
         CREATE FUNCTION victim() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF nextval('victim_seen') <= {times} THEN
                 RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected';
             END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER victim BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW
             WHEN ({when}) EXECUTE FUNCTION victim()"
    )
}

/// For the tests of deadlocks: Baton on PostgreSQL with the handover kit and a fake Graph
/// API, or `None` on SQLite, whose single writer cannot deadlock.
async fn on_postgres() -> Option<(String, FakeGraph, axum::Router, AppState)> {
    if !crate::support::on_postgres() {
        eprintln!("skipped: PostgreSQL only (BATON_TEST_BACKEND=postgres): SQLite has one writer");
        return None;
    }
    let (graph, fake) = fake_graph(vec![]).await;
    // A SQLite URL is replaced by a new PostgreSQL database (`crate::support::state_on`).
    let (router, state) = setup(&graph, "sqlite::memory:").await;
    Some((graph, fake, router, state))
}

/// A deadlock is the database's doing, not the event's: the round is rolled back and applied
/// again, and no event is marked failed (under load two of Baton's transactions can wait on
/// each other's conversation rows; before, the event lost that way was never answered).
#[tokio::test]
async fn a_deadlock_while_applying_events_retries_the_round_instead_of_failing_them() {
    let Some((graph, fake, router, state)) = on_postgres().await else {
        return;
    };
    // Two attempts in a row: the round's fast path and its one-by-one pass both hit it.
    crate::support::raw_sql(
        &state.pool,
        "",
        &deadlock_victim(2, "conversations", "TRUE"),
    )
    .await;
    deliver_get_started(&router).await;
    for attempt in 1..=2 {
        let round = runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10).await;
        assert!(round.is_err(), "attempt {attempt}: {round:?}");
        let statuses = event_statuses(&state).await;
        assert!(statuses.iter().all(|s| s == "pending"), "{statuses:?}");
    }
    finish(&state, &graph).await;
    let statuses = event_statuses(&state).await;
    assert!(statuses.iter().all(|s| s == "done"), "{statuses:?}");
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows.len(), 1, "the Get Started answer, once");
    assert_eq!(fake.sent(), 1);
}

/// A call that was made stays made: when the database gives up on recording its result for
/// the moment (a deadlock), recording is tried again, and the message is not put back to be
/// sent a second time.
#[tokio::test]
async fn a_deadlock_while_recording_results_does_not_send_the_message_again() {
    let Some((graph, fake, router, state)) = on_postgres().await else {
        return;
    };
    deliver_get_started(&router).await;
    apply_events(&state).await;
    let victim = deadlock_victim(2, "outbox", "NEW.status = 'done' AND NEW.kind = 'message'");
    crate::support::raw_sql(&state.pool, "", &victim).await;
    drain(&state, &graph).await;
    let rows = messages_to(&state, USER).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 1));
    assert_eq!(fake.sent(), 1);
}
