//! The page's send-rate cap as the outbox worker sees it: a token bucket of `rate` calls per
//! second holding at most a tenth of a second's worth. On SQLite the bucket is this process's
//! own; on PostgreSQL every instance shares one row of it (`storage::send_budget`), so the
//! page stays under the cap whatever the number of instances. A round is only worth making
//! with half a burst at least (or one call when the rate is tiny): below that the worker waits,
//! so a backlog goes out in rounds of useful size instead of one call each with its own commit.

use std::time::{Duration, Instant};

use crate::storage::send_budget::{SharedBudget, Take};

/// Either bucket, with one way to use it: [`SendBudget::take`] before a round,
/// [`SendBudget::settle`] after it. A worker started again starts from a copy of the bucket it
/// was first given.
#[derive(Clone)]
pub enum SendBudget {
    Local(Budget),
    Shared(SharedBudget),
}

impl SendBudget {
    /// How many calls the next round may make, or how long to wait for enough tokens.
    /// `most` is the most a round makes.
    pub async fn take(&mut self, most: i64) -> Result<Take, sqlx::Error> {
        match self {
            SendBudget::Local(budget) => {
                let allowed = budget.available(Instant::now());
                Ok(match budget.wait_for_round() {
                    Some(wait) => Take::Wait(wait),
                    None => Take::Granted(allowed.min(most)),
                })
            }
            SendBudget::Shared(shared) => shared.take(most).await,
        }
    }

    /// After a round granted `granted` calls made `made`: the local bucket spends them; the
    /// shared one had them taken already and gets back what was not used.
    pub async fn settle(&mut self, granted: i64, made: i64) -> Result<(), sqlx::Error> {
        match self {
            SendBudget::Local(budget) => {
                budget.spend(made.max(0) as usize);
                Ok(())
            }
            SendBudget::Shared(shared) => shared.give_back(granted - made).await,
        }
    }
}

/// This process's own bucket.
#[derive(Clone)]
pub struct Budget {
    rate: f64,
    tokens: f64,
    last: Option<Instant>,
}

impl Budget {
    pub fn new(calls_per_second: u32) -> Self {
        let rate = f64::from(calls_per_second.max(1));
        Self {
            rate,
            tokens: (rate / 10.0).max(1.0),
            last: None,
        }
    }

    fn burst(&self) -> f64 {
        (self.rate / 10.0).max(1.0)
    }

    /// Whole calls that may be made now.
    fn available(&mut self, now: Instant) -> i64 {
        if let Some(last) = self.last {
            let refill = now.saturating_duration_since(last).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + refill).min(self.burst());
        }
        self.last = Some(now);
        self.tokens.floor() as i64
    }

    /// How long to wait before the next round when less than half a burst is left (a round
    /// is worth making with at least that many calls, or one when the budget is tiny).
    fn wait_for_round(&self) -> Option<Duration> {
        let want = (self.burst() / 2.0).max(1.0);
        (self.tokens < want).then(|| Duration::from_secs_f64((want - self.tokens) / self.rate))
    }

    fn spend(&mut self, calls: usize) {
        self.tokens -= calls as f64;
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;
    use std::time::{Duration, Instant};

    #[test]
    fn the_budget_caps_calls_per_second() {
        let mut budget = Budget::new(100);
        let start = Instant::now();
        let mut made = 0;
        // Two simulated seconds, asking every millisecond for as many calls as allowed.
        for ms in 0..2000 {
            let n = budget.available(start + Duration::from_millis(ms));
            budget.spend(n as usize);
            made += n;
        }
        assert!((195..=211).contains(&made), "{made} calls in 2 s at 100/s");
        // Bursts are small: after a long pause only a tenth of a second's worth is available.
        assert_eq!(budget.available(start + Duration::from_secs(60)), 10);
    }
}
