//! Connecting the page against real databases (SQLite, and PostgreSQL where the test is not
//! about SQLite's files) and the sandbox Graph API: the GET /me
//! check, refusals in plain words, the sandbox page, and secrets that never print.

use domain::backend::on_db;
use domain::backend::Db;
use domain::db;
use domain::pages::{self, PageError, PageInput};
use domain::repo::{audit, audit::Actor, pages as repo};
use domain::Clock;
use messenger::Secret;
use sqlx::SqlitePool;

// The rest is SQLite only: files and their permissions, the key file beside the database,
// and secrets stored before encryption existed (no PostgreSQL database has those).
domain::testing::test_on_both_backends!(
    memory:
    a_token_facebook_confirms_is_stored_with_the_page_name,
    refused_tokens_secrets_and_other_pages_store_nothing,
    an_unreachable_graph_api_stores_the_page_with_a_note,
    the_sandbox_page_replaces_the_connected_page,
    the_webhooks_page_cache_follows_a_connect_or_disconnect_at_once,
);

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

fn invalid(err: PageError) -> String {
    match err {
        PageError::Invalid(m) => m,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn a_token_facebook_confirms_is_stored_with_the_page_name(pool: Db) {
    let url = sandbox_url().await;
    let good = input(
        sandbox::DEFAULT_PAGE_ID,
        sandbox::DEFAULT_PAGE_TOKEN,
        sandbox::DEFAULT_APP_SECRET,
    );
    let connected = pages::connect(&pool, &Clock::system(), &Actor::cli(), good, &url)
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

async fn refused_tokens_secrets_and_other_pages_store_nothing(pool: Db) {
    let url = sandbox_url().await;
    let page = sandbox::DEFAULT_PAGE_ID;
    let bad_token = input(page, "wrong-token", sandbox::DEFAULT_APP_SECRET);
    let msg = invalid(
        pages::connect(&pool, &Clock::system(), &Actor::cli(), bad_token, &url)
            .await
            .unwrap_err(),
    );
    assert!(
        msg.contains("reconnect the page") && msg.contains("Nothing was stored"),
        "{msg}"
    );

    let bad_secret = input(page, sandbox::DEFAULT_PAGE_TOKEN, "wrong-secret");
    let msg = invalid(
        pages::connect(&pool, &Clock::system(), &Actor::cli(), bad_secret, &url)
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
        pages::connect(&pool, &Clock::system(), &Actor::cli(), other, &url)
            .await
            .unwrap_err(),
    );
    assert!(
        msg.contains("belongs to page 1234567890 (Baton Demo), not to page 42"),
        "{msg}"
    );

    let blank = input("", "t", "s");
    let msg = invalid(
        pages::connect(&pool, &Clock::system(), &Actor::cli(), blank, &url)
            .await
            .unwrap_err(),
    );
    assert_eq!(msg, "The page id must not be empty.");
    assert!(repo::current(&pool).await.unwrap().is_none());
}

async fn an_unreachable_graph_api_stores_the_page_with_a_note(pool: Db) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/v21.0");
    let connected = pages::connect(
        &pool,
        &Clock::system(),
        &Actor::cli(),
        input("77", "t", "s"),
        &url,
    )
    .await
    .unwrap();
    assert!(
        connected.notes[0].contains("Could not check the token"),
        "{:?}",
        connected.notes
    );
    assert_eq!(repo::current(&pool).await.unwrap().unwrap().page_id, "77");
}

async fn the_sandbox_page_replaces_the_connected_page(pool: Db) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    pages::connect(
        &pool,
        &Clock::system(),
        &Actor::cli(),
        input("77", "t", "s"),
        &format!("http://{closed}"),
    )
    .await
    .unwrap();
    let page = pages::connect_sandbox(
        &pool,
        &Clock::system(),
        &Actor::cli(),
        "http://127.0.0.1:3000/sandbox/v21.0/",
    )
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
    let (n,): (i64,) = on_db!(&pool, p => {
        sqlx::query_as("SELECT COUNT(*) FROM pages")
            .fetch_one(p)
            .await
            .unwrap()
    });
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

fn demo_page() -> repo::PageRow {
    repo::PageRow {
        page_id: "1234567890".into(),
        name: "Baton Demo".into(),
        access_token: Secret::new("EAAB-page-token"),
        app_secret: Secret::new("the-app-secret"),
        verify_token: Secret::new("the-verify-token"),
        app_id: "111111111111111".into(),
        graph_api_url: None,
        is_sandbox: false,
        connected_at: 1,
    }
}

/// What the `pages` row holds on disk.
async fn stored(pool: &SqlitePool) -> String {
    let (a, b, c): (String, String, String) =
        sqlx::query_as("SELECT access_token, app_secret, verify_token FROM pages")
            .fetch_one(pool)
            .await
            .unwrap();
    format!("{a} {b} {c}")
}

#[tokio::test]
async fn page_secrets_are_sealed_at_rest_with_a_key_file_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/baton.db", dir.path().display());
    let pool = db::connect(&url).await.unwrap();
    db::migrate(&pool).await.unwrap();
    repo::connect(&pool, &demo_page()).await.unwrap();

    let on_disk = stored(&pool).await;
    for secret in ["EAAB-page-token", "the-app-secret", "the-verify-token"] {
        assert!(
            !on_disk.contains(secret),
            "{secret} stored in the clear: {on_disk}"
        );
    }
    let page = repo::current(&pool).await.unwrap().unwrap();
    assert_eq!(page.access_token.expose(), "EAAB-page-token");
    assert_eq!(page.app_secret.expose(), "the-app-secret");
    assert_eq!(page.verify_token.expose(), "the-verify-token");

    let key_file = dir.path().join("secret.key");
    assert!(key_file.exists(), "the key is created next to the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // The database copied elsewhere without its key: the secrets cannot be read, and the
    // error says what to do.
    pool.close().await;
    let elsewhere = tempfile::tempdir().unwrap();
    for f in ["baton.db", "baton.db-wal", "baton.db-shm"] {
        let from = dir.path().join(f);
        if from.exists() {
            std::fs::copy(from, elsewhere.path().join(f)).unwrap();
        }
    }
    let url = format!("sqlite://{}/baton.db", elsewhere.path().display());
    let copy = db::connect(&url).await.unwrap();
    let err = repo::current(&copy).await.unwrap_err().to_string();
    assert!(err.contains("cannot be read with this secret key"), "{err}");
    // The same copy with the original key beside it opens (a fresh folder: a running Baton
    // reads its key file once).
    let third = tempfile::tempdir().unwrap();
    for f in ["baton.db", "baton.db-wal", "baton.db-shm", "secret.key"] {
        let from = if f == "secret.key" {
            key_file.clone()
        } else {
            elsewhere.path().join(f)
        };
        if from.exists() {
            std::fs::copy(from, third.path().join(f)).unwrap();
        }
    }
    let url = format!("sqlite://{}/baton.db", third.path().display());
    let restored = db::connect(&url).await.unwrap();
    let page = repo::current(&restored).await.unwrap().unwrap();
    assert_eq!(page.app_secret.expose(), "the-app-secret");
}

#[tokio::test]
async fn secrets_stored_before_encryption_are_read_and_then_sealed() {
    let pool = pool().await;
    sqlx::query(
        "INSERT INTO pages (page_id, name, access_token, app_secret, verify_token, app_id,
                            graph_api_url, is_sandbox, connected_at)
         VALUES ('1234567890', 'Old', 'old-token', 'old-secret', 'old-verify', '1', NULL, 0, 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let page = repo::current(&pool).await.unwrap().unwrap();
    assert_eq!(page.access_token.expose(), "old-token");
    assert!(repo::seal_stored(&pool).await.unwrap(), "sealed now");
    assert!(
        !stored(&pool).await.contains("old-"),
        "{}",
        stored(&pool).await
    );
    assert!(
        !repo::seal_stored(&pool).await.unwrap(),
        "nothing left to seal"
    );
    let page = repo::current(&pool).await.unwrap().unwrap();
    assert_eq!(page.app_secret.expose(), "old-secret");
}

fn row(page_id: &str, secret: &str) -> repo::PageRow {
    repo::PageRow {
        page_id: page_id.into(),
        name: "Page".into(),
        access_token: Secret::new("token"),
        app_secret: Secret::new(secret),
        verify_token: Secret::new("verify"),
        app_id: "1".into(),
        graph_api_url: None,
        is_sandbox: false,
        connected_at: 0,
    }
}

async fn the_webhooks_page_cache_follows_a_connect_or_disconnect_at_once(pool: Db) {
    let cache = repo::PageCache::default();
    assert!(cache.current(&pool).await.unwrap().is_none());
    repo::connect(&pool, &row("111", "first secret"))
        .await
        .unwrap();
    let page = cache.current(&pool).await.unwrap().unwrap();
    assert_eq!(page.app_secret.expose(), "first secret");
    repo::connect(&pool, &row("222", "second secret"))
        .await
        .unwrap();
    let page = cache.current(&pool).await.unwrap().unwrap();
    assert_eq!(
        (page.page_id.as_str(), page.app_secret.expose()),
        ("222", "second secret")
    );
    repo::disconnect(&pool).await.unwrap();
    assert!(cache.current(&pool).await.unwrap().is_none());
    // A change made by another process (here: straight in SQL) shows within a second.
    repo::connect(&pool, &row("333", "third secret"))
        .await
        .unwrap();
    assert!(cache.current(&pool).await.unwrap().is_some());
    on_db!(&pool, p => {
        sqlx::query("DELETE FROM pages").execute(p).await.unwrap();
    });
    assert!(cache.current(&pool).await.unwrap().is_some(), "cached");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert!(cache.current(&pool).await.unwrap().is_none());
}
