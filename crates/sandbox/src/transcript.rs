//! What the Simulator shows: per-user transcript "as the user sees it" and the thread view.

use messenger::send::{Button, QuickReply};
use serde::{Deserialize, Serialize};

/// Who a transcript line is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The test user.
    User,
    /// The page, sent by the primary (Baton) app.
    PageBot,
    /// The page, sent by a human in Page Inbox.
    PageAgent,
}

/// One line of the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptItem {
    pub mid: String,
    pub from: Speaker,
    /// Epoch ms (sandbox clock).
    pub timestamp: i64,
    pub text: Option<String>,
    /// Template buttons (page messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Quick replies offered (page messages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// For user lines: the postback / quick-reply payload the tap carried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// For page lines: `message.metadata` given to the Send API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// App that sent a page line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
}

/// A change of thread owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChange {
    pub timestamp: i64,
    /// `pass`, `take`, `release`, `request`, `user_message` (idle thread claimed by primary).
    pub action: String,
    /// App that made the call.
    pub by_app_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub metadata: Option<String>,
}

/// Ownership and window state of one user's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadView {
    pub psid: String,
    pub page_id: String,
    /// Owner app id; `None` when idle.
    pub owner_app_id: Option<String>,
    /// `baton`, `page_inbox`, `idle` or `other`.
    pub owner: &'static str,
    /// App that asked for control (request_thread_control) and has not got it yet.
    pub pending_request_from: Option<String>,
    pub last_user_message_at: Option<i64>,
    /// Standard 24 h window open.
    pub window_open: bool,
    /// Human-agent 7-day window open.
    pub human_agent_window_open: bool,
    pub history: Vec<OwnerChange>,
}
