//! What handling one event (or one agent's click) does, as data: the pure core
//! (`decide`, `handover`, `bot`) produces a [`Decision`] from the conversation as it stands,
//! and `engine::write` carries it out in the caller's transaction. Nothing here does I/O,
//! so every rule of the handover story can be tested as a table of cases.

use model::{ConversationState, HandoverCause, Speaker, ThreadOwner};

use crate::storage::repo::outbox::{Kind, NewRow, Priority};

/// The effects of one event on one conversation, in the order they happen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub effects: Vec<Effect>,
}

/// One effect. Order matters: a [`Effect::Move`] that finds the conversation already moved
/// (another event or agent got there first) cancels every effect after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The conversation moves to `state`, with `owner` holding the thread, at `at_ms`: once.
    Move {
        state: ConversationState,
        owner: ThreadOwner,
        at_ms: i64,
    },
    /// Who holds the thread now, without a move.
    Owner(ThreadOwner),
    /// The messages of the handover under way: the confirmation that was sent, the one for
    /// the way back.
    HandoverMessages {
        confirmation: Option<String>,
        back: Option<String>,
    },
    /// A line of the handover ledger.
    Ledger {
        at_ms: i64,
        from: ConversationState,
        to: ConversationState,
        cause: HandoverCause,
        actor: Option<String>,
        detail: String,
    },
    /// A line of the transcript.
    Transcript {
        at_ms: i64,
        who: Speaker,
        text: String,
        mid: Option<String>,
    },
    /// Graph API calls for the user, made in this order.
    Send {
        rows: Vec<NewRow>,
        priority: Priority,
    },
    /// The bot disclosure goes out now.
    Disclosed,
    /// Messenger echoed Baton's own send of outbox row `row`: it arrived.
    Echoed { row: i64 },
}

impl Decision {
    pub fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Graph calls, unless there are none.
    pub fn send(&mut self, rows: Vec<NewRow>, priority: Priority) {
        if !rows.is_empty() {
            self.push(Effect::Send { rows, priority });
        }
    }

    /// Every call the decision queues, in order, with its priority.
    pub fn sends(&self) -> impl Iterator<Item = (&NewRow, Priority)> {
        self.effects.iter().flat_map(|e| match e {
            Effect::Send { rows, priority } => rows.iter().map(|r| (r, *priority)).collect(),
            _ => Vec::new(),
        })
    }

    /// The kinds of the calls it queues, in order.
    pub fn send_kinds(&self) -> Vec<Kind> {
        self.sends().map(|(r, _)| r.kind).collect()
    }

    /// The state the decision moves the conversation to, if it moves it.
    pub fn moves_to(&self) -> Option<ConversationState> {
        self.effects.iter().find_map(|e| match e {
            Effect::Move { state, .. } => Some(*state),
            _ => None,
        })
    }
}
