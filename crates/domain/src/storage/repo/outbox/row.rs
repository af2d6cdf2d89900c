//! What an outbox row is: the kind of Graph API call, its body and priority, as stored.

use model::Speaker;

/// What a row asks the Graph API to do. Stored as its `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "lowercase")]
pub enum Kind {
    /// Send API call; body = the `SendRequest` JSON.
    Message,
    /// `typing_on`, then hold the user's next row for `body` milliseconds.
    Typing,
    /// pass_thread_control to the Page Inbox; body = metadata.
    Pass,
    /// take_thread_control; body = metadata.
    Take,
    /// Fetch the user's name and picture once.
    Profile,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Message => "message",
            Kind::Typing => "typing",
            Kind::Pass => "pass",
            Kind::Take => "take",
            Kind::Profile => "profile",
        }
    }
}

/// A row to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow {
    pub kind: Kind,
    pub body: String,
    /// Transcript line (who, text) to write when the call succeeds.
    pub transcript: Option<(Speaker, String)>,
    /// The agent who typed it (agent replies).
    pub author: Option<String>,
}

/// Which calls go first when more are due than the page's send budget allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Bot answers and profile reads.
    Bulk,
    /// Someone waits on these: handover confirmations and calls, agent replies.
    Urgent,
}

impl Priority {
    pub(super) fn as_i64(self) -> i64 {
        match self {
            Priority::Bulk => 0,
            Priority::Urgent => 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub page_id: String,
    pub psid: String,
    pub kind: Kind,
    pub body: String,
    pub transcript_who: Option<Speaker>,
    pub transcript_text: Option<String>,
    pub transcript_author: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub created_ms: i64,
    pub error_code: Option<String>,
    pub error_reason: Option<String>,
    /// The webhook event whose handling queued this row, if any (for log lines).
    pub event_id: Option<i64>,
}

pub(super) const COLUMNS: &str = "id, page_id, psid, kind, body, transcript_who, transcript_text,
    transcript_author, status, attempts, created_ms, error_code, error_reason, event_id";
