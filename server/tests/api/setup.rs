//! The setup wizard's server functions against a sandbox standing in for Facebook (its own
//! port, like graph.facebook.com for a real page) and Baton served on a real port with its
//! runtime: every step, each failure an admin meets (bad / user / expired token, wrong app
//! secret, missing permission, webhook never verified or verified with the wrong token,
//! missing subscription, Page Inbox not a secondary receiver, Conversation Routing) producing
//! its plain message, Settings → Page reporting a setting broken afterwards, the sandbox page
//! in one click, and no response ever carrying a secret.

use std::sync::Mutex;
use std::time::Duration;

use crate::support::TestApp;
use app::model::{
    CheckState, PageHealth, RecentPerson, Role, RoutingPath, SetupStep, SetupView, TEST_MESSAGE,
};
use sandbox::{
    NewUser, PageUpdate, Sandbox, SandboxConfig, DEFAULT_APP_ID, DEFAULT_APP_SECRET,
    DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, EXPIRED_TOKEN, USER_TOKEN,
};
use server::config::ConfigArgs;

const VERIFY: &str = "my-verify-token-123";

struct Wiz {
    base: String,
    cookie: String,
    http: reqwest::Client,
    /// Stands in for Facebook.
    fb: Sandbox,
    app: TestApp,
    /// Every response body, to look for secrets at the end.
    seen: Mutex<Vec<String>>,
}

async fn wizard() -> Wiz {
    let fb_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fb_addr = fb_listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fb = Sandbox::new(SandboxConfig {
        callback_url: Some(format!("http://{addr}/webhook")),
        ..Default::default()
    });
    tokio::spawn(sandbox::serve_listener(fb_listener, fb.clone()));
    let graph = format!("http://{fb_addr}/v21.0");
    let app = TestApp::with_config(ConfigArgs {
        graph_api_url: Some(graph.clone()),
        public_url: Some("https://baton.example.com".into()),
        ..Default::default()
    })
    .await;
    let state = app.state.clone();
    let service = server::startup::router(state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    // The built-in sandbox (for "Use the sandbox page") delivers to this server too.
    state
        .sandbox
        .set_callback_url(Some(format!("http://{addr}/webhook")));
    crate::support::spawn_runtime(&state, &graph);
    let cookie = app.signed_in(Role::Admin).await;
    Wiz {
        base: format!("http://{addr}"),
        cookie,
        http: reqwest::Client::new(),
        fb,
        app,
        seen: Mutex::new(Vec::new()),
    }
}

impl Wiz {
    async fn call(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let (status, body) =
            crate::support::call_server_fn(&self.http, &self.base, &self.cookie, path, form).await;
        self.seen.lock().unwrap().push(body.clone());
        (status, body)
    }

    async fn ok<T: serde::de::DeserializeOwned>(&self, path: &str, form: &[(&str, &str)]) -> T {
        let (status, body) = self.call(path, form).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    async fn refused(&self, path: &str, form: &[(&str, &str)]) -> String {
        let (status, body) = self.call(path, form).await;
        assert!(status >= 400, "{path} should be refused: {body}");
        body
    }

    async fn check(&self, step: SetupStep) -> SetupView {
        self.ok("setup/check", &[("step", step.slug())]).await
    }

    async fn token(&self, token: &str) -> SetupView {
        self.ok("setup/check_token", &[("token", token)]).await
    }

    async fn save_app(&self, secret: &str) -> SetupView {
        self.ok(
            "setup/save_app",
            &[
                ("app_id", DEFAULT_APP_ID),
                ("app_secret", secret),
                ("verify_token", VERIFY),
            ],
        )
        .await
    }

    fn break_page(&self, update: PageUpdate) {
        self.fb.update_page(DEFAULT_PAGE_ID, update).unwrap();
    }

    /// Steps 1–3 done: token, app, verified and subscribed webhook.
    async fn connected(&self) -> SetupView {
        self.token(DEFAULT_PAGE_TOKEN).await;
        self.save_app(DEFAULT_APP_SECRET).await;
        assert!(self.fb.verify_webhook(VERIFY, None).await.unwrap().verified);
        self.ok("setup/subscribe", &[]).await
    }

    /// A person writes to the page and Baton has stored their conversation.
    async fn someone_writes(&self, first_name: &str) -> String {
        let user = self
            .fb
            .create_user(NewUser {
                first_name: Some(first_name.into()),
                ..Default::default()
            })
            .unwrap();
        self.fb.user_says(&user.psid, "hello").unwrap();
        self.fb.settle().await;
        for _ in 0..100 {
            let people: Vec<RecentPerson> = self.ok("setup/recent_people", &[]).await;
            if people.iter().any(|p| p.psid == user.psid) {
                return user.psid;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the conversation of {first_name} never reached Baton");
    }

    fn assert_no_secret_seen(&self) {
        for body in self.seen.lock().unwrap().iter() {
            for secret in [DEFAULT_PAGE_TOKEN, DEFAULT_APP_SECRET, VERIFY] {
                assert!(
                    !body.contains(secret),
                    "a response carries {secret:?}: {body}"
                );
            }
        }
    }
}

/// The check `id` of `step`'s last report: (state, detail).
fn check(v: &SetupView, step: SetupStep, id: &str) -> (CheckState, String) {
    let report = v
        .report(step)
        .unwrap_or_else(|| panic!("no report for {step:?}: {v:?}"));
    let c = report
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {:?}", report.checks));
    (c.state, c.detail.clone())
}

fn health_check(h: &PageHealth, id: &str) -> (CheckState, String) {
    let c = h
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {:?}", h.checks));
    (c.state, c.detail.clone())
}

#[tokio::test]
async fn step_one_says_what_is_wrong_with_each_kind_of_token() {
    let w = wizard().await;
    let v: SetupView = w.ok("setup/status", &[]).await;
    assert_eq!(v.current, SetupStep::Token);
    assert!(v.page.is_none() && v.pending.is_none());

    let v = w.token("EAAB-not-a-real-token").await;
    let (state, text) = check(&v, SetupStep::Token, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("does not accept this page access token"),
        "{text}"
    );
    assert!(v.pending.is_none());

    let v = w.token(USER_TOKEN).await;
    let (state, text) = check(&v, SetupStep::Token, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("user access token"), "{text}");
    assert!(text.contains("Sam Sandbox"), "{text}");

    let v = w.token(EXPIRED_TOKEN).await;
    let (_, text) = check(&v, SetupStep::Token, "token");
    assert!(text.contains("has expired"), "{text}");

    let body = w
        .refused("setup/check_token", &[("token", "two words")])
        .await;
    assert!(body.contains("must not contain spaces"), "{body}");

    let v = w.token(DEFAULT_PAGE_TOKEN).await;
    assert_eq!(check(&v, SetupStep::Token, "token").0, CheckState::Pass);
    let pending = v.pending.expect("the page waits for step 2");
    assert_eq!(
        (pending.page_id.as_str(), pending.name.as_str()),
        (DEFAULT_PAGE_ID, "Baton Demo")
    );
    assert_eq!(v.current, SetupStep::App, "the wizard moves on to step 2");
    assert!(
        v.page.is_none(),
        "nothing is connected before the app is checked"
    );
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn step_two_connects_the_page_only_with_the_right_app_secret() {
    let w = wizard().await;
    let body = w
        .refused(
            "setup/save_app",
            &[
                ("app_id", DEFAULT_APP_ID),
                ("app_secret", "x"),
                ("verify_token", VERIFY),
            ],
        )
        .await;
    assert!(body.contains("step 1"), "{body}");
    w.token(DEFAULT_PAGE_TOKEN).await;

    let v = w.save_app("wrong-secret").await;
    let (state, text) = check(&v, SetupStep::App, "app-secret");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("does not match app 111111111111111"),
        "{text}"
    );
    assert!(v.page.is_none(), "a refused secret stores nothing");

    let body = w
        .refused(
            "setup/save_app",
            &[
                ("app_id", "12ab"),
                ("app_secret", DEFAULT_APP_SECRET),
                ("verify_token", VERIFY),
            ],
        )
        .await;
    assert!(body.contains("App ID is a number"), "{body}");

    let v = w.save_app(DEFAULT_APP_SECRET).await;
    assert!(
        v.step_complete(SetupStep::App),
        "{:?}",
        v.report(SetupStep::App)
    );
    let page = v.page.clone().expect("connected");
    assert_eq!(page.page_id, DEFAULT_PAGE_ID);
    assert!(!page.is_sandbox);
    assert_eq!(v.current, SetupStep::Webhook);
    assert!(v.pending.is_none());
    assert!(
        v.step_complete(SetupStep::Token),
        "step 1's result still holds for the page now connected"
    );

    // A generated verify token is offered (not stored).
    let offered: String = w.ok("setup/new_verify_token", &[]).await;
    assert!(offered.len() >= 16);

    // A token without pages_manage_metadata: the app check names it.
    w.break_page(PageUpdate {
        scopes: Some(vec!["pages_messaging".into()]),
        ..Default::default()
    });
    let v = w.check(SetupStep::App).await;
    let (state, text) = check(&v, SetupStep::App, "permissions");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("lacks pages_manage_metadata"), "{text}");
    assert!(!v.step_complete(SetupStep::App));

    // With the app known, step 1 names a missing permission too, and keeps the working token.
    // Every store seals afresh (a new nonce), so an unchanged stored value means no store.
    let stored = || async {
        let (t,): (String,) = domain::backend::on_db!(&w.app.state.pool, pool => {
            sqlx::query_as("SELECT access_token FROM pages")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        t
    };
    let before = stored().await;
    let v = w.token(DEFAULT_PAGE_TOKEN).await;
    let (state, text) = check(&v, SetupStep::Token, "permissions");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("lacks pages_manage_metadata"), "{text}");
    assert_eq!(
        check(&v, SetupStep::Token, "token-kept").0,
        CheckState::Fail
    );
    assert_eq!(stored().await, before, "nothing was stored");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn step_three_waits_for_the_handshake_and_subscribes_the_page() {
    let w = wizard().await;
    // A page nobody subscribed yet (the sandbox's page starts subscribed).
    w.break_page(PageUpdate {
        unsubscribe: true,
        ..Default::default()
    });
    w.token(DEFAULT_PAGE_TOKEN).await;
    w.save_app(DEFAULT_APP_SECRET).await;

    let v = w.check(SetupStep::Webhook).await;
    let (state, text) = check(&v, SetupStep::Webhook, "callback-url");
    assert_eq!(state, CheckState::Pass);
    assert!(text.contains("https://baton.example.com/webhook"), "{text}");
    assert_eq!(
        v.callback_url.as_deref(),
        Some("https://baton.example.com/webhook")
    );
    let (state, text) = check(&v, SetupStep::Webhook, "verified");
    assert_eq!(state, CheckState::Waiting, "never verified: {text}");
    assert!(text.contains("Verify and save"), "{text}");
    let (state, text) = check(&v, SetupStep::Webhook, "subscription");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("not subscribed"), "{text}");

    // Facebook calls with a verify token that does not match.
    let refused = w.fb.verify_webhook("not-the-token", None).await.unwrap();
    assert!(!refused.verified);
    let v = w.check(SetupStep::Webhook).await;
    let (state, text) = check(&v, SetupStep::Webhook, "verified");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("verify token did not match"), "{text}");

    // Then with the right one: the light turns green without any click in Baton.
    assert!(w.fb.verify_webhook(VERIFY, None).await.unwrap().verified);
    let v: SetupView = w.ok("setup/status", &[]).await;
    assert!(v.webhook_verified_at.is_some());
    let v = w.check(SetupStep::Webhook).await;
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Pass
    );

    // Without pages_manage_metadata the subscription cannot be made, and the wizard says why.
    w.break_page(PageUpdate {
        scopes: Some(vec!["pages_messaging".into()]),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    let (state, text) = check(&v, SetupStep::Webhook, "subscribe");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("lacks the pages_manage_metadata permission"),
        "{text}"
    );

    w.break_page(PageUpdate {
        scopes: Some(
            sandbox::DEFAULT_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    let (state, text) = check(&v, SetupStep::Webhook, "subscription");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(text.contains("message_echoes"), "{text}");
    assert!(v.step_complete(SetupStep::Webhook));
    let fields =
        w.fb.page_settings(DEFAULT_PAGE_ID)
            .unwrap()
            .subscribed_fields
            .unwrap();
    assert!(
        fields.iter().any(|f| f == "messaging_handovers"),
        "{fields:?}"
    );
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn the_routing_step_speaks_conversation_routing_first() {
    let w = wizard().await;
    w.connected().await;

    // A page under Conversation Routing (the sandbox's default), before anyone wrote.
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(v.routing, RoutingPath::ConversationRouting);
    let (state, text) = check(&v, SetupStep::Routing, "routing");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(text.contains("default app"), "{text}");
    for id in ["page-inbox-secondary", "handover-fields", "pages-messaging"] {
        assert_eq!(
            check(&v, SetupStep::Routing, id).0,
            CheckState::Pass,
            "{id}"
        );
    }
    assert_eq!(
        check(&v, SetupStep::Routing, "thread-owner").0,
        CheckState::Waiting
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Waiting,
        "no round trip yet"
    );
    let (state, text) = check(&v, SetupStep::Routing, "primary-receiver");
    assert_eq!(state, CheckState::Confirm);
    assert!(text.contains("Default app"), "{text}");
    assert!(!text.contains("Primary Receiver"), "{text}");
    let report = v.report(SetupStep::Routing).unwrap();
    assert!(
        !report.checks.iter().any(|c| c.id == "response-method"),
        "only the older settings have a response method"
    );
    for id in ["automations-off", "app-live"] {
        assert_eq!(
            check(&v, SetupStep::Routing, id).0,
            CheckState::Confirm,
            "{id}"
        );
    }

    let psid = w.someone_writes("Ana").await;
    // A newer conversation Facebook does not know (kept from a page connected before under
    // the same id): the probe skips it.
    domain::backend::on_db!(&w.app.state.pool, pool => {
        sqlx::query(
            "INSERT INTO conversations (page_id, psid, first_name, last_user_message_ms,
                                        last_activity_ms)
             VALUES ($1, '24999999999999999', 'Ghost', $2, $2)",
        )
        .bind(DEFAULT_PAGE_ID)
        .bind(i64::MAX / 4)
        .execute(pool)
        .await
        .unwrap()
        .rows_affected()
    });
    for item in ["primary-receiver", "automations-off", "app-live"] {
        w.ok::<SetupView>("setup/confirm", &[("item", item), ("done", "true")])
            .await;
    }
    let v = w.check(SetupStep::Routing).await;
    let (state, text) = check(&v, SetupStep::Routing, "thread-owner");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(!text.contains("Ghost"), "{text}");
    assert!(
        !v.step_complete(SetupStep::Routing),
        "the round trip is still to run"
    );

    // The live round trip: to the Page Inbox and back, step by step.
    let v: SetupView = w.ok("setup/round_trip", &[("psid", &psid)]).await;
    let report = v.report(SetupStep::Routing).unwrap();
    let trip: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.id.starts_with("round-trip-"))
        .map(|c| (c.id.as_str(), c.state))
        .collect();
    assert_eq!(
        trip,
        [
            ("round-trip-1", CheckState::Pass),
            ("round-trip-2", CheckState::Pass),
            ("round-trip-3", CheckState::Pass),
            ("round-trip-4", CheckState::Pass),
        ],
        "{report:?}"
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Pass
    );
    assert!(v.step_complete(SetupStep::Routing), "{report:?}");
    assert_eq!(
        w.fb.thread_owner(&psid).unwrap().as_deref(),
        Some(DEFAULT_APP_ID)
    );
    let history: Vec<String> =
        w.fb.thread(&psid)
            .unwrap()
            .history
            .into_iter()
            .map(|h| h.action)
            .collect();
    assert!(
        history.ends_with(&["pass".to_owned(), "take".to_owned()]),
        "{history:?}"
    );
    // Checking again keeps the round trip's lines.
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(
        check(&v, SetupStep::Routing, "round-trip-4").0,
        CheckState::Pass
    );
    let body = w
        .refused("setup/confirm", &[("item", "nope"), ("done", "true")])
        .await;
    assert!(body.contains("no setting called"), "{body}");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn the_routing_step_turns_red_after_a_refusal_and_speaks_the_pages_own_settings() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;

    // A page that refuses its separate handover calls: the message carrying the pass works,
    // taking the conversation back does not; the round trip says so, with the fix.
    w.break_page(PageUpdate {
        refuse_handovers: Some(sandbox::Refusal::SeparateCalls),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/round_trip", &[("psid", &psid)]).await;
    assert_eq!(
        check(&v, SetupStep::Routing, "round-trip-2").0,
        CheckState::Pass
    );
    let (state, text) = check(&v, SetupStep::Routing, "round-trip-4");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("Handover Protocol APIs disabled"), "{text}");
    assert!(text.contains("Done in the Page Inbox"), "{text}");
    assert_eq!(
        check(&v, SetupStep::Routing, "handover").0,
        CheckState::Fail
    );
    w.fb.inbox_done(&psid, None).unwrap();

    // A refusal the runtime met turns the step (and Settings → Page) red until a handover works.
    domain::repo::settings::set(
        &w.app.state.pool,
        domain::repo::settings::keys::HANDOVER_PROBLEM,
        &domain::runtime::handover_notice(messenger::ErrorKind::HandoverDisabled.plain_message()),
        0,
    )
    .await
    .unwrap();
    let v = w.check(SetupStep::Routing).await;
    let (state, text) = check(&v, SetupStep::Routing, "handover");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("Default app"), "{text}");
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    assert_eq!(health_check(&h, "handover").0, CheckState::Fail);

    // The admin says the page shows the older settings: every text uses those.
    let v: SetupView = w
        .ok(
            "setup/confirm",
            &[("item", RoutingPath::SHOWS_CLASSIC), ("done", "true")],
        )
        .await;
    assert_eq!(v.routing, RoutingPath::Classic);
    let (_, text) = check(&v, SetupStep::Routing, "primary-receiver");
    assert!(
        text.contains("Primary Receiver") && !text.contains("Default app"),
        "{text}"
    );
    assert_eq!(
        check(&v, SetupStep::Routing, "response-method").0,
        CheckState::Confirm
    );
    let (_, text) = check(&v, SetupStep::Routing, "handover");
    assert!(text.contains("Primary Receiver"), "{text}");
    // The other answer replaces it.
    let v: SetupView = w
        .ok(
            "setup/confirm",
            &[("item", RoutingPath::SHOWS_ROUTING), ("done", "true")],
        )
        .await;
    assert_eq!(v.routing, RoutingPath::ConversationRouting);
    assert!(!v.confirmed.iter().any(|c| c == RoutingPath::SHOWS_CLASSIC));

    // Facebook does not say, and nobody chose: both click paths, Conversation Routing first.
    w.ok::<SetupView>(
        "setup/confirm",
        &[("item", RoutingPath::SHOWS_ROUTING), ("done", "false")],
    )
    .await;
    w.break_page(PageUpdate {
        conversation_routing: Some(false),
        refuse_handovers: Some(sandbox::Refusal::Off),
        secondary_receivers: Some(vec![]),
        ..Default::default()
    });
    let v = w.check(SetupStep::Routing).await;
    assert_eq!(v.routing, RoutingPath::Unsure);
    assert_eq!(check(&v, SetupStep::Routing, "routing").0, CheckState::Warn);
    let (state, text) = check(&v, SetupStep::Routing, "page-inbox-secondary");
    assert_eq!(state, CheckState::Fail);
    let (cr, classic) = (
        text.find("Conversation routing"),
        text.find("Secondary Receivers"),
    );
    assert!(cr.is_some() && classic.is_some() && cr < classic, "{text}");
}

#[tokio::test]
async fn the_human_agent_step_tells_from_a_tagged_test_reply() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;
    let v = w.check(SetupStep::HumanAgent).await;
    assert_eq!(
        check(&v, SetupStep::HumanAgent, "human-agent-approved").0,
        CheckState::Confirm
    );
    // Without the permission Meta refuses the tagged reply.
    w.break_page(PageUpdate {
        human_agent: Some(false),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/human_agent_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::HumanAgent, "human-agent-test");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("App Review"), "{text}");
    assert!(!v.step_complete(SetupStep::HumanAgent));
    // Approved: the test goes through, and that is proof enough.
    w.break_page(PageUpdate {
        human_agent: Some(true),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/human_agent_test", &[("psid", &psid)]).await;
    assert_eq!(
        check(&v, SetupStep::HumanAgent, "human-agent-test").0,
        CheckState::Pass
    );
    assert!(
        v.step_complete(SetupStep::HumanAgent),
        "{:?}",
        v.report(SetupStep::HumanAgent)
    );
    w.fb.settle().await;
    assert!(w
        .fb
        .transcript(&psid)
        .unwrap()
        .iter()
        .any(|t| t.text.as_deref() == Some(app::model::HUMAN_AGENT_TEST_MESSAGE)));
}

#[tokio::test]
async fn steps_six_and_seven_push_the_profile_and_send_a_test() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;

    // Profile: nothing published yet, then the handover kit published and pushed.
    let v = w.check(SetupStep::Profile).await;
    assert_eq!(
        check(&v, SetupStep::Profile, "published").0,
        CheckState::Waiting
    );
    let body = w.refused("setup/push_profile", &[]).await;
    assert!(body.contains("Nothing is published"), "{body}");
    domain::flows::import(
        &w.app.state.pool,
        &w.app.state.clock,
        &domain::repo::audit::Actor::cli(),
        &crate::support::handover_kit(),
    )
    .await
    .unwrap();
    // Published without a page to push to, so the page shows nothing yet.
    let unreachable = "http://127.0.0.1:9/v21.0";
    domain::flows::publish(
        &w.app.state.pool,
        &w.app.state.clock,
        &domain::repo::audit::Actor::cli(),
        unreachable,
    )
    .await
    .unwrap();
    let v = w.check(SetupStep::Profile).await;
    let (state, text) = check(&v, SetupStep::Profile, "get-started");
    assert_eq!(state, CheckState::Fail, "{text}");
    assert!(text.contains("Push to the page"), "{text}");
    let v: SetupView = w.ok("setup/push_profile", &[]).await;
    assert!(
        v.step_complete(SetupStep::Profile),
        "{:?}",
        v.report(SetupStep::Profile)
    );

    // Test message to the person who wrote.
    let v: SetupView = w.ok("setup/send_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::Test, "test-message");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(!text.contains("Ghost"), "{text}");
    w.fb.settle().await;
    let said = w.fb.transcript(&psid).unwrap();
    assert!(
        said.iter()
            .any(|line| line.text.as_deref() == Some(TEST_MESSAGE)),
        "{said:?}"
    );
    let body = w.refused("setup/send_test", &[("psid", "999")]).await;
    assert!(body.contains("Pick someone"), "{body}");

    // Two days later the window is closed: the wizard says why the test cannot go.
    w.fb.advance(Duration::from_secs(48 * 3600));
    let v: SetupView = w.ok("setup/send_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::Test, "test-message");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("within 24 hours"), "{text}");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn settings_page_reports_a_setting_broken_after_setup_and_rotates_secrets() {
    let w = wizard().await;
    w.connected().await;
    w.someone_writes("Ben").await;
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    for id in [
        "token",
        "webhook-seen",
        "subscription",
        "page-inbox-secondary",
    ] {
        assert_eq!(health_check(&h, id).0, CheckState::Pass, "{id}: {h:?}");
    }

    w.break_page(PageUpdate {
        unsubscribe: true,
        ..Default::default()
    });
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    let (state, text) = health_check(&h, "subscription");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("not subscribed"), "{text}");

    w.break_page(PageUpdate {
        token_expired: Some(true),
        ..Default::default()
    });
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    let (state, text) = health_check(&h, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("expired"), "{text}");

    // Rotation: a token of no page is refused and nothing changes; a new verify token is
    // shown once, and only then.
    let body = w
        .refused(
            "settings/rotate_page",
            &[
                ("access_token", "EAAB-bad"),
                ("app_secret", ""),
                ("new_verify", "false"),
            ],
        )
        .await;
    assert!(body.contains("was not stored"), "{body}");
    let body = w
        .refused(
            "settings/rotate_page",
            &[
                ("access_token", ""),
                ("app_secret", "wrong"),
                ("new_verify", "false"),
            ],
        )
        .await;
    assert!(body.contains("Nothing was stored"), "{body}");
    w.break_page(PageUpdate {
        token_expired: Some(false),
        ..Default::default()
    });
    let (status, body) = w
        .call(
            "settings/rotate_page",
            &[
                ("access_token", ""),
                ("app_secret", ""),
                ("new_verify", "true"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let report: app::api::settings::RotateReport = serde_json::from_str(&body).unwrap();
    let fresh = report.new_verify_token.expect("shown once");
    assert!(!fresh.is_empty());
    w.seen.lock().unwrap().pop(); // the one answer allowed to carry it
    let page = domain::repo::pages::current(&w.app.state.pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.verify_token.expose(), fresh);

    w.ok::<()>("settings/disconnect_page", &[]).await;
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    assert!(h.page.is_none());
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn the_sandbox_page_is_one_click_and_verifies_offline() {
    let w = wizard().await;
    let v: SetupView = w.ok("setup/use_sandbox", &[]).await;
    let page = v.page.clone().expect("connected");
    assert!(page.is_sandbox);
    assert_eq!(check(&v, SetupStep::Token, "token").0, CheckState::Pass);
    assert!(
        v.step_complete(SetupStep::App),
        "{:?}",
        v.report(SetupStep::App)
    );
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Waiting
    );
    let v: SetupView = w.ok("setup/sandbox_verify", &[]).await;
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Pass
    );
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    assert!(
        v.step_complete(SetupStep::Webhook),
        "{:?}",
        v.report(SetupStep::Webhook)
    );
    w.assert_no_secret_seen();
}
