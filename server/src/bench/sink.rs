//! The benchmark's Graph API: answers every call at once, as a fast Facebook would, and
//! records each text message sent (recipient and text, in arrival order) so the benchmark can
//! check that every event was answered exactly once and in each user's order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::{json, Value};

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
}

impl Sink {
    /// Serves a new sink on a free local port.
    pub async fn start() -> anyhow::Result<Sink> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let sink = Sink {
            graph_url: format!("http://{}/v21.0", listener.local_addr()?),
            texts: Arc::default(),
            recorded: Arc::default(),
        };
        let app = Router::new().fallback(answer).with_state(sink.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(sink)
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
    if let Some(text) = sent["message"]["text"].as_str() {
        let mut recorded = sink.recorded.lock().unwrap();
        recorded
            .by_user
            .entry(recipient.clone())
            .or_default()
            .push(text.to_owned());
        recorded.last = Some(Instant::now());
        sink.texts.fetch_add(1, Ordering::Relaxed);
    }
    let n = sink.texts.load(Ordering::Relaxed);
    Json(json!({"recipient_id": recipient, "message_id": format!("m_sink_{n}")})).into_response()
}
