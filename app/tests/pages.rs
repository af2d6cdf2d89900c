//! Connecting the page against a real SQLite database and the sandbox Graph API: the GET /me
//! check, refusals in plain words, the sandbox page, and secrets that never print.
#![cfg(feature = "ssr")]

use app::error::AppError;
use app::server::db;
use app::server::pages::{self, PageInput};
use app::server::repo::{audit, audit::Actor, pages as repo};
use messenger::Secret;
use sqlx::SqlitePool;

async fn pool() -> SqlitePool {
    let pool = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool
}

async fn sandbox_url() -> String {
    let sb = sandbox::Sandbox::new(sandbox::SandboxConfig::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(sandbox::serve_listener(listener, sb));
    format!("http://{addr}/v21.0")
}

fn input(page_id: &str, token: &str, secret: &str) -> PageInput {
    PageInput {
        page_id: page_id.into(),
        access_token: Secret::new(token),
        app_secret: Secret::new(secret),
        verify_token: Secret::new("my-verify-token"),
        app_id: sandbox::DEFAULT_APP_ID.into(),
    }
}

fn invalid(err: AppError) -> String {
    match err {
        AppError::Invalid(m) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_token_facebook_confirms_is_stored_with_the_page_name() {
    let pool = pool().await;
    let url = sandbox_url().await;
    let good = input(
        sandbox::DEFAULT_PAGE_ID,
        sandbox::DEFAULT_PAGE_TOKEN,
        sandbox::DEFAULT_APP_SECRET,
    );
    let connected = pages::connect(&pool, &Actor::cli(), good, &url)
        .await
        .unwrap();
    assert_eq!(connected.page.name, "Baton Demo");
    let stored = repo::current(&pool).await.unwrap().unwrap();
    assert_eq!(stored.page_id, sandbox::DEFAULT_PAGE_ID);
    assert_eq!(stored.access_token.expose(), sandbox::DEFAULT_PAGE_TOKEN);
    assert_eq!(stored.graph_api_url, None);
    assert!(!stored.is_sandbox);
    let printed = format!("{stored:?}");
    for secret in [
        sandbox::DEFAULT_PAGE_TOKEN,
        sandbox::DEFAULT_APP_SECRET,
        "my-verify-token",
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }
    let log = audit::list(&pool, None, 1).await.unwrap();
    assert_eq!(log[0].action, "page.connected");
    assert_eq!(log[0].target.as_deref(), Some(sandbox::DEFAULT_PAGE_ID));
}

#[tokio::test]
async fn refused_tokens_secrets_and_other_pages_store_nothing() {
    let pool = pool().await;
    let url = sandbox_url().await;
    let page = sandbox::DEFAULT_PAGE_ID;
    let bad_token = input(page, "wrong-token", sandbox::DEFAULT_APP_SECRET);
    let msg = invalid(
        pages::connect(&pool, &Actor::cli(), bad_token, &url)
            .await
            .unwrap_err(),
    );
    assert!(
        msg.contains("reconnect the page") && msg.contains("Nothing was stored"),
        "{msg}"
    );

    let bad_secret = input(page, sandbox::DEFAULT_PAGE_TOKEN, "wrong-secret");
    let msg = invalid(
        pages::connect(&pool, &Actor::cli(), bad_secret, &url)
            .await
            .unwrap_err(),
    );
    assert!(msg.contains("appsecret_proof"), "{msg}");

    let other = input(
        "42",
        sandbox::DEFAULT_PAGE_TOKEN,
        sandbox::DEFAULT_APP_SECRET,
    );
    let msg = invalid(
        pages::connect(&pool, &Actor::cli(), other, &url)
            .await
            .unwrap_err(),
    );
    assert!(
        msg.contains("belongs to page 1234567890 (Baton Demo), not to page 42"),
        "{msg}"
    );

    let blank = input("", "t", "s");
    let msg = invalid(
        pages::connect(&pool, &Actor::cli(), blank, &url)
            .await
            .unwrap_err(),
    );
    assert_eq!(msg, "The page id must not be empty.");
    assert!(repo::current(&pool).await.unwrap().is_none());
}

#[tokio::test]
async fn an_unreachable_graph_api_stores_the_page_with_a_note() {
    let pool = pool().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/v21.0");
    let connected = pages::connect(&pool, &Actor::cli(), input("77", "t", "s"), &url)
        .await
        .unwrap();
    assert!(
        connected.notes[0].contains("Could not check the token"),
        "{:?}",
        connected.notes
    );
    assert_eq!(repo::current(&pool).await.unwrap().unwrap().page_id, "77");
}

#[tokio::test]
async fn the_sandbox_page_replaces_the_connected_page() {
    let pool = pool().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    pages::connect(
        &pool,
        &Actor::cli(),
        input("77", "t", "s"),
        &format!("http://{closed}"),
    )
    .await
    .unwrap();
    let page = pages::connect_sandbox(&pool, &Actor::cli(), "http://127.0.0.1:3000/sandbox/v21.0/")
        .await
        .unwrap();
    let stored = repo::current(&pool).await.unwrap().unwrap();
    assert_eq!(stored.page_id, sandbox::DEFAULT_PAGE_ID);
    assert!(stored.is_sandbox);
    assert_eq!(stored.app_id, sandbox::DEFAULT_APP_ID);
    assert_eq!(stored.app_secret.expose(), sandbox::DEFAULT_APP_SECRET);
    assert_eq!(
        stored.graph_api_url.as_deref(),
        Some("http://127.0.0.1:3000/sandbox/v21.0")
    );
    assert_eq!(stored.verify_token.expose().len(), 32);
    assert_eq!(stored.verify_token, page.verify_token);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let client = pages::graph_client(&stored, "http://default.invalid");
    assert_eq!(client.base_url(), "http://127.0.0.1:3000/sandbox/v21.0");
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_database_folder_and_file_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = data.join("baton.db");
    let pool = db::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    db::migrate(&pool).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&file), 0o600);
    let wal = data.join("baton.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}
