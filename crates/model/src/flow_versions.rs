//! Published flow versions and publish reports as the browser and the CLI see them.

use serde::{Deserialize, Serialize};

/// What happened to the messenger profile (Get Started, persistent menu, greeting) of a
/// published version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// The push is under way (or the process stopped during it).
    Pending,
    /// Every step succeeded.
    Pushed,
    /// At least one step failed; publish or roll back again to re-push.
    Failed,
    /// No page is connected, so nothing was pushed.
    Skipped,
}

impl PushStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PushStatus::Pending => "pending",
            PushStatus::Pushed => "pushed",
            PushStatus::Failed => "failed",
            PushStatus::Skipped => "skipped",
        }
    }

    /// The stored value; an unknown one reads as `Pending`.
    pub fn parse(input: &str) -> Self {
        match input {
            "pushed" => PushStatus::Pushed,
            "failed" => PushStatus::Failed,
            "skipped" => PushStatus::Skipped,
            _ => PushStatus::Pending,
        }
    }
}

/// One published version (without its flow).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub number: i64,
    /// Unix seconds.
    pub published_at: i64,
    /// Email of the publisher, or "cli".
    pub published_by: String,
    /// Change summary against the previous version ("first version" for number 1).
    pub summary: String,
    /// The older version this one re-published, for rollbacks.
    pub rolled_back_from: Option<i64>,
    pub push_status: PushStatus,
    /// One line per push step, in plain words.
    pub push_outcome: Option<String>,
}

/// One step of pushing the messenger profile, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushStep {
    /// E.g. "Get Started button", "persistent menu", "greeting", "unused settings".
    pub what: String,
    pub ok: bool,
    /// E.g. "set (2 items)", "removed from the page (greeting)", or why it failed.
    pub detail: String,
}

impl std::fmt::Display for PushStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mark = if self.ok { "ok" } else { "FAILED" };
        write!(f, "{}: {mark}, {}", self.what, self.detail)
    }
}

/// What `publish` / `rollback` did: the new version and each push step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishReport {
    pub version: VersionInfo,
    /// The page the profile went to, e.g. "Baton Demo (1234567890)"; `None` when no page is
    /// connected.
    pub page: Option<String>,
    /// Empty when no page is connected (see `version.push_status`).
    pub steps: Vec<PushStep>,
}

impl PublishReport {
    /// True when the version is live but the messenger profile could not be fully pushed.
    pub fn push_failed(&self) -> bool {
        self.version.push_status == PushStatus::Failed
    }
}

/// The published flow the bot runs now, as the editor compares the draft against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveVersion {
    pub number: i64,
    pub flow: flows::Flow,
}

/// Everything the Messages editor opens with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditorState {
    /// The draft (an empty flow when nothing was saved yet).
    pub draft: flows::Flow,
    /// The draft's revision (0: never saved); saves send it back (see `SavedDraft`).
    pub revision: i64,
    /// Who saved the draft last and when (unix seconds), if ever.
    pub saved_by: Option<String>,
    pub saved_at: Option<i64>,
    /// The live version, if anything was published.
    pub live: Option<LiveVersion>,
    /// Whether this user may push changes and roll back.
    pub can_publish: bool,
}

/// A draft save the editor made: the revision to base the next save on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDraft {
    pub revision: i64,
}
