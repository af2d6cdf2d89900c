//! The harness of the setup wizard's tests (setup.rs, setup_routing.rs,
//! setup_profile_and_settings.rs): a sandbox standing in for Facebook (its own port, like
//! graph.facebook.com for a real page), Baton served on a real port with its runtime and an
//! admin signed in, the wizard's server functions called as the browser calls them, and every
//! response kept to look for secrets at the end.

use std::sync::Mutex;
use std::time::Duration;

use crate::support::TestApp;
use app::model::{Check, CheckState, PageHealth, RecentPerson, Role, SetupStep, SetupView};
use sandbox::{
    NewUser, PageUpdate, Sandbox, SandboxConfig, DEFAULT_APP_ID, DEFAULT_APP_SECRET,
    DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN,
};
use server::config::ConfigArgs;

pub const VERIFY: &str = "my-verify-token-123";

pub struct Wiz {
    base: String,
    cookie: String,
    http: reqwest::Client,
    /// Stands in for Facebook.
    pub fb: Sandbox,
    pub app: TestApp,
    /// Every response body, to look for secrets at the end.
    pub seen: Mutex<Vec<String>>,
}

pub async fn wizard() -> Wiz {
    let fb_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fb_addr = fb_listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let fb = Sandbox::new(SandboxConfig {
        callback_url: Some(format!("http://{addr}/webhook")),
        ..Default::default()
    });
    tokio::spawn(sandbox::serve_listener(fb_listener, fb.clone()));
    let graph = format!("http://{fb_addr}/v21.0");
    let app = TestApp::with_config(ConfigArgs {
        graph_api_url: Some(graph.clone()),
        public_url: Some("https://baton.example.com".into()),
        ..Default::default()
    })
    .await;
    let state = app.state.clone();
    let service = server::startup::router(state.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    // The built-in sandbox (for "Use the sandbox page") delivers to this server too.
    state
        .sandbox
        .set_callback_url(Some(format!("http://{addr}/webhook")));
    crate::support::spawn_runtime(&state, &graph);
    let cookie = app.signed_in(Role::Admin).await;
    Wiz {
        base: format!("http://{addr}"),
        cookie,
        http: reqwest::Client::new(),
        fb,
        app,
        seen: Mutex::new(Vec::new()),
    }
}

impl Wiz {
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let (status, body) =
            crate::support::call_server_fn(&self.http, &self.base, &self.cookie, path, form).await;
        self.seen.lock().unwrap().push(body.clone());
        (status, body)
    }

    pub async fn ok<T: serde::de::DeserializeOwned>(&self, path: &str, form: &[(&str, &str)]) -> T {
        let (status, body) = self.call(path, form).await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    pub async fn refused(&self, path: &str, form: &[(&str, &str)]) -> String {
        let (status, body) = self.call(path, form).await;
        assert!(status >= 400, "{path} should be refused: {body}");
        body
    }

    pub async fn check(&self, step: SetupStep) -> SetupView {
        self.ok("setup/check", &[("step", step.slug())]).await
    }

    pub async fn token(&self, token: &str) -> SetupView {
        self.ok("setup/check_token", &[("token", token)]).await
    }

    pub async fn save_app(&self, secret: &str) -> SetupView {
        self.ok(
            "setup/save_app",
            &[
                ("app_id", DEFAULT_APP_ID),
                ("app_secret", secret),
                ("verify_token", VERIFY),
            ],
        )
        .await
    }

    pub fn break_page(&self, update: PageUpdate) {
        self.fb.update_page(DEFAULT_PAGE_ID, update).unwrap();
    }

    /// Steps 1–3 done: token, app, verified and subscribed webhook.
    pub async fn connected(&self) -> SetupView {
        self.token(DEFAULT_PAGE_TOKEN).await;
        self.save_app(DEFAULT_APP_SECRET).await;
        assert!(self.fb.verify_webhook(VERIFY, None).await.unwrap().verified);
        self.ok("setup/subscribe", &[]).await
    }

    /// A person writes to the page and Baton has stored their conversation.
    pub async fn someone_writes(&self, first_name: &str) -> String {
        let user = self
            .fb
            .create_user(NewUser {
                first_name: Some(first_name.into()),
                ..Default::default()
            })
            .unwrap();
        self.fb.user_says(&user.psid, "hello").unwrap();
        self.fb.settle().await;
        for _ in 0..100 {
            let people: Vec<RecentPerson> = self.ok("setup/recent_people", &[]).await;
            if people.iter().any(|p| p.psid == user.psid) {
                return user.psid;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the conversation of {first_name} never reached Baton");
    }

    pub fn assert_no_secret_seen(&self) {
        for body in self.seen.lock().unwrap().iter() {
            for secret in [DEFAULT_PAGE_TOKEN, DEFAULT_APP_SECRET, VERIFY] {
                assert!(
                    !body.contains(secret),
                    "a response carries {secret:?}: {body}"
                );
            }
        }
    }
}

/// The check `id` of `step`'s last report: (state, detail).
pub fn check(v: &SetupView, step: SetupStep, id: &str) -> (CheckState, String) {
    let report = v
        .report(step)
        .unwrap_or_else(|| panic!("no report for {step:?}: {v:?}"));
    find_check(&report.checks, id)
}

/// The check `id` of Settings → Page: (state, detail).
pub fn health_check(h: &PageHealth, id: &str) -> (CheckState, String) {
    find_check(&h.checks, id)
}

fn find_check(checks: &[Check], id: &str) -> (CheckState, String) {
    let c = checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {checks:?}"));
    (c.state, c.detail.clone())
}
