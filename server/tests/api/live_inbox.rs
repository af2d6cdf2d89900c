//! `GET /api/inbox/events`: only roles that work the inbox may listen, and a change announced
//! by the runtime reaches an open stream as a `change` event carrying the conversation.

use axum::http::{header, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{get, get_with, TestApp};
use app::model::Role;

/// Opens `GET /api/inbox/events` as `cookie`'s user; the response body is the stream.
async fn open_stream(app: &TestApp, cookie: &str) -> axum::response::Response {
    let resp = app
        .router
        .clone()
        .oneshot(get_with("/api/inbox/events", cookie))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp
}

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
    let resp = open_stream(&app, &agent).await;
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

#[tokio::test]
async fn the_stream_ends_when_the_user_is_disabled() {
    let app = TestApp::new().await;
    let agent_id = app.user("agent@example.com", Role::Agent).await;
    let agent = app.session_cookie(agent_id).await;
    let resp = open_stream(&app, &agent).await;
    let admin = domain::repo::audit::Actor::cli();
    domain::accounts::set_disabled(&app.state.pool, &app.state.clock, &admin, agent_id, true)
        .await
        .unwrap();
    // The next session check (every few seconds) ends the stream: the body completes.
    let mut body = resp.into_body();
    // The server checks every 5 s; give it twice that.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match body.frame().await {
                None => return true,
                Some(Ok(_)) => continue, // keep-alive comments
                Some(Err(_)) => return true,
            }
        }
    })
    .await;
    assert_eq!(
        ended,
        Ok(true),
        "the stream is still open after the user was disabled"
    );
}

#[tokio::test]
async fn a_user_may_hold_only_a_few_streams() {
    let app = TestApp::new().await;
    let agent = app.signed_in(Role::Agent).await;
    let mut open = Vec::new();
    for _ in 0..domain::live::MAX_STREAMS_PER_USER {
        let resp = open_stream(&app, &agent).await;
        open.push(resp);
    }
    let (status, body) = app.send(get_with("/api/inbox/events", &agent)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(body.contains("close one"), "{body}");
    // Closing one (the browser tab goes away) frees its place.
    drop(open.pop());
    open_stream(&app, &agent).await;
}

#[tokio::test]
async fn streams_end_when_the_server_shuts_down() {
    let app = TestApp::new().await;
    let agent = app.signed_in(Role::Agent).await;
    let resp = open_stream(&app, &agent).await;
    // What `baton serve` does on SIGTERM, so the shutdown does not wait for browsers.
    app.state.live.close();
    let mut body = resp.into_body();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match body.frame().await {
                None | Some(Err(_)) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the stream is still open after close()");
}
