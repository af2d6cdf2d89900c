//! A Baton served on a real port with the built-in sandbox page connected and the handover kit
//! published: the sandbox delivers signed webhooks to Baton's /webhook and answers its Graph
//! calls, and `settle` lets the runtime do everything it can. Used by the handover story tests
//! (story.rs, routing.rs).

use app::server::AppState;
use domain::repo::audit::Actor;
use domain::repo::conversations;
use domain::runtime;
use sandbox::{NewUser, Speaker};

pub const PAGE: &str = sandbox::DEFAULT_PAGE_ID;
pub const MENU: &str = "How can we help?";
pub const NOW_HUMAN: &str = "You're now chatting to a real person";
pub const BACK: &str = "You're now back in the bot";

pub struct Live {
    pub state: AppState,
    pub graph: String,
    pub psid: String,
    _dir: tempfile::TempDir,
}

/// A served Baton and one test user, Ana Silva, who has not written yet. The page's bot
/// disclosure is off (`support::quiet_bot`).
pub async fn live() -> Live {
    let (dir, db_url) = super::temp_db();
    let state = super::state_on(&db_url).await;
    let (_, graph) = super::serve_with_sandbox_page(&state).await;
    let user = state
        .sandbox
        .create_user(NewUser {
            first_name: Some("Ana".into()),
            last_name: Some("Silva".into()),
            ..Default::default()
        })
        .unwrap();
    Live {
        state,
        graph,
        psid: user.psid,
        _dir: dir,
    }
}

/// An agent known by name only (no user row in the test database).
pub fn agent_named(name: &str) -> Actor {
    Actor {
        user_id: None,
        name: name.into(),
    }
}

impl Live {
    /// Lets webhooks arrive and the runtime do everything it can now.
    pub async fn settle(&self) {
        for _ in 0..6 {
            self.state.sandbox.settle().await;
            runtime::drain(
                &self.state.pool,
                &self.state.deliveries,
                &self.state.clock,
                &self.graph,
            )
            .await
            .unwrap();
        }
    }

    /// What the user saw from the page, in order (bot and Page Inbox messages).
    pub fn seen(&self) -> Vec<String> {
        self.state
            .sandbox
            .transcript(&self.psid)
            .unwrap()
            .into_iter()
            .filter(|t| t.from != Speaker::User)
            .map(|t| t.text.unwrap_or_default())
            .collect()
    }

    /// Who holds the thread, as the sandbox (Messenger) says: baton, page_inbox, idle, other.
    pub fn owner(&self) -> String {
        self.state
            .sandbox
            .thread(&self.psid)
            .unwrap()
            .owner
            .to_owned()
    }

    /// The conversation's list in Baton: bot, inbox or done.
    pub async fn state_of(&self) -> &'static str {
        self.conversation().await.state.as_str()
    }

    pub async fn conversation(&self) -> conversations::ConversationRow {
        conversations::get(&self.state.pool, PAGE, &self.psid)
            .await
            .unwrap()
            .unwrap()
    }

    /// Changes the sandbox page's settings (routing, refusals, ...).
    pub fn set_page(&self, update: sandbox::PageUpdate) {
        self.state.sandbox.update_page(PAGE, update).unwrap();
    }

    /// The user taps Get Started, and the runtime does what follows.
    pub async fn gets_started(&self) {
        self.state.sandbox.user_get_started(&self.psid).unwrap();
        self.settle().await;
    }

    /// The user writes `text`, and the runtime does what follows.
    pub async fn says(&self, text: &str) {
        self.state.sandbox.user_says(&self.psid, text).unwrap();
        self.settle().await;
    }

    /// The user taps the button titled `title`, and the runtime does what follows.
    pub async fn taps(&self, title: &str) {
        self.state
            .sandbox
            .user_taps_title(&self.psid, title)
            .unwrap();
        self.settle().await;
    }

    /// Get Started, the "human" keyword, then Talk to human: the user asked for a person.
    pub async fn asks_for_a_person(&self) {
        self.gets_started().await;
        self.says("human").await; // keyword → talk_to_human
        self.taps("Talk to human").await;
    }

    /// The conversations in Baton's Inbox list (first page, no search), by psid.
    pub async fn inbox_psids(&self) -> Vec<String> {
        domain::inbox::list_page(
            &self.state.pool,
            &self.state.clock,
            app::model::InboxList::Inbox,
            "",
            None,
            domain::inbox::PAGE_SIZE,
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|c| c.psid)
        .collect()
    }

    /// The ledger as (from, to, cause) triples.
    pub async fn ledger(&self) -> Vec<(String, String, String)> {
        conversations::ledger(&self.state.pool, PAGE, &self.psid)
            .await
            .unwrap()
            .into_iter()
            .map(|l| {
                let (from, to) = (l.from_state.as_str(), l.to_state.as_str());
                (from.to_owned(), to.to_owned(), l.cause.as_str().to_owned())
            })
            .collect()
    }

    /// The texts of Baton's transcript of the conversation.
    pub async fn transcript(&self) -> Vec<String> {
        conversations::transcript(&self.state.pool, PAGE, &self.psid)
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }
}
