//! Setup-wizard checks and failures of the page token, produced offline: who a token belongs
//! to, the page node's metadata and fields, and debug_token (wrong app secret, expired and
//! user tokens). What the page lets Baton do: setup_permissions.rs; the page's settings in
//! the control API and snapshots: setup_page_settings.rs; webhook verification:
//! setup_verification.rs.

use crate::common::*;
use messenger::graph::GraphApi;
use messenger::send::SendRequest;
use messenger::{ErrorKind, GraphClient, Secret, TokenKind};
use sandbox::{
    DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_SCOPES, EXPIRED_TOKEN, SANDBOX_USER_ID, USER_TOKEN,
};
use serde_json::json;

const EXPIRED_SINCE: &str =
    "Session has expired on Tuesday, 01-Dec-26 10:00:00 PST. The current time is ";

fn client_with(env: &Env, token: &str) -> GraphClient {
    GraphClient::new(format!("{}/v21.0", env.base), Secret::new(token))
}

fn app_secret() -> Secret {
    Secret::new(DEFAULT_APP_SECRET)
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
