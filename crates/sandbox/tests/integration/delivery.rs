//! Webhook delivery: signatures checked with Baton's verifier, retries with backoff while the
//! callback fails, order kept, late callback URL, giving up, header switches.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::common::*;
use messenger::signature::{self, SignatureError};
use messenger::webhook::EventKind;
use sandbox::{DeliveryStatus, Sandbox, SandboxConfig, DEFAULT_APP_SECRET};

#[tokio::test]
async fn deliveries_are_signed_over_raw_bytes() {
    let env = env().await;
    let psid = env.user();
    env.sandbox
        .user_says(&psid, "olá 😀 https://x.example/a \"quoted\"")
        .unwrap();
    env.sandbox.settle().await;
    let got = env.receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    let secret = DEFAULT_APP_SECRET.as_bytes();
    assert_eq!(
        signature::verify(secret, &r.body, r.sha256.as_deref()),
        Ok(())
    );
    assert_eq!(
        signature::verify(b"wrong", &r.body, r.sha256.as_deref()),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        r.sha1.as_deref(),
        Some(signature::sign_sha1(secret, &r.body).as_str())
    );
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["object"], "page");
    assert_eq!(body["entry"][0]["id"], PAGE);
    assert!(body["entry"][0]["time"].is_i64());
    // The record keeps the exact bytes sent.
    let recs = env.sandbox.deliveries();
    assert_eq!(recs[0].body.as_bytes(), &r.body[..]);
    assert_eq!(recs[0].status, DeliveryStatus::Delivered);
    assert_eq!(recs[0].channel, "messaging");
}

#[tokio::test]
async fn retries_until_the_callback_recovers_and_keeps_order() {
    let env = env().await;
    env.receiver.fail_first.store(3, Ordering::SeqCst);
    let psid = env.user();
    for text in ["one", "two", "three"] {
        env.sandbox.user_says(&psid, text).unwrap();
    }
    let evs = env.take_events().await;
    let texts: Vec<_> = evs
        .iter()
        .map(|(_, e)| match &e.kind {
            EventKind::Message(m) => m.text.clone().unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["one", "two", "three"]);
    let recs = env.sandbox.deliveries();
    assert_eq!(recs[0].attempts.len(), 4);
    assert_eq!(recs[0].attempts[0].status, Some(500));
    assert_eq!(recs[0].attempts[3].status, Some(200));
    assert_eq!(recs[1].attempts.len(), 1);
    assert!(recs.iter().all(|r| r.status == DeliveryStatus::Delivered));
    assert_eq!(env.receiver.hits.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn queued_until_callback_is_set_then_delivered() {
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let sandbox = Sandbox::new(SandboxConfig::default());
    let psid = sandbox.create_user(Default::default()).unwrap().psid;
    sandbox.user_says(&psid, "early").unwrap();
    sandbox.settle().await; // returns: no callback yet
    assert_eq!(sandbox.deliveries()[0].status, DeliveryStatus::Pending);
    sandbox.set_callback_url(Some(url.clone()));
    assert_eq!(sandbox.callback_url(), Some(url));
    sandbox.settle().await;
    assert_eq!(receiver.events().len(), 1);
    assert_eq!(sandbox.deliveries()[0].status, DeliveryStatus::Delivered);
}

#[tokio::test]
async fn gives_up_after_max_attempts_and_header_switches() {
    let mut config = SandboxConfig::default();
    config.delivery.max_attempts = 2;
    config.delivery.sign_sha1 = false;
    let env = env_with(config).await;
    env.receiver.fail_first.store(2, Ordering::SeqCst);
    let psid = env.user();
    env.sandbox.user_says(&psid, "lost").unwrap();
    env.sandbox.user_says(&psid, "kept").unwrap();
    env.sandbox.settle().await;
    let recs = env.sandbox.deliveries();
    assert_eq!(recs[0].status, DeliveryStatus::Failed);
    assert_eq!(recs[0].attempts.len(), 2);
    assert_eq!(recs[1].status, DeliveryStatus::Delivered);
    let got = env.receiver.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert!(got[0].sha1.is_none());
    assert!(got[0].sha256.is_some());

    // Unreachable callback: transport errors are recorded (and retried).
    env.sandbox
        .set_callback_url(Some("http://127.0.0.1:9/webhook".into()));
    env.sandbox.user_says(&psid, "nobody home").unwrap();
    tokio::time::timeout(Duration::from_secs(10), env.sandbox.settle())
        .await
        .unwrap();
    let last = env.sandbox.deliveries().pop().unwrap();
    assert_eq!(last.status, DeliveryStatus::Failed);
    assert!(last
        .attempts
        .iter()
        .all(|a| a.status.is_none() && a.error.is_some()));
}
