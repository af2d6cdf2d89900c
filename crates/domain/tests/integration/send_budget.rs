//! The send cap shared by several instances (PostgreSQL): however many take from the bucket
//! at once, together they get no more than the rate allows.

use std::time::{Duration, Instant};

use domain::backend::Db;
use domain::send_budget::{SharedBudget, Take};
use domain::testing;

async fn pg() -> Option<sqlx::PgPool> {
    match testing::postgres().await? {
        Db::Postgres(pool) => Some(pool),
        Db::Sqlite(_) => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_together_stay_under_the_rate() {
    let Some(pool) = pg().await else { return };
    let rate = 200; // a burst of 20, rounds of at least 10
    let started = Instant::now();
    let mut takers = Vec::new();
    for _ in 0..3 {
        let budget = SharedBudget::new(pool.clone(), rate);
        takers.push(tokio::spawn(async move {
            let (mut made, mut rounds) = (0i64, 0);
            while started.elapsed() < Duration::from_millis(1500) {
                match budget.take(8).await.unwrap() {
                    Take::Granted(n) => {
                        assert!((1..=8).contains(&n), "{n}");
                        // Use all but one; give that back.
                        budget.give_back(1).await.unwrap();
                        made += n - 1;
                        rounds += 1;
                    }
                    Take::Wait(wait) => {
                        assert!(wait <= Duration::from_millis(100), "{wait:?}");
                        tokio::time::sleep(wait).await;
                    }
                }
            }
            (made, rounds)
        }));
    }
    let mut made = 0;
    for taker in takers {
        let (m, rounds) = taker.await.unwrap();
        assert!(rounds > 0, "an instance never got a round");
        made += m;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // At most the rate over the time, plus the bucket's first burst.
    let most = (f64::from(rate) * elapsed + 20.0).ceil() as i64;
    assert!(made <= most, "{made} calls in {elapsed:.2} s at {rate}/s");
    // And the cap is not starving them: well over half the rate went out.
    assert!(
        made as f64 >= f64::from(rate) * 1.5 * 0.5,
        "{made} calls in {elapsed:.2} s"
    );
}

#[tokio::test]
async fn too_few_tokens_for_a_round_say_how_long_to_wait() {
    let Some(pool) = pg().await else { return };
    let budget = SharedBudget::new(pool, 100); // a burst of 10, rounds of at least 5
    let mut granted = 0;
    loop {
        match budget.take(100).await.unwrap() {
            Take::Granted(n) => granted += n,
            Take::Wait(wait) => {
                // Five tokens take 50 ms at 100/s.
                assert!(wait <= Duration::from_millis(50), "{wait:?}");
                break;
            }
        }
        assert!(granted <= 20, "the bucket keeps granting: {granted}");
    }
    assert!((10..=20).contains(&granted), "{granted}");
}
