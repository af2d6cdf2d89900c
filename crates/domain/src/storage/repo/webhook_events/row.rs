//! A stored event as the runtime reads it.

/// A stored event as the runtime reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    /// The webhook delivery that carried it.
    pub delivery_id: i64,
    pub dedupe_key: String,
    pub page_id: String,
    pub channel: String,
    pub kind: String,
    pub sender_id: Option<String>,
    pub timestamp_ms: Option<i64>,
    pub payload: String,
    pub status: String,
}

pub(super) fn mixed_backends() -> sqlx::Error {
    sqlx::Error::Configuration(
        "the deliveries and the main database are on different backends".into(),
    )
}
