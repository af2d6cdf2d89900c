//! The handover cases of routing.rs against a wiremock Graph API that answers as Meta does
//! (its error envelopes, string or number ids), with webhooks posted as Facebook posts them:
//! a refused handover message, a send refused because another app owns the thread, and an
//! echo with no app id at all.

use serde_json::{json, Value};
use tower::ServiceExt;
use wiremock::matchers::{body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use app::server::AppState;
use domain::repo::conversations;
use domain::repo::settings::{self, keys};
use domain::runtime;

const SECRET: &str = "graph-test-secret";
const PAGE: &str = crate::support::PAGE_ID;
const USER: &str = "24000000000000001";
const INBOX_APP: &str = "263902037430900";
const BATON_APP: &str = "111111111111111";
/// wiremock's priority for the answers every test starts with (1 is tried first, 5 is the
/// default of a test's own mocks).
const DEFAULTS: u8 = 10;

struct Env {
    graph: MockServer,
    state: AppState,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn error(code: i64, subcode: Option<i64>, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({"error": {
        "message": message, "type": "OAuthException", "code": code,
        "error_subcode": subcode, "fbtrace_id": "AbCdEf"}}))
}

fn owner_is(app: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": [{"thread_owner": {"app_id": app}}]}))
}

/// Baton on a fresh database, its page's Graph API the mock: sends and handover calls succeed
/// unless a test mounts another answer (these have a low priority, so a test's own win).
async fn env() -> Env {
    let graph = MockServer::start().await;
    let ok = |body: Value| ResponseTemplate::new(200).set_body_json(body);
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .respond_with(ok(json!({"recipient_id": USER, "message_id": "m_sent"})))
        .with_priority(DEFAULTS)
        .mount(&graph)
        .await;
    for edge in [
        "pass_thread_control",
        "take_thread_control",
        "messenger_profile",
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v21.0/me/{edge}")))
            .respond_with(ok(json!({"success": true, "result": "success"})))
            .with_priority(DEFAULTS)
            .mount(&graph)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("/v21.0/{USER}")))
        .respond_with(ok(
            json!({"first_name": "Ana", "last_name": "Silva", "id": USER}),
        ))
        .mount(&graph)
        .await;
    let (dir, db) = crate::support::temp_db();
    let state = crate::support::state_on(&db).await;
    let url = format!("{}/v21.0", graph.uri());
    crate::support::connect_page(&state, &url, SECRET).await;
    crate::support::publish_kit(&state, &url).await;
    Env {
        router: server::startup::router(state.clone()),
        graph,
        state,
        _dir: dir,
    }
}

impl Env {
    fn graph_url(&self) -> String {
        format!("{}/v21.0", self.graph.uri())
    }

    /// Facebook delivers `events` (the `messaging` array of one entry), then the runtime
    /// does everything it can.
    async fn deliver(&self, events: Value) {
        let body = json!({"object": "page", "entry": [{"id": PAGE, "time": now_ms(),
            "messaging": events}]});
        let req = crate::support::signed_webhook(serde_json::to_vec(&body).unwrap(), SECRET);
        let resp = self.router.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        for _ in 0..4 {
            runtime::drain(
                &self.state.pool,
                &self.state.deliveries,
                &self.state.clock,
                &self.graph_url(),
            )
            .await
            .unwrap();
        }
    }

    /// What the user wrote: `text` now.
    async fn user_says(&self, text: &str, mid: &str) {
        self.deliver(json!([{"sender": {"id": USER}, "recipient": {"id": PAGE},
            "timestamp": now_ms(), "message": {"mid": mid, "text": text}}]))
            .await;
    }

    async fn requests(&self, edge: &str) -> Vec<Request> {
        self.graph
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == format!("/v21.0/me/{edge}"))
            .collect()
    }

    /// The texts Baton sent to the user, in order.
    async fn sent_texts(&self) -> Vec<String> {
        self.requests("messages")
            .await
            .iter()
            .filter_map(|r| {
                let v: Value = serde_json::from_slice(&r.body).ok()?;
                let m = &v["message"];
                m["text"]
                    .as_str()
                    .or(m["attachment"]["payload"]["text"].as_str())
                    .map(str::to_owned)
            })
            .collect()
    }

    async fn state_of(&self) -> String {
        conversations::get(&self.state.pool, PAGE, USER)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str()
            .to_owned()
    }
}

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() * 1000
}

#[tokio::test]
async fn a_handover_message_refused_by_the_page_is_undone_in_plain_words() {
    let e = env().await;
    // The confirmation that carries the pass meets Meta's refusal; the thread stays Baton's.
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .and(body_partial_json(
            json!({"thread_control": {"control_type": "pass"}}),
        ))
        .respond_with(error(
            10,
            None,
            "(#10) Handover Protocol APIs disabled for this page",
        ))
        .mount(&e.graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v21.0/me/thread_owner"))
        .and(query_param("recipient", USER))
        .respond_with(owner_is(BATON_APP))
        .mount(&e.graph)
        .await;

    e.user_says("human", "m_1").await; // keyword → "Click the button below..."
    let pb = json!([{"sender": {"id": USER}, "recipient": {"id": PAGE}, "timestamp": now_ms(),
        "postback": {"mid": "m_2", "title": "Talk to human",
                     "payload": flows::payload_for("talk_to_human", 0, flows::ButtonKind::Button, 0)}}]);
    e.deliver(pb).await;

    let handover: Vec<Value> = e
        .requests("messages")
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .filter(|v: &Value| v.get("thread_control").is_some())
        .collect();
    assert_eq!(handover.len(), 1, "tried once, never retried");
    assert_eq!(
        handover[0]["thread_control"]["app_id"].to_string(),
        INBOX_APP
    );
    // What reached the Graph API after the refused call: the plain words.
    let texts = e.sent_texts().await;
    assert_eq!(
        texts.last().map(String::as_str),
        Some(flows::DEFAULT_UNAVAILABLE_TEXT),
        "{texts:?}"
    );
    let transcript = conversations::transcript(&e.state.pool, PAGE, USER)
        .await
        .unwrap();
    assert!(
        !transcript
            .iter()
            .any(|t| t.text.starts_with("You're now chatting")),
        "the refused confirmation is not in the transcript as said: {transcript:?}"
    );
    assert!(
        e.requests("pass_thread_control").await.is_empty(),
        "the refusal is final: no separate pass is tried"
    );
    assert_eq!(e.state_of().await, "bot");
    let notice = settings::get(&e.state.pool, keys::HANDOVER_PROBLEM)
        .await
        .unwrap()
        .unwrap();
    assert!(
        notice.contains("make Baton's app the default app"),
        "{notice}"
    );
}

#[tokio::test]
async fn a_send_refused_because_another_app_owns_the_thread_follows_the_owner() {
    let e = env().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/me/messages"))
        .respond_with(error(
            10,
            Some(2018300),
            "(#10) Message failed to send because another app is controlling this thread now.",
        ))
        .mount(&e.graph)
        .await;
    // Ids come as numbers too.
    Mock::given(method("GET"))
        .and(path("/v21.0/me/thread_owner"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"thread_owner": {"app_id": 263902037430900u64}}]})),
        )
        .mount(&e.graph)
        .await;
    e.user_says("hello", "m_1").await;
    assert_eq!(e.state_of().await, "inbox");
    let c = conversations::get(&e.state.pool, PAGE, USER)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.thread_owner, app::model::ThreadOwner::PageInbox);
    let ledger = conversations::ledger(&e.state.pool, PAGE, USER)
        .await
        .unwrap();
    let last = ledger.last().unwrap();
    assert_eq!(last.cause.as_str(), "messenger");
    assert!(
        last.detail
            .as_deref()
            .unwrap()
            .contains("a person in the Page Inbox"),
        "{last:?}"
    );
    // Asked once; the bot stays silent from now on.
    let sends = e.requests("messages").await.len();
    e.user_says("anyone?", "m_2").await;
    assert_eq!(e.requests("messages").await.len(), sends);
}

#[tokio::test]
async fn an_echo_without_an_app_id_is_a_person_and_the_thread_is_passed_to_the_page_inbox() {
    let e = env().await;
    e.user_says("hello", "m_1").await;
    let before = e.sent_texts().await.len();
    e.deliver(
        json!([{"sender": {"id": PAGE}, "recipient": {"id": USER}, "timestamp": now_ms(),
        "message": {"is_echo": true, "mid": "m_person", "text": "Hi, this is Rita"}}]),
    )
    .await;
    assert_eq!(e.state_of().await, "inbox");
    let passes = e.requests("pass_thread_control").await;
    assert_eq!(passes.len(), 1);
    let body: Value = serde_json::from_slice(&passes[0].body).unwrap();
    assert_eq!(body["target_app_id"].to_string(), INBOX_APP);
    assert_eq!(body["metadata"], "baton:person_replied");
    e.user_says("thanks Rita", "m_2").await;
    assert_eq!(e.sent_texts().await.len(), before, "the bot stays silent");
}
