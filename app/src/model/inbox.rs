//! The agent inbox as the browser sees it: lists, the pagination cursor, one conversation's
//! detail and what an agent action did. No secrets and no raw Graph payloads in here.

use serde::{Deserialize, Serialize};

/// Which conversations a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboxList {
    /// A person owns the thread (state `inbox`).
    #[default]
    Inbox,
    /// Handed back to the bot (state `done`).
    Done,
    /// Every conversation, whatever its state.
    All,
}

impl InboxList {
    pub const ALL: [InboxList; 3] = [InboxList::Inbox, InboxList::Done, InboxList::All];

    pub fn as_str(self) -> &'static str {
        match self {
            InboxList::Inbox => "inbox",
            InboxList::Done => "done",
            InboxList::All => "all",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InboxList::Inbox => "Inbox",
            InboxList::Done => "Done",
            InboxList::All => "All",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim() {
            "inbox" | "" => Ok(InboxList::Inbox),
            "done" => Ok(InboxList::Done),
            "all" => Ok(InboxList::All),
            other => Err(format!("Unknown list \"{other}\": use inbox, done or all.")),
        }
    }

    /// The conversation state this list shows (`None` = all states).
    pub fn state(self) -> Option<&'static str> {
        match self {
            InboxList::Inbox => Some("inbox"),
            InboxList::Done => Some("done"),
            InboxList::All => None,
        }
    }
}

/// Where the next page starts: the (last activity, psid) of the last row shown. Sent to the
/// browser as an opaque string `"<ms>:<psid>"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxCursor {
    pub last_activity_ms: i64,
    pub psid: String,
}

impl InboxCursor {
    /// Empty input = the first page.
    pub fn parse(input: &str) -> Result<Option<Self>, String> {
        let input = input.trim();
        if input.is_empty() {
            return Ok(None);
        }
        let bad = || "That list position is not valid any more: reload the list.".to_owned();
        let (ms, psid) = input.split_once(':').ok_or_else(bad)?;
        let last_activity_ms = ms.parse().map_err(|_| bad())?;
        if psid.is_empty() {
            return Err(bad());
        }
        Ok(Some(Self {
            last_activity_ms,
            psid: psid.to_owned(),
        }))
    }

    pub fn encode(&self) -> String {
        format!("{}:{}", self.last_activity_ms, self.psid)
    }
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationSummary {
    pub psid: String,
    /// First and last name, or "Unknown user" before the profile is known.
    pub name: String,
    /// bot | inbox | done
    pub state: String,
    pub last_text: Option<String>,
    pub last_activity_ms: i64,
}

/// How many conversations each list holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxCounts {
    pub inbox: i64,
    pub done: i64,
    pub all: i64,
}

impl InboxCounts {
    pub fn of(&self, list: InboxList) -> i64 {
        match list {
            InboxList::Inbox => self.inbox,
            InboxList::Done => self.done,
            InboxList::All => self.all,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationPage {
    /// False when no Facebook page (or sandbox page) is connected yet.
    pub connected: bool,
    pub items: Vec<ConversationSummary>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    pub counts: InboxCounts,
    /// The server's clock, so "5 min ago" reads the same on the server and in the browser.
    pub now_ms: i64,
}

/// One transcript line. who: user | bot | agent | page_inbox | system
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub who: String,
    pub text: String,
    pub at_ms: i64,
}

/// One thread-control change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub at_ms: i64,
    pub from_state: String,
    pub to_state: String,
    /// button | keyword | agent | page_inbox | platform
    pub cause: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

/// A Graph call that failed for good, with the plain reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedSend {
    pub at_ms: i64,
    /// What was attempted, in words ("Message", "Handing over to the Page Inbox"...).
    pub what: String,
    /// The message text, when it was a message.
    pub text: Option<String>,
    pub reason: String,
}

/// Everything the conversation view shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub summary: ConversationSummary,
    pub profile_pic: Option<String>,
    /// baton | page_inbox | other | idle
    pub thread_owner: String,
    /// last user message + 24 h; `None` when the user never wrote.
    pub window_closes_ms: Option<i64>,
    pub transcript: Vec<TranscriptLine>,
    pub ledger: Vec<LedgerEntry>,
    pub failed_sends: Vec<FailedSend>,
    pub now_ms: i64,
}

/// What Mark as done / Move to inbox did, in words the agent reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActionReport {
    /// False when the conversation already was in the requested list (nothing was sent).
    pub changed: bool,
    pub message: String,
}

/// 24 hours in milliseconds: the standard messaging window.
pub const WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The display name of a user from the profile fields.
pub fn display_name(first: Option<&str>, last: Option<&str>) -> String {
    let name = [first, last]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if name.is_empty() {
        "Unknown user".to_owned()
    } else {
        name
    }
}

/// The thread owner in words.
pub fn owner_words(owner: &str) -> &'static str {
    match owner {
        "baton" => "the bot",
        "page_inbox" => "a person in the Page Inbox",
        "idle" => "nobody (the thread is idle)",
        _ => "another app",
    }
}

/// Who wrote a transcript line, in words.
pub fn who_words(who: &str) -> &'static str {
    match who {
        "user" => "User",
        "bot" => "Bot",
        "agent" => "Agent",
        "page_inbox" => "Page Inbox",
        _ => "System",
    }
}

/// "just now", "5 min ago", "3 h ago", "2 d ago".
pub fn ago(now_ms: i64, at_ms: i64) -> String {
    let secs = (now_ms - at_ms).max(0) / 1000;
    match secs {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// The 24 h window state: "window closes in 3 h", "window closed", ...
pub fn window_words(now_ms: i64, closes_ms: Option<i64>) -> String {
    let Some(closes) = closes_ms else {
        return "No message from the user yet: the window is closed".to_owned();
    };
    let left = closes - now_ms;
    if left <= 0 {
        return "Window closed".to_owned();
    }
    let mins = (left + 59_999) / 60_000;
    if mins < 60 {
        format!("Window closes in {mins} min")
    } else {
        format!("Window closes in {} h", mins / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = InboxCursor {
            last_activity_ms: 42,
            psid: "a:b".into(),
        };
        assert_eq!(InboxCursor::parse(&c.encode()).unwrap(), Some(c));
        assert_eq!(InboxCursor::parse("").unwrap(), None);
        assert!(InboxCursor::parse("x:1").is_err());
        assert!(InboxCursor::parse("12:").is_err());
        assert!(InboxCursor::parse("12").is_err());
    }

    #[test]
    fn names_lists_and_words() {
        assert_eq!(display_name(Some("Ana"), Some("Silva")), "Ana Silva");
        assert_eq!(display_name(Some("Ana"), None), "Ana");
        assert_eq!(display_name(Some(" "), None), "Unknown user");
        assert_eq!(InboxList::parse("done"), Ok(InboxList::Done));
        assert!(InboxList::parse("bot").is_err());
        assert_eq!(owner_words("page_inbox"), "a person in the Page Inbox");
        assert_eq!(window_words(0, Some(3 * 3_600_000)), "Window closes in 3 h");
        assert_eq!(window_words(10, Some(5)), "Window closed");
        assert_eq!(ago(120_000, 0), "2 min ago");
    }
}
