//! The setup wizard's first steps against a sandbox standing in for Facebook
//! (setup_harness.rs): each failure an admin meets producing its plain message (bad / user /
//! expired token, wrong app secret, missing permission, webhook never verified or verified
//! with the wrong token, missing subscription), the sandbox page in one click, and no response
//! ever carrying a secret. Steps 4 and 5: setup_routing.rs; 6, 7 and Settings → Page:
//! setup_profile_and_settings.rs.

use crate::setup_harness::{check, wizard, VERIFY};
use app::model::{CheckState, SetupStep, SetupView};
use sandbox::{
    PageUpdate, DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN,
    EXPIRED_TOKEN, USER_TOKEN,
};

#[tokio::test]
async fn step_one_says_what_is_wrong_with_each_kind_of_token() {
    let w = wizard().await;
    let v: SetupView = w.ok("setup/status", &[]).await;
    assert_eq!(v.current, SetupStep::Token);
    assert!(v.page.is_none() && v.pending.is_none());

    let v = w.token("EAAB-not-a-real-token").await;
    let (state, text) = check(&v, SetupStep::Token, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("does not accept this page access token"),
        "{text}"
    );
    assert!(v.pending.is_none());

    let v = w.token(USER_TOKEN).await;
    let (state, text) = check(&v, SetupStep::Token, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("user access token"), "{text}");
    assert!(text.contains("Sam Sandbox"), "{text}");

    let v = w.token(EXPIRED_TOKEN).await;
    let (_, text) = check(&v, SetupStep::Token, "token");
    assert!(text.contains("has expired"), "{text}");

    let body = w
        .refused("setup/check_token", &[("token", "two words")])
        .await;
    assert!(body.contains("must not contain spaces"), "{body}");

    let v = w.token(DEFAULT_PAGE_TOKEN).await;
    assert_eq!(check(&v, SetupStep::Token, "token").0, CheckState::Pass);
    let pending = v.pending.expect("the page waits for step 2");
    assert_eq!(
        (pending.page_id.as_str(), pending.name.as_str()),
        (DEFAULT_PAGE_ID, "Baton Demo")
    );
    assert_eq!(v.current, SetupStep::App, "the wizard moves on to step 2");
    assert!(
        v.page.is_none(),
        "nothing is connected before the app is checked"
    );
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn step_two_connects_the_page_only_with_the_right_app_secret() {
    let w = wizard().await;
    let body = w
        .refused(
            "setup/save_app",
            &[
                ("app_id", DEFAULT_APP_ID),
                ("app_secret", "x"),
                ("verify_token", VERIFY),
            ],
        )
        .await;
    assert!(body.contains("step 1"), "{body}");
    w.token(DEFAULT_PAGE_TOKEN).await;

    let v = w.save_app("wrong-secret").await;
    let (state, text) = check(&v, SetupStep::App, "app-secret");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("does not match app 111111111111111"),
        "{text}"
    );
    assert!(v.page.is_none(), "a refused secret stores nothing");

    let body = w
        .refused(
            "setup/save_app",
            &[
                ("app_id", "12ab"),
                ("app_secret", DEFAULT_APP_SECRET),
                ("verify_token", VERIFY),
            ],
        )
        .await;
    assert!(body.contains("App ID is a number"), "{body}");

    let v = w.save_app(DEFAULT_APP_SECRET).await;
    assert!(
        v.step_complete(SetupStep::App),
        "{:?}",
        v.report(SetupStep::App)
    );
    let page = v.page.clone().expect("connected");
    assert_eq!(page.page_id, DEFAULT_PAGE_ID);
    assert!(!page.is_sandbox);
    assert_eq!(v.current, SetupStep::Webhook);
    assert!(v.pending.is_none());
    assert!(
        v.step_complete(SetupStep::Token),
        "step 1's result still holds for the page now connected"
    );

    // A generated verify token is offered (not stored).
    let offered: String = w.ok("setup/new_verify_token", &[]).await;
    assert!(offered.len() >= 16);

    // A token without pages_manage_metadata: the app check names it.
    w.break_page(PageUpdate {
        scopes: Some(vec!["pages_messaging".into()]),
        ..Default::default()
    });
    let v = w.check(SetupStep::App).await;
    let (state, text) = check(&v, SetupStep::App, "permissions");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("lacks pages_manage_metadata"), "{text}");
    assert!(!v.step_complete(SetupStep::App));

    // With the app known, step 1 names a missing permission too, and keeps the working token.
    // Every store seals afresh (a new nonce), so an unchanged stored value means no store.
    let stored = || async {
        let (t,): (String,) = domain::backend::on_db!(&w.app.state.pool, pool => {
            sqlx::query_as("SELECT access_token FROM pages")
                .fetch_one(pool)
                .await
                .unwrap()
        });
        t
    };
    let before = stored().await;
    let v = w.token(DEFAULT_PAGE_TOKEN).await;
    let (state, text) = check(&v, SetupStep::Token, "permissions");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("lacks pages_manage_metadata"), "{text}");
    assert_eq!(
        check(&v, SetupStep::Token, "token-kept").0,
        CheckState::Fail
    );
    assert_eq!(stored().await, before, "nothing was stored");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn step_three_waits_for_the_handshake_and_subscribes_the_page() {
    let w = wizard().await;
    // A page nobody subscribed yet (the sandbox's page starts subscribed).
    w.break_page(PageUpdate {
        unsubscribe: true,
        ..Default::default()
    });
    w.token(DEFAULT_PAGE_TOKEN).await;
    w.save_app(DEFAULT_APP_SECRET).await;

    let v = w.check(SetupStep::Webhook).await;
    let (state, text) = check(&v, SetupStep::Webhook, "callback-url");
    assert_eq!(state, CheckState::Pass);
    assert!(text.contains("https://baton.example.com/webhook"), "{text}");
    assert_eq!(
        v.callback_url.as_deref(),
        Some("https://baton.example.com/webhook")
    );
    let (state, text) = check(&v, SetupStep::Webhook, "verified");
    assert_eq!(state, CheckState::Waiting, "never verified: {text}");
    assert!(text.contains("Verify and save"), "{text}");
    let (state, text) = check(&v, SetupStep::Webhook, "subscription");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("not subscribed"), "{text}");

    // Facebook calls with a verify token that does not match.
    let refused = w.fb.verify_webhook("not-the-token", None).await.unwrap();
    assert!(!refused.verified);
    let v = w.check(SetupStep::Webhook).await;
    let (state, text) = check(&v, SetupStep::Webhook, "verified");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("verify token did not match"), "{text}");

    // Then with the right one: the light turns green without any click in Baton.
    assert!(w.fb.verify_webhook(VERIFY, None).await.unwrap().verified);
    let v: SetupView = w.ok("setup/status", &[]).await;
    assert!(v.webhook_verified_at.is_some());
    let v = w.check(SetupStep::Webhook).await;
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Pass
    );

    // Without pages_manage_metadata the subscription cannot be made, and the wizard says why.
    w.break_page(PageUpdate {
        scopes: Some(vec!["pages_messaging".into()]),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    let (state, text) = check(&v, SetupStep::Webhook, "subscribe");
    assert_eq!(state, CheckState::Fail);
    assert!(
        text.contains("lacks the pages_manage_metadata permission"),
        "{text}"
    );

    w.break_page(PageUpdate {
        scopes: Some(
            sandbox::DEFAULT_SCOPES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        ..Default::default()
    });
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    let (state, text) = check(&v, SetupStep::Webhook, "subscription");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(text.contains("message_echoes"), "{text}");
    assert!(v.step_complete(SetupStep::Webhook));
    let fields =
        w.fb.page_settings(DEFAULT_PAGE_ID)
            .unwrap()
            .subscribed_fields
            .unwrap();
    assert!(
        fields.iter().any(|f| f == "messaging_handovers"),
        "{fields:?}"
    );
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn the_sandbox_page_is_one_click_and_verifies_offline() {
    let w = wizard().await;
    let v: SetupView = w.ok("setup/use_sandbox", &[]).await;
    let page = v.page.clone().expect("connected");
    assert!(page.is_sandbox);
    assert_eq!(check(&v, SetupStep::Token, "token").0, CheckState::Pass);
    assert!(
        v.step_complete(SetupStep::App),
        "{:?}",
        v.report(SetupStep::App)
    );
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Waiting
    );
    let v: SetupView = w.ok("setup/sandbox_verify", &[]).await;
    assert_eq!(
        check(&v, SetupStep::Webhook, "verified").0,
        CheckState::Pass
    );
    let v: SetupView = w.ok("setup/subscribe", &[]).await;
    assert!(
        v.step_complete(SetupStep::Webhook),
        "{:?}",
        v.report(SetupStep::Webhook)
    );
    w.assert_no_secret_seen();
}
