//! The page's send-rate cap when several Baton instances send for it (PostgreSQL): one token
//! bucket in the database (`send_budget`, one row) instead of one per process, so the page
//! stays under `BATON_SEND_RATE` calls per second whatever the number of instances.
//!
//! Before a round, an instance takes up to a round's worth of tokens in one statement (the
//! bucket is refilled by the time since the last take, on the database's clock, and holds at
//! most a tenth of a second's worth, as the single-process bucket does); after the round it
//! gives back what it did not use. A round is only worth making with half a burst at least
//! (or one call when the rate is tiny): below that the take grants nothing and says how long
//! to wait, so a backlog goes out in rounds of useful size rather than one call at a time.

use std::time::Duration;

use sqlx::PgPool;

/// The database's clock in epoch milliseconds.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// One instance's handle on the shared bucket.
#[derive(Clone, Debug)]
pub struct SharedBudget {
    pool: PgPool,
    /// Calls per second.
    rate: f64,
}

/// What a take gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Take {
    /// Make at most this many calls now (then give back what was not used).
    Granted(i64),
    /// Too few tokens for a round: try again after this long.
    Wait(Duration),
}

impl SharedBudget {
    pub fn new(pool: PgPool, calls_per_second: u32) -> SharedBudget {
        SharedBudget {
            pool,
            rate: f64::from(calls_per_second.max(1)),
        }
    }

    /// Most tokens the bucket holds: a tenth of a second's worth (at least one).
    pub fn burst(&self) -> f64 {
        (self.rate / 10.0).max(1.0)
    }

    /// The fewest calls worth a round.
    fn min_round(&self) -> f64 {
        (self.burst() / 2.0).max(1.0)
    }

    /// Takes up to `want` tokens, or none (with how long to wait) when fewer than a round's
    /// minimum are there.
    pub async fn take(&self, want: i64) -> Result<Take, sqlx::Error> {
        let want = want.max(1);
        let min_round = self.min_round().min(want as f64);
        let (granted, available): (i64, f64) = sqlx::query_as(&format!(
            "WITH b AS (
                 SELECT LEAST($2, tokens + GREATEST(0, {NOW_MS} - refilled_ms) * $1 / 1000.0)
                        AS available
                 FROM send_budget WHERE id = 1 FOR UPDATE),
             g AS (
                 SELECT available,
                        CASE WHEN available >= $4 THEN LEAST(FLOOR(available), $3) ELSE 0 END
                        AS granted
                 FROM b)
             UPDATE send_budget SET tokens = g.available - g.granted, refilled_ms = {NOW_MS}
             FROM g WHERE id = 1
             RETURNING g.granted::bigint, g.available::float8"
        ))
        .bind(self.rate)
        .bind(self.burst())
        .bind(want as f64)
        .bind(min_round)
        .fetch_one(&self.pool)
        .await?;
        if granted > 0 {
            return Ok(Take::Granted(granted));
        }
        let short = (min_round - available).max(0.0);
        Ok(Take::Wait(Duration::from_secs_f64(
            (short / self.rate).max(0.001),
        )))
    }

    /// Returns `unused` tokens of a take (the round made fewer calls), up to the burst.
    pub async fn give_back(&self, unused: i64) -> Result<(), sqlx::Error> {
        if unused <= 0 {
            return Ok(());
        }
        sqlx::query("UPDATE send_budget SET tokens = LEAST($2, tokens + $1) WHERE id = 1")
            .bind(unused as f64)
            .bind(self.burst())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
