//! The emulator's caps (users, text size, transcript, ownership history, delivery records),
//! the typing indicator, the persistent menu, removing users, saving only what changed and
//! the fixed callback URL.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use messenger::send::{MessagingType, OutgoingMessage, SendRequest, SenderAction};
use sandbox::{Limits, NewUser, Sandbox, SandboxConfig, SandboxError, DEFAULT_PAGE_TOKEN};
use serde_json::json;
use tower::ServiceExt;

fn small_limits() -> SandboxConfig {
    SandboxConfig {
        limits: Limits {
            max_users: 2,
            max_text_chars: 10,
            max_transcript_lines: 3,
            max_history: 2,
            max_delivery_records: 4,
        },
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn the_caps_hold_and_the_oldest_lines_go_first() {
    let sb = Sandbox::new(small_limits());
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    sb.create_user(NewUser::default()).unwrap();
    let refused = sb.create_user(NewUser::default()).unwrap_err();
    assert!(refused.to_string().contains("2 test users"), "{refused}");

    let long = sb.user_says(&a, "eleven char").unwrap_err();
    assert!(long.to_string().contains("at most 10"), "{long}");
    assert!(sb.agent_says(&a, "eleven char").is_err());

    for text in ["one", "two", "three", "four", "five"] {
        sb.user_says(&a, text).unwrap();
    }
    let lines: Vec<_> = sb
        .transcript(&a)
        .unwrap()
        .into_iter()
        .filter_map(|l| l.text)
        .collect();
    assert_eq!(lines, ["three", "four", "five"]);

    for _ in 0..3 {
        sb.inbox_move_to_inbox(&a, None).unwrap();
        sb.inbox_done(&a, None).ok();
    }
    assert!(sb.thread(&a).unwrap().history.len() <= 2);

    // With no callback nothing is delivered, and pending records are never dropped.
    let records = sb.deliveries();
    assert!(records.len() > 4);
    assert!(records
        .iter()
        .all(|r| r.status == sandbox::DeliveryStatus::Pending));
}

#[tokio::test]
async fn finished_delivery_records_beyond_the_cap_are_dropped() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ok = axum::Router::new().route("/webhook", axum::routing::post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, ok).await });
    let mut config = small_limits();
    config.callback_url = Some(format!("http://{addr}/webhook"));
    let sb = Sandbox::new(config);
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    for text in ["1", "2", "3", "4", "5", "6"] {
        sb.user_says(&a, text).unwrap();
    }
    sb.settle().await;
    let records = sb.deliveries();
    assert_eq!(records.len(), 4);
    // The newest stay, numbered as before.
    assert_eq!(
        records.iter().map(|r| r.id).collect::<Vec<_>>(),
        [3, 4, 5, 6]
    );
}

#[tokio::test]
async fn typing_shows_until_the_next_message_or_twenty_seconds() {
    let sb = Sandbox::new(SandboxConfig::default());
    let app = axum::Router::new().nest("/sandbox", sb.router());
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    sb.user_says(&a, "hi").unwrap();
    let send = |body: serde_json::Value| {
        let app = app.clone();
        async move {
            let req = Request::post(format!(
                "/sandbox/v21.0/me/messages?access_token={DEFAULT_PAGE_TOKEN}"
            ))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
            app.oneshot(req).await.unwrap().status()
        }
    };
    let typing = SendRequest::action(&a, SenderAction::TypingOn);
    assert_eq!(send(json!(typing)).await, StatusCode::OK);
    assert!(sb.is_typing(&a).unwrap());
    let reply = SendRequest::message(
        &a,
        MessagingType::Response,
        OutgoingMessage {
            text: Some("Hello".into()),
            ..Default::default()
        },
    );
    assert_eq!(send(json!(reply)).await, StatusCode::OK);
    assert!(!sb.is_typing(&a).unwrap(), "a message ends the typing");

    assert_eq!(send(json!(typing)).await, StatusCode::OK);
    sb.advance(std::time::Duration::from_secs(21));
    assert!(!sb.is_typing(&a).unwrap(), "Messenger hides it after 20 s");
}

#[tokio::test]
async fn the_persistent_menu_sends_its_postback_and_a_url_item_says_so() {
    let sb = Sandbox::new(SandboxConfig::default());
    let app = sb.router();
    let profile = json!({"get_started": {"payload": "GET_STARTED"}, "persistent_menu": [{"locale": "default", "call_to_actions": [
        {"type": "postback", "title": "Main menu", "payload": "GOTO:main"},
        {"type": "web_url", "title": "Website", "url": "https://example.com"}
    ]}]});
    let req = Request::post(format!(
        "/v21.0/me/messenger_profile?access_token={DEFAULT_PAGE_TOKEN}"
    ))
    .header("content-type", "application/json")
    .body(Body::from(profile.to_string()))
    .unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), StatusCode::OK);
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    sb.user_taps_menu(&a, 0).unwrap();
    let line = sb.transcript(&a).unwrap().pop().unwrap();
    assert_eq!(line.text.as_deref(), Some("Main menu"));
    assert_eq!(line.payload.as_deref(), Some("GOTO:main"));
    let url = sb.user_taps_menu(&a, 1).unwrap_err();
    assert!(
        url.to_string().contains("opens https://example.com"),
        "{url}"
    );
    assert!(matches!(
        sb.user_taps_menu(&a, 5),
        Err(SandboxError::NoSuchButton(_))
    ));
}

#[tokio::test]
async fn only_changed_users_are_handed_out_for_saving() {
    let sb = Sandbox::new(SandboxConfig::default());
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    let b = sb.create_user(NewUser::default()).unwrap().psid;
    let first = sb.take_changes();
    assert!(first.header_changed);
    assert_eq!(first.users.len(), 2);

    assert!(sb.take_changes().users.is_empty(), "nothing changed since");
    sb.user_says(&b, "hi").unwrap();
    let second = sb.take_changes();
    assert_eq!(second.users.len(), 1);
    assert_eq!(second.users[0].0, b);
    assert_eq!(second.users[0].1.as_ref().unwrap().transcript.len(), 1);

    sb.remove_user(&a).unwrap();
    let third = sb.take_changes();
    assert_eq!(third.users, vec![(a.clone(), None)]);
    assert!(sb.user(&a).is_err());

    // A failed save hands them back.
    sb.mark_changed([b.clone()]);
    assert_eq!(sb.take_changes().users.len(), 1);
}

#[tokio::test]
async fn a_fixed_callback_url_cannot_be_changed_through_the_control_api() {
    let sb = Sandbox::new(SandboxConfig::default());
    sb.set_callback_url(Some("http://127.0.0.1:1/webhook".into()));
    sb.fix_callback_url();
    let req = Request::put("/_sandbox/callback")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"url": "http://evil.example/hook"}).to_string(),
        ))
        .unwrap();
    let resp = sb.router().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        sb.callback_url().as_deref(),
        Some("http://127.0.0.1:1/webhook")
    );
}
