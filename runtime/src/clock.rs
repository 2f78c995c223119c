//! One monotonic clock for the hooks, the probes and the watchdog thread.
//!
//! Timestamps are nanoseconds since the monitor was built, so they fit in an
//! `AtomicU64` and can be shared with the watchdog thread without locks.
//! Zero is reserved for "no poll running".

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// Nanoseconds since the epoch, never zero.
    pub(crate) fn now_ns(&self) -> u64 {
        self.ns_at(Instant::now())
    }

    pub(crate) fn ns_at(&self, instant: Instant) -> u64 {
        let ns = instant.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(ns).unwrap_or(u64::MAX).max(1)
    }
}

pub(crate) fn as_us(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
