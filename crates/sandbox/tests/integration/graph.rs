//! Graph endpoints: success and error shapes over HTTP, the messenger GraphClient for every
//! GraphApi call, and the 24 h / 7-day windows via the clock.

use std::time::Duration;

use crate::common::*;
use messenger::graph::{
    GraphApi, MenuLocale, MessengerProfile, ProfileField, BATON_SUBSCRIBED_FIELDS,
};
use messenger::send::{Button, MessagingType, OutgoingMessage, QuickReply, SendRequest};
use messenger::{ErrorKind, GraphClient, Secret};
use serde_json::{json, Value};

async fn raw(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn token_checks_and_paths() {
    let env = env().await;
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../messenger/tests/fixtures/graph_error_invalid_token.json"
    ))
    .unwrap();
    for url in [
        format!("{}/v21.0/me?access_token=wrong", env.base),
        format!("{}/me", env.base),
    ] {
        let (status, body) = raw(reqwest::Method::GET, url, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["code"], fixture["error"]["code"]);
        // An unknown token has no subcode (463 is an expired session, a different case).
        assert!(body["error"]["error_subcode"].is_null(), "{body}");
        assert_eq!(body["error"]["type"], "OAuthException");
        assert!(body["error"]["fbtrace_id"].is_string());
    }
    let bad = GraphClient::new(format!("{}/v21.0", env.base), Secret::new("nope"));
    assert_eq!(bad.me().await.unwrap_err().kind(), ErrorKind::TokenExpired);

    // Unversioned path, other version, and Bearer auth all work.
    for prefix in ["", "/v19.0", "/v25.0"] {
        let (status, body) = raw(
            reqwest::Method::GET,
            format!(
                "{}{prefix}/me?access_token={DEFAULT}",
                env.base,
                DEFAULT = sandbox::DEFAULT_PAGE_TOKEN
            ),
            None,
        )
        .await;
        assert_eq!(
            (status, body),
            (200, json!({"id": PAGE, "name": "Baton Demo"}))
        );
    }
    let resp = reqwest::Client::new()
        .get(format!("{}/v21.0/me", env.base))
        .bearer_auth(sandbox::DEFAULT_PAGE_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // {page-id}/messages works like me/messages; another page id is refused.
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    let tok = sandbox::DEFAULT_PAGE_TOKEN;
    let (status, body) = raw(
        reqwest::Method::POST,
        format!("{}/v21.0/{PAGE}/messages?access_token={tok}", env.base),
        Some(json!({"recipient":{"id":psid},"messaging_type":"RESPONSE","message":{"text":"x"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["recipient_id"], psid.as_str());
    assert!(body["message_id"].as_str().unwrap().starts_with("m_"));
    let (status, body) = raw(
        reqwest::Method::POST,
        format!("{}/v21.0/999/messages?access_token={tok}", env.base),
        Some(json!({})),
    )
    .await;
    assert_eq!((status, body["error"]["code"].clone()), (403, json!(200)));
    let (status, body) = raw(
        reqwest::Method::POST,
        format!("{}/v21.0/me/messages?access_token={tok}", env.base),
        Some(json!({"recipient":{"id":psid}, "message": 5})),
    )
    .await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    let (status, _) = raw(
        reqwest::Method::GET,
        format!("{}/v21.0/me/nonsense?access_token={tok}", env.base),
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn send_validation_like_meta() {
    let env = env().await;
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    let c = &env.client;

    let err = c
        .send(&SendRequest::text(&psid, "a".repeat(2001)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    let msg = OutgoingMessage {
        text: Some("t".into()),
        quick_replies: vec![QuickReply::text("q", "p"); 14],
        ..Default::default()
    };
    let err = c
        .send(&SendRequest::message(&psid, MessagingType::Response, msg))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((100, None)));
    let four = vec![
        Button::Postback {
            title: "a".into(),
            payload: "b".into()
        };
        4
    ];
    let req = SendRequest::message(
        &psid,
        MessagingType::Response,
        OutgoingMessage::buttons("t", four),
    );
    assert_eq!(
        c.send(&req).await.unwrap_err().kind(),
        ErrorKind::InvalidParameter
    );

    let err = c
        .send(&SendRequest::text("24000000000009999", "hi"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnknownRecipient);
    assert_eq!(err.code(), Some((100, Some(2018001))));

    let ok = c
        .send(&SendRequest::action(
            &psid,
            messenger::send::SenderAction::TypingOn,
        ))
        .await
        .unwrap();
    assert_eq!(
        (ok.recipient_id.as_str(), ok.message_id),
        (psid.as_str(), None)
    );
    // Failed sends and sender actions leave no transcript line and no echo.
    assert!(env
        .take_events()
        .await
        .iter()
        .all(|(_, e)| e.kind.name() == "message"));
    assert_eq!(env.sandbox.transcript(&psid).unwrap().len(), 1);
}

#[tokio::test]
async fn messaging_windows_follow_the_clock() {
    let env = env().await;
    let psid = env.user();
    let c = &env.client;
    // Never wrote: outside the window.
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../messenger/tests/fixtures/graph_error_outside_window.json"
    ))
    .unwrap();
    let (status, body) = raw(
        reqwest::Method::POST,
        format!(
            "{}/v21.0/me/messages?access_token={}",
            env.base,
            sandbox::DEFAULT_PAGE_TOKEN
        ),
        Some(json!({"recipient":{"id":psid},"messaging_type":"RESPONSE","message":{"text":"x"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], fixture["error"]["message"]);
    assert_eq!(body["error"]["error_subcode"], 2018278);

    env.sandbox.user_says(&psid, "hi").unwrap();
    env.sandbox.advance(Duration::from_secs(23 * 3600));
    c.send(&SendRequest::text(&psid, "in time")).await.unwrap();
    assert!(env.sandbox.thread(&psid).unwrap().window_open);
    env.sandbox.advance(Duration::from_secs(3600 + 1));
    assert!(!env.sandbox.thread(&psid).unwrap().window_open);
    let err = c.send(&SendRequest::text(&psid, "late")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
    let mut update = SendRequest::text(&psid, "late");
    update.messaging_type = Some(MessagingType::Update);
    assert_eq!(
        c.send(&update).await.unwrap_err().kind(),
        ErrorKind::OutsideWindow
    );

    // HUMAN_AGENT tag: allowed up to 7 days; Page Inbox agents too.
    let human = SendRequest::human_agent(
        &psid,
        OutgoingMessage {
            text: Some("agent".into()),
            ..Default::default()
        },
    );
    c.send(&human).await.unwrap();
    env.sandbox.agent_says(&psid, "agent in inbox").unwrap();
    env.sandbox.advance(Duration::from_secs(5 * 24 * 3600));
    env.sandbox.agent_says(&psid, "still ok").unwrap();
    c.send(&human).await.unwrap();
    assert!(env.sandbox.thread(&psid).unwrap().human_agent_window_open);
    env.sandbox.advance(Duration::from_secs(24 * 3600));
    assert!(!env.sandbox.thread(&psid).unwrap().human_agent_window_open);
    assert_eq!(
        c.send(&human).await.unwrap_err().kind(),
        ErrorKind::OutsideWindow
    );
    let err = env.sandbox.agent_says(&psid, "too late").unwrap_err();
    assert!(matches!(err, sandbox::SandboxError::Refused(f) if f.subcode == Some(2018278)));
    // A new user message reopens the window.
    env.sandbox.user_says(&psid, "hello again").unwrap();
    c.send(&SendRequest::text(&psid, "welcome back"))
        .await
        .unwrap();
}

#[tokio::test]
async fn profile_user_page_and_subscriptions() {
    let env = env().await;
    let c = &env.client;
    let psid = env
        .sandbox
        .create_user(sandbox::NewUser {
            first_name: Some("Ana".into()),
            last_name: Some("Silva".into()),
            ..Default::default()
        })
        .unwrap()
        .psid;

    // Messenger profile: menu needs Get Started; set / get / delete.
    let menu = vec![MenuLocale {
        locale: "default".into(),
        composer_input_disabled: false,
        call_to_actions: vec![Button::Postback {
            title: "Talk to a human".into(),
            payload: "HUMAN".into(),
        }],
    }];
    let only_menu = MessengerProfile {
        persistent_menu: menu.clone(),
        ..Default::default()
    };
    assert_eq!(
        c.set_messenger_profile(&only_menu)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidParameter
    );
    assert_eq!(
        c.get_messenger_profile(&[ProfileField::GetStarted])
            .await
            .unwrap(),
        json!({})
    );
    let full = MessengerProfile {
        persistent_menu: menu,
        ..MessengerProfile::get_started("GET_STARTED")
    };
    c.set_messenger_profile(&full).await.unwrap();
    let got = c
        .get_messenger_profile(&[ProfileField::GetStarted, ProfileField::PersistentMenu])
        .await
        .unwrap();
    assert_eq!(got["get_started"], json!({"payload": "GET_STARTED"}));
    assert_eq!(
        got["persistent_menu"][0]["call_to_actions"][0]["payload"],
        "HUMAN"
    );
    let only_gs = c
        .get_messenger_profile(&[ProfileField::GetStarted])
        .await
        .unwrap();
    assert_eq!(only_gs, json!({"get_started": {"payload": "GET_STARTED"}}));

    // Get Started tap uses the stored payload.
    env.sandbox.user_get_started(&psid).unwrap();
    let evs = env.take_events().await;
    let messenger::webhook::EventKind::Postback(p) = &evs[0].1.kind else {
        panic!()
    };
    assert_eq!(
        (p.title.as_deref(), p.payload.as_deref()),
        (Some("Get Started"), Some("GET_STARTED"))
    );

    c.delete_messenger_profile(&[ProfileField::PersistentMenu])
        .await
        .unwrap();
    let got = c
        .get_messenger_profile(&[ProfileField::PersistentMenu, ProfileField::GetStarted])
        .await
        .unwrap();
    assert_eq!(got, json!({"get_started": {"payload": "GET_STARTED"}}));
    c.delete_messenger_profile(&[ProfileField::GetStarted])
        .await
        .unwrap();
    assert!(env.sandbox.user_get_started(&psid).is_err());

    // User profile, page, secondary receivers.
    let user = c.user_profile(&psid).await.unwrap();
    assert_eq!(
        (user.first_name.as_deref(), user.last_name.as_deref()),
        (Some("Ana"), Some("Silva"))
    );
    assert!(user.profile_pic.unwrap().starts_with("https://"));
    let err = c.user_profile("24000000000009999").await.unwrap_err();
    assert_eq!(err.code(), Some((100, Some(33))));
    let page = c.me().await.unwrap();
    assert_eq!((page.id.as_str(), page.name.as_str()), (PAGE, "Baton Demo"));
    let apps = c.secondary_receivers().await.unwrap();
    assert_eq!(
        (apps[0].id.as_str(), apps[0].name.as_str()),
        (INBOX, "Page Inbox")
    );

    // Subscriptions: pre-subscribed; unsubscribe stops webhooks; subscribe restores them.
    let subs = c.subscribed_apps(PAGE).await.unwrap();
    assert_eq!(subs[0].id, BATON);
    assert_eq!(subs[0].subscribed_fields, BATON_SUBSCRIBED_FIELDS);
    c.unsubscribe_app(PAGE).await.unwrap();
    assert!(c.subscribed_apps(PAGE).await.unwrap().is_empty());
    env.sandbox.user_says(&psid, "anyone?").unwrap();
    assert!(env.take_events().await.is_empty());
    let err = c.subscribe_app(PAGE, &["bogus_field"]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidParameter);
    c.subscribe_app(PAGE, &["messages"]).await.unwrap();
    assert_eq!(
        c.subscribed_apps(PAGE).await.unwrap()[0].subscribed_fields,
        ["messages"]
    );
    env.sandbox.user_says(&psid, "now?").unwrap();
    c.send(&SendRequest::text(&psid, "echo not subscribed"))
        .await
        .unwrap();
    let evs = env.take_events().await;
    assert_eq!(evs.len(), 1, "only the message; echoes not subscribed");
}

#[tokio::test]
async fn appsecret_proof_checked_when_present() {
    let env = env().await;
    // env.client sends a correct proof (all other tests pass through it).
    env.client.me().await.unwrap();
    let wrong = GraphClient::new(
        format!("{}/v21.0", env.base),
        Secret::new(sandbox::DEFAULT_PAGE_TOKEN),
    )
    .with_app_secret(&Secret::new("not-the-secret"));
    let err = wrong.me().await.unwrap_err();
    assert_eq!(err.code(), Some((100, None)));
    let plain = GraphClient::new(
        format!("{}/v21.0", env.base),
        Secret::new(sandbox::DEFAULT_PAGE_TOKEN),
    );
    plain.me().await.unwrap();
}

#[tokio::test]
async fn standalone_serve() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    tokio::spawn(sandbox::serve(addr, sandbox::SandboxConfig::default()));
    let client = GraphClient::new(
        format!("http://{addr}/v21.0"),
        Secret::new(sandbox::DEFAULT_PAGE_TOKEN),
    );
    let mut page = None;
    for _ in 0..50 {
        if let Ok(p) = client.me().await {
            page = Some(p);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(page.unwrap().id, PAGE);
    let (status, users) = raw(
        reqwest::Method::POST,
        format!("http://{addr}/_sandbox/users"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(users["psid"], "24000000000000001");
}
