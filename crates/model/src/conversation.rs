//! A conversation's typed state: where it is (bot, inbox, done), who holds the Messenger
//! thread and what moved it. Both are stored as text (`as_str`) and read back through `parse`, so a value the
//! code does not know can never slip through as a string.

use serde::{Deserialize, Serialize};

/// Where a conversation is, as the inbox lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ConversationState {
    /// The bot answers (never handed over, or handed back).
    Bot,
    /// A person in the Page Inbox has it.
    Inbox,
    /// Handed back to the bot by an agent or the Page Inbox.
    Done,
}

impl ConversationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationState::Bot => "bot",
            ConversationState::Inbox => "inbox",
            ConversationState::Done => "done",
        }
    }

    /// In the agent's words.
    pub fn words(self) -> &'static str {
        match self {
            ConversationState::Bot => "With the bot",
            ConversationState::Inbox => "Inbox",
            ConversationState::Done => "Done",
        }
    }
}

/// Who holds the Messenger thread (the Handover Protocol's thread owner).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum ThreadOwner {
    /// Baton (the primary receiver).
    Baton,
    /// Meta's Page Inbox (the secondary receiver): a person answers there.
    PageInbox,
    /// Nobody: the thread was released.
    Idle,
    /// Some other app the page connected.
    Other,
}

impl ThreadOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadOwner::Baton => "baton",
            ThreadOwner::PageInbox => "page_inbox",
            ThreadOwner::Idle => "idle",
            ThreadOwner::Other => "other",
        }
    }

    /// In the agent's words ("Thread owner: …").
    pub fn words(self) -> &'static str {
        match self {
            ThreadOwner::Baton => "the bot",
            ThreadOwner::PageInbox => "a person in the Page Inbox",
            ThreadOwner::Idle => "nobody (the thread is idle)",
            ThreadOwner::Other => "another app",
        }
    }
}

/// What started a handover or a hand-back, for the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum HandoverCause {
    /// The user tapped a button, quick reply or menu item (or typed a keyword) with a
    /// handover action.
    Button,
    /// An agent clicked Mark as done or Move to inbox in Baton.
    Agent,
    /// A person in the Page Inbox took the thread, moved it or marked it done.
    PageInbox,
    /// Messenger refused a handover call, and the conversation follows who really holds the
    /// thread.
    Messenger,
}

impl HandoverCause {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoverCause::Button => "button",
            HandoverCause::Agent => "agent",
            HandoverCause::PageInbox => "page_inbox",
            HandoverCause::Messenger => "messenger",
        }
    }

    /// In the agent's words ("… (by a button)").
    pub fn words(self) -> &'static str {
        match self {
            HandoverCause::Button => "the user's tap",
            HandoverCause::Agent => "an agent in Baton",
            HandoverCause::PageInbox => "the Page Inbox",
            HandoverCause::Messenger => "Messenger",
        }
    }
}

/// Who wrote a transcript line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(
    feature = "sqlx",
    derive(sqlx::Type),
    sqlx(type_name = "text", rename_all = "snake_case")
)]
pub enum Speaker {
    /// The Messenger user.
    User,
    /// Baton's bot (flow messages).
    Bot,
    /// An agent replying from Baton's inbox.
    Agent,
    /// A person answering in the Page Inbox (seen as a message echo).
    PageInbox,
    /// Baton's own notes: handovers, failed sends.
    System,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::User => "user",
            Speaker::Bot => "bot",
            Speaker::Agent => "agent",
            Speaker::PageInbox => "page_inbox",
            Speaker::System => "system",
        }
    }

    /// In the agent's words.
    pub fn words(self) -> &'static str {
        match self {
            Speaker::User => "User",
            Speaker::Bot => "Bot",
            Speaker::Agent => "Agent",
            Speaker::PageInbox => "Page Inbox",
            Speaker::System => "System",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_forms_match_serde_and_are_distinct() {
        for s in [
            ConversationState::Bot,
            ConversationState::Inbox,
            ConversationState::Done,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for o in [
            ThreadOwner::Baton,
            ThreadOwner::PageInbox,
            ThreadOwner::Idle,
            ThreadOwner::Other,
        ] {
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
        for c in [
            HandoverCause::Button,
            HandoverCause::Agent,
            HandoverCause::PageInbox,
            HandoverCause::Messenger,
        ] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
        }
        for w in [
            Speaker::User,
            Speaker::Bot,
            Speaker::Agent,
            Speaker::PageInbox,
            Speaker::System,
        ] {
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(json, format!("\"{}\"", w.as_str()));
        }
        assert_eq!(ThreadOwner::PageInbox.words(), "a person in the Page Inbox");
    }
}
