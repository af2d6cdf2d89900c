//! Test harness: the real router on a fresh SQLite database, plus helpers to make users and
//! sessions and to send requests with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::model::Role;
use app::server::repo::{audit::Actor, sessions};
use app::server::{accounts, auth, AppState};
use server::config::{Config, ConfigArgs};
use server::startup;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub router: axum::Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::resolve(ConfigArgs {
            database_url: Some(format!("sqlite://{}/baton.db", dir.path().display())),
            addr: Some("127.0.0.1:0".into()),
            ..Default::default()
        })
        .unwrap();
        let state = startup::build_state(&config).await.unwrap();
        Self {
            router: startup::router(state.clone()),
            state,
            _dir: dir,
        }
    }

    /// Sends one request; a request that takes over 30 s fails the test instead of hanging
    /// the whole run.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let uri = req.uri().to_string();
        let resp = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            self.router.clone().oneshot(req),
        )
        .await
        .unwrap_or_else(|_| panic!("{uri}: no response within 30 s"))
        .unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Creates a user with `PASSWORD`.
    pub async fn user(&self, email: &str, role: Role) -> i64 {
        accounts::create_user(&self.state.pool, &Actor::cli(), email, role, PASSWORD)
            .await
            .unwrap()
            .id
    }

    /// A `Cookie` header value for a new session of `user_id` (no password check: fast).
    pub async fn session_cookie(&self, user_id: i64) -> String {
        let token = auth::new_token();
        sessions::create(
            &self.state.pool,
            &auth::token_hash(&token),
            user_id,
            auth::now(),
        )
        .await
        .unwrap();
        format!("{}={token}", auth::SESSION_COOKIE)
    }

    /// A user of `role` and a cookie for them.
    pub async fn signed_in(&self, role: Role) -> String {
        let id = self
            .user(&format!("{}@example.com", role.as_str()), role)
            .await;
        self.session_cookie(id).await
    }
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn get_with(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

/// A server-function call the way the browser makes it (form-encoded POST).
pub fn post_form(uri: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}
