//! The setup wizard's last steps (6 and 7: the profile push and a test message) and Settings →
//! Page afterwards, against a sandbox standing in for Facebook (setup_harness.rs): a setting
//! broken after setup is reported, secrets are rotated, and no response carries a secret but
//! the one new verify token shown once.

use std::time::Duration;

use crate::setup_harness::{check, health_check, wizard};
use app::model::{CheckState, PageHealth, SetupStep, SetupView, TEST_MESSAGE};
use sandbox::PageUpdate;

#[tokio::test]
async fn steps_six_and_seven_push_the_profile_and_send_a_test() {
    let w = wizard().await;
    w.connected().await;
    let psid = w.someone_writes("Ana").await;

    // Profile: nothing published yet, then the handover kit published and pushed.
    let v = w.check(SetupStep::Profile).await;
    assert_eq!(
        check(&v, SetupStep::Profile, "published").0,
        CheckState::Waiting
    );
    let body = w.refused("setup/push_profile", &[]).await;
    assert!(body.contains("Nothing is published"), "{body}");
    domain::flows::import(
        &w.app.state.pool,
        &w.app.state.clock,
        &domain::repo::audit::Actor::cli(),
        &crate::support::handover_kit(),
    )
    .await
    .unwrap();
    // Published without a page to push to, so the page shows nothing yet.
    let unreachable = "http://127.0.0.1:9/v21.0";
    domain::flows::publish(
        &w.app.state.pool,
        &w.app.state.clock,
        &domain::repo::audit::Actor::cli(),
        unreachable,
    )
    .await
    .unwrap();
    let v = w.check(SetupStep::Profile).await;
    let (state, text) = check(&v, SetupStep::Profile, "get-started");
    assert_eq!(state, CheckState::Fail, "{text}");
    assert!(text.contains("Push to the page"), "{text}");
    let v: SetupView = w.ok("setup/push_profile", &[]).await;
    assert!(
        v.step_complete(SetupStep::Profile),
        "{:?}",
        v.report(SetupStep::Profile)
    );

    // Test message to the person who wrote.
    let v: SetupView = w.ok("setup/send_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::Test, "test-message");
    assert_eq!(state, CheckState::Pass, "{text}");
    assert!(!text.contains("Ghost"), "{text}");
    w.fb.settle().await;
    let said = w.fb.transcript(&psid).unwrap();
    assert!(
        said.iter()
            .any(|line| line.text.as_deref() == Some(TEST_MESSAGE)),
        "{said:?}"
    );
    let body = w.refused("setup/send_test", &[("psid", "999")]).await;
    assert!(body.contains("Pick someone"), "{body}");

    // Two days later the window is closed: the wizard says why the test cannot go.
    w.fb.advance(Duration::from_secs(48 * 3600));
    let v: SetupView = w.ok("setup/send_test", &[("psid", &psid)]).await;
    let (state, text) = check(&v, SetupStep::Test, "test-message");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("within 24 hours"), "{text}");
    w.assert_no_secret_seen();
}

#[tokio::test]
async fn settings_page_reports_a_setting_broken_after_setup_and_rotates_secrets() {
    let w = wizard().await;
    w.connected().await;
    w.someone_writes("Ben").await;
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    for id in [
        "token",
        "webhook-seen",
        "subscription",
        "page-inbox-secondary",
    ] {
        assert_eq!(health_check(&h, id).0, CheckState::Pass, "{id}: {h:?}");
    }

    w.break_page(PageUpdate {
        unsubscribe: true,
        ..Default::default()
    });
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    let (state, text) = health_check(&h, "subscription");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("not subscribed"), "{text}");

    w.break_page(PageUpdate {
        token_expired: Some(true),
        ..Default::default()
    });
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    let (state, text) = health_check(&h, "token");
    assert_eq!(state, CheckState::Fail);
    assert!(text.contains("expired"), "{text}");

    // Rotation: a token of no page is refused and nothing changes; a new verify token is
    // shown once, and only then.
    let rotate = |access_token, app_secret, new_verify| {
        [
            ("access_token", access_token),
            ("app_secret", app_secret),
            ("new_verify", new_verify),
        ]
    };
    let body = w
        .refused("settings/rotate_page", &rotate("EAAB-bad", "", "false"))
        .await;
    assert!(body.contains("was not stored"), "{body}");
    let body = w
        .refused("settings/rotate_page", &rotate("", "wrong", "false"))
        .await;
    assert!(body.contains("Nothing was stored"), "{body}");
    w.break_page(PageUpdate {
        token_expired: Some(false),
        ..Default::default()
    });
    let (status, body) = w
        .call("settings/rotate_page", &rotate("", "", "true"))
        .await;
    assert_eq!(status, 200, "{body}");
    let report: app::api::settings::RotateReport = serde_json::from_str(&body).unwrap();
    let fresh = report.new_verify_token.expect("shown once");
    assert!(!fresh.is_empty());
    w.seen.lock().unwrap().pop(); // the one answer allowed to carry it
    let page = domain::repo::pages::current(&w.app.state.pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.verify_token.expose(), fresh);

    w.ok::<()>("settings/disconnect_page", &[]).await;
    let h: PageHealth = w.ok("settings/page_health", &[]).await;
    assert!(h.page.is_none());
    w.assert_no_secret_seen();
}
