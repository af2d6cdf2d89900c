//! Webhook ingest with group commit, on a SQLite file: many concurrent deliveries share
//! transactions yet each is answered with its own result, duplicates are counted against the
//! later delivery, and a database that refuses writes fails every waiting delivery (the
//! webhook then answers 503) without storing half of a group.

use domain::db;
use domain::ingest::{Ingest, IngestError};
use domain::repo::webhook_events::{self, NewDelivery, NewEvent};
use domain::runtime::Wake;
use domain::Clock;
use sqlx::SqlitePool;

/// A database on disk and its deliveries file.
async fn file_pool() -> (tempfile::TempDir, SqlitePool, db::Deliveries) {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::connect(&format!("sqlite://{}/baton.db", dir.path().display()))
        .await
        .unwrap();
    db::migrate(&pool).await.unwrap();
    let store = db::open_deliveries(&pool).await.unwrap();
    assert!(store.own_file());
    (dir, pool, store)
}

fn event(key: &str) -> NewEvent {
    NewEvent {
        dedupe_key: key.into(),
        page_id: "1".into(),
        channel: "messaging",
        kind: "message".into(),
        sender_id: Some("u".into()),
        recipient_id: Some("1".into()),
        timestamp_ms: Some(1),
        payload: "{}".into(),
        actionable: true,
    }
}

fn delivery(keys: &[&str]) -> NewDelivery {
    NewDelivery {
        object: Some("page".into()),
        body: "{}".into(),
        events: keys.iter().map(|k| event(k)).collect(),
    }
}

async fn count(pool: &SqlitePool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
    n
}

#[tokio::test]
async fn one_group_counts_a_repeated_key_against_the_later_delivery() {
    let (_dir, _main, store) = file_pool().await;
    let pool = store.sqlite().unwrap().clone();
    webhook_events::store_delivery(&store, Some("page"), "{}", &[event("old")], 1)
        .await
        .unwrap();
    let stored = webhook_events::store_deliveries(
        &store,
        &[delivery(&["a", "old"]), delivery(&["b", "a", "b"])],
        2,
    )
    .await
    .unwrap();
    assert_eq!((stored[0].new_events, stored[0].duplicates), (1, 1));
    assert_eq!((stored[1].new_events, stored[1].duplicates), (1, 2));
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM webhook_events").await, 3);
    let (dups,): (i64,) = sqlx::query_as("SELECT duplicates FROM webhook_deliveries WHERE id = $1")
        .bind(stored[1].delivery_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(dups, 2);
}

#[tokio::test]
async fn concurrent_deliveries_share_commits_and_each_gets_its_answer() {
    let (_dir, _main, store) = file_pool().await;
    let pool = store.sqlite().unwrap().clone();
    let ingest = Ingest::start(store, Clock::system(), Wake::default());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..400 {
        let ingest = ingest.clone();
        // Every fourth delivery repeats the event of the one before (a Facebook retry).
        let key = format!("e{}", if i % 4 == 3 { i - 1 } else { i });
        tasks.spawn(async move { ingest.store(delivery(&[&key])).await.unwrap() });
    }
    let mut ids = std::collections::HashSet::new();
    let (mut new, mut dup) = (0, 0);
    while let Some(stored) = tasks.join_next().await {
        let stored = stored.unwrap();
        assert!(
            ids.insert(stored.delivery_id),
            "each delivery has its own row"
        );
        new += stored.new_events;
        dup += stored.duplicates;
    }
    assert_eq!((new, dup), (300, 100));
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM webhook_deliveries").await,
        400
    );
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM webhook_events").await,
        300
    );
}

#[tokio::test]
async fn a_database_that_refuses_writes_fails_the_waiting_deliveries_and_stores_nothing() {
    let (_dir, _main, store) = file_pool().await;
    let pool = store.sqlite().unwrap().clone();
    let ingest = Ingest::start(store, Clock::system(), Wake::default());
    // Same effect as a full disk or a read-only file: every write is refused.
    sqlx::query("CREATE TRIGGER refuse BEFORE INSERT ON webhook_events BEGIN SELECT RAISE(ABORT, 'disk full'); END")
        .execute(&pool)
        .await
        .unwrap();
    let results = futures_join(&ingest, 20).await;
    assert!(results
        .iter()
        .all(|r| matches!(r, Err(IngestError::Database(_)))));
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM webhook_deliveries").await,
        0
    );
    sqlx::query("DROP TRIGGER refuse")
        .execute(&pool)
        .await
        .unwrap();
    let ok = futures_join(&ingest, 5).await;
    assert!(
        ok.iter().all(Result::is_ok),
        "storing works again once the database does"
    );
}

async fn futures_join(
    ingest: &Ingest,
    n: usize,
) -> Vec<Result<webhook_events::Stored, IngestError>> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let ingest = ingest.clone();
        tasks.spawn(async move { ingest.store(delivery(&[&format!("x{i}")])).await });
    }
    let mut out = Vec::new();
    while let Some(r) = tasks.join_next().await {
        out.push(r.unwrap());
    }
    out
}

#[tokio::test]
async fn a_delivery_is_stored_while_the_runtime_holds_the_main_database() {
    let (_dir, main, store) = file_pool().await;
    let ingest = Ingest::start(store.clone(), Clock::system(), Wake::default());
    // The runtime's worker in the middle of a transaction: it holds the write turn and
    // SQLite's write lock on the main database.
    let mut worker = db::background_write_tx(&main).await.unwrap();
    sqlx::query("UPDATE event_progress SET applied_at = 1")
        .execute(&mut *worker)
        .await
        .unwrap();
    let stored = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        ingest.store(delivery(&["while busy"])),
    )
    .await
    .expect("the delivery did not wait for the main database's writer")
    .unwrap();
    assert_eq!(stored.new_events, 1);
    worker.commit().await.unwrap();
    let events = webhook_events::list(&main, &store, Some("pending"))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

#[tokio::test]
async fn deliveries_an_older_baton_kept_in_the_database_move_to_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = db::connect(&format!("sqlite://{}/baton.db", dir.path().display()))
        .await
        .unwrap();
    db::migrate(&main).await.unwrap();
    // Before the deliveries file, everything was in the database: one event done, one
    // waiting.
    let legacy = db::Deliveries::in_main(&main);
    webhook_events::store_delivery(&legacy, Some("page"), "{}", &[event("old")], 1)
        .await
        .unwrap();
    webhook_events::store_delivery(&legacy, Some("page"), "{}", &[event("waiting")], 2)
        .await
        .unwrap();
    sqlx::query("UPDATE webhook_events SET status = 'done' WHERE dedupe_key = 'old'")
        .execute(&main)
        .await
        .unwrap();
    let store = db::open_deliveries(&main).await.unwrap();
    assert!(dir.path().join("baton.deliveries.db").exists());
    assert_eq!(count(&main, "SELECT COUNT(*) FROM webhook_events").await, 0);
    assert_eq!(
        count(
            store.sqlite().unwrap(),
            "SELECT COUNT(*) FROM webhook_deliveries"
        )
        .await,
        2
    );
    let statuses: Vec<(String, String)> = webhook_events::list(&main, &store, None)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.dedupe_key, e.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("old".into(), "done".into()),
            ("waiting".into(), "pending".into())
        ]
    );
    // A repeat of a moved event is still a duplicate, and a new one is numbered after them.
    let ingest = Ingest::start(store.clone(), Clock::system(), Wake::default());
    let stored = ingest.store(delivery(&["waiting", "new"])).await.unwrap();
    assert_eq!((stored.new_events, stored.duplicates), (1, 1));
    // Opening again moves nothing twice.
    drop(ingest);
    let again = db::open_deliveries(&main).await.unwrap();
    assert_eq!(
        count(
            again.sqlite().unwrap(),
            "SELECT COUNT(*) FROM webhook_events"
        )
        .await,
        3
    );
}

#[tokio::test]
async fn a_lost_deliveries_file_does_not_pass_new_events_off_as_applied() {
    let (dir, main, store) = file_pool().await;
    for key in ["a", "b", "c"] {
        webhook_events::store_delivery(&store, Some("page"), "{}", &[event(key)], 1)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE event_progress SET applied_through = 3")
        .execute(&main)
        .await
        .unwrap();
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("baton.deliveries.db{suffix}")));
    }
    let store = db::open_deliveries(&main).await.unwrap();
    webhook_events::store_delivery(&store, Some("page"), "{}", &[event("after")], 2)
        .await
        .unwrap();
    let pending = webhook_events::list(&main, &store, Some("pending"))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "the new event waits to be applied");
}
