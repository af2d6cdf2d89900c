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

async fn file_pool() -> (tempfile::TempDir, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::connect(&format!("sqlite://{}/baton.db", dir.path().display()))
        .await
        .unwrap();
    db::migrate(&pool).await.unwrap();
    (dir, pool)
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
    let (_dir, pool) = file_pool().await;
    webhook_events::store_delivery(&pool, Some("page"), "{}", &[event("old")], 1)
        .await
        .unwrap();
    let stored = webhook_events::store_deliveries(
        &pool,
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
    let (_dir, pool) = file_pool().await;
    let ingest = Ingest::start(pool.clone(), Clock::system(), Wake::default());
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
    let (_dir, pool) = file_pool().await;
    let ingest = Ingest::start(pool.clone(), Clock::system(), Wake::default());
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
