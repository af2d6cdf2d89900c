//! Saving the built-in sandbox in the database: only the users that changed are written, a
//! removed user's row goes, and a snapshot saved by an older version (users inside it) is
//! restored and then moved into rows; and the Simulator's draft-trial users. On both backends.

use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::{draft_trials, sandbox_state};
use domain::sandbox_store;
use domain::Clock;
use sandbox::{NewUser, Sandbox, SandboxConfig};

domain::testing::test_on_both_backends!(
    memory:
    only_changed_users_are_written_and_removed_ones_are_deleted,
    an_older_single_snapshot_is_restored_then_moved_into_rows,
    draft_trials_are_turned_on_once_and_off,
);

async fn saved_ms(pool: &Db) -> Vec<(String, i64)> {
    on_db!(pool, p => {
        sqlx::query_as("SELECT psid, saved_ms FROM sandbox_users ORDER BY psid")
            .fetch_all(p)
            .await
            .unwrap()
    })
}

async fn only_changed_users_are_written_and_removed_ones_are_deleted(pool: Db) {
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
    on_db!(&pool, p => {
        sqlx::query("UPDATE sandbox_users SET saved_ms = 0")
            .execute(p)
            .await
            .unwrap();
    });
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

async fn an_older_single_snapshot_is_restored_then_moved_into_rows(pool: Db) {
    let old = Sandbox::new(SandboxConfig::default());
    let a = old.create_user(NewUser::default()).unwrap().psid;
    old.user_says(&a, "from the old format").unwrap();
    let text = serde_json::to_string(&old.snapshot()).unwrap();
    on_db!(&pool, p => {
        sqlx::query("INSERT INTO sandbox_state (id, snapshot, saved_ms) VALUES (1, $1, 1)")
            .bind(&text)
            .execute(p)
            .await
            .unwrap();
    });

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

/// The Simulator's "Try draft" users: turning one on twice keeps one row, off removes it.
async fn draft_trials_are_turned_on_once_and_off(pool: Db) {
    assert!(draft_trials::all(&pool).await.unwrap().is_empty());
    draft_trials::set(&pool, "200", true, 1).await.unwrap();
    draft_trials::set(&pool, "100", true, 2).await.unwrap();
    draft_trials::set(&pool, "200", true, 3).await.unwrap();
    assert_eq!(draft_trials::all(&pool).await.unwrap(), ["100", "200"]);
    draft_trials::set(&pool, "200", false, 4).await.unwrap();
    assert_eq!(draft_trials::all(&pool).await.unwrap(), ["100"]);
}
