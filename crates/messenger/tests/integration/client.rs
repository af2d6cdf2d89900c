//! GraphClient against a local fake Graph server: request shapes, response decoding, errors.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::Router;
use messenger::graph::{GraphApi, GraphClient, MenuLocale, MessengerProfile, ProfileField};
use messenger::send::{Button, SendRequest};
use messenger::signature::hmac_sha256_hex;
use messenger::{ErrorKind, FeatureStatus, GraphError, Secret, TokenKind};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    body: Option<Value>,
}

#[derive(Clone, Default)]
struct Fake {
    seen: Arc<Mutex<Vec<Seen>>>,
    replies: Arc<Mutex<HashMap<String, (u16, String)>>>,
}

impl Fake {
    fn reply(&self, method: &str, path: &str, status: u16, body: Value) {
        self.replies
            .lock()
            .unwrap()
            .insert(format!("{method} {path}"), (status, body.to_string()));
    }
    fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

async fn handle(
    State(fake): State<Fake>,
    method: Method,
    uri: Uri,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> (StatusCode, String) {
    let query: HashMap<String, String> = url_decode(q.as_deref().unwrap_or(""));
    let path = uri.path().to_owned();
    if path.contains("/slow/") {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    fake.seen.lock().unwrap().push(Seen {
        method: method.clone(),
        path: path.clone(),
        query,
        body: serde_json::from_slice(&body).ok(),
    });
    let key = format!("{method} {path}");
    let (status, body) = fake
        .replies
        .lock()
        .unwrap()
        .get(&key)
        .cloned()
        .unwrap_or((404, "{}".into()));
    (StatusCode::from_u16(status).unwrap(), body)
}

fn url_decode(q: &str) -> HashMap<String, String> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                k.to_owned(),
                v.replace("%2C", ",").replace("%7C", "|").replace('+', " "),
            )
        })
        .collect()
}

async fn start() -> (Fake, GraphClient) {
    let fake = Fake::default();
    let app = Router::new().fallback(handle).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = GraphClient::new(format!("http://{addr}/v21.0/"), Secret::new("PAGE_TOKEN"));
    (fake, client)
}

#[tokio::test]
async fn send_posts_json_with_token_and_proof() {
    let (fake, client) = start().await;
    let client = client.with_app_secret(&Secret::new("APP_SECRET"));
    fake.reply(
        "POST",
        "/v21.0/me/messages",
        200,
        json!({"recipient_id":"1","message_id":"m_1"}),
    );
    let req = SendRequest::text("1", "hi").with_metadata("meta");
    let resp = client.send(&req).await.unwrap();
    assert_eq!(resp.message_id.as_deref(), Some("m_1"));
    let seen = fake.last();
    assert_eq!(seen.method, Method::POST);
    assert_eq!(seen.query["access_token"], "PAGE_TOKEN");
    assert_eq!(
        seen.query["appsecret_proof"],
        hmac_sha256_hex(b"APP_SECRET", b"PAGE_TOKEN")
    );
    assert_eq!(seen.body.unwrap(), serde_json::to_value(&req).unwrap());
    assert!(!format!("{client:?}").contains("PAGE_TOKEN"));
    assert!(!format!("{client:?}").contains(&hmac_sha256_hex(b"APP_SECRET", b"PAGE_TOKEN")));
}

#[tokio::test]
async fn error_envelope_becomes_typed_error() {
    let (fake, client) = start().await;
    let fx: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/tests/fixtures/graph_error_outside_window.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    fake.reply("POST", "/v21.0/me/messages", 400, fx);
    let err = client
        .send(&SendRequest::text("1", "late"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains("PAGE_TOKEN"));

    fake.reply("GET", "/v21.0/me", 503, json!("oops"));
    let err = client.me().await.unwrap_err();
    assert!(matches!(err, GraphError::Status { status: 503, .. }));
    assert!(err.is_retryable());

    fake.reply("GET", "/v21.0/me", 200, json!({"unexpected": true}));
    assert!(matches!(
        client.me().await.unwrap_err(),
        GraphError::Decode(_)
    ));
}

#[tokio::test]
async fn timeout_and_network_errors_are_retryable_and_hide_token() {
    let (_fake, client) = start().await;
    let slow = GraphClient::new(
        format!("{}/slow", client.base_url()),
        Secret::new("PAGE_TOKEN"),
    )
    .with_timeout(Duration::from_millis(200));
    let err = slow.me().await.unwrap_err();
    assert_eq!(err, GraphError::Timeout);
    assert!(err.is_retryable());

    // Nothing listens on port 9 locally: connection refused.
    let down = GraphClient::new("http://127.0.0.1:9/v21.0", Secret::new("PAGE_TOKEN"));
    let err = down.me().await.unwrap_err();
    assert!(matches!(err, GraphError::Network(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(!err.to_string().contains("PAGE_TOKEN"), "{err}");
}

#[tokio::test]
async fn handover_calls() {
    let (fake, client) = start().await;
    for edge in ["pass", "take", "request", "release"] {
        fake.reply(
            "POST",
            &format!("/v21.0/me/{edge}_thread_control"),
            200,
            json!({"success":true}),
        );
    }
    client
        .pass_thread_control(
            "24000000000000001",
            "263902037430900",
            Some("Customer asked for a human (node=order_status)"),
        )
        .await
        .unwrap();
    let fx: Value = serde_json::from_slice(
        &std::fs::read(format!(
            "{}/tests/fixtures/pass_thread_control_request.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(fake.last().body.unwrap(), fx);

    client
        .take_thread_control("9", Some("back to bot"))
        .await
        .unwrap();
    assert_eq!(
        fake.last().body.unwrap(),
        json!({"recipient":{"id":"9"},"metadata":"back to bot"})
    );
    fake.reply(
        "POST",
        "/v21.0/me/take_thread_control",
        200,
        json!({"data":[{"thread_owner":{"app_id":"111111111111111","expiration":1}}]}),
    );
    client.take_thread_control("9", None).await.unwrap();
    assert_eq!(fake.last().body.unwrap(), json!({"recipient":{"id":"9"}}));
    fake.reply(
        "POST",
        "/v21.0/me/take_thread_control",
        200,
        json!({"success":false}),
    );
    assert!(matches!(
        client.take_thread_control("9", None).await,
        Err(GraphError::NotSuccessful(_))
    ));

    client
        .request_thread_control("9", Some("pls"))
        .await
        .unwrap();
    assert_eq!(fake.last().path, "/v21.0/me/request_thread_control");
    client.release_thread_control("9").await.unwrap();
    assert_eq!(fake.last().body.unwrap(), json!({"recipient":{"id":"9"}}));

    fake.reply(
        "GET",
        "/v21.0/me/thread_owner",
        200,
        json!({"data":[{"thread_owner":{"app_id":"263902037430900"}}]}),
    );
    assert_eq!(
        client.thread_owner("9").await.unwrap().as_deref(),
        Some("263902037430900")
    );
    assert_eq!(fake.last().query["recipient"], "9");
    fake.reply("GET", "/v21.0/me/thread_owner", 200, json!({"data":[]}));
    assert_eq!(client.thread_owner("9").await.unwrap(), None);

    fake.reply(
        "GET",
        "/v21.0/me/secondary_receivers",
        200,
        json!({"data":[{"id":263902037430900u64,"name":"Page Inbox"}]}),
    );
    let apps = client.secondary_receivers().await.unwrap();
    assert_eq!(apps[0].id, "263902037430900");
    assert_eq!(apps[0].name, "Page Inbox");
    assert_eq!(fake.last().query["fields"], "id,name");
}

#[tokio::test]
async fn profile_and_page_calls() {
    let (fake, client) = start().await;
    fake.reply(
        "POST",
        "/v21.0/me/messenger_profile",
        200,
        json!({"result":"success"}),
    );
    let profile = MessengerProfile {
        persistent_menu: vec![MenuLocale {
            locale: "default".into(),
            composer_input_disabled: false,
            call_to_actions: vec![
                Button::Postback {
                    title: "Talk to a human".into(),
                    payload: "HUMAN".into(),
                },
                Button::WebUrl {
                    title: "Shop".into(),
                    url: "https://example.com".into(),
                },
            ],
        }],
        greeting: vec![messenger::graph::Greeting {
            locale: "default".into(),
            text: "Hi {{user_first_name}}!".into(),
        }],
        ..MessengerProfile::get_started("GET_STARTED")
    };
    client.set_messenger_profile(&profile).await.unwrap();
    assert_eq!(
        fake.last().body.unwrap(),
        json!({"get_started":{"payload":"GET_STARTED"},
               "greeting":[{"locale":"default","text":"Hi {{user_first_name}}!"}],
               "persistent_menu":[{"locale":"default","composer_input_disabled":false,"call_to_actions":[
                   {"type":"postback","title":"Talk to a human","payload":"HUMAN"},
                   {"type":"web_url","title":"Shop","url":"https://example.com"}]}]})
    );

    fake.reply(
        "GET",
        "/v21.0/me/messenger_profile",
        200,
        json!({"data":[{"get_started":{"payload":"GS"}}]}),
    );
    let got = client
        .get_messenger_profile(&[ProfileField::GetStarted, ProfileField::Greeting])
        .await
        .unwrap();
    assert_eq!(got, json!({"get_started":{"payload":"GS"}}));
    assert_eq!(fake.last().query["fields"], "get_started,greeting");
    fake.reply(
        "GET",
        "/v21.0/me/messenger_profile",
        200,
        json!({"data":[]}),
    );
    assert_eq!(
        client
            .get_messenger_profile(&[ProfileField::Greeting])
            .await
            .unwrap(),
        json!({})
    );

    fake.reply(
        "DELETE",
        "/v21.0/me/messenger_profile",
        200,
        json!({"result":"success"}),
    );
    client
        .delete_messenger_profile(&[ProfileField::PersistentMenu])
        .await
        .unwrap();
    assert_eq!(
        fake.last().body.unwrap(),
        json!({"fields":["persistent_menu"]})
    );

    fake.reply("GET", "/v21.0/24000000000000001", 200, json!({"first_name":"Ana","last_name":"Silva","profile_pic":"https://p","id":"24000000000000001"}));
    let user = client.user_profile("24000000000000001").await.unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Ana"));
    assert_eq!(
        fake.last().query["fields"],
        "first_name,last_name,profile_pic"
    );

    fake.reply(
        "GET",
        "/v21.0/me",
        200,
        json!({"id":"1234567890","name":"Baton Demo"}),
    );
    let page = client.me().await.unwrap();
    assert_eq!(
        (page.id.as_str(), page.name.as_str()),
        ("1234567890", "Baton Demo")
    );

    fake.reply("GET", "/v21.0/1234567890/subscribed_apps", 200,
        json!({"data":[{"id":"111111111111111","name":"Baton","link":"x","subscribed_fields":["messages","standby"]}]}));
    let apps = client.subscribed_apps("1234567890").await.unwrap();
    assert_eq!(apps[0].subscribed_fields, ["messages", "standby"]);

    fake.reply(
        "POST",
        "/v21.0/1234567890/subscribed_apps",
        200,
        json!({"success":true}),
    );
    client
        .subscribe_app("1234567890", messenger::graph::BATON_SUBSCRIBED_FIELDS)
        .await
        .unwrap();
    assert_eq!(
        fake.last().query["subscribed_fields"],
        "messages,messaging_postbacks,messaging_handovers,standby,message_echoes,messaging_referrals"
    );
    fake.reply(
        "DELETE",
        "/v21.0/1234567890/subscribed_apps",
        200,
        json!({"success":true}),
    );
    client.unsubscribe_app("1234567890").await.unwrap();
    assert_eq!(fake.last().method, Method::DELETE);
}

#[tokio::test]
async fn token_owner_and_feature_status_ask_me() {
    let (fake, client) = start().await;
    fake.reply(
        "GET",
        "/v21.0/me",
        200,
        json!({"id":1234567890u64,"name":"Baton Demo","metadata":{"type":"page"}}),
    );
    let owner = client.token_owner().await.unwrap();
    assert_eq!(
        (owner.id.as_str(), owner.name.as_str(), owner.kind),
        ("1234567890", "Baton Demo", TokenKind::Page)
    );
    let seen = fake.last();
    assert_eq!(seen.query["fields"], "id,name");
    assert_eq!(seen.query["metadata"], "1");
    assert_eq!(seen.query["access_token"], "PAGE_TOKEN");

    fake.reply(
        "GET",
        "/v21.0/me",
        200,
        json!({"messaging_feature_status":{"hop_v2":true,"ig_multi_app":false,"msgr_multi_app":true},"id":"1"}),
    );
    assert_eq!(
        client.messaging_feature_status().await.unwrap(),
        FeatureStatus {
            hop_v2: Some(true),
            msgr_multi_app: Some(true)
        }
    );
    assert_eq!(fake.last().query["fields"], "messaging_feature_status");
    fake.reply("GET", "/v21.0/me", 200, json!({"id":"1"}));
    assert_eq!(
        client.messaging_feature_status().await.unwrap(),
        FeatureStatus::default()
    );
}

#[tokio::test]
async fn debug_token_uses_the_app_token_without_proof_and_never_shows_the_secret() {
    let (fake, client) = start().await;
    let client = client.with_app_secret(&Secret::new("PAGE_PROOF_SECRET"));
    let app_secret = Secret::new("APP_SECRET");
    fake.reply(
        "GET",
        "/v21.0/debug_token",
        200,
        json!({"data":{"app_id":"111111111111111","type":"PAGE","application":"Baton",
            "is_valid":true,"expires_at":0,"scopes":["pages_messaging"],"profile_id":"1234567890"}}),
    );
    let debug = client
        .debug_token("111111111111111", &app_secret)
        .await
        .unwrap();
    assert!(debug.is_valid);
    assert_eq!(debug.kind.as_deref(), Some("PAGE"));
    assert_eq!(debug.expires_at, Some(0));
    assert_eq!(debug.profile_id.as_deref(), Some("1234567890"));
    let seen = fake.last();
    assert_eq!(seen.method, Method::GET);
    assert_eq!(seen.query["access_token"], "111111111111111|APP_SECRET");
    assert_eq!(seen.query["input_token"], "PAGE_TOKEN");
    assert!(!seen.query.contains_key("appsecret_proof"), "{seen:?}");

    // Other calls still carry the page token and its proof.
    fake.reply("GET", "/v21.0/me", 200, json!({"id":"1","name":"P"}));
    client.me().await.unwrap();
    assert_eq!(fake.last().query["access_token"], "PAGE_TOKEN");
    assert!(fake.last().query.contains_key("appsecret_proof"));

    fake.reply(
        "GET",
        "/v21.0/debug_token",
        400,
        json!({"error":{"message":"Error validating client secret.","type":"OAuthException","code":190}}),
    );
    let err = client
        .debug_token("111111111111111", &app_secret)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((190, None)));
    assert!(!format!("{err} {err:?}").contains("APP_SECRET"), "{err:?}");

    let down = GraphClient::new("http://127.0.0.1:9/v21.0", Secret::new("PAGE_TOKEN"));
    let err = down
        .debug_token("111111111111111", &app_secret)
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Network(_)), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("APP_SECRET") && !text.contains("PAGE_TOKEN"),
        "{text}"
    );
}
