//! Saving the built-in sandbox in the database: only the users that changed are written, a
//! removed user's row goes, and a snapshot saved by an older version (users inside it) is
//! restored and then moved into rows.

use domain::repo::sandbox_state;
use domain::Clock;
use domain::{db, sandbox_store};
use sandbox::{NewUser, Sandbox, SandboxConfig};
use sqlx::SqlitePool;

async fn pool() -> SqlitePool {
    let pool = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool
}

async fn saved_ms(pool: &SqlitePool) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT psid, saved_ms FROM sandbox_users ORDER BY psid")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_changed_users_are_written_and_removed_ones_are_deleted() {
    let pool = pool().await;
    let sb = Sandbox::new(SandboxConfig::default());
    let (mut saved, n) = sandbox_store::restore(&pool, &sb).await.unwrap();
    assert_eq!(n, 0);
    let a = sb.create_user(NewUser::default()).unwrap().psid;
    let b = sb.create_user(NewUser::default()).unwrap().psid;
    assert!(
        sandbox_store::save_if_changed(&pool, &Clock::system(), &sb, &mut saved)
            .await
            .unwrap()
    );
    assert!(
        !sandbox_store::save_if_changed(&pool, &Clock::system(), &sb, &mut saved)
            .await
            .unwrap()
    );
    // Mark the rows so a rewrite shows.
    sqlx::query("UPDATE sandbox_users SET saved_ms = 0")
        .execute(&pool)
        .await
        .unwrap();
    sb.user_says(&b, "hello").unwrap();
    assert!(
        sandbox_store::save_if_changed(&pool, &Clock::system(), &sb, &mut saved)
            .await
            .unwrap()
    );
    let rows = saved_ms(&pool).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        (a.clone(), 0),
        "the unchanged user is not rewritten"
    );
    assert!(rows[1].1 > 0);

    sb.remove_user(&a).unwrap();
    sandbox_store::save_if_changed(&pool, &Clock::system(), &sb, &mut saved)
        .await
        .unwrap();
    assert_eq!(saved_ms(&pool).await.len(), 1);

    let again = Sandbox::new(SandboxConfig::default());
    let (_, n) = sandbox_store::restore(&pool, &again).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        again.transcript(&b).unwrap()[0].text.as_deref(),
        Some("hello")
    );
}

#[tokio::test]
async fn an_older_single_snapshot_is_restored_then_moved_into_rows() {
    let pool = pool().await;
    let old = Sandbox::new(SandboxConfig::default());
    let a = old.create_user(NewUser::default()).unwrap().psid;
    old.user_says(&a, "from the old format").unwrap();
    let text = serde_json::to_string(&old.snapshot()).unwrap();
    sqlx::query("INSERT INTO sandbox_state (id, snapshot, saved_ms) VALUES (1, $1, 1)")
        .bind(&text)
        .execute(&pool)
        .await
        .unwrap();

    let sb = Sandbox::new(SandboxConfig::default());
    let (mut saved, n) = sandbox_store::restore(&pool, &sb).await.unwrap();
    assert_eq!(n, 1);
    sandbox_store::save_if_changed(&pool, &Clock::system(), &sb, &mut saved)
        .await
        .unwrap();
    let (header, users) = sandbox_state::load(&pool).await.unwrap().unwrap();
    assert!(
        !header.contains("from the old format"),
        "users left the header"
    );
    assert_eq!(users.len(), 1);
    assert!(users[0].contains("from the old format"));
}
