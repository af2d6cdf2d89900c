//! The agent inbox as the browser sees it: lists, the pagination cursor, one conversation's
//! detail and what an agent action did. No secrets and no raw Graph payloads in here.

use serde::{Deserialize, Serialize};

use crate::conversation::{ConversationState, HandoverCause, Speaker, ThreadOwner};

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
    pub fn state(self) -> Option<ConversationState> {
        match self {
            InboxList::Inbox => Some(ConversationState::Inbox),
            InboxList::Done => Some(ConversationState::Done),
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
    pub state: ConversationState,
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

/// One transcript line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    pub who: Speaker,
    pub text: String,
    pub at_ms: i64,
    /// The agent who typed it, for replies sent from Baton.
    #[serde(default)]
    pub author: Option<String>,
}

/// One thread-control change (also the handover ledger's row, as the server reads it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct LedgerEntry {
    pub at_ms: i64,
    pub from_state: ConversationState,
    pub to_state: ConversationState,
    pub cause: HandoverCause,
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
    pub thread_owner: ThreadOwner,
    /// last user message + 24 h; `None` when the user never wrote.
    pub window_closes_ms: Option<i64>,
    pub transcript: Vec<TranscriptLine>,
    pub ledger: Vec<LedgerEntry>,
    pub failed_sends: Vec<FailedSend>,
    /// Whether an agent may reply from Baton now, and how.
    pub reply: ReplyRule,
    pub now_ms: i64,
}

/// Whether an agent may message the user from Baton right now (docs/spec.md §2): only while
/// Baton owns the thread; a normal reply (`RESPONSE`) inside the 24 h window, a `HUMAN_AGENT`
/// tagged reply up to 7 days after the user's last message, nothing after that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum ReplyRule {
    /// Inside the 24 h window: sent with `messaging_type` RESPONSE until `until_ms`.
    Response { until_ms: i64 },
    /// Between 24 h and 7 days: sent with the `HUMAN_AGENT` tag until `until_ms`.
    HumanAgent { until_ms: i64 },
    /// The Page Inbox owns the thread: agents reply there, not in Baton.
    PageInbox,
    /// No reply is possible now; `reason` says why in plain words.
    Closed { reason: String },
}

impl ReplyRule {
    /// The rule for a conversation whose thread `owner` is baton | page_inbox | other | idle.
    pub fn for_conversation(
        owner: ThreadOwner,
        last_user_message_ms: Option<i64>,
        now_ms: i64,
    ) -> Self {
        let closed = |reason: &str| ReplyRule::Closed {
            reason: reason.to_owned(),
        };
        match owner {
            ThreadOwner::Baton => {}
            ThreadOwner::PageInbox => return ReplyRule::PageInbox,
            ThreadOwner::Idle => {
                return closed(
                    "Nobody controls this conversation right now, so Baton cannot message \
                     the user. Move it to the inbox or mark it as done first.",
                )
            }
            ThreadOwner::Other => {
                return closed(
                    "Another app controls this conversation, so Baton cannot message the \
                     user. Check the page's conversation routing settings.",
                )
            }
        }
        let Some(last) = last_user_message_ms else {
            return closed(
                "This person has not written to the page yet. Messenger only allows a reply \
                 after they write.",
            );
        };
        if now_ms - last <= WINDOW_MS {
            ReplyRule::Response {
                until_ms: last + WINDOW_MS,
            }
        } else if now_ms - last <= HUMAN_AGENT_WINDOW_MS {
            ReplyRule::HumanAgent {
                until_ms: last + HUMAN_AGENT_WINDOW_MS,
            }
        } else {
            closed(
                "More than 7 days have passed since this person last wrote, so Messenger \
                 does not allow a reply any more. Wait until they write again.",
            )
        }
    }
}

/// What the agent reply did, in words the agent reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyReport {
    /// True when it went out with the `HUMAN_AGENT` tag (more than 24 h after the user wrote).
    pub human_agent: bool,
    pub message: String,
}

/// Longest agent reply: the Send API's text limit.
pub const MAX_REPLY_CHARS: usize = messenger::limits::MAX_TEXT_CHARS;

/// The longest inbox search (names and messages are matched by trigrams; longer terms only
/// cost time).
pub const MAX_SEARCH_CHARS: usize = 100;

/// Checks a search term's length, in plain words.
pub fn check_search(term: &str) -> Result<(), String> {
    let n = term.trim().chars().count();
    if n > MAX_SEARCH_CHARS {
        Err(format!(
            "Search for at most {MAX_SEARCH_CHARS} characters (this is {n})."
        ))
    } else {
        Ok(())
    }
}

/// The inbox's two agent actions. Each is idempotent: asking for the list a conversation is
/// already in changes nothing and says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentAction {
    /// Take the thread back from the Page Inbox and send the back-in-bot message.
    MarkAsDone,
    /// Send the handover message and pass the thread to the Page Inbox.
    MoveToInbox,
}

impl AgentAction {
    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            AgentAction::MarkAsDone => "Mark as done",
            AgentAction::MoveToInbox => "Move to inbox",
        }
    }

    /// What the action did, in the agent's words.
    pub fn report(self, changed: bool) -> AgentActionReport {
        let message = match (self, changed) {
            (AgentAction::MarkAsDone, true) => "Marked as done: the user is back with the bot.",
            (AgentAction::MarkAsDone, false) => {
                "This conversation was already done: nothing was sent."
            }
            (AgentAction::MoveToInbox, true) => {
                "Moved to the inbox: a person in the Page Inbox has the conversation now."
            }
            (AgentAction::MoveToInbox, false) => {
                "This conversation was already in the inbox: nothing was sent."
            }
        };
        AgentActionReport {
            changed,
            message: message.to_owned(),
        }
    }
}

/// What Mark as done / Move to inbox did, in words the agent reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentActionReport {
    /// False when the conversation already was in the requested list (nothing was sent).
    pub changed: bool,
    pub message: String,
}

/// 24 hours in milliseconds: the standard messaging window.
pub const WINDOW_MS: i64 = messenger::limits::STANDARD_WINDOW_MS;

/// 7 days in milliseconds: how long after the user's last message a `HUMAN_AGENT` reply is
/// allowed.
pub const HUMAN_AGENT_WINDOW_MS: i64 = messenger::limits::HUMAN_AGENT_WINDOW_MS;

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

/// Time left until `until_ms`, rounded up: "40 min", "3 h", "5 d"; "no time" when past.
pub fn time_left(now_ms: i64, until_ms: i64) -> String {
    let left = until_ms - now_ms;
    if left <= 0 {
        return "no time".to_owned();
    }
    let mins = (left + 59_999) / 60_000;
    match mins {
        0..=59 => format!("{mins} min"),
        60..=2879 => format!("{} h", mins / 60),
        _ => format!("{} d", mins / 1440),
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
        assert_eq!(window_words(0, Some(3 * 3_600_000)), "Window closes in 3 h");
        assert_eq!(window_words(10, Some(5)), "Window closed");
        assert_eq!(ago(120_000, 0), "2 min ago");
        assert_eq!(time_left(0, 90_000), "2 min");
        assert_eq!(time_left(0, 3 * 3_600_000), "3 h");
        assert_eq!(time_left(0, 5 * WINDOW_MS), "5 d");
        assert_eq!(time_left(10, 5), "no time");
    }

    #[test]
    fn replies_follow_the_owner_and_the_windows() {
        const H: i64 = 3_600_000;
        let now = 1_000 * WINDOW_MS;
        let rule = |owner, last| ReplyRule::for_conversation(owner, last, now);
        assert_eq!(
            rule(ThreadOwner::Baton, Some(now - 2 * H)),
            ReplyRule::Response {
                until_ms: now + 22 * H
            }
        );
        // Exactly 24 h is still inside the window; a minute later needs the tag.
        assert!(matches!(
            rule(ThreadOwner::Baton, Some(now - 24 * H)),
            ReplyRule::Response { .. }
        ));
        assert_eq!(
            rule(ThreadOwner::Baton, Some(now - 24 * H - 60_000)),
            ReplyRule::HumanAgent {
                until_ms: now - 24 * H - 60_000 + HUMAN_AGENT_WINDOW_MS
            }
        );
        assert!(matches!(
            rule(ThreadOwner::Baton, Some(now - 7 * 24 * H)),
            ReplyRule::HumanAgent { .. }
        ));
        let closed = |r: ReplyRule| match r {
            ReplyRule::Closed { reason } => reason,
            other => panic!("expected closed, got {other:?}"),
        };
        assert!(closed(rule(ThreadOwner::Baton, Some(now - 7 * 24 * H - 1))).contains("7 days"));
        assert!(closed(rule(ThreadOwner::Baton, None)).contains("not written"));
        assert_eq!(
            rule(ThreadOwner::PageInbox, Some(now)),
            ReplyRule::PageInbox
        );
        assert!(closed(rule(ThreadOwner::Other, Some(now))).contains("Another app"));
        assert!(closed(rule(ThreadOwner::Idle, Some(now))).contains("Nobody"));
    }
}
