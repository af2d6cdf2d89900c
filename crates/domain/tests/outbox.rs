//! The outbox's claim order when a backlog builds up behind the page's send budget: urgent
//! calls (handover confirmations, agent replies) go before bulk bot answers of other users,
//! but never before the same user's earlier calls.

use domain::db;
use domain::repo::outbox::{self, Kind, NewRow, Priority};
use sqlx::SqlitePool;

async fn pool() -> SqlitePool {
    let pool = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&pool).await.unwrap();
    pool
}

fn message(text: &str) -> NewRow {
    NewRow {
        kind: Kind::Message,
        body: text.into(),
        transcript: None,
        author: None,
    }
}

async fn enqueue(pool: &SqlitePool, psid: &str, text: &str, priority: Priority) {
    let mut conn = pool.acquire().await.unwrap();
    outbox::enqueue(&mut conn, "page", psid, &[message(text)], priority, 1_000)
        .await
        .unwrap();
}

#[tokio::test]
async fn urgent_calls_jump_other_users_bulk_answers_but_not_their_own_users_order() {
    let pool = pool().await;
    for user in 0..50 {
        enqueue(&pool, &format!("u{user}"), "bulk answer", Priority::Bulk).await;
    }
    enqueue(&pool, "agent-waits", "confirmation", Priority::Urgent).await;
    // u7 already has a bulk answer queued: its urgent call must wait behind it.
    enqueue(&pool, "u7", "u7 confirmation", Priority::Urgent).await;

    let claimed = outbox::claim_due(&pool, 2_000, 3).await.unwrap();
    let bodies: Vec<(&str, &str)> = claimed
        .iter()
        .map(|r| (r.psid.as_str(), r.body.as_str()))
        .collect();
    assert!(
        bodies.contains(&("agent-waits", "confirmation")),
        "the urgent call of a user with nothing queued goes first: {bodies:?}"
    );
    assert!(
        !bodies.iter().any(|(_, b)| *b == "u7 confirmation"),
        "u7's urgent call waits for its own earlier answer: {bodies:?}"
    );
    // The rest of the three are the oldest bulk answers.
    assert!(bodies.contains(&("u0", "bulk answer")), "{bodies:?}");
}

/// The claim's first step looks at a window of the first pending rows only; whatever the
/// backlog, the result must be the one a look at every row gives. Random backlogs (users,
/// priorities, rows waiting for a retry, rows already sending or done) are claimed round
/// after round with a window of 3 rows and with a window larger than the backlog.
#[tokio::test]
async fn a_claim_through_the_window_takes_the_same_rows_as_a_look_at_everything() {
    let mut seed: u64 = 7;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    for _backlog in 0..25 {
        let (small, large) = (pool().await, pool().await);
        let rows = 20 + next(60);
        for i in 0..rows {
            let user = format!("u{}", next(8));
            let priority = if next(4) == 0 {
                Priority::Urgent
            } else {
                Priority::Bulk
            };
            let (status, at) = match next(10) {
                0 => ("sending", 1_000),
                1 => ("done", 1_000),
                2 => ("pending", 9_000), // waiting for a retry
                _ => ("pending", 1_000),
            };
            for pool in [&small, &large] {
                enqueue(pool, &user, &format!("row {i}"), priority).await;
                sqlx::query(
                    "UPDATE outbox SET status = $1, next_attempt_ms = $2
                     WHERE id = (SELECT MAX(id) FROM outbox)",
                )
                .bind(status)
                .bind(at)
                .execute(pool)
                .await
                .unwrap();
            }
        }
        // Claim round after round, finishing what was claimed, until nothing is due.
        for round in 0.. {
            let limit = 1 + next(5) as i64;
            let ids = |rows: Vec<outbox::OutboxRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
            let a = ids(outbox::claim_due_looking_at(&small, 2_000, limit, 3)
                .await
                .unwrap());
            let b = ids(outbox::claim_due_looking_at(&large, 2_000, limit, 10_000)
                .await
                .unwrap());
            assert_eq!(a, b, "round {round}, limit {limit}");
            if a.is_empty() {
                break;
            }
            for pool in [&small, &large] {
                sqlx::query("UPDATE outbox SET status = 'done' WHERE status = 'sending'")
                    .execute(pool)
                    .await
                    .unwrap();
            }
        }
    }
}
