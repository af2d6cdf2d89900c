//! Setup-wizard checks and failures, produced offline: who a token belongs to, debug_token,
//! missing permissions, secondary receivers, Conversation Routing, page settings (control
//! API and snapshots), and webhook verification.

use std::collections::HashMap;

use crate::common::*;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use messenger::graph::{GraphApi, MessengerProfile, ProfileField, BATON_SUBSCRIBED_FIELDS};
use messenger::send::SendRequest;
use messenger::{ErrorKind, FeatureStatus, GraphClient, GraphError, Secret, TokenKind};
use sandbox::{
    PageSnapshot, PageUpdate, Sandbox, SandboxConfig, SandboxError, Snapshot, DEFAULT_APP_ID,
    DEFAULT_APP_SECRET, DEFAULT_SCOPES, EXPIRED_TOKEN, SANDBOX_USER_ID, USER_TOKEN,
};
use serde_json::{json, Value};

const EXPIRED_SINCE: &str =
    "Session has expired on Tuesday, 01-Dec-26 10:00:00 PST. The current time is ";

fn client_with(env: &Env, token: &str) -> GraphClient {
    GraphClient::new(format!("{}/v21.0", env.base), Secret::new(token))
}

fn app_secret() -> Secret {
    Secret::new(DEFAULT_APP_SECRET)
}

fn http_status(err: &GraphError) -> Option<u16> {
    match err {
        GraphError::Api { status, .. } => Some(*status),
        _ => None,
    }
}

fn api_message(err: &GraphError) -> String {
    match err {
        GraphError::Api { error, .. } => error.message.clone(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

async fn get_json(url: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let resp = reqwest::Client::new()
        .get(url)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn update(f: impl FnOnce(&mut PageUpdate)) -> PageUpdate {
    let mut u = PageUpdate::default();
    f(&mut u);
    u
}

fn set_page(env: &Env, f: impl FnOnce(&mut PageUpdate)) {
    env.sandbox.update_page(PAGE, update(f)).unwrap();
}

#[tokio::test]
async fn token_owner_for_page_user_expired_and_unknown_tokens() {
    let env = env().await;
    let owner = env.client.token_owner().await.unwrap();
    assert_eq!(
        (owner.id.as_str(), owner.name.as_str(), owner.kind),
        (PAGE, "Baton Demo", TokenKind::Page)
    );

    let user = client_with(&env, USER_TOKEN).with_app_secret(&app_secret());
    let owner = user.token_owner().await.unwrap();
    assert_eq!(
        (owner.id.as_str(), owner.name.as_str(), owner.kind),
        (SANDBOX_USER_ID, "Sam Sandbox", TokenKind::User)
    );
    // Any page call with the user token needs a page token instead (code 210).
    for err in [
        user.subscribed_apps(PAGE).await.unwrap_err(),
        user.send(&SendRequest::text("1", "hi")).await.unwrap_err(),
        user.messaging_feature_status().await.unwrap_err(),
    ] {
        assert_eq!(err.code(), Some((210, None)), "{err:?}");
        assert_eq!(http_status(&err), Some(400));
        assert_eq!(
            api_message(&err),
            "(#210) A page access token is required to request this resource."
        );
    }

    let expired = client_with(&env, EXPIRED_TOKEN);
    let err = expired.token_owner().await.unwrap_err();
    assert_eq!(err.code(), Some((190, Some(463))));
    assert_eq!(err.kind(), ErrorKind::TokenExpired);
    assert_eq!(http_status(&err), Some(400));
    assert!(
        api_message(&err).starts_with(&format!("Error validating access token: {EXPIRED_SINCE}")),
        "{err}"
    );
    assert!(api_message(&err).ends_with(" PST."), "{err}");

    // Unknown tokens get the invalid-token error: code 190 without a subcode.
    let unknown = client_with(&env, "nobody-knows-me");
    let err = unknown.token_owner().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TokenExpired);
    assert_eq!(http_status(&err), Some(401));
    assert_eq!(
        api_message(&err),
        "Invalid OAuth access token - Cannot parse access token"
    );

    // The page token itself can expire, and come back.
    set_page(&env, |u| u.token_expired = Some(true));
    let err = env.client.token_owner().await.unwrap_err();
    assert_eq!(err.code(), Some((190, Some(463))));
    assert!(api_message(&err).contains(EXPIRED_SINCE));
    set_page(&env, |u| u.token_expired = Some(false));
    env.client.token_owner().await.unwrap();
}

#[tokio::test]
async fn page_node_metadata_and_fields() {
    let env = env().await;
    let tok = sandbox::DEFAULT_PAGE_TOKEN;
    for node in ["me", PAGE] {
        let (status, body) = get_json(
            &format!("{}/v21.0/{node}", env.base),
            &[("access_token", tok), ("metadata", "1")],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"id": PAGE, "name": "Baton Demo", "metadata": {"type": "page"}})
        );
    }
    let (status, body) = get_json(
        &format!("{}/me", env.base),
        &[("access_token", tok), ("fields", "id,bogus")],
    )
    .await;
    assert_eq!((status, body["error"]["code"].clone()), (400, json!(100)));
    assert_eq!(
        body["error"]["message"],
        "(#100) Tried accessing nonexisting field (bogus) on node type (Page)"
    );
    let (status, body) = get_json(
        &format!("{}/v21.0/me", env.base),
        &[("access_token", USER_TOKEN), ("metadata", "1")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"id": SANDBOX_USER_ID, "name": "Sam Sandbox", "metadata": {"type": "user"}})
    );
    let (status, body) = get_json(
        &format!("{}/v21.0/me", env.base),
        &[("access_token", USER_TOKEN), ("fields", "id,bogus")],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "(#100) Tried accessing nonexisting field (bogus) on node type (User)"
    );
}

#[tokio::test]
async fn debug_token_ok_wrong_secret_expired_and_user_token() {
    let env = env().await;
    let debug = env
        .client
        .debug_token(DEFAULT_APP_ID, &app_secret())
        .await
        .unwrap();
    assert!(debug.is_valid);
    assert_eq!(debug.app_id.as_deref(), Some(DEFAULT_APP_ID));
    assert_eq!(debug.kind.as_deref(), Some("PAGE"));
    assert_eq!(debug.expires_at, Some(0));
    assert_eq!(debug.scopes, DEFAULT_SCOPES);
    assert_eq!(debug.profile_id.as_deref(), Some(PAGE));
    assert_eq!(debug.error, None);

    // The app token: wrong secret for the right app id, or anything else.
    let err = env
        .client
        .debug_token(DEFAULT_APP_ID, &Secret::new("guessed-secret"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((190, None)));
    assert_eq!(api_message(&err), "Error validating client secret.");
    assert!(!format!("{err} {err:?}").contains("guessed-secret"));
    let err = env
        .client
        .debug_token("999", &app_secret())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((190, None)));
    assert_eq!(api_message(&err), "Invalid OAuth access token signature.");

    // An expired page token: not valid, a past expiry, Meta's error; scopes as set.
    set_page(&env, |u| {
        u.token_expired = Some(true);
        u.scopes = Some(vec!["pages_messaging".into()]);
    });
    let debug = env
        .client
        .debug_token(DEFAULT_APP_ID, &app_secret())
        .await
        .unwrap();
    assert!(!debug.is_valid);
    let now_s = env.sandbox.clock().now_ms() / 1000;
    assert!(debug.expires_at.is_some_and(|t| t > 0 && t < now_s));
    assert_eq!(debug.scopes, ["pages_messaging"]);
    let error = debug.error.unwrap();
    assert_eq!((error.code, error.subcode), (190, Some(463)));
    assert!(
        error.message.starts_with(EXPIRED_SINCE),
        "{}",
        error.message
    );

    let debug = client_with(&env, EXPIRED_TOKEN)
        .debug_token(DEFAULT_APP_ID, &app_secret())
        .await
        .unwrap();
    assert!(!debug.is_valid);
    assert_eq!(debug.error.unwrap().subcode, Some(463));

    let debug = client_with(&env, USER_TOKEN)
        .debug_token(DEFAULT_APP_ID, &app_secret())
        .await
        .unwrap();
    assert!(debug.is_valid);
    assert_eq!(debug.kind.as_deref(), Some("USER"));
    assert_eq!(debug.scopes, ["pages_show_list"]);
    assert_eq!(debug.profile_id, None);

    let debug = client_with(&env, "nobody-knows-me")
        .debug_token(DEFAULT_APP_ID, &app_secret())
        .await
        .unwrap();
    assert!(!debug.is_valid);
    assert!(debug.scopes.is_empty());
    let error = debug.error.unwrap();
    assert_eq!(
        (error.code, error.message.as_str()),
        (190, "Invalid OAuth access token.")
    );

    // Unversioned path too; the raw shape names the app.
    let app_token = format!("{DEFAULT_APP_ID}|{DEFAULT_APP_SECRET}");
    let (status, body) = get_json(
        &format!("{}/debug_token", env.base),
        &[("input_token", USER_TOKEN), ("access_token", &app_token)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["application"], "Baton");
    assert_eq!(body["data"]["user_id"], SANDBOX_USER_ID);
}

#[tokio::test]
async fn missing_permissions_are_refused_with_code_200() {
    let env = env().await;
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    let c = &env.client;

    set_page(&env, |u| u.scopes = Some(vec!["pages_messaging".into()]));
    let err = c
        .subscribe_app(PAGE, BATON_SUBSCRIBED_FIELDS)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some((200, None)));
    assert_eq!(err.kind(), ErrorKind::PermissionMissing);
    assert_eq!(http_status(&err), Some(403));
    assert_eq!(
        api_message(&err),
        "(#200) Requires pages_manage_metadata permission to manage the object"
    );
    for err in [
        c.subscribed_apps(PAGE).await.unwrap_err(),
        c.unsubscribe_app(PAGE).await.unwrap_err(),
        c.set_messenger_profile(&MessengerProfile::get_started("GS"))
            .await
            .unwrap_err(),
        c.delete_messenger_profile(&[ProfileField::GetStarted])
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionMissing, "{err:?}");
    }
    // Reading the profile and messaging still work.
    c.get_messenger_profile(&[ProfileField::GetStarted])
        .await
        .unwrap();
    c.send(&SendRequest::text(&psid, "still here"))
        .await
        .unwrap();

    set_page(&env, |u| {
        u.scopes = Some(vec!["pages_manage_metadata".into()])
    });
    for err in [
        c.send(&SendRequest::text(&psid, "no")).await.unwrap_err(),
        c.thread_owner(&psid).await.unwrap_err(),
        c.secondary_receivers().await.unwrap_err(),
        c.take_thread_control(&psid, None).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionMissing, "{err:?}");
        assert_eq!(
            api_message(&err),
            "(#200) Requires pages_messaging permission to manage the object"
        );
    }
    c.subscribe_app(PAGE, BATON_SUBSCRIBED_FIELDS)
        .await
        .unwrap();

    set_page(&env, |u| {
        u.scopes = Some(DEFAULT_SCOPES.iter().map(|s| s.to_string()).collect())
    });
    c.thread_owner(&psid).await.unwrap();
}

#[tokio::test]
async fn secondary_receivers_decide_where_baton_may_pass() {
    let env = env().await;
    let psid = env.user();
    env.sandbox.user_says(&psid, "hi").unwrap();
    let c = &env.client;

    set_page(&env, |u| u.secondary_receivers = Some(Vec::new()));
    assert!(c.secondary_receivers().await.unwrap().is_empty());
    let err = c.pass_thread_control(&psid, INBOX, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::HandoverRefused);
    assert_eq!(err.code(), Some((10, None)));
    assert_eq!(
        api_message(&err),
        "(#10) The target app is not a secondary receiver of this page"
    );
    assert_eq!(c.thread_owner(&psid).await.unwrap().as_deref(), Some(BATON));

    // Another app as secondary receiver: listed by name, Baton may pass to it and take back.
    set_page(&env, |u| {
        u.secondary_receivers = Some(vec!["555".into(), INBOX.into()])
    });
    let apps = c.secondary_receivers().await.unwrap();
    let listed: Vec<(&str, &str)> = apps
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(listed, [("555", "App 555"), (INBOX, "Page Inbox")]);
    c.pass_thread_control(&psid, "555", None).await.unwrap();
    assert_eq!(c.thread_owner(&psid).await.unwrap().as_deref(), Some("555"));
    c.take_thread_control(&psid, None).await.unwrap();
    c.pass_thread_control(&psid, INBOX, None).await.unwrap();
    // The Page Inbox agent can still hand back (Done).
    set_page(&env, |u| u.secondary_receivers = Some(Vec::new()));
    env.sandbox.inbox_done(&psid, None).unwrap();
    assert_eq!(c.thread_owner(&psid).await.unwrap().as_deref(), Some(BATON));
}

#[tokio::test]
async fn messaging_feature_status_follows_conversation_routing() {
    let env = env().await;
    assert_eq!(
        env.client.messaging_feature_status().await.unwrap(),
        FeatureStatus {
            hop_v2: Some(true),
            msgr_multi_app: Some(true)
        },
        "a sandbox page plays Conversation Routing unless told otherwise"
    );
    set_page(&env, |u| u.conversation_routing = Some(false));
    assert_eq!(
        env.client
            .messaging_feature_status()
            .await
            .unwrap()
            .msgr_multi_app,
        Some(false)
    );
    set_page(&env, |u| u.conversation_routing = Some(true));
    let (status, body) = get_json(
        &format!("{}/v21.0/me", env.base),
        &[
            ("access_token", sandbox::DEFAULT_PAGE_TOKEN),
            ("fields", "messaging_feature_status"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"messaging_feature_status": {"hop_v2": true, "ig_multi_app": false,
            "msgr_multi_app": true}, "id": PAGE})
    );
}

#[tokio::test]
async fn snapshots_keep_page_settings_and_old_ones_still_load() {
    let before = Sandbox::new(SandboxConfig::default());
    let changed = before
        .update_page(
            PAGE,
            PageUpdate {
                scopes: Some(vec!["pages_messaging".into()]),
                token_expired: Some(true),
                secondary_receivers: Some(vec!["555".into()]),
                conversation_routing: Some(false),
                refuse_handovers: Some(sandbox::Refusal::All),
                human_agent: Some(false),
                unsubscribe: true,
            },
        )
        .unwrap();
    let saved = serde_json::to_string(&before.snapshot()).unwrap();
    let after = Sandbox::new(SandboxConfig::default());
    after
        .restore(serde_json::from_str(&saved).unwrap())
        .unwrap();
    assert_eq!(after.page_settings(PAGE), Some(changed));
    assert_eq!(after.snapshot(), before.snapshot());

    // A page saved before the settings existed gets the defaults.
    let old: PageSnapshot = serde_json::from_value(
        json!({"id": PAGE, "profile": {}, "subscribed_fields": ["messages"]}),
    )
    .unwrap();
    assert_eq!(old.scopes, DEFAULT_SCOPES);
    assert_eq!(old.secondary_receivers, [INBOX]);
    assert!(!old.token_expired && !old.conversation_routing);
    let old_snapshot: Snapshot = serde_json::from_value(json!({
        "version": 1, "clock_offset_ms": 0, "inbox_takes_directly": false,
        "next_user": 0, "next_mid": 0, "users": [],
        "pages": [{"id": PAGE, "profile": {}, "subscribed_fields": null}],
    }))
    .unwrap();
    let fresh = Sandbox::new(SandboxConfig::default());
    fresh.restore(old_snapshot).unwrap();
    let s = fresh.page_settings(PAGE).unwrap();
    assert_eq!(s.scopes, DEFAULT_SCOPES);
    assert_eq!(s.secondary_receivers, [INBOX]);
    assert_eq!(s.subscribed_fields, None);
}

#[tokio::test]
async fn control_api_reads_and_changes_page_settings() {
    let sb = Sandbox::new(SandboxConfig::default());
    let app = sb.router();
    let uri = format!("/_sandbox/pages/{PAGE}");
    let (s, page) = call_json(&app, "GET", &uri, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        page,
        json!({"id": PAGE, "name": "Baton Demo", "scopes": DEFAULT_SCOPES,
            "token_expired": false, "secondary_receivers": [INBOX],
            "conversation_routing": true, "refuse_handovers": "off", "human_agent": true,
            "subscribed_fields": BATON_SUBSCRIBED_FIELDS})
    );
    sb.take_changes();
    let (s, page) = call_json(
        &app,
        "PUT",
        &uri,
        Some(
            json!({"token_expired": true, "unsubscribe": true, "conversation_routing": false,
                    "refuse_handovers": "restricted", "human_agent": false}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["token_expired"], true);
    assert_eq!(page["conversation_routing"], false);
    assert_eq!(page["refuse_handovers"], "restricted");
    assert_eq!(page["human_agent"], false);
    assert_eq!(page["subscribed_fields"], Value::Null);
    assert_eq!(page["scopes"], json!(DEFAULT_SCOPES), "unchanged");
    assert!(sb.take_changes().header_changed);
    assert_eq!(call_json(&app, "GET", &uri, None).await.1, page);

    let (s, err) = call_json(&app, "GET", "/_sandbox/pages/42", None).await;
    assert_eq!(
        (s, err),
        (StatusCode::NOT_FOUND, json!({"error": "unknown page 42"}))
    );
    let (s, _) = call_json(&app, "PUT", "/_sandbox/pages/42", Some(json!({}))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, err) = call_json(&app, "PUT", &uri, Some(json!({"tokenExpired": true}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        err["error"].as_str().unwrap().contains("tokenExpired"),
        "{err}"
    );
    let (s, err) = call_json(
        &app,
        "PUT",
        &uri,
        Some(json!({"secondary_receivers": [DEFAULT_APP_ID]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
}

/// A callback like Baton's: answers the challenge when the verify token is "right-token".
async fn verifier() -> String {
    async fn webhook(Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
        let get = |k: &str| q.get(k).cloned().unwrap_or_default();
        if get("hub.mode") == "subscribe" && get("hub.verify_token") == "right-token" {
            (StatusCode::OK, get("hub.challenge"))
        } else {
            (StatusCode::FORBIDDEN, "forbidden".into())
        }
    }
    let app = Router::new()
        .route("/webhook", get(webhook))
        .route("/teapot", get(|| async { (StatusCode::IM_A_TEAPOT, "no") }))
        .route(
            "/chatty",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                format!("{}\n", q["hub.challenge"])
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn verify_webhook_checks_the_challenge_answer() {
    let base = verifier().await;
    let sb = Sandbox::new(SandboxConfig::default());
    let good = format!("{base}/webhook");

    let check = sb.verify_webhook("right-token", Some(&good)).await.unwrap();
    assert!(check.verified, "{check:?}");
    assert_eq!(check.status, Some(200));
    assert!(check.message.starts_with("verified"), "{check:?}");

    let check = sb.verify_webhook("wrong-token", Some(&good)).await.unwrap();
    assert!(!check.verified);
    assert_eq!(check.status, Some(403));
    assert_eq!(check.message, "HTTP 403: the verify token did not match");

    let check = sb
        .verify_webhook("right-token", Some(&format!("{base}/chatty")))
        .await
        .unwrap();
    assert_eq!((check.verified, check.status), (false, Some(200)));
    assert!(check.message.starts_with("wrong answer"), "{check:?}");

    let check = sb
        .verify_webhook("right-token", Some(&format!("{base}/teapot")))
        .await
        .unwrap();
    assert_eq!((check.verified, check.status), (false, Some(418)));
    assert!(check.message.starts_with("HTTP 418"), "{check:?}");

    let check = sb
        .verify_webhook("right-token", Some("http://127.0.0.1:9/webhook"))
        .await
        .unwrap();
    assert_eq!((check.verified, check.status), (false, None));
    assert!(
        check.message.starts_with("could not connect: "),
        "{check:?}"
    );

    // No callback given or configured: refused; a non-http URL too.
    assert!(matches!(
        sb.verify_webhook("right-token", None).await,
        Err(SandboxError::Invalid(_))
    ));
    assert!(matches!(
        sb.verify_webhook("right-token", Some("ftp://x/")).await,
        Err(SandboxError::Invalid(_))
    ));

    // Over the control API: the configured callback when none is given.
    sb.set_callback_url(Some(good.clone()));
    let app = sb.router();
    let (s, check) = call_json(
        &app,
        "POST",
        "/_sandbox/app/verify_webhook",
        Some(json!({"verify_token": "right-token"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(check["verified"], true);
    assert_eq!(check["status"], 200);
    let (s, _) = call_json(&app, "POST", "/_sandbox/app/verify_webhook", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_fixed_callback_is_verified_instead_of_the_given_url() {
    let base = verifier().await;
    let config = SandboxConfig::new(DEFAULT_APP_SECRET, Some(format!("{base}/webhook")));
    let sb = Sandbox::new(config);
    sb.fix_callback_url();
    let check = sb
        .verify_webhook("right-token", Some(&format!("{base}/teapot")))
        .await
        .unwrap();
    assert!(check.verified, "{check:?}");
}
