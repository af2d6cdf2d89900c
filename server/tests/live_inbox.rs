//! `GET /api/inbox/events`: only roles that work the inbox may listen, and a change announced
//! by the runtime reaches an open stream as a `change` event carrying the conversation.

mod support;

use axum::http::{header, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::model::Role;
use support::{get, get_with, TestApp};

#[tokio::test]
async fn only_signed_in_inbox_roles_may_listen() {
    let app = TestApp::new().await;
    let (status, _) = app.send(get("/api/inbox/events")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let editor = app.signed_in(Role::Editor).await;
    let (status, _) = app.send(get_with("/api/inbox/events", &editor)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changes_reach_an_open_stream() {
    let app = TestApp::new().await;
    let agent = app.signed_in(Role::Agent).await;
    let resp = app
        .router
        .clone()
        .oneshot(get_with("/api/inbox/events", &agent))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE].to_str().unwrap(),
        "text/event-stream"
    );
    app.state.live.changed("24000000000000001");
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .expect("no event within 5 s")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert_eq!(text, "event: change\ndata: 24000000000000001\n\n");
}
