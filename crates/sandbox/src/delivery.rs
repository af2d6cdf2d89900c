//! Signed webhook delivery to Baton's callback URL: one ordered queue drained by a background
//! task, retried with exponential backoff while the callback fails; every attempt is logged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use messenger::signature::{sign_sha1, sign_sha256, HEADER_SHA1, HEADER_SHA256};
use messenger::Secret;
use serde::Serialize;
use serde_json::json;
use tokio::sync::Notify;

use crate::config::DeliveryConfig;
use crate::world::Outgoing;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Given up after `max_attempts`.
    Failed,
}

/// One HTTP attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub url: String,
    /// HTTP status when the callback answered.
    pub status: Option<u16>,
    /// Transport error text when it did not.
    pub error: Option<String>,
}

/// One webhook POST (one entry, one event) and its attempts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeliveryRecord {
    pub id: u64,
    pub page_id: String,
    /// `messaging` or `standby`.
    pub channel: &'static str,
    /// The exact body bytes sent (and signed).
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
}

impl DeliveryRecord {
    /// The body parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    callback_url: Option<String>,
    /// Ids of the records still to deliver, in order.
    queue: VecDeque<u64>,
    /// The newest records (ids ascending, without gaps); the oldest finished ones are dropped
    /// beyond `max_records`.
    records: VecDeque<DeliveryRecord>,
    next_id: u64,
    max_records: usize,
}

impl State {
    fn record_mut(&mut self, id: u64) -> Option<&mut DeliveryRecord> {
        let first = self.records.front()?.id;
        self.records
            .get_mut(usize::try_from(id.checked_sub(first)?).ok()?)
    }

    /// Drops the oldest finished records beyond the cap (a pending one stops the trim).
    fn trim(&mut self) {
        while self.records.len() > self.max_records
            && self
                .records
                .front()
                .is_some_and(|r| r.status != DeliveryStatus::Pending)
        {
            self.records.pop_front();
        }
    }
}

pub(crate) struct Deliveries {
    state: Mutex<State>,
    wake: Arc<Notify>,
    config: DeliveryConfig,
    secret: Secret,
    http: reqwest::Client,
}

impl Deliveries {
    /// Creates the queue and spawns its worker (needs a Tokio runtime).
    pub fn start(
        config: DeliveryConfig,
        secret: Secret,
        callback_url: Option<String>,
        max_records: usize,
    ) -> Arc<Self> {
        let d = Arc::new(Self {
            state: Mutex::new(State {
                callback_url,
                max_records: max_records.max(1),
                ..Default::default()
            }),
            wake: Arc::new(Notify::new()),
            http: reqwest::Client::builder()
                .timeout(config.timeout)
                .build()
                .unwrap_or_default(),
            config,
            secret,
        });
        tokio::spawn(worker(Arc::downgrade(&d)));
        d
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_callback_url(&self, url: Option<String>) {
        self.lock().callback_url = url;
        self.wake.notify_one();
    }

    pub fn callback_url(&self) -> Option<String> {
        self.lock().callback_url.clone()
    }

    /// Queues events (already in platform order).
    pub fn enqueue(&self, items: Vec<Outgoing>, time: i64) {
        if items.is_empty() {
            return;
        }
        let mut st = self.lock();
        for item in items {
            let channel = item.channel.as_str();
            let body = json!({"object": "page", "entry": [
                {"id": item.page_id, "time": time, channel: [item.event]}
            ]});
            st.next_id += 1;
            let id = st.next_id;
            st.records.push_back(DeliveryRecord {
                id,
                page_id: item.page_id,
                channel,
                body: body.to_string(),
                status: DeliveryStatus::Pending,
                attempts: Vec::new(),
            });
            st.queue.push_back(id);
        }
        st.trim();
        drop(st);
        self.wake.notify_one();
    }

    pub fn records(&self) -> Vec<DeliveryRecord> {
        self.lock().records.iter().cloned().collect()
    }

    /// True when nothing is waiting, or nothing can be sent because no callback is set.
    pub fn is_settled(&self) -> bool {
        let st = self.lock();
        st.queue.is_empty() || st.callback_url.is_none()
    }

    async fn attempt(&self, url: &str, body: &str) -> Attempt {
        let mut req = self
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .body(body.to_owned());
        let secret = self.secret.expose().as_bytes();
        if self.config.sign_sha256 {
            req = req.header(HEADER_SHA256, sign_sha256(secret, body.as_bytes()));
        }
        if self.config.sign_sha1 {
            req = req.header(HEADER_SHA1, sign_sha1(secret, body.as_bytes()));
        }
        match req.send().await {
            Ok(resp) => Attempt {
                url: url.into(),
                status: Some(resp.status().as_u16()),
                error: None,
            },
            Err(e) => Attempt {
                url: url.into(),
                status: None,
                error: Some(e.without_url().to_string()),
            },
        }
    }
}

async fn worker(weak: Weak<Deliveries>) {
    let mut backoff = Duration::ZERO;
    loop {
        let Some(d) = weak.upgrade() else { return };
        let next = {
            let mut st = d.lock();
            match (st.callback_url.clone(), st.queue.front().copied()) {
                (Some(url), Some(id)) => st.record_mut(id).map(|r| (url, id, r.body.clone())),
                _ => None,
            }
        };
        let Some((url, id, body)) = next else {
            let wake = d.wake.clone();
            drop(d);
            let _ = tokio::time::timeout(Duration::from_millis(200), wake.notified()).await;
            continue;
        };
        let attempt = d.attempt(&url, &body).await;
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        let finished = {
            let mut st = d.lock();
            let Some(rec) = st.record_mut(id) else {
                st.queue.pop_front();
                continue;
            };
            rec.attempts.push(attempt);
            let tries = rec.attempts.len() as u32;
            let finished = ok || tries >= d.config.max_attempts;
            if finished {
                rec.status = if ok {
                    DeliveryStatus::Delivered
                } else {
                    tracing::warn!(id = rec.id, "sandbox webhook delivery given up");
                    DeliveryStatus::Failed
                };
                st.queue.pop_front();
                st.trim();
            }
            finished
        };
        if finished {
            backoff = Duration::ZERO;
            continue;
        }
        backoff = if backoff.is_zero() {
            d.config.initial_backoff
        } else {
            (backoff * 2).min(d.config.max_backoff)
        };
        drop(d);
        tokio::time::sleep(backoff).await;
    }
}
