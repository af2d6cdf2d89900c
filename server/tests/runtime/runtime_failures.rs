//! The runtime when things go wrong: a Graph API that fails with 5xx and rate limits (retried
//! with backoff until it works), permanent errors (recorded with their plain reason, never
//! retried), and a restart with stored-but-unprocessed events and interrupted calls.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use app::model::Speaker;
use app::server::AppState;
use domain::repo::{conversations, outbox, webhook_events};
use domain::runtime;
use server::startup;

const SECRET: &str = "fake-app-secret";
const PAGE: &str = crate::support::PAGE_ID;
const USER: &str = "24000000000000002";

/// A fake Graph API whose Send API answers with `script` in order, then 200s.
#[derive(Clone)]
struct FakeGraph {
    sends: Arc<AtomicUsize>,
    script: Arc<Vec<(u16, serde_json::Value)>>,
    /// TCP connections Baton opened to it.
    connections: Arc<AtomicUsize>,
}

/// A listener that counts the connections it accepts.
struct Counting {
    inner: tokio::net::TcpListener,
    accepted: Arc<AtomicUsize>,
}

impl axum::serve::Listener for Counting {
    type Io = tokio::net::TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let accepted = axum::serve::Listener::accept(&mut self.inner).await;
        self.accepted.fetch_add(1, Ordering::SeqCst);
        accepted
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

async fn send(State(fake): State<FakeGraph>) -> Response {
    let n = fake.sends.fetch_add(1, Ordering::SeqCst);
    match fake.script.get(n) {
        Some((status, body)) => {
            (StatusCode::from_u16(*status).unwrap(), Json(body.clone())).into_response()
        }
        None => Json(json!({"recipient_id": USER, "message_id": format!("m_{n}")})).into_response(),
    }
}

async fn fake_graph(script: Vec<(u16, serde_json::Value)>) -> (String, FakeGraph) {
    let fake = FakeGraph {
        sends: Arc::new(AtomicUsize::new(0)),
        script: Arc::new(script),
        connections: Arc::new(AtomicUsize::new(0)),
    };
    let app = Router::new()
        .route("/v21.0/me/messages", post(send))
        .route(
            "/v21.0/me/messenger_profile",
            post(|| async { Json(json!({"result": "success"})) }),
        )
        .route(
            "/v21.0/{psid}",
            get(|| async { Json(json!({"first_name": "Ana", "last_name": "Silva", "id": USER})) }),
        )
        .fallback(|| async { Json(json!({"success": true})) })
        .with_state(fake.clone());
    let listener = Counting {
        inner: tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        accepted: fake.connections.clone(),
    };
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v21.0"), fake)
}

fn error(code: i64, subcode: Option<i64>) -> serde_json::Value {
    json!({"error": {"message": "(#x) fake", "type": "OAuthException", "code": code,
                     "error_subcode": subcode, "fbtrace_id": "F"}})
}

async fn baton(db_url: &str) -> (axum::Router, AppState) {
    let state = crate::support::state_on(db_url).await;
    (startup::router(state.clone()), state)
}

async fn setup(graph: &str, db_url: &str) -> (axum::Router, AppState) {
    let (router, state) = baton(db_url).await;
    crate::support::connect_page(&state, graph, SECRET).await;
    crate::support::publish_kit(&state, graph).await;
    (router, state)
}

/// Posts `body` to the webhook, signed, and expects it acknowledged.
async fn deliver(router: &axum::Router, body: Vec<u8>) {
    use tower::ServiceExt;
    let resp = router
        .clone()
        .oneshot(crate::support::signed_webhook(body, SECRET))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn deliver_get_started(router: &axum::Router) {
    let body = std::fs::read(format!(
        "{}/../crates/messenger/tests/fixtures/webhook_postback_get_started.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    deliver(router, body).await;
}

/// Drains until every call is finished, moving the server's clock past each retry's backoff
/// instead of waiting for it; fails if calls are still unfinished after 50 rounds.
async fn finish(state: &AppState, graph: &str) {
    for _ in 0..50 {
        runtime::drain(&state.pool, &state.deliveries, &state.clock, graph)
            .await
            .unwrap();
        if outbox::unfinished(&state.pool).await.unwrap() == 0 {
            return;
        }
        state.clock.advance(Duration::from_secs(5 * 60));
    }
    panic!("outbox never finished");
}

/// Every stored event's status, oldest first.
async fn event_statuses(state: &AppState) -> Vec<String> {
    webhook_events::list(&state.pool, &state.deliveries, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.status)
        .collect()
}

fn message_rows(rows: Vec<outbox::OutboxRow>) -> Vec<outbox::OutboxRow> {
    rows.into_iter()
        .filter(|r| r.kind == outbox::Kind::Message)
        .collect()
}

#[tokio::test]
async fn server_errors_and_rate_limits_are_retried_until_the_message_goes_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let (graph, fake) = fake_graph(vec![
        (500, json!({})),
        (400, error(613, None)),
        (400, error(4, None)),
    ])
    .await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    finish(&state, &graph).await;
    assert_eq!(fake.sends.load(Ordering::SeqCst), 4);
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 4));
    let transcript = conversations::transcript(&state.pool, PAGE, USER)
        .await
        .unwrap();
    assert_eq!(
        transcript.iter().filter(|t| t.who == Speaker::Bot).count(),
        1
    );
}

/// The outbox worker keeps its HTTP connections between rounds: a user's calls go one per
/// round, in order, and all of them travel over the first connection.
#[tokio::test]
async fn the_sender_reuses_its_connection_from_round_to_round() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    let connected = fake.connections.load(Ordering::SeqCst); // publishing's own calls
    deliver_get_started(&router).await;
    // Then the same user writes: a third call for them.
    let text = std::fs::read_to_string(format!(
        "{}/../crates/messenger/tests/fixtures/webhook_message_text.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("24000000000000001", USER);
    deliver(&router, text.into_bytes()).await;
    runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
        .await
        .unwrap();
    let rows = outbox::list_for(&state.pool, PAGE, USER).await.unwrap();
    assert!(rows.len() >= 3, "profile, welcome and answer: {rows:?}");
    assert!(rows.iter().all(|r| r.status == "done"), "{rows:?}");
    assert_eq!(
        fake.connections.load(Ordering::SeqCst) - connected,
        1,
        "{} calls, one per round",
        rows.len()
    );
}

/// A database error while reading the published flow fails the batch instead of marking its
/// events done without an answer: once the database answers again, the user is answered.
#[tokio::test]
async fn a_database_error_reading_the_flow_retries_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
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
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows.len(), 1, "the Get Started answer, once");
    assert_eq!(rows[0].status, "done");
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
}

/// A round that fails after claiming its calls (here: the connected page cannot be read)
/// leaves them "sending". The running worker puts them back before its next round, even when
/// the database keeps failing for a while (then no round runs), and makes them once it
/// works: one reply, no restart needed.
#[tokio::test]
async fn calls_claimed_by_a_failed_round_are_requeued_while_running() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
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
    assert_eq!(fake.sends.load(Ordering::SeqCst), 0);

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
    while fake.sends.load(Ordering::SeqCst) == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, "done");
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
}

/// Facebook refuses the page token (190): queued replies are not failed for good. The outbox
/// waits (one try a minute), admins see why on every screen, and a new connection ends it:
/// the reply then goes out once.
#[tokio::test]
async fn a_refused_page_token_pauses_the_outbox_and_tells_admins() {
    use crate::support::{post_form, TestApp};
    let (graph, fake) = fake_graph(vec![(400, error(190, Some(463)))]).await;
    let app = TestApp::new().await;
    let state = &app.state;
    crate::support::connect_page(state, &graph, SECRET).await;
    crate::support::publish_kit(state, &graph).await;
    deliver_get_started(&app.router).await;
    runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
        .await
        .unwrap();
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows[0].status, "pending", "{rows:?}");
    assert_eq!(rows[0].error_code.as_deref(), Some("190/463"));

    // Admins are told with their session, in words, with the way out; agents are not.
    let admin = app.signed_in(app::model::Role::Admin).await;
    let (status, body) = app
        .send(post_form("/api/auth/session", "", Some(&admin)))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains("no longer accepts the page access token"),
        "{body}"
    );
    assert!(body.contains("Settings"), "{body}");

    let agent = app.signed_in(app::model::Role::Agent).await;
    let (_, body) = app
        .send(post_form("/api/auth/session", "", Some(&agent)))
        .await;
    assert!(!body.contains("page access token"), "{body}");

    // Paused: no call at all until a minute has passed.
    state.clock.advance(Duration::from_secs(30));
    runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
        .await
        .unwrap();
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);

    // A new token is saved: the notice goes, and the reply goes out at its next try.
    crate::support::connect_page(state, &graph, SECRET).await;
    let (_, body) = app
        .send(post_form("/api/auth/session", "", Some(&admin)))
        .await;
    assert!(!body.contains("page access token"), "{body}");
    state.clock.advance(Duration::from_secs(31));
    finish(state, &graph).await;
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 2));
    assert_eq!(fake.sends.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn permanent_errors_are_recorded_with_their_reason_and_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let (graph, fake) = fake_graph(vec![(400, error(551, None))]).await;
    let (router, state) = setup(&graph, &db).await;
    deliver_get_started(&router).await;
    finish(&state, &graph).await;
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows[0].status, "failed");
    let reason = rows[0].error_reason.clone().unwrap();
    assert!(reason.contains("can't receive messages"), "{reason}");
    let transcript = conversations::transcript(&state.pool, PAGE, USER)
        .await
        .unwrap();
    assert!(
        transcript
            .iter()
            .any(|t| t.who == Speaker::System && t.text.contains(&reason)),
        "{transcript:?}"
    );
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
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
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
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
    // ...and processing the same events again changes nothing.
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
    finish(&state, &graph).await;
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_event_that_cannot_be_applied_fails_alone_and_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
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
    let message = |psid: &str, n: i64| {
        json!({"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1_800_000_000_000i64 + n,
               "message": {"mid": format!("m_{psid}_{n}"), "text": "menu"}})
    };
    let body = json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [
        message("a", 1), message("poison", 2), message("b", 3)]}]})
    .to_string()
    .into_bytes();
    deliver(&router, body).await;

    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
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
        assert_eq!(
            message_rows(outbox::list_for(&state.pool, PAGE, psid).await.unwrap()).len(),
            1
        );
    }
}

/// A Graph API that is down (5xx and rate limits, alternately) for its first `outage` sends,
/// then answers and records what each user was sent, in order.
#[derive(Clone, Default)]
struct Outage {
    calls: Arc<AtomicUsize>,
    outage: usize,
    delivered: Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

async fn outage_send(State(g): State<Outage>, Json(sent): Json<serde_json::Value>) -> Response {
    let n = g.calls.fetch_add(1, Ordering::SeqCst);
    if n < g.outage {
        return if n % 2 == 0 {
            (StatusCode::BAD_GATEWAY, "upstream down").into_response()
        } else {
            (StatusCode::BAD_REQUEST, Json(error(613, None))).into_response()
        };
    }
    let to = sent["recipient"]["id"].as_str().unwrap_or("").to_owned();
    g.delivered
        .lock()
        .unwrap()
        .push((to, sent["message"].to_string()));
    Json(json!({"recipient_id": "x", "message_id": format!("m_{n}")})).into_response()
}

#[tokio::test]
async fn a_graph_outage_delays_replies_but_delivers_each_once_in_every_users_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let g = Outage {
        outage: 40,
        ..Default::default()
    };
    let app = Router::new()
        .route("/v21.0/me/messages", post(outage_send))
        .fallback(|| async { Json(json!({"success": true, "first_name": "Ana"})) })
        .with_state(g.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let graph = format!("http://{}/v21.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (router, state) = setup(&graph, &db).await;

    let users: Vec<String> = (0..5).map(|u| format!("2400000000000010{u}")).collect();
    let words = ["menu", "human", "menu", "agent"];
    for (n, word) in words.iter().enumerate() {
        for user in &users {
            let body = json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [{
                "sender": {"id": user}, "recipient": {"id": PAGE},
                "timestamp": 1_800_000_000_000i64 + n as i64,
                "message": {"mid": format!("m_{user}_{n}"), "text": word}}]}]})
            .to_string()
            .into_bytes();
            deliver(&router, body).await;
        }
        // Replies go out while the outage lasts, interleaved with the next messages.
        runtime::process_events(&state.pool, &state.deliveries, &state.clock, 100)
            .await
            .unwrap();
        runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
            .await
            .unwrap();
    }
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 100)
        .await
        .unwrap();
    finish(&state, &graph).await;

    assert!(
        g.calls.load(Ordering::SeqCst) > g.outage,
        "the outage happened"
    );
    let delivered = g.delivered.lock().unwrap().clone();
    let menu = "How can we help?";
    let human = "Click the button below to speak to a real person";
    for user in &users {
        let got: Vec<&str> = delivered
            .iter()
            .filter(|(to, _)| to == user)
            .map(|(_, m)| {
                if m.contains(menu) {
                    "menu"
                } else if m.contains(human) {
                    "human"
                } else {
                    "other"
                }
            })
            .collect();
        assert_eq!(got, ["menu", "human", "menu", "human"], "{user}");
    }
    assert_eq!(outbox::unfinished(&state.pool).await.unwrap(), 0);
}

/// An echo webhook for the page's own send to `psid`, carrying `metadata`.
fn echo(psid: &str, mid: &str, metadata: &str) -> Vec<u8> {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [{
        "sender": {"id": PAGE}, "recipient": {"id": psid}, "timestamp": 1_800_000_000_500i64,
        "message": {"is_echo": true, "app_id": 111111111111111i64, "mid": mid,
                    "metadata": metadata, "text": "How can we help?"}}]}]})
    .to_string()
    .into_bytes()
}

fn bot_lines(transcript: &[domain::repo::conversations::TranscriptRow]) -> usize {
    transcript.iter().filter(|t| t.who == Speaker::Bot).count()
}

/// A crash after Facebook accepted a send but before Baton recorded it: after the restart the
/// message waits for its echo; the echo (which names the outbox row in its metadata) marks it
/// delivered, so it is not sent twice. A message whose echo never comes is sent again once
/// the wait is over.
#[tokio::test]
async fn an_interrupted_send_is_confirmed_by_its_echo_instead_of_sent_twice() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/b.db", dir.path().display());
    let (graph, fake) = fake_graph(vec![]).await;
    let (router, state) = setup(&graph, &db).await;
    let deliver = |body: Vec<u8>| deliver(&router, body);
    let (echoed, silent) = ("24000000000000101", "24000000000000102");
    for (n, psid) in [echoed, silent].into_iter().enumerate() {
        deliver(
            json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": [{
            "sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1_800_000_000_000i64,
            "message": {"mid": format!("m_crash_{n}"), "text": "menu"}}]}]})
            .to_string()
            .into_bytes(),
        )
        .await;
    }
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
    // The process dies with both replies claimed and (as far as anyone knows) sent.
    let sending = "UPDATE outbox SET status = 'sending', attempts = 1 WHERE kind = 'message'";
    crate::support::raw_sql(&state.pool, sending, sending).await;
    let restart = state.clock.now_ms() + runtime::sender::ECHO_WAIT_MS;
    outbox::requeue_in_flight(&state.pool, restart)
        .await
        .unwrap();
    let row = message_rows(outbox::list_for(&state.pool, PAGE, echoed).await.unwrap())[0].clone();
    // Messenger's echo of the reply (as Baton tagged it), delivered and applied.
    let echo_arrives = |mid: &'static str| {
        let deliver = &deliver;
        let state = &state;
        async move {
            deliver(echo(echoed, mid, &format!("baton:main_menu#{}", row.id))).await;
            runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
                .await
                .unwrap();
        }
    };
    // The first reply's echo arrives (it reached the user before the crash).
    echo_arrives("m_echo_1").await;
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, echoed).await.unwrap());
    assert_eq!(rows[0].status, "done");
    finish(&state, &graph).await;

    assert_eq!(
        fake.sends.load(Ordering::SeqCst),
        1,
        "only the reply whose echo never came is sent again"
    );
    for psid in [echoed, silent] {
        let transcript = conversations::transcript(&state.pool, PAGE, psid)
            .await
            .unwrap();
        assert_eq!(bot_lines(&transcript), 1, "{psid}: one bot line");
    }
    // A late or repeated echo changes nothing.
    echo_arrives("m_echo_2").await;
    let transcript = conversations::transcript(&state.pool, PAGE, echoed)
        .await
        .unwrap();
    assert_eq!(bot_lines(&transcript), 1);
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
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows.len(), 1, "the Get Started answer, once");
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
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
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
    let victim = deadlock_victim(2, "outbox", "NEW.status = 'done' AND NEW.kind = 'message'");
    crate::support::raw_sql(&state.pool, "", &victim).await;
    runtime::drain(&state.pool, &state.deliveries, &state.clock, &graph)
        .await
        .unwrap();
    let rows = message_rows(outbox::list_for(&state.pool, PAGE, USER).await.unwrap());
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].status.as_str(), rows[0].attempts), ("done", 1));
    assert_eq!(fake.sends.load(Ordering::SeqCst), 1);
}
