//! The Simulator's server functions against Baton served on a real port with the built-in
//! sandbox page and the runtime workers running: a test user's Get Started answered by the
//! published flow, Try draft answering one user from the draft while another gets the
//! published flow, the Page Inbox's Done and Move to inbox as webhooks Baton acts on, and
//! plain refusals for bad input.

use std::time::Duration;

use crate::support::TestApp;
use app::model::{Role, SimFrom, SimUser, SimView};
use app::server::AppState;
use domain::flows;
use domain::repo::audit::Actor;

struct Sim {
    base: String,
    cookie: String,
    http: reqwest::Client,
    state: AppState,
    _app: TestApp,
}

async fn sim() -> Sim {
    let app = TestApp::new().await;
    let state = app.state.clone();
    let (addr, graph) = crate::support::serve_with_sandbox_page(&state).await;
    crate::support::spawn_runtime(&state, &graph);
    let cookie = app.signed_in(Role::Editor).await;
    Sim {
        base: format!("http://{addr}"),
        cookie,
        http: reqwest::Client::new(),
        state,
        _app: app,
    }
}

impl Sim {
    /// Calls a server function as the browser does; returns the status and the body.
    async fn call(&self, name: &str, form: &[(&str, &str)]) -> (u16, String) {
        let path = format!("simulator/{name}");
        crate::support::call_server_fn(&self.http, &self.base, &self.cookie, &path, form).await
    }

    async fn ok<T: serde::de::DeserializeOwned>(&self, name: &str, form: &[(&str, &str)]) -> T {
        let (status, body) = self.call(name, form).await;
        assert_eq!(status, 200, "{name}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn new_user(&self, first: &str) -> String {
        let user: SimUser = self
            .ok("create_user", &[("first_name", first), ("last_name", "")])
            .await;
        user.psid
    }

    async fn act(&self, psid: &str, act: &str, text: &str) -> SimView {
        self.ok(
            "user",
            &[
                ("psid", psid),
                ("act", act),
                ("text", text),
                ("mid", ""),
                ("index", "0"),
            ],
        )
        .await
    }

    async fn inbox(&self, psid: &str, act: &str) -> (u16, String) {
        self.call("page_inbox", &[("psid", psid), ("act", act), ("text", "")])
            .await
    }

    /// Polls the view until `check` holds (the bot answers a moment after the user acts).
    async fn until(&self, psid: &str, what: &str, check: impl Fn(&SimView) -> bool) -> SimView {
        for _ in 0..200 {
            let view: SimView = self.ok("view", &[("psid", psid)]).await;
            if check(&view) {
                return view;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for {what}");
    }
}

fn bot_said(view: &SimView, text: &str) -> bool {
    view.lines
        .iter()
        .any(|l| l.from == SimFrom::Bot && l.text.as_deref() == Some(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_story_runs_through_the_simulator_functions() {
    let s = sim().await;
    let ana = s.new_user("Ana").await;
    let view = s.act(&ana, "get_started", "").await;
    assert!(view.get_started);
    assert_eq!(view.menu.len(), 2, "the published persistent menu");
    let view = s
        .until(&ana, "the menu", |v| bot_said(v, "How can we help?"))
        .await;
    let menu = view.lines.last().unwrap();
    assert_eq!(menu.buttons[1].title, "Talk to human");
    assert_eq!(menu.buttons[0].url.as_deref(), Some("https://example.com"));

    // Talk to human twice: the second tap is the handover button.
    let (status, body) = s
        .call(
            "user",
            &[
                ("psid", &ana),
                ("act", "tap"),
                ("text", ""),
                ("mid", &menu.mid),
                ("index", "1"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let view = s
        .until(&ana, "the talk-to-human message", |v| {
            v.lines
                .iter()
                .any(|l| l.buttons.iter().any(|b| b.title == "Talk to human") && l.mid != menu.mid)
        })
        .await;
    let ask = view.lines.last().unwrap().clone();
    s.ok::<SimView>(
        "user",
        &[
            ("psid", &ana),
            ("act", "tap"),
            ("text", ""),
            ("mid", &ask.mid),
            ("index", "0"),
        ],
    )
    .await;
    let view = s
        .until(&ana, "the Page Inbox to own the thread", |v| {
            v.user.owner == app::model::SimOwner::PageInbox
        })
        .await;
    assert!(
        view.ledger
            .iter()
            .any(|l| l.text == "Baton passed the conversation to the Page Inbox"),
        "{:?}",
        view.ledger
    );

    // The Page Inbox marks it done: Baton gets the thread back and says so.
    let (status, body) = s.inbox(&ana, "done").await;
    assert_eq!(status, 200, "{body}");
    let view = s
        .until(&ana, "back in the bot", |v| {
            bot_said(v, "You're now back in the bot")
        })
        .await;
    assert_eq!(view.user.owner, app::model::SimOwner::Bot);

    // Done again is refused in plain words: the Page Inbox no longer has the thread.
    let (status, body) = s.inbox(&ana, "done").await;
    assert_eq!(status, 400);
    assert!(body.contains("does not have this conversation"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_draft_answers_one_user_from_the_draft() {
    let s = sim().await;
    let mut draft = flows::draft(&s.state.pool).await.unwrap();
    let menu = draft
        .messages
        .iter_mut()
        .find(|m| m.key == "main_menu")
        .unwrap();
    let ::flows::Part::Text(part) = &mut menu.parts[0] else {
        panic!("the main menu starts with text")
    };
    part.text = "What can we do for you?".into();
    flows::save_draft(
        &s.state.pool,
        &s.state.clock,
        &Actor::cli(),
        &::flows::to_json(&draft),
    )
    .await
    .unwrap();

    let ana = s.new_user("Ana").await;
    let bo = s.new_user("Bo").await;
    let view: SimView = s.ok("try_draft", &[("psid", &ana), ("on", "true")]).await;
    assert!(view.user.trying_draft);
    assert_eq!(view.draft_problems, 0);

    s.act(&ana, "say", "menu").await;
    s.act(&bo, "say", "menu").await;
    s.until(&ana, "the draft's menu", |v| {
        bot_said(v, "What can we do for you?")
    })
    .await;
    s.until(&bo, "the published menu", |v| {
        bot_said(v, "How can we help?")
    })
    .await;

    // Stopping the trial goes back to the published flow.
    let view: SimView = s.ok("try_draft", &[("psid", &ana), ("on", "false")]).await;
    assert!(!view.user.trying_draft);
    s.act(&ana, "say", "menu").await;
    s.until(&ana, "the published menu again", |v| {
        bot_said(v, "How can we help?")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_in_plain_words() {
    let s = sim().await;
    let ana = s.new_user("Ana").await;
    let say = |text: String| {
        let ana = ana.clone();
        let s = &s;
        async move {
            s.call(
                "user",
                &[
                    ("psid", &ana),
                    ("act", "say"),
                    ("text", &text),
                    ("mid", ""),
                    ("index", "0"),
                ],
            )
            .await
        }
    };
    let (status, body) = say("   ".into()).await;
    assert_eq!(status, 400);
    assert!(body.contains("Type a message first"), "{body}");
    let (status, body) = say("x".repeat(2001)).await;
    assert_eq!(status, 400);
    assert!(body.contains("at most 2000"), "{body}");

    let (status, body) = s.call("view", &[("psid", "999")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("no longer exists"), "{body}");
    let (status, body) = s.call("advance", &[("minutes", "0")]).await;
    assert_eq!(status, 400);
    assert!(body.contains("1 minute to 30 days"), "{body}");

    // Moving the clock a day on closes the 24 h window the user's message opened.
    s.act(&ana, "say", "hello").await;
    let view: SimView = s.ok("view", &[("psid", &ana)]).await;
    assert!(view.window_open);
    let (status, _) = s.call("advance", &[("minutes", "1500")]).await;
    assert_eq!(status, 200);
    let view: SimView = s.ok("view", &[("psid", &ana)]).await;
    assert!(!view.window_open);
    assert!(view.human_agent_window_open);
    assert_eq!(app::model::offset_words(view.clock_offset_ms), "+1 d 1 h");

    // Removing the user leaves nothing in the sandbox.
    let (status, _) = s.call("remove_user", &[("psid", &ana)]).await;
    assert_eq!(status, 200);
    assert!(s.state.sandbox.users().is_empty());
}
