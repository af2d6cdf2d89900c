//! What one outbox claim costs as a backlog grows behind the send budget: 1,000 users, each
//! with a queue of answers, on a SQLite file. "all due rows" is the claim's second step alone
//! (a window of 0: every due row is read and sorted, as every claim did before the
//! `outbox_claim` index); "window" is the claim as Baton makes it.
//!
//! Run: `cargo bench -p domain --bench claim`.

use std::time::{Duration, Instant};

use domain::db;
use domain::repo::outbox::{self, Kind, NewRow, Priority, Queued};

const USERS: usize = 1_000;
const LIMIT: i64 = 128;

#[tokio::main]
async fn main() {
    println!("outbox claim of {LIMIT} rows, {USERS} users, median of 15 claims");
    println!("{:>10} {:>16} {:>12}", "backlog", "all due rows", "window");
    for backlog in [1_000, 10_000, 50_000] {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::connect(&format!("sqlite://{}/claim.db", dir.path().display()))
            .await
            .unwrap();
        db::migrate(&pool).await.unwrap();
        let row = NewRow {
            kind: Kind::Message,
            body: r#"{"recipient":{"id":"u"},"message":{"text":"an answer"}}"#.into(),
            transcript: None,
            author: None,
        };
        let users: Vec<String> = (0..USERS).map(|u| format!("user-{u}")).collect();
        let queued: Vec<Queued<'_>> = (0..backlog)
            .map(|i| Queued {
                page_id: "page",
                psid: &users[i % USERS],
                row: &row,
                priority: Priority::Bulk,
                now_ms: 1_000,
                event_id: None,
            })
            .collect();
        let mut tx = db::write_tx(&pool).await.unwrap();
        outbox::enqueue_many(&mut tx, &queued).await.unwrap();
        tx.commit().await.unwrap();
        let times = |window: i64| {
            let pool = pool.clone();
            async move {
                let mut took = Vec::new();
                for _ in 0..15 {
                    let start = Instant::now();
                    let claimed = outbox::claim_due_looking_at(&pool, 2_000, LIMIT, window)
                        .await
                        .unwrap();
                    took.push(start.elapsed());
                    assert_eq!(claimed.len() as i64, LIMIT.min(USERS as i64));
                    sqlx::query("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
                        .execute(&pool)
                        .await
                        .unwrap();
                }
                took.sort();
                took[took.len() / 2]
            }
        };
        let all: Duration = times(0).await;
        let window: Duration = times(outbox::CLAIM_WINDOW).await;
        println!(
            "{backlog:>10} {:>13.2} ms {:>9.2} ms",
            all.as_secs_f64() * 1e3,
            window.as_secs_f64() * 1e3
        );
    }
}
