//! Shared types and their validation, compiled for both the browser and the server (no I/O).
//! Each input type has a `parse` that is the single place its rules live.

mod account;
mod conversation;
pub mod error;
mod flow_versions;
mod history;
mod inbox;
mod settings;
mod setup;
mod simulator;
mod time;

pub use account::{
    AuditEntry, Email, NewPassword, PageAlert, Permission, Role, SessionInfo, UserView,
};
pub use conversation::{ConversationState, HandoverCause, Speaker, ThreadOwner};
pub use error::AppError;
pub use flow_versions::{
    EditorState, LiveVersion, PublishReport, PushStatus, PushStep, SavedDraft, VersionInfo,
};
pub use history::History;
pub use inbox::{
    ago, check_search, display_name, time_left, window_words, AgentAction, AgentActionReport,
    ConversationDetail, ConversationPage, ConversationSummary, FailedSend, InboxCounts,
    InboxCursor, InboxList, LedgerEntry, ReplyReport, ReplyRule, TranscriptLine,
    HUMAN_AGENT_WINDOW_MS, MAX_REPLY_CHARS, MAX_SEARCH_CHARS, WINDOW_MS,
};
pub use settings::{BotDisclosure, PageName};
pub use setup::{
    Check, CheckState, ConfirmItem, PageHealth, PageSummary, PendingPage, RecentPerson,
    RoutingPath, SetupStep, SetupView, StepReport, CONFIRM_ITEMS, DEFAULT_BOT_DISCLOSURE,
    HUMAN_AGENT_ITEM, HUMAN_AGENT_TEST_MESSAGE, MAX_BOT_DISCLOSURE_CHARS, ROUND_TRIP_MESSAGE,
    SECONDARY_RECEIVER, TEST_MESSAGE,
};
pub use simulator::{
    offset_words, SimBaton, SimButton, SimFrom, SimLedgerLine, SimLine, SimMenuItem, SimOverview,
    SimOwner, SimPage, SimRefusal, SimUser, SimView, MAX_SIM_TEXT,
};
pub use time::format_time;
