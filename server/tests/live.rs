//! The real `baton` binary as the README's run command starts it (`BATON_AUTO_SANDBOX=1`):
//! the sandbox page is connected on first start, the runtime workers run in the background,
//! and a sandbox user tapping Get Started gets the published menu, with nothing driven by hand.

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

#[tokio::test]
async fn a_fresh_baton_answers_a_sandbox_user_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/baton.db", dir.path().display());
    let kit = format!(
        "{}/../crates/flows/tests/fixtures/handover_kit.json",
        env!("CARGO_MANIFEST_DIR")
    );
    assert!(baton(&db, &["flows", "import", &kit]).status.success());
    // No page yet: the version is recorded and nothing is pushed.
    let out = baton(&db, &["flows", "publish"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_baton"))
            .env("BATON_DATABASE_URL", &db)
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

    let control = format!("{base}/sandbox/_sandbox");
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

    let transcript_url = format!("{control}/users/{psid}/transcript");
    wait_until("the bot's menu in the user's transcript", || {
        let (http, url) = (http.clone(), transcript_url.clone());
        async move {
            let items: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
            items
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["text"] == "How can we help?")
        }
    })
    .await;
}
