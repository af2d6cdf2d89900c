//! Baton's one source of the current time. Everything that stamps a row or compares against
//! a window or a backoff reads it from the `Clock` in [`crate::services::Services`] (or one passed in),
//! never from the system directly, so tests move time forward instead of sleeping or editing
//! rows.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The wall clock plus an offset that only tests change ([`Clock::advance`]). Cloning is cheap
/// and clones share the offset, so a test that advances its clone moves the server's too.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system's clock (what `baton serve` and the CLI use).
    pub fn system() -> Self {
        Self::default()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let wall = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
        wall as i64 + self.offset_ms.load(Ordering::Relaxed)
    }

    /// Seconds since the Unix epoch (sessions, audit entries and most `*_at` columns).
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_offset_and_seconds_follow_milliseconds() {
        let clock = Clock::system();
        let other = clock.clone();
        let before = clock.now_ms();
        other.advance(Duration::from_secs(24 * 60 * 60));
        let after = clock.now_ms();
        assert!(after - before >= 24 * 60 * 60 * 1000, "{before} → {after}");
        assert!(after - before < 24 * 60 * 60 * 1000 + 5_000);
        assert!((clock.now() - after / 1000).abs() <= 1);
        // A fresh clock is not moved by another one.
        assert!(Clock::system().now_ms() < after - 60_000);
    }
}
