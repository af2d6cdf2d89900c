//! What the runtime's failure tests (runtime_failures.rs, runtime_recovery.rs) share: a fake
//! Graph API that answers with a script of errors, Baton on a database with a page connected
//! and the handover kit published, signed deliveries, and the runtime driven by hand, with the
//! server's clock moved past each retry's backoff.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use app::server::AppState;
use domain::repo::{outbox, webhook_events};
use domain::runtime;
use server::startup;

pub const SECRET: &str = "fake-app-secret";
pub const PAGE: &str = crate::support::PAGE_ID;
pub const USER: &str = "24000000000000002";

/// A fake Graph API whose Send API answers with `script` in order, then 200s.
#[derive(Clone)]
pub struct FakeGraph {
    sends: Arc<AtomicUsize>,
    script: Arc<Vec<(u16, serde_json::Value)>>,
    /// TCP connections Baton opened to it.
    connections: Arc<AtomicUsize>,
}

impl FakeGraph {
    /// How many sends it has answered so far.
    pub fn sent(&self) -> usize {
        self.sends.load(Ordering::SeqCst)
    }

    /// How many TCP connections Baton has opened to it so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
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

/// Serves a [`FakeGraph`] answering with `script`; returns its Graph base URL and itself.
pub async fn fake_graph(script: Vec<(u16, serde_json::Value)>) -> (String, FakeGraph) {
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

/// Meta's error envelope with `code` (and `subcode`).
pub fn error(code: i64, subcode: Option<i64>) -> serde_json::Value {
    json!({"error": {"message": "(#x) fake", "type": "OAuthException", "code": code,
                     "error_subcode": subcode, "fbtrace_id": "F"}})
}

/// Baton's router and state on `db_url`, nothing connected.
pub async fn baton(db_url: &str) -> (axum::Router, AppState) {
    let state = crate::support::state_on(db_url).await;
    (startup::router(state.clone()), state)
}

/// [`baton`] with a page connected to `graph` and the handover kit published.
pub async fn setup(graph: &str, db_url: &str) -> (axum::Router, AppState) {
    let (router, state) = baton(db_url).await;
    crate::support::connect_page(&state, graph, SECRET).await;
    crate::support::publish_kit(&state, graph).await;
    (router, state)
}

/// Posts `body` to the webhook, signed, and expects it acknowledged.
pub async fn deliver(router: &axum::Router, body: Vec<u8>) {
    use tower::ServiceExt;
    let resp = router
        .clone()
        .oneshot(crate::support::signed_webhook(body, SECRET))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

/// A messenger fixture (crates/messenger/tests/fixtures), as text.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../crates/messenger/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// [`USER`] taps Get Started.
pub async fn deliver_get_started(router: &axum::Router) {
    let body = fixture("webhook_postback_get_started.json");
    deliver(router, body.into_bytes()).await;
}

/// A webhook delivery of `events` (the `messaging` array of the page's one entry).
pub fn delivery(events: Vec<serde_json::Value>) -> Vec<u8> {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1, "messaging": events}]})
        .to_string()
        .into_bytes()
}

/// A `messaging` event: `psid` writes `text`, at 1_800_000_000_000 ms + `n`.
pub fn text_event(psid: &str, n: i64, text: &str) -> serde_json::Value {
    json!({"sender": {"id": psid}, "recipient": {"id": PAGE},
           "timestamp": 1_800_000_000_000i64 + n,
           "message": {"mid": format!("m_{psid}_{n}"), "text": text}})
}

/// Applies up to 10 stored events.
pub async fn apply_events(state: &AppState) {
    runtime::process_events(&state.pool, &state.deliveries, &state.clock, 10)
        .await
        .unwrap();
}

/// One round of the runtime: events applied, due calls made through `graph`.
pub async fn drain(state: &AppState, graph: &str) {
    runtime::drain(&state.pool, &state.deliveries, &state.clock, graph)
        .await
        .unwrap();
}

/// Drains until every call is finished, moving the server's clock past each retry's backoff
/// instead of waiting for it; fails if calls are still unfinished after 50 rounds.
pub async fn finish(state: &AppState, graph: &str) {
    for _ in 0..50 {
        drain(state, graph).await;
        if outbox::unfinished(&state.pool).await.unwrap() == 0 {
            return;
        }
        state.clock.advance(Duration::from_secs(5 * 60));
    }
    panic!("outbox never finished");
}

/// Every stored event's status, oldest first.
pub async fn event_statuses(state: &AppState) -> Vec<String> {
    webhook_events::list(&state.pool, &state.deliveries, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.status)
        .collect()
}

/// The outbox's message rows for `psid` (no thread control, no profile).
pub async fn messages_to(state: &AppState, psid: &str) -> Vec<outbox::OutboxRow> {
    outbox::list_for(&state.pool, PAGE, psid)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.kind == outbox::Kind::Message)
        .collect()
}
