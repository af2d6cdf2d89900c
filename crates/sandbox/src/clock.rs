//! A controllable clock: wall time plus an offset tests can fast-forward.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Epoch-millisecond clock with a forward offset (`advance`).
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    /// Current sandbox time in epoch ms.
    pub fn now_ms(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        real + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Moves sandbox time forward.
    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Total fast-forward so far, in ms.
    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }

    /// Sets the fast-forward (restoring a saved sandbox).
    pub fn set_offset_ms(&self, ms: i64) {
        self.offset_ms.store(ms, Ordering::SeqCst);
    }

    /// Total fast-forward so far.
    pub fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst).max(0) as u64)
    }
}

/// Unix seconds as Meta writes times in token errors, in Pacific time (always the UTC−8
/// "PST" offset here): `Tuesday, 01-Dec-26 10:00:00 PST`.
pub(crate) fn pacific_time(unix_s: i64) -> String {
    use time::macros::{format_description, offset};
    let format = format_description!(
        "[weekday], [day]-[month repr:short]-[year repr:last_two] [hour]:[minute]:[second] PST"
    );
    time::OffsetDateTime::from_unix_timestamp(unix_s)
        .map(|t| t.to_offset(offset!(-8)))
        .ok()
        .and_then(|t| t.format(format).ok())
        .unwrap_or_else(|| format!("{unix_s} (unix time)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacific_time_like_meta() {
        assert_eq!(
            pacific_time(crate::fail::SESSION_EXPIRED_AT),
            "Tuesday, 01-Dec-26 10:00:00 PST"
        );
        assert_eq!(pacific_time(0), "Wednesday, 31-Dec-69 16:00:00 PST");
        // 2024-02-29T12:34:56Z (a leap day).
        assert_eq!(
            pacific_time(1_709_210_096),
            "Thursday, 29-Feb-24 04:34:56 PST"
        );
    }

    #[test]
    fn advance_moves_time_forward() {
        let c = Clock::default();
        let before = c.now_ms();
        c.advance(Duration::from_secs(3600));
        let after = c.now_ms();
        assert!(after - before >= 3_600_000 && after - before < 3_610_000);
        assert_eq!(c.offset(), Duration::from_secs(3600));
    }
}
