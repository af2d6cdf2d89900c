//! The setup wizard and Settings → Page as the browser sees them: seven steps, each with the
//! checks Baton ran (in plain words, with how to fix what failed), the boxes an admin ticks
//! for settings no API can read (with the click path of the settings the page has:
//! Conversation Routing, or the older Handover Protocol receivers), and the connected page
//! without any of its secrets.

use serde::{Deserialize, Serialize};

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    Token,
    App,
    Webhook,
    /// Conversation Routing (or the older receivers); stored as "receivers" before.
    #[serde(alias = "receivers")]
    Routing,
    HumanAgent,
    Profile,
    Test,
}

impl SetupStep {
    pub const ALL: [SetupStep; 7] = [
        SetupStep::Token,
        SetupStep::App,
        SetupStep::Webhook,
        SetupStep::Routing,
        SetupStep::HumanAgent,
        SetupStep::Profile,
        SetupStep::Test,
    ];

    /// Stable name used in URLs, forms and the database.
    pub fn slug(self) -> &'static str {
        match self {
            SetupStep::Token => "token",
            SetupStep::App => "app",
            SetupStep::Webhook => "webhook",
            SetupStep::Routing => "routing",
            SetupStep::HumanAgent => "human_agent",
            SetupStep::Profile => "profile",
            SetupStep::Test => "test",
        }
    }

    pub fn parse(slug: &str) -> Result<Self, String> {
        if slug == "receivers" {
            return Ok(SetupStep::Routing); // its name before Conversation Routing came first
        }
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
            SetupStep::Routing => "Routing settings",
            SetupStep::HumanAgent => "Human Agent permission",
            SetupStep::Profile => "Messenger profile",
            SetupStep::Test => "Test message",
        }
    }

    /// 1-based position, for "Step 3 of 7".
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

/// Which page settings the wizard explains: Meta moved every page to Conversation Routing in
/// 2025 (a default app per page), and a few still show the older Handover Protocol settings
/// (Primary and Secondary Receiver).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutingPath {
    /// Conversation Routing: Baton's app is the default app, Page Inbox stays connected.
    ConversationRouting,
    /// The older settings: Baton's app is the Primary Receiver, Page Inbox a Secondary one.
    Classic,
    /// Neither Facebook nor the admin said which: both click paths, Conversation Routing first.
    Unsure,
}

impl RoutingPath {
    /// The confirm-box ids an admin ticks to say which settings their page shows.
    pub const SHOWS_ROUTING: &'static str = "shows-conversation-routing";
    pub const SHOWS_CLASSIC: &'static str = "shows-classic-settings";

    /// What the admin said (their choice wins), else what Facebook said: `msgr_multi_app`
    /// true reads as Conversation Routing; false or nothing is not proof of the older
    /// settings (every page was migrated), so the wizard shows both.
    pub fn of(detected: Option<bool>, confirmed: &[String]) -> Self {
        if confirmed.iter().any(|c| c == Self::SHOWS_CLASSIC) {
            RoutingPath::Classic
        } else if confirmed.iter().any(|c| c == Self::SHOWS_ROUTING) || detected == Some(true) {
            RoutingPath::ConversationRouting
        } else {
            RoutingPath::Unsure
        }
    }

    /// `item`'s click path for this page: the one it has, or both (Conversation Routing
    /// first) when unsure.
    pub fn path(self, item: &ConfirmItem) -> String {
        match (self, item.routing_path, item.classic_path) {
            (RoutingPath::Classic, _, Some(classic)) => classic.to_owned(),
            (RoutingPath::Unsure, routing, Some(classic)) if routing != classic => format!(
                "Under Conversation Routing: {routing} On a page that still shows the older \
                 settings: {classic}"
            ),
            (_, routing, _) => routing.to_owned(),
        }
    }

    /// `item`'s label for this page.
    pub fn label(self, item: &ConfirmItem) -> &'static str {
        match self {
            RoutingPath::Classic => item.classic_label,
            _ => item.label,
        }
    }

    /// Whether `item` applies to this page (some exist only in the older settings).
    pub fn shows(self, item: &ConfirmItem) -> bool {
        self != RoutingPath::ConversationRouting || !item.classic_only
    }
}

/// A page setting no API reports, confirmed by the admin, with where to click under
/// Conversation Routing and (when it exists there) in the older Handover Protocol settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmItem {
    pub id: &'static str,
    /// Under Conversation Routing.
    pub label: &'static str,
    /// In the older settings.
    pub classic_label: &'static str,
    pub routing_path: &'static str,
    pub classic_path: Option<&'static str>,
    /// Only the older settings have it.
    pub classic_only: bool,
}

/// The routing settings an admin confirms by hand (the API cannot read them), Conversation
/// Routing first.
pub const CONFIRM_ITEMS: [ConfirmItem; 4] = [
    ConfirmItem {
        id: "primary-receiver",
        label: "Baton's app is the page's default app for Messenger",
        classic_label: "Baton's app is the Primary Receiver",
        routing_path: "Meta Business Suite → Settings → Business assets → your page → \
                       Conversation routing → Messenger → Default app → choose your Baton app \
                       → Save. Without a default app every connected app answers at once and \
                       Baton cannot take conversations back.",
        classic_path: Some(
            "Facebook page → Settings → Advanced messaging → Connected apps → Primary \
             Receiver for Handover Protocol → Configure → choose your Baton app → Save.",
        ),
        classic_only: false,
    },
    ConfirmItem {
        id: "automations-off",
        label: "Meta's automated responses and AI agent do not answer Messenger",
        classic_label: "Meta's automated responses and AI agent do not answer Messenger",
        routing_path: "Meta Business Suite → Inbox → Automations: turn off Instant reply, Away \
                       message and Frequently asked questions for Messenger, and leave Meta's \
                       Business AI off for Messenger. They answer before Baton does, and a \
                       person's-looking reply from them makes Baton stay silent.",
        classic_path: None,
        classic_only: false,
    },
    ConfirmItem {
        id: "app-live",
        label: "Your Meta app is in Live mode",
        classic_label: "Your Meta app is in Live mode",
        routing_path: "Meta App Dashboard → the App Mode switch at the top → Live. In \
                       Development mode Messenger delivers only to people with a role on the \
                       app.",
        classic_path: None,
        classic_only: false,
    },
    ConfirmItem {
        id: "response-method",
        label: "Response method is \"Partially automated, with some support by people\"",
        classic_label: "Response method is \"Partially automated, with some support by people\"",
        routing_path: "Facebook page → Settings → Advanced messaging → General settings → \
                       Response method → \"Partially automated, with some support by people\" \
                       → Save.",
        classic_path: None,
        classic_only: true,
    },
];

/// Meta approved the Human Agent permission (step 5's box: only App Review can tell).
pub const HUMAN_AGENT_ITEM: ConfirmItem = ConfirmItem {
    id: "human-agent-approved",
    label: "Meta approved the Human Agent permission for this app",
    classic_label: "Meta approved the Human Agent permission for this app",
    routing_path: "Meta App Dashboard → App Review → Permissions and Features → Human Agent \
                   → Request advanced access (describe how people on your page answer \
                   customers). Without it, agents can answer only within 24 hours of the \
                   customer's last message.",
    classic_path: None,
    classic_only: false,
};

/// Page Inbox connected (a Secondary Receiver in the older settings): checked through the
/// API, so no box to tick; its click paths go into the check's message when it fails.
pub const SECONDARY_RECEIVER: ConfirmItem = ConfirmItem {
    id: "secondary-receiver",
    label: "Page Inbox is connected",
    classic_label: "Page Inbox is a Secondary Receiver",
    routing_path: "Meta Business Suite → Settings → Business assets → your page → \
                   Conversation routing → Messenger → make sure \"Page Inbox\" (Meta Business \
                   Suite inbox) is listed among the connected apps that may receive \
                   conversations.",
    classic_path: Some(
        "Facebook page → Settings → Advanced messaging → Connected apps → Secondary Receivers \
         → add \"Page Inbox\" (app id 263902037430900) → Save.",
    ),
    classic_only: false,
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
    /// Which page settings the wizard explains (Facebook's answer, or the admin's).
    pub routing: RoutingPath,
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
    /// Inside the 7 days a person may answer with the `HUMAN_AGENT` tag.
    pub in_human_agent_window: bool,
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

/// The text the routing step's round trip sends with its pass to the Page Inbox.
pub const ROUND_TRIP_MESSAGE: &str = "This is a check from Baton's setup wizard: this \
    conversation goes to the Page Inbox and straight back to the bot.";

/// The text step 5 sends with the `HUMAN_AGENT` tag.
pub const HUMAN_AGENT_TEST_MESSAGE: &str = "This is a check from Baton's setup wizard: a \
    person's reply, as agents send them up to 7 days after your last message.";

/// The text step 7 sends.
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
        assert_eq!(SetupStep::parse("receivers"), Ok(SetupStep::Routing));
        let stored: SetupStep = serde_json::from_str("\"receivers\"").unwrap();
        assert_eq!(stored, SetupStep::Routing);
    }

    #[test]
    fn the_click_paths_follow_the_settings_the_page_shows() {
        let none: Vec<String> = Vec::new();
        let said = |id: &str| vec![id.to_owned()];
        assert_eq!(
            RoutingPath::of(Some(true), &none),
            RoutingPath::ConversationRouting
        );
        assert_eq!(RoutingPath::of(Some(false), &none), RoutingPath::Unsure);
        assert_eq!(RoutingPath::of(None, &none), RoutingPath::Unsure);
        assert_eq!(
            RoutingPath::of(Some(true), &said(RoutingPath::SHOWS_CLASSIC)),
            RoutingPath::Classic,
            "the admin knows best"
        );
        assert_eq!(
            RoutingPath::of(None, &said(RoutingPath::SHOWS_ROUTING)),
            RoutingPath::ConversationRouting
        );
        let default_app = &CONFIRM_ITEMS[0];
        let cr = RoutingPath::ConversationRouting.path(default_app);
        assert!(
            cr.contains("Default app") && !cr.contains("Primary"),
            "{cr}"
        );
        let classic = RoutingPath::Classic.path(default_app);
        assert!(classic.contains("Primary Receiver") && !classic.contains("Default app"));
        let both = RoutingPath::Unsure.path(default_app);
        assert!(
            both.find("Default app") < both.find("Primary Receiver"),
            "{both}"
        );
        let response_method = &CONFIRM_ITEMS[3];
        assert!(!RoutingPath::ConversationRouting.shows(response_method));
        assert!(RoutingPath::Classic.shows(response_method));
        assert_eq!(
            RoutingPath::Classic.label(default_app),
            "Baton's app is the Primary Receiver"
        );
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
