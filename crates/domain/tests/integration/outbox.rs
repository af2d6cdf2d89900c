//! The outbox's claim order when a backlog builds up behind the page's send budget: urgent
//! calls (handover confirmations, agent replies) go before bulk bot answers of other users,
//! but never before the same user's earlier calls. On both backends; the claim's SQLite-only
//! shortcut (a window of the first pending rows) and PostgreSQL's statement are each checked
//! against a look at every row.

use domain::backend::on_db;
use domain::backend::Db;
use domain::repo::outbox::{self, Kind, NewRow, Priority};
use domain::testing;

domain::testing::test_on_both_backends!(
    memory: urgent_calls_jump_other_users_bulk_answers_but_not_their_own_users_order
);

async fn pool() -> Db {
    testing::sqlite().await
}

fn message(text: &str) -> NewRow {
    NewRow {
        kind: Kind::Message,
        body: text.into(),
        transcript: None,
        author: None,
    }
}

async fn enqueue(pool: &Db, psid: &str, text: &str, priority: Priority) {
    outbox::enqueue(pool, "page", psid, &[message(text)], priority, 1_000)
        .await
        .unwrap();
}

async fn urgent_calls_jump_other_users_bulk_answers_but_not_their_own_users_order(pool: Db) {
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

/// A random backlog, the same in each database: users, priorities, rows waiting for a retry,
/// rows already sending or done.
async fn backlog(pools: &[&Db], next: &mut impl FnMut(u64) -> u64) {
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
        for pool in pools {
            enqueue(pool, &user, &format!("row {i}"), priority).await;
            on_db!(*pool, p => {
                sqlx::query(
                    "UPDATE outbox SET status = $1, next_attempt_ms = $2
                     WHERE id = (SELECT MAX(id) FROM outbox)",
                )
                .bind(status)
                .bind(at)
                .execute(p)
                .await
                .unwrap();
            });
        }
    }
}

/// Claims round after round in both databases (`window`: the SQLite window for each), each
/// round's rows compared by their text, finishing what was claimed, until nothing is due.
async fn claim_alike(
    (one, window_one): (&Db, i64),
    (two, window_two): (&Db, i64),
    next: &mut impl FnMut(u64) -> u64,
) {
    for round in 0.. {
        let limit = 1 + next(5) as i64;
        let bodies =
            |rows: Vec<outbox::OutboxRow>| rows.into_iter().map(|r| r.body).collect::<Vec<_>>();
        let a = bodies(
            outbox::claim_due_looking_at(one, 2_000, limit, window_one)
                .await
                .unwrap(),
        );
        let b = bodies(
            outbox::claim_due_looking_at(two, 2_000, limit, window_two)
                .await
                .unwrap(),
        );
        assert_eq!(a, b, "round {round}, limit {limit}");
        if a.is_empty() {
            break;
        }
        for pool in [one, two] {
            on_db!(pool, p => {
                sqlx::query("UPDATE outbox SET status = 'done' WHERE status = 'sending'")
                    .execute(p)
                    .await
                    .unwrap();
            });
        }
    }
}

/// A small, fixed pseudo-random sequence (the same backlogs every run).
fn sequence() -> impl FnMut(u64) -> u64 {
    let mut seed: u64 = 7;
    move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    }
}

/// The claim's first step looks at a window of the first pending rows only; whatever the
/// backlog, the result must be the one a look at every row gives. Random backlogs are
/// claimed round after round with a window of 3 rows and with a window larger than the
/// backlog.
#[tokio::test]
async fn a_claim_through_the_window_takes_the_same_rows_as_a_look_at_everything() {
    let mut next = sequence();
    for _backlog in 0..25 {
        let (small, large) = (pool().await, pool().await);
        backlog(&[&small, &large], &mut next).await;
        claim_alike((&small, 3), (&large, 10_000), &mut next).await;
    }
}

/// PostgreSQL's claim (one statement, skipping locked rows) takes the rows SQLite's takes,
/// round after round, on the same random backlogs.
#[tokio::test]
async fn postgres_claims_the_rows_sqlite_claims() {
    let Some(pg) = testing::postgres().await else {
        return;
    };
    let mut next = sequence();
    for _backlog in 0..25 {
        let sqlite = pool().await;
        on_db!(&pg, p => {
            sqlx::query("DELETE FROM outbox").execute(p).await.unwrap();
        });
        backlog(&[&sqlite, &pg], &mut next).await;
        claim_alike((&sqlite, 3), (&pg, 3), &mut next).await;
    }
}

/// An instance claims only in the work lanes it holds, and the rows it takes there are the
/// ones a claim over everything would take first among them.
#[tokio::test]
async fn postgres_claims_in_lanes_take_only_those_lanes() {
    let Some(Db::Postgres(pg)) = testing::postgres().await else {
        return;
    };
    let db = Db::Postgres(pg.clone());
    let mut next = sequence();
    backlog(&[&db], &mut next).await;
    let lane = |r: &outbox::OutboxRow| domain::lanes::lane_of(&r.page_id, &r.psid);
    let every: Vec<i64> = (0..domain::lanes::LANES).collect();
    // What a claim over every lane would take (rolled back): two of its rows' lanes.
    let mut tx = pg.begin().await.unwrap();
    let all = outbox::claim_due_in_lanes(&mut tx, 2_000, 100, &every)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut lanes: Vec<i64> = all.iter().take(2).map(lane).collect();
    lanes.sort_unstable();
    lanes.dedup();
    let mut tx = pg.begin().await.unwrap();
    let claimed = outbox::claim_due_in_lanes(&mut tx, 2_000, 100, &lanes)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        claimed.iter().all(|r| lanes.contains(&lane(r))),
        "{claimed:?}"
    );
    let in_lanes: Vec<&str> = all
        .iter()
        .filter(|r| lanes.contains(&lane(r)))
        .map(|r| r.body.as_str())
        .collect();
    let taken: Vec<&str> = claimed.iter().map(|r| r.body.as_str()).collect();
    assert_eq!(taken, in_lanes);
    // The other lanes' due rows are still there for their holders.
    let mut tx = pg.begin().await.unwrap();
    let rest = outbox::claim_due_in_lanes(&mut tx, 2_000, 100, &every)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(rest.iter().all(|r| !lanes.contains(&lane(r))), "{rest:?}");
    assert_eq!(claimed.len() + rest.len(), all.len());
}
