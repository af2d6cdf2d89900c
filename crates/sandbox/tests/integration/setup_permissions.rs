//! What a sandbox page lets Baton do, as the setup wizard checks it offline: missing
//! permissions refused with code 200, secondary receivers deciding where Baton may pass, and
//! the messaging feature status following Conversation Routing.

use crate::common::*;
use messenger::graph::{GraphApi, MessengerProfile, ProfileField, BATON_SUBSCRIBED_FIELDS};
use messenger::send::SendRequest;
use messenger::{ErrorKind, FeatureStatus};
use sandbox::DEFAULT_SCOPES;
use serde_json::json;

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
