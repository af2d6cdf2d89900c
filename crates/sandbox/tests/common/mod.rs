//! Shared test helpers: a sandbox on a random port, a webhook receiver that verifies
//! signatures and can fail on purpose, a Baton GraphClient pointed at the sandbox, the page's
//! settings changed, and Graph API errors and answers read.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use messenger::signature::{self, sign_sha1};
use messenger::webhook::{self, Channel, Event};
use messenger::{GraphClient, GraphError, Secret};
use sandbox::{PageUpdate, Sandbox, SandboxConfig, DEFAULT_APP_SECRET, DEFAULT_PAGE_TOKEN};

pub const PAGE: &str = "1234567890";
pub const BATON: &str = "111111111111111";
pub const INBOX: &str = "263902037430900";

/// One webhook POST as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: Vec<u8>,
    pub sha256: Option<String>,
    pub sha1: Option<String>,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    /// Answer 500 to this many requests first.
    pub fail_first: Arc<AtomicUsize>,
    pub hits: Arc<AtomicUsize>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    r.hits.fetch_add(1, Ordering::SeqCst);
    if r.fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    r.got.lock().unwrap().push(Received {
        body: body.to_vec(),
        sha256: h("x-hub-signature-256"),
        sha1: h("x-hub-signature"),
    });
    StatusCode::OK
}

impl Receiver {
    /// Starts the receiver; returns its callback URL.
    pub async fn start(&self) -> String {
        let app = Router::new()
            .route("/webhook", post(receive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/webhook")
    }

    /// Every received event (signature checked with Baton's verifier), in arrival order.
    pub fn events(&self) -> Vec<(Channel, Event)> {
        let got = self.got.lock().unwrap().clone();
        got.iter()
            .flat_map(|r| {
                signature::verify(DEFAULT_APP_SECRET.as_bytes(), &r.body, r.sha256.as_deref())
                    .expect("valid sha256 signature");
                assert_eq!(
                    r.sha1.as_deref(),
                    Some(sign_sha1(DEFAULT_APP_SECRET.as_bytes(), &r.body).as_str())
                );
                webhook::parse(&r.body)
                    .unwrap()
                    .into_events()
                    .into_iter()
                    .map(|(page, ch, ev)| {
                        assert_eq!(page, PAGE);
                        (ch, ev)
                    })
            })
            .collect()
    }

    pub fn clear(&self) {
        self.got.lock().unwrap().clear();
    }
}

pub struct Env {
    pub sandbox: Sandbox,
    pub base: String,
    pub receiver: Receiver,
    pub client: GraphClient,
}

/// A sandbox served on a random port, with a receiver as callback and fast retries.
pub async fn env() -> Env {
    env_with(SandboxConfig::default()).await
}

pub async fn env_with(mut config: SandboxConfig) -> Env {
    config.delivery.initial_backoff = std::time::Duration::from_millis(20);
    config.delivery.max_backoff = std::time::Duration::from_millis(80);
    let receiver = Receiver::default();
    config.callback_url = Some(receiver.start().await);
    let sandbox = Sandbox::new(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().nest("/sandbox", sandbox.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = format!("http://{addr}/sandbox");
    let client = GraphClient::new(format!("{base}/v21.0"), Secret::new(DEFAULT_PAGE_TOKEN))
        .with_app_secret(&Secret::new(DEFAULT_APP_SECRET));
    Env {
        sandbox,
        base,
        receiver,
        client,
    }
}

impl Env {
    /// Waits for deliveries, then returns what the receiver got and clears it.
    pub async fn take_events(&self) -> Vec<(Channel, Event)> {
        self.sandbox.settle().await;
        let evs = self.receiver.events();
        self.receiver.clear();
        evs
    }

    pub fn user(&self) -> String {
        self.sandbox.create_user(Default::default()).unwrap().psid
    }
}

/// One JSON request to `app` (a sandbox router): the status and the JSON answer (`Null` when
/// the body is not JSON).
pub async fn call_json(
    app: &Router,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map_or(axum::body::Body::empty(), |b| {
            axum::body::Body::from(b.to_string())
        }))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

/// Changes the sandbox page's settings: `f` fills in what changes.
pub fn set_page(env: &Env, f: impl FnOnce(&mut PageUpdate)) {
    let mut update = PageUpdate::default();
    f(&mut update);
    env.sandbox.update_page(PAGE, update).unwrap();
}

/// The HTTP status of a Graph API error (`None` when no answer came).
pub fn http_status(err: &GraphError) -> Option<u16> {
    match err {
        GraphError::Api { status, .. } => Some(*status),
        _ => None,
    }
}

/// The message of a Graph API error, as Meta words it.
pub fn api_message(err: &GraphError) -> String {
    match err {
        GraphError::Api { error, .. } => error.message.clone(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A GET of `url` with `query`: the status and the JSON answer (`Null` when it is not JSON).
pub async fn get_json(url: &str, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}
