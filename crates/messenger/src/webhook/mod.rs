//! Webhook notifications (§2.2, §3): the envelope, a lenient parser over the raw body, and a
//! flattening of every entry into `(page_id, channel, event)`.

mod de;
mod event;
mod kinds;

use serde_json::Value;

use de::{id_from_value, int_from_value};
pub use event::{Event, EventKind};
pub use kinds::{
    AppRoles, Attachment, Delivery, Echo, Message, Postback, QuickReplyTap, Reaction, Read,
    Referral, ReplyTo, RequestThreadControl, ThreadControl,
};

/// The POST body: `{object, entry: [...]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// `"page"` for Messenger.
    pub object: String,
    pub entry: Vec<Entry>,
}

/// One `entry[]`: a page and a batch of events.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Page id.
    pub id: String,
    /// Epoch ms.
    pub time: Option<i64>,
    /// Events for threads this app owns (or idle threads).
    pub messaging: Vec<Event>,
    /// Events for threads another app owns (§5).
    pub standby: Vec<Event>,
    /// `{field, value}` items (feed, dashboard "Test" sends): accepted, not interpreted.
    pub changes: Vec<Change>,
}

/// One `changes[]` item, kept raw.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field: String,
    pub value: Value,
}

/// Where an event arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `entry[].messaging[]`: this app owns the thread (or it is idle).
    Messaging,
    /// `entry[].standby[]`: another app owns the thread; do not reply.
    Standby,
}

impl Channel {
    /// `"messaging"` / `"standby"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Messaging => "messaging",
            Channel::Standby => "standby",
        }
    }
}

/// Why a body could not be read as a webhook envelope.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("webhook body is not valid JSON: {0}")]
    NotJson(String),
    #[error("webhook body is not a JSON object")]
    NotObject,
}

/// Parses a raw webhook body. Fails only when it is not JSON or not an object; unknown event
/// kinds, unknown fields and odd shapes are kept (see [`EventKind::Unknown`]).
pub fn parse(raw_body: &[u8]) -> Result<Envelope, ParseError> {
    let value: Value =
        serde_json::from_slice(raw_body).map_err(|e| ParseError::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(ParseError::NotObject);
    };
    let object = obj
        .get("object")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let entry = list(obj.get("entry")).map(parse_entry).collect();
    Ok(Envelope { object, entry })
}

fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

fn parse_entry(e: &Value) -> Entry {
    Entry {
        id: e.get("id").and_then(id_from_value).unwrap_or_default(),
        time: e.get("time").and_then(int_from_value),
        messaging: list(e.get("messaging"))
            .map(|v| Event::from_value(v.clone()))
            .collect(),
        standby: list(e.get("standby"))
            .map(|v| Event::from_value(v.clone()))
            .collect(),
        changes: list(e.get("changes"))
            .map(|c| Change {
                field: c
                    .get("field")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                value: c.get("value").cloned().unwrap_or(Value::Null),
            })
            .collect(),
    }
}

impl Envelope {
    /// Every `messaging` and `standby` event of every entry, in body order, with its page id.
    /// `changes` are not included; read them from [`Envelope::changes`].
    pub fn events(&self) -> impl Iterator<Item = (&str, Channel, &Event)> {
        self.entry.iter().flat_map(|e| {
            let page = e.id.as_str();
            e.messaging
                .iter()
                .map(move |ev| (page, Channel::Messaging, ev))
                .chain(e.standby.iter().map(move |ev| (page, Channel::Standby, ev)))
        })
    }

    /// Owned version of [`Envelope::events`].
    pub fn into_events(self) -> Vec<(String, Channel, Event)> {
        let mut out = Vec::new();
        for e in self.entry {
            let page = e.id;
            out.extend(
                e.messaging
                    .into_iter()
                    .map(|ev| (page.clone(), Channel::Messaging, ev)),
            );
            out.extend(
                e.standby
                    .into_iter()
                    .map(|ev| (page.clone(), Channel::Standby, ev)),
            );
        }
        out
    }

    /// Every `changes[]` item with its page id (ignored by Baton, surfaced for logging).
    pub fn changes(&self) -> impl Iterator<Item = (&str, &Change)> {
        self.entry
            .iter()
            .flat_map(|e| e.changes.iter().map(move |c| (e.id.as_str(), c)))
    }
}
