//! A sandbox page's settings (the failures the setup wizard meets): kept in snapshots (and
//! older snapshots still load with the defaults), read and changed over the control API.

use crate::common::*;
use axum::http::StatusCode;
use messenger::graph::BATON_SUBSCRIBED_FIELDS;
use sandbox::{
    PageSnapshot, PageUpdate, Sandbox, SandboxConfig, Snapshot, DEFAULT_APP_ID, DEFAULT_SCOPES,
};
use serde_json::{json, Value};

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
