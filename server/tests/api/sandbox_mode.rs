//! The built-in sandbox as a protected mode: mounted only while the sandbox page is
//! connected, its control API only for signed-in people allowed to use the Simulator and only
//! from Baton's own origin, its callback fixed to Baton's /webhook.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};

use crate::support::{get, get_with, TestApp};
use app::model::Role;
use domain::pages;
use domain::repo::audit::Actor;
use messenger::Secret;

async fn with_sandbox_page() -> TestApp {
    let app = TestApp::new().await;
    connect_sandbox_page(&app).await;
    app
}

/// Connects the built-in sandbox page, its Graph API where Baton at 127.0.0.1:3000 serves it.
async fn connect_sandbox_page(app: &TestApp) {
    pages::connect_sandbox(
        &app.state.pool,
        &app.state.clock,
        &Actor::cli(),
        "http://127.0.0.1:3000/sandbox/v21.0",
    )
    .await
    .unwrap();
}

fn post_json(uri: &str, body: &str, cookie: Option<&str>, origin: Option<&str>) -> Request<Body> {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::HOST, "127.0.0.1:3000");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_refuses_anonymous_and_cross_origin_calls() {
    let app = with_sandbox_page().await;
    let (status, body) = app.send(get("/sandbox/_sandbox/users")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = app
        .send(post_json("/sandbox/_sandbox/users", "{}", None, None))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(app.state.sandbox.users().is_empty(), "nothing was created");

    // Every role may use the Simulator, so an agent may drive test users.
    let agent = app.signed_in(Role::Agent).await;
    // The agent creates a test user (`body`) from a page at `origin`.
    let create_test_user = |body: &str, origin: &str| {
        app.send(post_json(
            "/sandbox/_sandbox/users",
            body,
            Some(&agent),
            Some(origin),
        ))
    };
    let (status, body) = create_test_user(r#"{"first_name":"Ana"}"#, "http://127.0.0.1:3000").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.send(get_with("/sandbox/_sandbox/users", &agent)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("Ana"), "{body}");

    // The same call from another site's page is refused before it reaches the sandbox.
    let (status, _) = create_test_user(r#"{"first_name":"Eve"}"#, "https://evil.example").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(app.state.sandbox.users().len(), 1);

    // The Graph API routes need the page token, not a session (Baton itself calls them).
    let (status, body) = app
        .send(get("/sandbox/v21.0/me?access_token=sandbox-page-token"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_is_not_found_with_a_real_page_or_no_page() {
    let app = TestApp::new().await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, _) = app.send(get_with("/sandbox/_sandbox/users", &admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no page connected");

    connect_sandbox_page(&app).await;
    let (status, _) = app.send(get_with("/sandbox/_sandbox/users", &admin)).await;
    assert_eq!(status, StatusCode::OK);

    // A real page replaces it (its token check is skipped: the Graph URL does not answer).
    pages::connect(
        &app.state.pool,
        &app.state.clock,
        &Actor::cli(),
        pages::PageInput {
            page_id: "555".into(),
            access_token: Secret::new("real-token"),
            app_secret: Secret::new("real-secret"),
            verify_token: Secret::new("verify"),
            app_id: "777".into(),
        },
        "http://127.0.0.1:9/v21.0",
    )
    .await
    .unwrap();
    for uri in [
        "/sandbox/_sandbox/users",
        "/sandbox/v21.0/me?access_token=sandbox-page-token",
    ] {
        let (status, body) = app.send(get_with(uri, &admin)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
    }
}
