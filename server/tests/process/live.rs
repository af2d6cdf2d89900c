//! The real `baton` binary as the README's run command starts it (`BATON_AUTO_SANDBOX=1`):
//! the sandbox page is connected on first start, the runtime workers run in the background,
//! and a sandbox user tapping Get Started gets the published menu, with nothing driven by hand;
//! the sandbox's users survive the process being killed and started again.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn baton(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(args)
        .env("BATON_DATABASE_URL", db)
        .output()
        .unwrap()
}

async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Starts `baton serve` as the README's run command does; returns it and its base URL once
/// it answers.
async fn start(db: &str) -> (Server, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .env("BATON_DATABASE_URL", db)
            .env("BATON_ADDR", format!("127.0.0.1:{port}"))
            .env("BATON_AUTO_SANDBOX", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = reqwest::Client::new();
    wait_until("healthz", || async {
        http.get(format!("{base}/healthz")).send().await.is_ok()
    })
    .await;
    (server, base)
}

/// An HTTP client signed in as an agent (every role may use the Simulator, so it may drive
/// the sandbox's control API). The user is added by the CLI; the session is written into the
/// database, as signing in would.
async fn signed_in(db: &str) -> reqwest::Client {
    let pool = domain::db::connect(db).await.unwrap();
    let email = "simulator@example.com";
    if domain::repo::users::by_email(&pool, email)
        .await
        .unwrap()
        .is_none()
    {
        let out = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["user", "add", "--email", email, "--role", "agent"])
            .env("BATON_DATABASE_URL", db)
            .env("BATON_PASSWORD", "a long enough password")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let user = domain::repo::users::by_email(&pool, email)
        .await
        .unwrap()
        .unwrap();
    let token = domain::auth::new_token();
    let hash = domain::auth::token_hash(&token);
    domain::repo::sessions::create(&pool, &hash, user.id, domain::Clock::system().now())
        .await
        .unwrap();
    pool.close().await;
    let mut headers = reqwest::header::HeaderMap::new();
    let cookie = format!("{}={token}", domain::auth::SESSION_COOKIE);
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// `GET url` as JSON.
async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    http.get(url).send().await.unwrap().json().await.unwrap()
}

/// The sandbox user's transcript texts.
async fn seen(http: &reqwest::Client, control: &str, psid: &str) -> Vec<String> {
    get_json(http, &format!("{control}/users/{psid}/transcript"))
        .await
        .as_array()
        .map(|a| {
            a.iter()
                .map(|i| i["text"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A database with the handover kit imported and published by the CLI. No page is connected
/// yet: the version is recorded and nothing is pushed.
fn kit_published() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/baton.db", dir.path().display());
    let kit = format!(
        "{}/../crates/flows/tests/fixtures/handover_kit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    for args in [
        &["flows", "import", kit.as_str()][..],
        &["flows", "publish"],
    ] {
        let out = baton(&db, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
    }
    (dir, db)
}

/// A new sandbox user taps Get Started and waits for the bot's menu. Returns the psid.
async fn user_gets_the_menu(http: &reqwest::Client, control: &str) -> String {
    let user: Value = http
        .post(format!("{control}/users"))
        .json(&serde_json::json!({"first_name": "Ana"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let psid = user["psid"].as_str().unwrap().to_owned();
    // Get Started exists once Baton has pushed the published profile to the sandbox.
    let start_url = format!("{control}/users/{psid}/get_started");
    wait_until("Get Started to be tappable", || {
        let (http, url) = (http.clone(), start_url.clone());
        async move { http.post(&url).send().await.unwrap().status().is_success() }
    })
    .await;
    wait_until("the bot's menu in the user's transcript", || async {
        seen(http, control, &psid)
            .await
            .contains(&"How can we help?".to_owned())
    })
    .await;
    psid
}

#[tokio::test]
async fn a_fresh_baton_answers_a_sandbox_user_by_itself() {
    let (_dir, db) = kit_published();
    let (_server, base) = start(&db).await;
    let http = signed_in(&db).await;
    user_gets_the_menu(&http, &format!("{base}/sandbox/_sandbox")).await;
}

#[tokio::test]
async fn a_first_start_publishes_the_example_flow_so_the_story_runs_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/baton.db", dir.path().display());
    let (_server, base) = start(&db).await;
    let http = signed_in(&db).await;
    user_gets_the_menu(&http, &format!("{base}/sandbox/_sandbox")).await;
    let out = baton(&db, &["flows", "versions"]);
    let versions = String::from_utf8_lossy(&out.stdout);
    assert!(versions.contains("system"), "{versions}");
}

#[tokio::test]
async fn the_sandbox_keeps_its_users_when_baton_is_killed_and_restarted() {
    let (_dir, db) = kit_published();
    let (mut server, base) = start(&db).await;
    let http = signed_in(&db).await;
    let psid = user_gets_the_menu(&http, &format!("{base}/sandbox/_sandbox")).await;
    // The state is saved a moment after it changes; then the process dies without warning.
    let pool = domain::db::connect(&db).await.unwrap();
    wait_until("the saved sandbox state", || async {
        domain::repo::sandbox_state::load(&pool)
            .await
            .unwrap()
            .is_some_and(|(_, users)| users.iter().any(|u| u.contains("How can we help?")))
    })
    .await;
    pool.close().await;
    server.0.kill().unwrap();
    server.0.wait().unwrap();

    let (_server, base) = start(&db).await;
    let control = format!("{base}/sandbox/_sandbox");
    let users = get_json(&http, &format!("{control}/users")).await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["psid"] == psid.as_str()),
        "{users}"
    );
    assert!(seen(&http, &control, &psid)
        .await
        .contains(&"How can we help?".to_owned()));
    // The story goes on where it stopped: the menu's button opens the next message.
    let tap = http
        .post(format!("{control}/users/{psid}/tap"))
        .json(&serde_json::json!({"title": "Talk to human"}))
        .send()
        .await
        .unwrap();
    assert!(tap.status().is_success(), "{}", tap.text().await.unwrap());
    wait_until("the talk-to-human message", || async {
        seen(&http, &control, &psid)
            .await
            .iter()
            .any(|t| t.starts_with("Click the button below"))
    })
    .await;
}
