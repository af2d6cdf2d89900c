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

#[cfg(test)]
mod tests {
    use super::*;

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
