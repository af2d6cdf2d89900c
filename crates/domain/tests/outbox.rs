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
