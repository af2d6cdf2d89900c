//! The HTTP surface driven through the real router: health, server-side rendering of the
//! shell, 404s, the settings server functions persisting through SQLite, and the CSRF guard.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::support::{get, get_with, post_form, TestApp};
use app::model::Role;

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_the_database() {
    let app = TestApp::new().await;
    let (status, body) = app.send(get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["database"]["status"], "ok");
    assert_eq!(json["workers"]["events_pending"], 0);
    assert_eq!(json["workers"]["restarts"], 0);
}

/// With the workers stopped (not started in this test), a stored event waits: /healthz shows
/// it and how long it has waited, so a monitor can alert on a stuck runtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_shows_how_far_behind_the_workers_are() {
    use domain::repo::webhook_events::{self, NewEvent};
    let app = TestApp::new().await;
    let event = NewEvent {
        dedupe_key: "m.1".into(),
        page_id: "1234567890".into(),
        channel: "messaging",
        kind: "message".into(),
        sender_id: Some("24000000000000001".into()),
        recipient_id: Some("1234567890".into()),
        timestamp_ms: Some(1),
        payload: "{}".into(),
        actionable: true,
    };
    let now = app.state.clock.now();
    webhook_events::store_delivery(&app.state.deliveries, Some("page"), "{}", &[event], now)
        .await
        .unwrap();
    app.state.clock.advance(std::time::Duration::from_secs(90));
    let (status, body) = app.send(get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["workers"]["events_pending"], 1, "{json}");
    let lag = json["workers"]["events_lag_s"].as_i64().unwrap();
    assert!((90..100).contains(&lag), "{json}");
    assert_eq!(json["workers"]["calls_due"], 0);
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_visit_shows_the_first_admin_screen() {
    let app = TestApp::new().await;
    let (status, body) = app.send(get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Create the first admin"), "{body}");
    assert!(body.contains("/pkg/baton.css"));
    assert!(body.contains("/pkg/baton.js"), "hydration script missing");

    app.user("ana@example.com", Role::Admin).await;
    let (_, body) = app.send(get("/")).await;
    assert!(!body.contains("Create the first admin"));
    assert!(body.contains("Sign in"));
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_admin_sees_the_shell_with_navigation() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Admin).await;
    let (status, body) = app.send(get_with("/", &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    for link in ["/messages", "/inbox", "/simulator", "/setup", "/settings"] {
        assert!(body.contains(&format!("href=\"{link}\"")), "missing {link}");
    }
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_see_only_their_screens() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Agent).await;
    let (_, body) = app.send(get_with("/", &cookie)).await;
    assert!(body.contains("href=\"/inbox\""));
    assert!(!body.contains("href=\"/setup\""));
    let (_, body) = app.send(get_with("/setup", &cookie)).await;
    assert!(body.contains("Your role does not allow this."), "{body}");
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_get_the_404_screen() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Agent).await;
    let (status, body) = app.send(get_with("/no/such/screen", &cookie)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_name_round_trips_through_the_database() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Admin).await;
    let c = Some(cookie.as_str());
    let (status, body) = app.send(post_form("/api/settings/page_name", "", c)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "null");

    let (status, body) = app
        .send(post_form(
            "/api/settings/save_page_name",
            "name=++Baton+Demo+",
            c,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "\"Baton Demo\"");

    let (_, body) = app.send(post_form("/api/settings/page_name", "", c)).await;
    assert_eq!(body, "\"Baton Demo\"");

    // The settings screen renders the stored value on the server.
    let (status, html) = app.send(get_with("/settings", &cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Baton Demo"), "{html}");
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_page_name_is_refused_with_a_plain_reason() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Admin).await;
    let c = Some(cookie.as_str());
    let (status, body) = app
        .send(post_form("/api/settings/save_page_name", "name=+++", c))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("cannot be empty"), "{body}");
    let (_, body) = app.send(post_form("/api/settings/page_name", "", c)).await;
    assert_eq!(body, "null", "a refused save must change nothing");
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_posts_are_refused() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Admin).await;
    let req = Request::post("/api/settings/save_page_name")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=Pwned"))
        .unwrap();
    let (status, _) = app.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let same = Request::post("/api/settings/save_page_name")
        .header(header::HOST, "127.0.0.1:3000")
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=Fine"))
        .unwrap();
    let (status, body) = app.send(same).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

// Without an Origin header, the browser's Sec-Fetch-Site or else the Referer decides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_without_origin_are_judged_by_fetch_metadata_or_referer() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Admin).await;
    let post = |name: &str, extra: &[(&str, &str)]| {
        let mut req = Request::post("/api/settings/save_page_name")
            .header(header::HOST, "127.0.0.1:3000")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        req.body(Body::from(format!("name={name}"))).unwrap()
    };
    for refused in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")],
        &[("referer", "https://evil.example/form.html")],
        // Sec-Fetch-Site wins over a Referer that looks right.
        &[
            ("sec-fetch-site", "cross-site"),
            ("referer", "http://127.0.0.1:3000/"),
        ],
    ] {
        let (status, _) = app.send(post("Pwned", refused)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused:?}");
    }
    for allowed in [
        &[("sec-fetch-site", "same-origin")][..],
        &[("sec-fetch-site", "none")],
        &[("referer", "http://127.0.0.1:3000/settings")],
        // No browser signal at all: a script or the CLI, which has no ambient cookies.
        &[],
    ] {
        let (status, body) = app.send(post("Fine", allowed)).await;
        assert_eq!(status, StatusCode::OK, "{allowed:?}: {body}");
    }
    let (_, body) = app
        .send(post_form("/api/settings/page_name", "", Some(&cookie)))
        .await;
    assert_eq!(body, "\"Fine\"", "no refused request changed the name");
}

// Multi-threaded like the real server: server-side rendering runs on the Tokio executor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messenger_sandbox_is_mounted_under_sandbox() {
    let app = TestApp::new().await;
    domain::pages::connect_sandbox(
        &app.state.pool,
        &app.state.clock,
        &domain::repo::audit::Actor::cli(),
        "http://127.0.0.1:3000/sandbox/v21.0",
    )
    .await
    .unwrap();
    let (status, body) = app
        .send(get("/sandbox/v21.0/me?access_token=sandbox-page-token"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["id"], "1234567890");

    let (status, body) = app.send(get("/sandbox/v21.0/me?access_token=wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.contains("\"code\":190"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_inbox_search_is_refused_in_plain_words() {
    let app = TestApp::new().await;
    let cookie = app.signed_in(Role::Agent).await;
    let long = "a".repeat(101);
    let (status, body) = app
        .send(post_form(
            "/api/inbox/list",
            &format!("list=all&search={long}&cursor="),
            Some(&cookie),
        ))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("at most 100 characters (this is 101)"),
        "{body}"
    );
    let fine = "a".repeat(100);
    let (status, body) = app
        .send(post_form(
            "/api/inbox/list",
            &format!("list=all&search={fine}&cursor="),
            Some(&cookie),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
