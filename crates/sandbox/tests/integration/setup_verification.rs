//! The App Dashboard's webhook verification as the sandbox plays it: the challenge and its
//! answer checked, a wrong verify token, a wrong answer, HTTP errors and an unreachable
//! callback in plain words, over the control API too, and a fixed callback verified instead
//! of the URL given.

use std::collections::HashMap;

use crate::common::*;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use sandbox::{Sandbox, SandboxConfig, SandboxError, DEFAULT_APP_SECRET};
use serde_json::json;

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
