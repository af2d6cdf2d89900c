//! The HTTP surface driven through the real router (`tower::ServiceExt::oneshot`): health,
//! server-side rendering of the shell, 404s, and the settings server functions persisting
//! through SQLite.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use server::config::{Config, ConfigArgs};
use server::startup;

struct TestApp {
    router: axum::Router,
    _dir: tempfile::TempDir,
}

async fn test_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::resolve(ConfigArgs {
        database_url: Some(format!("sqlite://{}/baton.db", dir.path().display())),
        addr: Some("127.0.0.1:0".into()),
        ..Default::default()
    })
    .unwrap();
    let state = startup::build_state(&config).await.unwrap();
    TestApp {
        router: startup::router(state),
        _dir: dir,
    }
}

async fn send(app: &TestApp, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn post_form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

#[tokio::test]
async fn healthz_reports_the_database() {
    let app = test_app().await;
    let (status, body) = send(&app, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["database"]["status"], "ok");
}

#[tokio::test]
async fn renders_the_shell_with_navigation() {
    let app = test_app().await;
    let (status, body) = send(&app, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    for link in ["/messages", "/inbox", "/simulator", "/setup", "/settings"] {
        assert!(body.contains(&format!("href=\"{link}\"")), "missing {link}");
    }
    assert!(body.contains("/pkg/baton.css"));
    assert!(body.contains("/pkg/baton.js"), "hydration script missing");
}

#[tokio::test]
async fn unknown_paths_get_the_404_screen() {
    let app = test_app().await;
    let (status, body) = send(&app, get("/no/such/screen")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("Page not found"));
}

#[tokio::test]
async fn page_name_round_trips_through_the_database() {
    let app = test_app().await;
    let (status, body) = send(&app, post_form("/api/settings/page_name", "")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "null");

    let (status, body) = send(
        &app,
        post_form("/api/settings/save_page_name", "name=++Baton+Demo+"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, "\"Baton Demo\"");

    let (_, body) = send(&app, post_form("/api/settings/page_name", "")).await;
    assert_eq!(body, "\"Baton Demo\"");

    // The settings screen renders the stored value on the server.
    let (status, html) = send(&app, get("/settings")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Baton Demo"), "{html}");
}

#[tokio::test]
async fn invalid_page_name_is_refused_with_a_plain_reason() {
    let app = test_app().await;
    let (status, body) = send(&app, post_form("/api/settings/save_page_name", "name=+++")).await;
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{status}"
    );
    assert!(body.contains("cannot be empty"), "{body}");
    let (_, body) = send(&app, post_form("/api/settings/page_name", "")).await;
    assert_eq!(body, "null", "a refused save must change nothing");
}
