//! Work lanes: how several Baton instances on one PostgreSQL database share the runtime's
//! work (applying webhook events, sending the outbox) with each event handled once and each
//! user's work in order.
//!
//! The usual "every instance takes the oldest unlocked rows with `FOR UPDATE SKIP LOCKED`"
//! breaks per-user order: instance A could hold a user's first message while B, skipping it,
//! takes the second. So a user's work always falls in the same lane ([`lane_of`]), and an
//! instance works only on lanes it leases (`work_lanes`):
//!
//! - [`Lanes::refresh`] renews this instance's leases, takes free or expired lanes up to its
//!   fair share (64 / instances alive), and gives back lanes above it, so a new instance gets
//!   work and a stopped one's lanes go to the others once its lease runs out.
//! - [`Lanes::begin_on`] opens the transaction that does a lane's work, and first checks
//!   (and locks `FOR KEY SHARE` until the transaction ends) that this instance still holds
//!   the lane. That lock stops another instance from taking the lane (taking locks `FOR
//!   UPDATE` and skips locked rows) but not this one's lease renewal, a plain `UPDATE` of
//!   other columns: a long piece of work never makes its own lease run out.
//!   An instance that paused past its lease finds the lane gone and does nothing; one whose
//!   lease runs out while it commits keeps the lane until then, because taking a lane skips
//!   locked rows. Work is therefore never done by two instances at once.
//!
//! Times are the database's clock, so instances need not agree on the time. SQLite has one
//! worker per database and no lanes.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

/// How many lanes the work is cut into: the most instances that can share it.
pub const LANES: i64 = 64;

/// The database's clock in epoch milliseconds (changes within a transaction, unlike now()).
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The lane of a user's work. Stored with every event and outbox row, so it must never change
/// between versions: FNV-1a (64-bit) over the page id, a zero byte and the user's id.
pub fn lane_of(page_id: &str, psid: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in page_id.bytes().chain([0]).chain(psid.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (hash % LANES as u64) as i64
}

/// A name for this instance among those sharing the database: host, process and start time.
pub fn instance_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "baton".into());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros());
    format!("{host}-{}-{started}", std::process::id())
}

/// The process id in an [`instance_name`] (the host name may itself contain dashes).
pub fn instance_pid(name: &str) -> Option<u32> {
    let mut parts = name.rsplitn(3, '-');
    let _started = parts.next()?;
    let pid = parts.next()?;
    parts.next()?;
    pid.parse().ok()
}

/// One instance's view of the lanes.
#[derive(Clone, Debug)]
pub struct Lanes {
    pool: PgPool,
    owner: String,
    lease: Duration,
    /// Set by [`Lanes::release_all`]: the instance is stopping and takes no more lanes.
    released: Arc<AtomicBool>,
}

impl Lanes {
    /// `owner` names this instance (unique among the instances: host, process id and start
    /// time); `lease` is how long its lanes stay its own without a refresh: a stopped
    /// instance's work waits that long before another picks it up.
    pub fn new(pool: PgPool, owner: impl Into<String>, lease: Duration) -> Lanes {
        Lanes {
            pool,
            owner: owner.into(),
            lease,
            released: Arc::default(),
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    fn lease_ms(&self) -> i64 {
        self.lease.as_millis().try_into().unwrap_or(i64::MAX)
    }

    /// Renews this instance's lanes, balances them against the other instances alive, and
    /// returns the lanes it holds now, in order. Call it well within the lease (a third of it).
    pub async fn refresh(&self) -> Result<Vec<i64>, sqlx::Error> {
        if self.released.load(Ordering::SeqCst) {
            return Ok(Vec::new());
        }
        let lease = self.lease_ms();
        sqlx::query(&format!(
            "INSERT INTO work_instances (owner, alive_until) VALUES ($1, {NOW_MS} + $2)
             ON CONFLICT (owner) DO UPDATE SET alive_until = excluded.alive_until"
        ))
        .bind(&self.owner)
        .bind(lease)
        .execute(&self.pool)
        .await?;
        let mut held: Vec<i64> = sqlx::query_scalar(&format!(
            "UPDATE work_lanes SET lease_until = {NOW_MS} + $2
             WHERE owner = $1 AND lease_until > {NOW_MS} RETURNING lane"
        ))
        .bind(&self.owner)
        .bind(lease)
        .fetch_all(&self.pool)
        .await?;
        let alive: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM work_instances WHERE alive_until > {NOW_MS}"
        ))
        .fetch_one(&self.pool)
        .await?;
        let share = fair_share(alive.max(1));
        held.sort_unstable();
        if held.len() as i64 > share {
            // Give back the lanes above the share; another instance takes them at its next
            // refresh. A lane whose work is committing stays locked until then.
            let extra = held.split_off(share as usize);
            sqlx::query("UPDATE work_lanes SET owner = NULL, lease_until = 0 WHERE owner = $1 AND lane = ANY($2)")
                .bind(&self.owner)
                .bind(&extra)
                .execute(&self.pool)
                .await?;
        } else if (held.len() as i64) < share {
            let taken: Vec<i64> = sqlx::query_scalar(&format!(
                "UPDATE work_lanes SET owner = $1, lease_until = {NOW_MS} + $2
                 WHERE lane IN (SELECT lane FROM work_lanes WHERE lease_until <= {NOW_MS}
                                ORDER BY lane LIMIT $3 FOR UPDATE SKIP LOCKED)
                 RETURNING lane"
            ))
            .bind(&self.owner)
            .bind(lease)
            .bind(share - held.len() as i64)
            .fetch_all(&self.pool)
            .await?;
            held.extend(taken);
            held.sort_unstable();
        }
        Ok(held)
    }

    /// A transaction for `lane`'s work, or `None` when this instance no longer holds the lane
    /// (its lease ran out and another instance may have it): do nothing then. The lane stays
    /// this instance's until the transaction ends.
    pub async fn begin_on(
        &self,
        lane: i64,
    ) -> Result<Option<Transaction<'static, Postgres>>, sqlx::Error> {
        let (tx, held) = self.begin_on_lanes(&[lane]).await?;
        Ok((!held.is_empty()).then_some(tx))
    }

    /// [`Lanes::begin_on`] for several lanes at once: the transaction, and those of `lanes`
    /// this instance still holds (locked until it ends; the others must not be worked on).
    pub async fn begin_on_lanes(
        &self,
        lanes: &[i64],
    ) -> Result<(Transaction<'static, Postgres>, Vec<i64>), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut held: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT lane FROM work_lanes
             WHERE lane = ANY($1) AND owner = $2 AND lease_until > {NOW_MS} FOR KEY SHARE"
        ))
        .bind(lanes)
        .bind(&self.owner)
        .fetch_all(&mut *tx)
        .await?;
        held.sort_unstable();
        Ok((tx, held))
    }

    /// Gives every lane back at once (a clean shutdown), so the others need not wait for
    /// the leases to run out; this instance takes none again. Work under way in a lane's
    /// transaction finishes first (the lane's row is locked until then).
    pub async fn release_all(&self) -> Result<(), sqlx::Error> {
        self.released.store(true, Ordering::SeqCst);
        sqlx::query("UPDATE work_lanes SET owner = NULL, lease_until = 0 WHERE owner = $1")
            .bind(&self.owner)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM work_instances WHERE owner = $1")
            .bind(&self.owner)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// The lanes one of `instances` instances should hold (rounded up, so all are covered).
pub fn fair_share(instances: i64) -> i64 {
    (LANES + instances - 1) / instances
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_lane_never_changes_and_users_spread_over_all_lanes() {
        // Stored in rows: these values must stay the same in every version.
        let fixed = [
            lane_of("1234567890", "100001"),
            lane_of("1234567890", "100002"),
            lane_of("p", "u"),
        ];
        assert_eq!(fixed, [18, 31, 56]);
        // The separator keeps ("12", "3") and ("1", "23") apart.
        assert_ne!(lane_of("12", "3"), lane_of("1", "23"));
        let mut counts = [0u32; LANES as usize];
        for user in 0..6_400 {
            counts[lane_of("1234567890", &format!("{}", 100_000 + user)) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&n| (60..=140).contains(&n)),
            "{counts:?}"
        );
    }

    #[test]
    fn an_instance_name_gives_back_its_process_id() {
        let name = instance_name();
        assert_eq!(instance_pid(&name), Some(std::process::id()));
        assert_eq!(instance_pid("web-3-eu-4242-1796399529645746"), Some(4242));
        assert_eq!(instance_pid("4242-17963995"), None);
        assert_eq!(instance_pid("host-notapid-1"), None);
    }

    #[test]
    fn shares_cover_every_lane() {
        assert_eq!(fair_share(1), 64);
        assert_eq!(fair_share(2), 32);
        assert_eq!(fair_share(3), 22);
        assert_eq!(fair_share(64), 1);
        assert_eq!(fair_share(100), 1);
    }
}
