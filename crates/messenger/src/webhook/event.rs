//! One webhook event (an item of `messaging[]` / `standby[]`): dispatch on its key, keep raw.

use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::de::{int_from_value, nested_id};
use super::kinds::{
    AppRoles, Delivery, Echo, Message, Postback, Reaction, Read, Referral, RequestThreadControl,
    ThreadControl,
};

/// Keys every event carries besides its event key.
const COMMON_KEYS: [&str; 3] = ["sender", "recipient", "timestamp"];

/// A parsed event plus the raw JSON it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `sender.id`: PSID for inbound events, the page id for echoes.
    pub sender: Option<String>,
    /// `recipient.id`: the page for inbound events, the PSID for echoes.
    pub recipient: Option<String>,
    /// Epoch milliseconds.
    pub timestamp: Option<i64>,
    pub kind: EventKind,
    /// The whole event object as received.
    pub raw: Value,
}

/// What happened. Anything not modelled (optin, policy_enforcement, message_edit, ...) or a
/// known key whose payload has an unexpected shape is kept as `Unknown`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Message(Message),
    Echo(Echo),
    Postback(Postback),
    Referral(Referral),
    Read(Read),
    Delivery(Delivery),
    Reaction(Reaction),
    PassThreadControl(ThreadControl),
    TakeThreadControl(ThreadControl),
    RequestThreadControl(RequestThreadControl),
    AppRoles(AppRoles),
    /// `key` is the event key (`""` if the object had none); `raw` is the value under it.
    Unknown {
        key: String,
        raw: Value,
    },
}

impl EventKind {
    /// The webhook key this kind came from (`"echo"` for echoes).
    pub fn name(&self) -> &str {
        match self {
            EventKind::Message(_) => "message",
            EventKind::Echo(_) => "echo",
            EventKind::Postback(_) => "postback",
            EventKind::Referral(_) => "referral",
            EventKind::Read(_) => "read",
            EventKind::Delivery(_) => "delivery",
            EventKind::Reaction(_) => "reaction",
            EventKind::PassThreadControl(_) => "pass_thread_control",
            EventKind::TakeThreadControl(_) => "take_thread_control",
            EventKind::RequestThreadControl(_) => "request_thread_control",
            EventKind::AppRoles(_) => "app_roles",
            EventKind::Unknown { key, .. } => key,
        }
    }
}

impl Event {
    /// Builds an event from one `messaging[]`/`standby[]` item. Never fails.
    pub fn from_value(raw: Value) -> Self {
        let sender = nested_id(&raw, "sender");
        let recipient = nested_id(&raw, "recipient");
        let timestamp = raw.get("timestamp").and_then(int_from_value);
        let kind = dispatch(&raw);
        Event {
            sender,
            recipient,
            timestamp,
            kind,
            raw,
        }
    }

    /// Key for deduplicating redeliveries (§2.4): messages and echoes by `mid`; postbacks by
    /// `mid` when present, else sender + timestamp + title; everything else by sender,
    /// recipient, timestamp and kind (plus a hash of the raw event when there is no timestamp).
    pub fn dedupe_key(&self) -> String {
        let mid = match &self.kind {
            EventKind::Message(m) => Some(m.mid.as_str()),
            EventKind::Echo(e) => Some(e.mid.as_str()),
            EventKind::Postback(p) => p.mid.as_deref(),
            _ => None,
        };
        if let Some(mid) = mid.filter(|m| !m.is_empty()) {
            return format!("mid:{mid}");
        }
        let sender = self.sender.as_deref().unwrap_or("");
        let ts = self.timestamp.map(|t| t.to_string()).unwrap_or_default();
        if let EventKind::Postback(p) = &self.kind {
            let title = p.title.as_deref().unwrap_or("");
            return format!("postback:{sender}|{ts}|{title}");
        }
        let recipient = self.recipient.as_deref().unwrap_or("");
        let kind = self.kind.name();
        let mut key = format!("{kind}:{sender}|{recipient}|{ts}");
        if self.timestamp.is_none() {
            let digest = Sha256::digest(self.raw.to_string().as_bytes());
            key.push('|');
            key.push_str(&hex::encode(&digest[..8]));
        }
        key
    }
}

fn typed<T: DeserializeOwned>(v: &Value) -> Option<T> {
    T::deserialize(v).ok()
}

fn dispatch(raw: &Value) -> EventKind {
    let Some(obj) = raw.as_object() else {
        return EventKind::Unknown {
            key: String::new(),
            raw: raw.clone(),
        };
    };
    let parsed = if let Some(m) = obj.get("message") {
        if m.get("is_echo").and_then(Value::as_bool) == Some(true) {
            typed(m).map(EventKind::Echo)
        } else {
            typed(m).map(EventKind::Message)
        }
    } else if let Some(v) = obj.get("postback") {
        typed(v).map(EventKind::Postback)
    } else if let Some(v) = obj.get("referral") {
        typed(v).map(EventKind::Referral)
    } else if let Some(v) = obj.get("read") {
        typed(v).map(EventKind::Read)
    } else if let Some(v) = obj.get("delivery") {
        typed(v).map(EventKind::Delivery)
    } else if let Some(v) = obj.get("reaction") {
        typed(v).map(EventKind::Reaction)
    } else if let Some(v) = obj.get("pass_thread_control") {
        typed(v).map(EventKind::PassThreadControl)
    } else if let Some(v) = obj.get("take_thread_control") {
        typed(v).map(EventKind::TakeThreadControl)
    } else if let Some(v) = obj.get("request_thread_control") {
        typed(v).map(EventKind::RequestThreadControl)
    } else if let Some(v) = obj.get("app_roles") {
        typed(v).map(EventKind::AppRoles)
    } else {
        None
    };
    parsed.unwrap_or_else(|| {
        let (key, value) = obj
            .iter()
            .find(|(k, _)| !COMMON_KEYS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .unwrap_or_default();
        EventKind::Unknown { key, raw: value }
    })
}
