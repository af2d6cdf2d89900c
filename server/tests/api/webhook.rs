//! `GET/POST /webhook` through the real router, with the real-shaped fixtures: the handshake,
//! signature checks on raw bytes, durable storage with dedupe, and the answers Facebook sees
//! for bad input (never a 500).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::support::{get, TestApp};
use domain::repo::pages::{self, PageRow};
use domain::repo::webhook_events;
use messenger::{signature, Secret};

const SECRET: &str = "test-app-secret";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../crates/messenger/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn app_with_page() -> TestApp {
    let app = TestApp::new().await;
    let page = PageRow {
        page_id: "1234567890".into(),
        name: "Baton Demo".into(),
        access_token: Secret::new("page-token"),
        app_secret: Secret::new(SECRET),
        verify_token: Secret::new("let-me-in"),
        app_id: "111111111111111".into(),
        graph_api_url: None,
        is_sandbox: false,
        connected_at: 0,
    };
    pages::connect(&app.state.pool, &page).await.unwrap();
    app
}

fn post(body: Vec<u8>, signature: Option<String>) -> Request<Body> {
    let mut req = Request::post("/webhook").header(header::CONTENT_TYPE, "application/json");
    if let Some(sig) = signature {
        req = req.header("X-Hub-Signature-256", sig);
    }
    req.body(Body::from(body)).unwrap()
}

fn signed(body: Vec<u8>) -> Request<Body> {
    let sig = signature::sign_sha256(SECRET.as_bytes(), &body);
    post(body, Some(sig))
}

#[tokio::test]
async fn handshake_echoes_the_challenge_only_for_the_right_token() {
    let app = app_with_page().await;
    let ok = "/webhook?hub.mode=subscribe&hub.verify_token=let-me-in&hub.challenge=1158201444";
    let (status, body) = app.send(get(ok)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "1158201444");
    for bad in [
        "/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        "/webhook?hub.mode=unsubscribe&hub.verify_token=let-me-in&hub.challenge=1",
        "/webhook?hub.mode=subscribe&hub.verify_token=let-me-in",
    ] {
        let (status, _) = app.send(get(bad)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{bad}");
    }
    let (status, _) = app.send(get("/webhook")).await;
    assert!(status.is_client_error());
}

#[tokio::test]
async fn signed_deliveries_are_stored_once_each() {
    let app = app_with_page().await;
    let (status, body) = app
        .send(signed(fixture("webhook_batched_multi_entry.json")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let events = webhook_events::list(&app.state.pool, &app.state.deliveries, None)
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e.status == "pending"));

    // Facebook retries the same delivery: nothing new is stored, the answer is still 200.
    let (status, _) = app
        .send(signed(fixture("webhook_batched_multi_entry.json")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        webhook_events::list(&app.state.pool, &app.state.deliveries, None)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        webhook_events::count_deliveries(&app.state.deliveries)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn every_fixture_is_accepted_and_kept_with_its_channel_and_kind() {
    let app = app_with_page().await;
    let cases = [
        ("webhook_message_text.json", "messaging", "message"),
        ("webhook_message_quick_reply.json", "messaging", "message"),
        ("webhook_postback_get_started.json", "messaging", "postback"),
        ("webhook_postback_button.json", "messaging", "postback"),
        ("webhook_echo.json", "messaging", "echo"),
        (
            "webhook_handover_done_in_page_inbox.json",
            "messaging",
            "pass_thread_control",
        ),
        (
            "webhook_handover_take.json",
            "messaging",
            "take_thread_control",
        ),
        ("webhook_standby_message.json", "standby", "message"),
    ];
    for (file, channel, kind) in cases {
        let (status, body) = app.send(signed(fixture(file))).await;
        assert_eq!(status, StatusCode::OK, "{file}: {body}");
        let events = webhook_events::list(&app.state.pool, &app.state.deliveries, None)
            .await
            .unwrap();
        let last = events.last().unwrap();
        assert_eq!(
            (last.channel.as_str(), last.kind.as_str()),
            (channel, kind),
            "{file}"
        );
    }
}

#[tokio::test]
async fn unknown_event_kinds_are_stored_as_ignored() {
    let app = app_with_page().await;
    let body = br#"{"object":"page","entry":[{"id":"1234567890","time":1,"messaging":[
        {"sender":{"id":"24000000000000001"},"recipient":{"id":"1234567890"},"timestamp":5,
         "optin":{"ref":"x"},"brand_new_field":{"a":1}},
        {"sender":{"id":"24000000000000001"},"recipient":{"id":"1234567890"},"timestamp":6,
         "read":{"watermark":5}}]}]}"#
        .to_vec();
    let (status, _) = app.send(signed(body)).await;
    assert_eq!(status, StatusCode::OK);
    let events = webhook_events::list(&app.state.pool, &app.state.deliveries, None)
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.status == "ignored"), "{events:?}");

    // Other objects (e.g. the dashboard's test "changes" payloads) are stored too.
    let body = br#"{"object":"instagram","entry":[{"id":"1","time":1,"changes":[{"field":"x","value":{}}]}]}"#.to_vec();
    let (status, _) = app.send(signed(body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        webhook_events::count_deliveries(&app.state.deliveries)
            .await
            .unwrap(),
        2
    );
}

/// A message in another object (Instagram to the same app) or for another page of the app
/// is kept, but as ignored: the runtime never answers it with the connected page's token.
#[tokio::test]
async fn events_not_for_the_connected_messenger_page_are_kept_as_ignored() {
    let app = app_with_page().await;
    let message = |object: &str, page: &str, mid: &str| {
        format!(
            r#"{{"object":"{object}","entry":[{{"id":"{page}","time":1,"messaging":[
            {{"sender":{{"id":"24000000000000001"}},"recipient":{{"id":"{page}"}},
              "timestamp":5,"message":{{"mid":"{mid}","text":"hi"}}}}]}}]}}"#
        )
        .into_bytes()
    };
    for body in [
        message("instagram", "1234567890", "m.ig"),
        message("page", "999999999", "m.other-page"),
        message("page", "1234567890", "m.ours"),
    ] {
        let (status, text) = app.send(signed(body)).await;
        assert_eq!(status, StatusCode::OK, "{text}");
    }
    let events = webhook_events::list(&app.state.pool, &app.state.deliveries, None)
        .await
        .unwrap();
    let statuses: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.page_id.as_str(), e.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("1234567890", "ignored"),
            ("999999999", "ignored"),
            ("1234567890", "pending"),
        ]
    );
}

#[tokio::test]
async fn bad_signatures_are_refused_and_nothing_is_stored() {
    let app = app_with_page().await;
    let body = fixture("webhook_message_text.json");
    let wrong = signature::sign_sha256(b"another secret", &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let tampered_sig = signature::sign_sha256(SECRET.as_bytes(), &body);
    for req in [
        post(body.clone(), None),
        post(body.clone(), Some("sha256=nothex".into())),
        post(body.clone(), Some(wrong)),
        post(tampered, Some(tampered_sig)),
    ] {
        let (status, _) = app.send(req).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(
        webhook_events::count_deliveries(&app.state.deliveries)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn bad_bodies_get_400_and_413_never_500() {
    let app = app_with_page().await;
    for body in [&b"not json"[..], b"[1,2]", b"", b"{\"object\":"] {
        let (status, _) = app.send(signed(body.to_vec())).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{:?}",
            String::from_utf8_lossy(body)
        );
    }
    let huge = vec![b' '; 1024 * 1024 + 1];
    let (status, _) = app.send(signed(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn no_connected_page_means_403() {
    let app = TestApp::new().await;
    let (status, _) = app.send(signed(fixture("webhook_message_text.json"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_database_that_cannot_store_gets_503_so_facebook_retries() {
    let app = app_with_page().await;
    // Make inserts fail while the page can still be read.
    match &app.state.deliveries {
        domain::db::Deliveries::Sqlite { pool, .. } => {
            sqlx::query("DROP TABLE webhook_events")
                .execute(pool)
                .await
                .unwrap();
        }
        domain::db::Deliveries::Postgres(pool) => {
            sqlx::query("DROP TABLE webhook_events CASCADE")
                .execute(pool)
                .await
                .unwrap();
        }
    }
    let (status, _) = app.send(signed(fixture("webhook_message_text.json"))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn odd_content_types_big_bodies_and_concurrent_replays_never_get_a_500() {
    let app = app_with_page().await;
    let body = fixture("webhook_message_text.json");
    let sig = signature::sign_sha256(SECRET.as_bytes(), &body);
    // Facebook always sends JSON; a signed JSON body under another content type is still the
    // delivery it claims to be.
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let req = Request::post("/webhook")
            .header(header::CONTENT_TYPE, content_type)
            .header("X-Hub-Signature-256", &sig)
            .body(Body::from(body.clone()))
            .unwrap();
        let (status, _) = app.send(req).await;
        assert_eq!(status, StatusCode::OK, "{content_type}");
    }
    // 2 MB, signed or not: refused for its size before anything is read into the database.
    let huge = vec![b'{'; 2 * 1024 * 1024];
    assert_eq!(
        app.send(signed(huge.clone())).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        app.send(post(huge, None)).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // The same delivery 20 times at once (they share one commit): the event is stored once.
    let replays = (0..20).map(|_| app.send(signed(body.clone())));
    for (status, _) in futures_util::future::join_all(replays).await {
        assert_eq!(status, StatusCode::OK);
    }
    let events = webhook_events::list(&app.state.pool, &app.state.deliveries, None)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        webhook_events::count_deliveries(&app.state.deliveries)
            .await
            .unwrap(),
        22
    );
}
