//! The benchmark's Graph API: answers every call at once, as a fast Facebook would, and
//! records each text message sent (recipient and text, in arrival order) so the benchmark can
//! check that every event was answered exactly once and in each user's order. Optionally it
//! also behaves like Messenger after a send: it answers only after a delay (so calls are in
//! flight when a test kills the server) and sends the page's echo, with the send's metadata,
//! to the webhook, retrying while the server is down as Facebook does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::target::{APP_ID, APP_SECRET, PAGE_ID};
use messenger::signature;

#[derive(Default)]
struct Recorded {
    /// Texts sent to each recipient, in the order the calls arrived.
    by_user: HashMap<String, Vec<String>>,
    /// When the last text message arrived.
    last: Option<Instant>,
}

/// A running sink. Cloning shares the record.
#[derive(Clone)]
pub struct Sink {
    pub graph_url: String,
    texts: Arc<AtomicU64>,
    recorded: Arc<Mutex<Recorded>>,
    /// Where echoes go (none: no echoes): one webhook, or several instances' in turn.
    echo_to: Arc<Mutex<Vec<String>>>,
    /// How long each send waits after it is recorded before it is answered.
    delay: Duration,
    http: reqwest::Client,
}

impl Sink {
    /// Serves a new sink on a free local port, answering at once, without echoes.
    pub async fn start() -> anyhow::Result<Sink> {
        Sink::start_with(Duration::ZERO).await
    }

    /// A sink that answers each send `delay` after recording it.
    pub async fn start_with(delay: Duration) -> anyhow::Result<Sink> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sink = Sink {
            graph_url: format!("http://{}/v21.0", listener.local_addr()?),
            texts: Arc::default(),
            recorded: Arc::default(),
            echo_to: Arc::default(),
            delay,
            http: reqwest::Client::new(),
        };
        let app = Router::new().fallback(answer).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(sink)
    }

    /// From now on, every text message sent is echoed to `webhook_url` (signed, with the
    /// send's metadata), retried every 200 ms for up to two minutes until acknowledged.
    pub fn echo_to(&self, webhook_url: &str) {
        self.echo_to_any(&[webhook_url.to_owned()]);
    }

    /// Echoes go to these webhooks in turn (instances behind a load balancer); one that
    /// does not acknowledge is skipped for the next.
    pub fn echo_to_any(&self, webhook_urls: &[String]) {
        *self.echo_to.lock().unwrap() = webhook_urls.to_vec();
    }

    /// Text messages received so far.
    pub fn count(&self) -> u64 {
        self.texts.load(Ordering::Relaxed)
    }

    /// When the last text message arrived.
    pub fn last_at(&self) -> Option<Instant> {
        self.recorded.lock().unwrap().last
    }

    /// The texts each recipient got, in order.
    pub fn by_user(&self) -> HashMap<String, Vec<String>> {
        self.recorded.lock().unwrap().by_user.clone()
    }
}

async fn answer(State(sink): State<Sink>, uri: Uri, body: Bytes) -> Response {
    if !uri.path().ends_with("/me/messages") {
        // Profile pushes, user profiles, handover calls: all succeed.
        return Json(json!({"success": true, "first_name": "Bench", "last_name": "User"}))
            .into_response();
    }
    let sent: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let recipient = sent["recipient"]["id"].as_str().unwrap_or("").to_owned();
    let n = if let Some(text) = sent["message"]["text"].as_str() {
        let n = {
            let mut recorded = sink.recorded.lock().unwrap();
            recorded
                .by_user
                .entry(recipient.clone())
                .or_default()
                .push(text.to_owned());
            recorded.last = Some(Instant::now());
            sink.texts.fetch_add(1, Ordering::Relaxed) + 1
        };
        let echo_to = sink.echo_to.lock().unwrap().clone();
        if !echo_to.is_empty() {
            let metadata = sent["message"]["metadata"].as_str().map(str::to_owned);
            tokio::spawn(echo(
                sink.http.clone(),
                echo_to,
                recipient.clone(),
                n,
                text.to_owned(),
                metadata,
            ));
        }
        n
    } else {
        sink.texts.load(Ordering::Relaxed)
    };
    if !sink.delay.is_zero() {
        tokio::time::sleep(sink.delay).await;
    }
    Json(json!({"recipient_id": recipient, "message_id": format!("m_sink_{n}")})).into_response()
}

/// Messenger's echo of send number `n` to `psid`, delivered to one of `urls` (starting at
/// the `n`th, moving on after a failure) until acknowledged.
async fn echo(
    http: reqwest::Client,
    urls: Vec<String>,
    psid: String,
    n: u64,
    text: String,
    metadata: Option<String>,
) {
    let body = json!({"object": "page", "entry": [{"id": PAGE_ID, "time": 1_800_000_000_000i64,
        "messaging": [{"sender": {"id": PAGE_ID}, "recipient": {"id": psid},
        "timestamp": 1_800_000_000_000i64,
        "message": {"is_echo": true, "app_id": APP_ID.parse::<u64>().unwrap_or(0),
                    "mid": format!("m_sink_{n}"), "text": text, "metadata": metadata}}]}]})
    .to_string();
    let sig = signature::sign_sha256(APP_SECRET.as_bytes(), body.as_bytes());
    let until = Instant::now() + Duration::from_secs(120);
    let mut next = n as usize;
    while Instant::now() < until {
        let url = &urls[next % urls.len()];
        next += 1;
        let sent = http
            .post(url)
            .header("content-type", "application/json")
            .header(signature::HEADER_SHA256, &sig)
            .body(body.clone())
            .send()
            .await;
        if matches!(&sent, Ok(r) if r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
