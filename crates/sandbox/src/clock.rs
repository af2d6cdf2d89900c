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

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Unix seconds as Meta writes times in token errors, in Pacific time (always the UTC−8
/// "PST" offset here): `Tuesday, 01-Dec-26 10:00:00 PST`.
pub(crate) fn pacific_time(unix_s: i64) -> String {
    let local = unix_s - 8 * 3600;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02}-{}-{:02} {:02}:{:02}:{:02} PST",
        WEEKDAYS[(days + 4).rem_euclid(7) as usize], // 1970-01-01 was a Thursday
        MONTHS[(month - 1) as usize],
        year.rem_euclid(100),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
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
