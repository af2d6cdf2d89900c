//! The Simulator as the browser sees it: test users, one user's chat as their phone shows
//! it, the emulated Page Inbox's view of the thread and the thread-control ledger. Built on
//! the server from the built-in sandbox; no tokens or raw webhook payloads in here.

use serde::{Deserialize, Serialize};

/// One test user in the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimUser {
    pub psid: String,
    pub name: String,
    /// Who has the thread, in words ("the bot", "the Page Inbox", ...).
    pub owner: SimOwner,
    /// Runs the current draft instead of the published flow.
    pub trying_draft: bool,
}

/// The test users, and whether the Simulator can run at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimOverview {
    pub users: Vec<SimUser>,
    /// How many test users the sandbox keeps at most.
    pub max_users: usize,
    /// Something is published (else the bot has nothing to answer with).
    pub published: bool,
}

/// Who owns a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimOwner {
    Bot,
    PageInbox,
    Idle,
    Other,
}

impl SimOwner {
    pub fn parse(owner: &str) -> Self {
        match owner {
            "baton" => SimOwner::Bot,
            "page_inbox" => SimOwner::PageInbox,
            "idle" => SimOwner::Idle,
            _ => SimOwner::Other,
        }
    }

    /// Short label for badges.
    pub fn label(self) -> &'static str {
        match self {
            SimOwner::Bot => "Bot",
            SimOwner::PageInbox => "Page Inbox",
            SimOwner::Idle => "Idle",
            SimOwner::Other => "Another app",
        }
    }
}

/// Who wrote a chat line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimFrom {
    User,
    Bot,
    Agent,
}

/// A button under a page message: tapping sends its postback; a URL button only says where
/// it would go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimButton {
    pub title: String,
    pub url: Option<String>,
}

/// One chat line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLine {
    pub mid: String,
    pub from: SimFrom,
    pub at_ms: i64,
    pub text: Option<String>,
    pub image_url: Option<String>,
    pub buttons: Vec<SimButton>,
    /// Quick-reply titles (tapped by index after the buttons, as on Messenger).
    pub quick_replies: Vec<String>,
}

/// A thread-control change, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimLedgerLine {
    pub at_ms: i64,
    pub text: String,
}

/// One persistent-menu item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimMenuItem {
    pub title: String,
    pub url: Option<String>,
}

/// How the sandbox page refuses handovers (the Simulator's test tools set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimRefusal {
    /// Handovers work.
    Off,
    /// The separate handover calls answer "Handover Protocol APIs disabled"; a message's
    /// own handover still works.
    SeparateCalls,
    /// Every handover is refused.
    All,
    /// Facebook restricted the page from messaging.
    Restricted,
}

impl SimRefusal {
    pub const ALL: [SimRefusal; 4] = [
        SimRefusal::Off,
        SimRefusal::SeparateCalls,
        SimRefusal::All,
        SimRefusal::Restricted,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            SimRefusal::Off => "off",
            SimRefusal::SeparateCalls => "separate_calls",
            SimRefusal::All => "all",
            SimRefusal::Restricted => "restricted",
        }
    }

    pub fn parse(slug: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.slug() == slug)
            .ok_or_else(|| format!("There is no handover setting called {slug:?}."))
    }

    /// For the test tools' picker.
    pub fn words(self) -> &'static str {
        match self {
            SimRefusal::Off => "Handovers work",
            SimRefusal::SeparateCalls => "Only a message's own handover works",
            SimRefusal::All => "Every handover is refused",
            SimRefusal::Restricted => "Facebook restricted the page",
        }
    }
}

/// The sandbox page's routing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPage {
    /// Conversation Routing with Baton as the default app; off: the older receivers.
    pub conversation_routing: bool,
    pub refuse_handovers: SimRefusal,
    /// The app has Meta's Human Agent permission.
    pub human_agent: bool,
}

/// Baton's side of the test user's conversation: its list, and why it got there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimBaton {
    pub state: crate::conversation::ConversationState,
    /// The ledger's last reason, e.g. "a person replied from the Page Inbox".
    pub why: Option<String>,
}

/// Everything the Simulator shows for one test user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimView {
    pub user: SimUser,
    pub lines: Vec<SimLine>,
    /// The page shows the typing indicator.
    pub typing: bool,
    /// The Page Inbox asked for the thread and Baton has not answered yet.
    pub pending_request: bool,
    /// The standard 24 h window and the human-agent 7 day window.
    pub window_open: bool,
    pub human_agent_window_open: bool,
    pub last_user_message_ms: Option<i64>,
    pub ledger: Vec<SimLedgerLine>,
    /// The menu the user sees (the draft's while trying the draft).
    pub menu: Vec<SimMenuItem>,
    /// Get Started can be tapped (the page has it, or the draft being tried does).
    pub get_started: bool,
    /// The sandbox clock, and how far it was moved forward.
    pub now_ms: i64,
    pub clock_offset_ms: i64,
    /// Problems in the draft (only counted while trying it).
    pub draft_problems: usize,
    pub page: SimPage,
    /// `None` until Baton has heard from this user.
    pub baton: Option<SimBaton>,
}

impl SimView {
    /// The index a tap on quick reply `i` of `line` uses (buttons come first).
    pub fn quick_reply_index(line: &SimLine, i: usize) -> usize {
        line.buttons.len() + i
    }
}

/// "+3 h", "+1 d 2 h", or "" when the clock was never moved.
pub fn offset_words(offset_ms: i64) -> String {
    let hours = offset_ms / 3_600_000;
    let mins = (offset_ms % 3_600_000) / 60_000;
    match (hours / 24, hours % 24, mins) {
        (0, 0, 0) => String::new(),
        (0, 0, m) => format!("+{m} min"),
        (0, h, _) => format!("+{h} h"),
        (d, 0, _) => format!("+{d} d"),
        (d, h, _) => format!("+{d} d {h} h"),
    }
}

/// The longest text a test user or the Page Inbox agent may type in the Simulator.
pub const MAX_SIM_TEXT: usize = messenger::limits::MAX_TEXT_CHARS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_offsets_read_as_people_say_them() {
        assert_eq!(offset_words(0), "");
        assert_eq!(offset_words(5 * 60_000), "+5 min");
        assert_eq!(offset_words(3 * 3_600_000), "+3 h");
        assert_eq!(offset_words(7 * 24 * 3_600_000), "+7 d");
        assert_eq!(offset_words(26 * 3_600_000), "+1 d 2 h");
    }

    #[test]
    fn refusals_round_trip_through_their_slugs() {
        for r in SimRefusal::ALL {
            assert_eq!(SimRefusal::parse(r.slug()), Ok(r));
        }
        assert!(SimRefusal::parse("sometimes").is_err());
    }

    #[test]
    fn owners_parse_from_the_sandbox_words() {
        assert_eq!(SimOwner::parse("baton"), SimOwner::Bot);
        assert_eq!(SimOwner::parse("page_inbox").label(), "Page Inbox");
        assert_eq!(SimOwner::parse("xyz"), SimOwner::Other);
    }
}
