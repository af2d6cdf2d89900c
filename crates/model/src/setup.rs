//! The setup wizard and Settings → Page as the browser sees them: six steps, each with the
//! checks Baton ran (in plain words, with how to fix what failed), the boxes an admin ticks
//! for settings no API can read, and the connected page without any of its secrets.

use serde::{Deserialize, Serialize};

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    Token,
    App,
    Webhook,
    Receivers,
    Profile,
    Test,
}

impl SetupStep {
    pub const ALL: [SetupStep; 6] = [
        SetupStep::Token,
        SetupStep::App,
        SetupStep::Webhook,
        SetupStep::Receivers,
        SetupStep::Profile,
        SetupStep::Test,
    ];

    /// Stable name used in URLs, forms and the database.
    pub fn slug(self) -> &'static str {
        match self {
            SetupStep::Token => "token",
            SetupStep::App => "app",
            SetupStep::Webhook => "webhook",
            SetupStep::Receivers => "receivers",
            SetupStep::Profile => "profile",
            SetupStep::Test => "test",
        }
    }

    pub fn parse(slug: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.slug() == slug)
            .ok_or_else(|| format!("There is no setup step called {slug:?}."))
    }

    pub fn title(self) -> &'static str {
        match self {
            SetupStep::Token => "Page token",
            SetupStep::App => "App",
            SetupStep::Webhook => "Webhook",
            SetupStep::Receivers => "Receiver settings",
            SetupStep::Profile => "Messenger profile",
            SetupStep::Test => "Test message",
        }
    }

    /// 1-based position, for "Step 3 of 6".
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> Option<SetupStep> {
        Self::ALL.get(self.number()).copied()
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// Verified and right.
    Pass,
    /// Works, but something deserves attention.
    Warn,
    /// Wrong: the detail says what to do.
    Fail,
    /// Not known yet (e.g. Facebook has not called the webhook yet).
    Waiting,
    /// Cannot be read through the API: the admin confirms it by ticking a box.
    Confirm,
}

impl CheckState {
    /// Short word for badges and screen readers.
    pub fn word(self) -> &'static str {
        match self {
            CheckState::Pass => "OK",
            CheckState::Warn => "Attention",
            CheckState::Fail => "Problem",
            CheckState::Waiting => "Waiting",
            CheckState::Confirm => "To confirm",
        }
    }
}

/// One line of a step's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable id (tests and confirm-boxes use it), e.g. "token", "page-inbox-secondary".
    pub id: String,
    /// What is checked, e.g. "Page Inbox is a secondary receiver".
    pub label: String,
    pub state: CheckState,
    /// The finding in plain words, with how to fix it when it is not right.
    pub detail: String,
}

impl Check {
    pub fn new(id: &str, label: &str, state: CheckState, detail: impl Into<String>) -> Self {
        Check {
            id: id.to_owned(),
            label: label.to_owned(),
            state,
            detail: detail.into(),
        }
    }
}

/// The last checks of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepReport {
    pub step: SetupStep,
    pub checks: Vec<Check>,
    /// Unix seconds.
    pub checked_at: i64,
}

impl StepReport {
    /// Every check passed or only asks for attention (confirm-boxes count once ticked, which
    /// turns them into `Pass`).
    pub fn complete(&self) -> bool {
        !self.checks.is_empty()
            && self
                .checks
                .iter()
                .all(|c| matches!(c.state, CheckState::Pass | CheckState::Warn))
    }

    /// The first check that is not right, if any.
    pub fn first_problem(&self) -> Option<&Check> {
        self.checks.iter().find(|c| {
            matches!(
                c.state,
                CheckState::Fail | CheckState::Waiting | CheckState::Confirm
            )
        })
    }
}

/// A page setting no API reports, confirmed by the admin: where to click, in the classic
/// (Handover Protocol) settings and under Conversation Routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmItem {
    pub id: &'static str,
    pub label: &'static str,
    pub classic_path: &'static str,
    pub routing_path: &'static str,
}

/// The receiver settings of the handover story an admin confirms by hand (the API cannot
/// read them).
pub const CONFIRM_ITEMS: [ConfirmItem; 2] = [
    ConfirmItem {
        id: "response-method",
        label: "Response method is \"Partially automated, with some support by people\"",
        classic_path: "Facebook page → Settings → Advanced messaging (Messenger Platform) → \
                       General settings → Response method → choose \"Partially automated, with \
                       some support by people\" → Save.",
        routing_path: "Meta Business Suite → Settings → Business assets → your page → \
                       Messenger → Response method → \"Partially automated\" → Save.",
    },
    ConfirmItem {
        id: "primary-receiver",
        label: "Baton's app is the Primary Receiver (default app)",
        classic_path: "Facebook page → Settings → Advanced messaging → Connected apps → \
                       Primary Receiver for Handover Protocol → Configure → choose your Baton \
                       app → Save.",
        routing_path: "Meta Business Suite → Settings → Conversation routing → Messenger → \
                       Default app → choose your Baton app → Save. Without a default app \
                       every connected app answers at once and Baton cannot take \
                       conversations back.",
    },
];

/// Page Inbox as a secondary receiver: checked through the API, so no box to tick; its click
/// paths go into the check's message when it fails.
pub const SECONDARY_RECEIVER: ConfirmItem = ConfirmItem {
    id: "secondary-receiver",
    label: "Page Inbox is a Secondary Receiver",
    classic_path: "Facebook page → Settings → Advanced messaging → Connected apps → \
                       Secondary Receivers → add \"Page Inbox\" (app id 263902037430900) → \
                       Save.",
    routing_path: "Meta Business Suite → Settings → Conversation routing → Messenger → \
                       make sure \"Page Inbox\" (Meta Business Suite inbox) is listed as a \
                       connected app that may receive conversations.",
};

/// The connected page, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSummary {
    pub page_id: String,
    pub name: String,
    pub app_id: String,
    pub is_sandbox: bool,
    /// Unix seconds.
    pub connected_at: i64,
}

/// A page whose token step 1 accepted, waiting for step 2 to connect it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPage {
    pub page_id: String,
    pub name: String,
}

/// Everything the wizard shows. No secrets: a connected page has them saved, that is all the
/// browser learns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupView {
    pub page: Option<PageSummary>,
    pub pending: Option<PendingPage>,
    /// The webhook callback URL to paste into the App Dashboard, when Baton knows it.
    pub callback_url: Option<String>,
    /// Unix seconds of the last successful verification handshake.
    pub webhook_verified_at: Option<i64>,
    /// Confirm-box ids the admin ticked.
    pub confirmed: Vec<String>,
    /// The step the admin was on (resumed on return).
    pub current: SetupStep,
    /// The last report of each step that was checked.
    pub reports: Vec<StepReport>,
    /// The page uses Conversation Routing (as far as Facebook told).
    pub conversation_routing: Option<bool>,
}

impl SetupView {
    pub fn report(&self, step: SetupStep) -> Option<&StepReport> {
        self.reports.iter().find(|r| r.step == step)
    }

    pub fn step_complete(&self, step: SetupStep) -> bool {
        self.report(step).is_some_and(StepReport::complete)
    }

    /// How many steps are complete.
    pub fn completed(&self) -> usize {
        SetupStep::ALL
            .iter()
            .filter(|s| self.step_complete(**s))
            .count()
    }
}

/// Someone who wrote to the page recently (step 6 picks the test recipient).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentPerson {
    pub psid: String,
    pub name: String,
    /// Unix ms of their last message, if any.
    pub last_message_ms: Option<i64>,
    /// E.g. "wrote 5 min ago" (worded on the server, which knows the time).
    pub when: String,
    /// Inside the 24-hour window (the bot may write to them).
    pub in_window: bool,
}

/// Settings → Page: the connection's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageHealth {
    pub page: Option<PageSummary>,
    pub checks: Vec<Check>,
    /// Unix seconds.
    pub checked_at: i64,
}

/// What a newly connected page's bot says about itself before its first message and when a
/// user comes back to it from a person (Settings → Facebook Page changes or turns it off).
pub const DEFAULT_BOT_DISCLOSURE: &str = "You're chatting with an automated assistant.";

/// Longest bot disclosure accepted (Messenger's text limit).
pub const MAX_BOT_DISCLOSURE_CHARS: usize = 2000;

/// The text step 6 sends.
pub const TEST_MESSAGE: &str =
    "This is a test message from Baton's setup wizard: the page is connected.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_and_order() {
        for s in SetupStep::ALL {
            assert_eq!(SetupStep::parse(s.slug()), Ok(s));
        }
        assert!(SetupStep::parse("nope").is_err());
        assert_eq!(SetupStep::Token.number(), 1);
        assert_eq!(SetupStep::Token.next(), Some(SetupStep::App));
        assert_eq!(SetupStep::Test.next(), None);
    }

    #[test]
    fn a_report_is_complete_only_without_problems() {
        let mut r = StepReport {
            step: SetupStep::Webhook,
            checks: vec![],
            checked_at: 0,
        };
        assert!(!r.complete(), "no checks yet is not complete");
        r.checks.push(Check::new("a", "A", CheckState::Pass, "ok"));
        r.checks.push(Check::new("b", "B", CheckState::Warn, "hm"));
        assert!(r.complete());
        r.checks
            .push(Check::new("c", "C", CheckState::Waiting, "..."));
        assert!(!r.complete());
        assert_eq!(r.first_problem().map(|c| c.id.as_str()), Some("c"));
    }
}
