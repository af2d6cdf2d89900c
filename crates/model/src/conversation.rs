//! A conversation's typed state: where it is (bot, inbox, done), who holds the Messenger
//! thread, what moved it and who wrote a transcript line. Each is stored and sent as text
//! (`as_str`: the same text serde and the database use) and read back by serde or sqlx, which
//! refuse a text the code does not know, so it can never slip through as a string.

use serde::{Deserialize, Serialize};

/// Declares one of this module's enums with, for each variant, the text it is stored and sent
/// as and its words for the agent: `Variant => ("text", "Words")`. The one list gives the
/// serde and sqlx names, `as_str`, `words` and `ALL`, so they cannot disagree.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident => ($text:literal, $words:literal),
            )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(type_name = "text"))]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "sqlx", sqlx(rename = $text))]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// In the agent's words.
            pub fn words(self) -> &'static str {
                match self {
                    $($name::$variant => $words,)+
                }
            }
        }
    };
}

text_enum! {
    /// Where a conversation is, as the inbox lists it.
    pub enum ConversationState {
        /// The bot answers (never handed over, or handed back).
        Bot => ("bot", "With the bot"),
        /// A person in the Page Inbox has it.
        Inbox => ("inbox", "Inbox"),
        /// Handed back to the bot by an agent or the Page Inbox.
        Done => ("done", "Done"),
    }
}

text_enum! {
    /// Who holds the Messenger thread (the Handover Protocol's thread owner). Its words
    /// complete "Thread owner: …".
    pub enum ThreadOwner {
        /// Baton (the primary receiver).
        Baton => ("baton", "the bot"),
        /// Meta's Page Inbox (the secondary receiver): a person answers there.
        PageInbox => ("page_inbox", "a person in the Page Inbox"),
        /// Nobody: the thread was released.
        Idle => ("idle", "nobody (the thread is idle)"),
        /// Some other app the page connected.
        Other => ("other", "another app"),
    }
}

text_enum! {
    /// What started a handover or a hand-back, for the ledger. Its words complete
    /// "… (by …)".
    pub enum HandoverCause {
        /// The user tapped a button, quick reply or menu item (or typed a keyword) with a
        /// handover action.
        Button => ("button", "the user's tap"),
        /// An agent clicked Mark as done or Move to inbox in Baton.
        Agent => ("agent", "an agent in Baton"),
        /// A person in the Page Inbox took the thread, moved it or marked it done.
        PageInbox => ("page_inbox", "the Page Inbox"),
        /// Messenger refused a handover call, and the conversation follows who really holds
        /// the thread.
        Messenger => ("messenger", "Messenger"),
    }
}

text_enum! {
    /// Who wrote a transcript line.
    pub enum Speaker {
        /// The Messenger user.
        User => ("user", "User"),
        /// Baton's bot (flow messages).
        Bot => ("bot", "Bot"),
        /// An agent replying from Baton's inbox.
        Agent => ("agent", "Agent"),
        /// A person answering in the Page Inbox (seen as a message echo).
        PageInbox => ("page_inbox", "Page Inbox"),
        /// Baton's own notes: handovers, failed sends.
        System => ("system", "System"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value's text is its serde form, and no two values share one.
    fn assert_text_forms<T: Serialize + Copy>(all: &[T], as_str: fn(T) -> &'static str) {
        for &value in all {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{}\"", as_str(value)));
        }
        let distinct: std::collections::HashSet<_> = all.iter().map(|&v| as_str(v)).collect();
        assert_eq!(distinct.len(), all.len());
    }

    #[test]
    fn text_forms_match_serde_and_are_distinct() {
        assert_text_forms(ConversationState::ALL, ConversationState::as_str);
        assert_text_forms(ThreadOwner::ALL, ThreadOwner::as_str);
        assert_text_forms(HandoverCause::ALL, HandoverCause::as_str);
        assert_text_forms(Speaker::ALL, Speaker::as_str);
        assert_eq!(ThreadOwner::PageInbox.words(), "a person in the Page Inbox");
    }

    #[test]
    fn text_reads_back_and_unknown_text_is_refused() {
        for &state in ConversationState::ALL {
            let json = format!("\"{}\"", state.as_str());
            assert_eq!(
                serde_json::from_str::<ConversationState>(&json).unwrap(),
                state
            );
        }
        assert!(serde_json::from_str::<Speaker>("\"robot\"").is_err());
    }
}
