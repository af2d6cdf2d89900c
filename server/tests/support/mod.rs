//! Test harness, shared by the integration tests and the benches (`#[path]` include): Baton's
//! state and router on a fresh SQLite file, a connected page with the handover kit published,
//! signed webhook deliveries, and helpers to make users and sessions and to send requests with
//! `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

pub mod live;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::model::Role;
use app::server::AppState;
use domain::repo::pages::{self, PageRow};
use domain::repo::{audit::Actor, sessions};
use domain::{accounts, auth, flows};
use messenger::{signature, Secret};
use server::config::{Config, ConfigArgs};
use server::startup;

/// The page id tests and benches connect (the sandbox's default page).
pub const PAGE_ID: &str = "1234567890";

/// A fresh folder (deleted when dropped) and a SQLite URL of a database file inside it.
pub fn temp_db() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/baton.db", dir.path().display());
    (dir, url)
}

/// [`temp_db`], or with `BATON_TEST_BACKEND=postgres` a new database on the test
/// PostgreSQL server (for tests that open the same database twice).
pub async fn temp_db_url() -> (tempfile::TempDir, String) {
    let (dir, url) = temp_db();
    if !on_postgres() {
        return (dir, url);
    }
    (dir, postgres_test_database().await)
}

/// A new, empty database on the test PostgreSQL server.
async fn postgres_test_database() -> String {
    let server = domain::testing::postgres_url()
        .expect("BATON_TEST_BACKEND=postgres needs BATON_TEST_POSTGRES_URL");
    domain::testing::empty_postgres_database(&server).await
}

/// Baton's state for `config`, as `baton serve` builds it; a PostgreSQL test database gets
/// a key of its own for the page secrets, as an in-memory SQLite database does.
async fn build_state(config: &Config) -> AppState {
    let state = startup::build_state(config).await.unwrap();
    if let domain::backend::Db::Postgres(pool) = &state.pool {
        domain::secrets::give_test_database_a_key(pool);
    }
    state
}

/// Baton's state (migrated database, sandbox, live hub) on `db_url`, as `baton serve`
/// builds it. With `BATON_TEST_BACKEND=postgres` a SQLite URL is replaced by a new database
/// on the test PostgreSQL server.
pub async fn state_on(db_url: &str) -> AppState {
    let db_url = if on_postgres() && db_url.starts_with("sqlite:") {
        postgres_test_database().await
    } else {
        db_url.to_owned()
    };
    let config = Config::resolve(ConfigArgs {
        database_url: Some(db_url),
        addr: Some("127.0.0.1:0".into()),
        ..Default::default()
    })
    .unwrap();
    build_state(&config).await
}

/// Runs raw SQL (several statements allowed) on the test's database, in its backend's
/// dialect: for tests that break the database on purpose.
pub async fn raw_sql(db: &domain::backend::Db, sqlite: &str, postgres: &str) {
    match db {
        domain::backend::Db::Sqlite(pool) => {
            sqlx::raw_sql(sqlite).execute(pool).await.unwrap();
        }
        domain::backend::Db::Postgres(pool) => {
            sqlx::raw_sql(postgres).execute(pool).await.unwrap();
        }
    }
}

/// Connects a (non-sandbox) page whose Graph API is at `graph` and whose webhooks are signed
/// with `app_secret`. Its bot disclosure is off (see [`quiet_bot`]).
pub async fn connect_page(state: &AppState, graph: &str, app_secret: &str) {
    let page = PageRow {
        page_id: PAGE_ID.into(),
        name: "Baton Demo".into(),
        access_token: Secret::new("token"),
        app_secret: Secret::new(app_secret),
        verify_token: Secret::new("verify"),
        app_id: "111111111111111".into(),
        graph_api_url: Some(graph.to_owned()),
        is_sandbox: false,
        connected_at: 0,
    };
    pages::connect(&state.pool, &page).await.unwrap();
    quiet_bot(state).await;
}

/// Turns the connected page's bot disclosure off (a newly connected page has it on), so that
/// what a test's users get is the flow's messages alone, one call per reply; the disclosure
/// has tests of its own (routing.rs).
pub async fn quiet_bot(state: &AppState) {
    pages::set_bot_disclosure(&state.pool, PAGE_ID, None)
        .await
        .unwrap();
}

/// The handover kit flow file (crates/flows/tests/fixtures).
pub fn handover_kit() -> String {
    std::fs::read_to_string(format!(
        "{}/../crates/flows/tests/fixtures/handover_kit.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Imports and publishes the handover kit (pushing its profile through `graph`).
pub async fn publish_kit(state: &AppState, graph: &str) {
    flows::import(&state.pool, &state.clock, &Actor::cli(), &handover_kit())
        .await
        .unwrap();
    flows::publish(&state.pool, &state.clock, &Actor::cli(), graph)
        .await
        .unwrap();
}

/// Serves `state` on a free local port as `baton serve` does, with the built-in sandbox page
/// connected (bot disclosure off, see [`quiet_bot`]), the sandbox delivering to this server's
/// /webhook and the handover kit published. Returns the address and the sandbox's Graph API URL.
#[allow(dead_code)] // not every test binary serves on a port
pub async fn serve_with_sandbox_page(state: &AppState) -> (std::net::SocketAddr, String) {
    use std::net::SocketAddr;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = startup::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    state
        .sandbox
        .set_callback_url(Some(format!("http://{addr}/webhook")));
    let graph = format!("http://{addr}/sandbox/v21.0");
    domain::pages::connect_sandbox(&state.pool, &state.clock, &Actor::cli(), &graph)
        .await
        .unwrap();
    quiet_bot(state).await;
    publish_kit(state, &graph).await;
    (addr, graph)
}

/// Calls the server function at `/api/{path}` of a served Baton as the browser does (a form
/// POST with the session cookie); returns the status and the body.
#[allow(dead_code)] // not every test binary serves on a port
pub async fn call_server_fn(
    http: &reqwest::Client,
    base: &str,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let resp = http
        .post(format!("{base}/api/{path}"))
        .header("cookie", cookie)
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Starts the runtime's workers for `state` (webhook events, outbox) sending through `graph`.
#[allow(dead_code)] // not every test binary runs the workers
pub fn spawn_runtime(state: &AppState, graph: &str) {
    let _lanes = domain::runtime::spawn(
        state.pool.clone(),
        state.deliveries.clone(),
        domain::runtime::RuntimeConfig {
            graph_api_url: graph.to_owned(),
            calls_per_second: 250,
        },
        state.wake.clone(),
        state.live.clone(),
        state.clock.clone(),
        &state.workers,
    );
}

/// `POST /webhook` with `body` signed by `app_secret`, as Facebook delivers it.
pub fn signed_webhook(body: Vec<u8>, app_secret: &str) -> Request<Body> {
    let sig = signature::sign_sha256(app_secret.as_bytes(), &body);
    Request::post("/webhook")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Hub-Signature-256", sig)
        .body(Body::from(body))
        .unwrap()
}

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub router: axum::Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

/// The variable that moves the in-process suites (every `TestApp`) to PostgreSQL:
/// `BATON_TEST_BACKEND=postgres`, with `BATON_TEST_POSTGRES_URL` naming the server.
/// scripts/test.sh runs the server suites once on SQLite and once so.
pub const BACKEND_VAR: &str = "BATON_TEST_BACKEND";

/// Whether this run's `TestApp`s are on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(BACKEND_VAR).is_ok_and(|v| v == "postgres")
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(ConfigArgs::default()).await
    }

    /// A fresh app whose settings are `args` (a temporary database and a free port filled in).
    pub async fn with_config(args: ConfigArgs) -> Self {
        let (dir, db_url) = temp_db_url().await;
        let config = Config::resolve(ConfigArgs {
            database_url: Some(db_url),
            addr: Some("127.0.0.1:0".into()),
            ..args
        })
        .unwrap();
        let state = build_state(&config).await;
        Self {
            router: startup::router(state.clone()),
            state,
            _dir: dir,
        }
    }

    /// Sends one request and reads the whole body; a response that takes over 30 s (a
    /// streamed page whose body never ends counts) fails the test instead of hanging the run.
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let uri = req.uri().to_string();
        let (status, body) = tokio::time::timeout(std::time::Duration::from_secs(30), async {
            let resp = self.router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            (status, resp.into_body().collect().await.unwrap().to_bytes())
        })
        .await
        .unwrap_or_else(|_| panic!("{uri}: no complete response within 30 s"));
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// Creates a user with `PASSWORD`.
    pub async fn user(&self, email: &str, role: Role) -> i64 {
        accounts::create_user(
            &self.state.pool,
            &self.state.clock,
            &Actor::cli(),
            email,
            role,
            PASSWORD,
        )
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
            self.state.clock.now(),
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
