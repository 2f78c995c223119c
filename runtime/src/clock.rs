//! One monotonic clock for the watchdog thread and the end of a stalled poll.
//!
//! The poll hooks do not read it on ordinary polls (the watchdog thread
//! times polls); the after-poll hook of a poll the watchdog has called a
//! stall reads it once. On x86-64 Linux whose kernel itself trusts the TSC
//! (clocksource `tsc`, `constant_tsc` and `nonstop_tsc`), it reads the TSC
//! directly (~20 ns on the development VM, against ~45 ns for
//! `Instant::now`); ticks are converted to nanoseconds with a rate
//! calibrated against `Instant` when the clock is built and refined on
//! every watchdog scan. Elsewhere the ticks *are* nanoseconds from `Instant`.
//!
//! Tick values are counted from the clock's creation and never zero, so they
//! fit in an `AtomicU64` with zero reserved for "no poll running".

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Clock {
    epoch: Instant,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Instant,
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    Tsc {
        epoch_tsc: u64,
        /// Nanoseconds per tick, as `f64` bits.
        ns_per_tick: AtomicU64,
    },
}

/// How long the first TSC calibration spins.
#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
const CALIBRATION: Duration = Duration::from_millis(2);

impl Clock {
    pub(crate) fn new() -> Self {
        #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
        if tsc::trusted_by_kernel() {
            let epoch = Instant::now();
            let epoch_tsc = tsc::read();
            while epoch.elapsed() < CALIBRATION {
                std::hint::spin_loop();
            }
            let clock = Self {
                epoch,
                source: Source::Tsc {
                    epoch_tsc,
                    ns_per_tick: AtomicU64::new(1.0_f64.to_bits()),
                },
            };
            clock.recalibrate();
            return clock;
        }
        Self {
            epoch: Instant::now(),
            source: Source::Instant,
        }
    }

    /// A timestamp for the hooks: cheap, monotonic, never zero.
    #[inline]
    pub(crate) fn now_ticks(&self) -> u64 {
        match &self.source {
            Source::Instant => ns_since(self.epoch, Instant::now()),
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            Source::Tsc { epoch_tsc, .. } => tsc::read().saturating_sub(*epoch_tsc).max(1),
        }
    }

    #[inline]
    pub(crate) fn ticks_to_ns(&self, ticks: u64) -> u64 {
        match &self.source {
            Source::Instant => ticks,
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            Source::Tsc { ns_per_tick, .. } => {
                (ticks as f64 * f64::from_bits(ns_per_tick.load(Ordering::Relaxed))) as u64
            }
        }
    }

    /// Nanoseconds since the clock was created, never zero.
    pub(crate) fn now_ns(&self) -> u64 {
        self.ticks_to_ns(self.now_ticks()).max(1)
    }

    /// Refines the tick rate over the whole time since creation (the longer
    /// the span, the more exact). Called from the watchdog thread.
    pub(crate) fn recalibrate(&self) {
        match &self.source {
            Source::Instant => {}
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            Source::Tsc {
                epoch_tsc,
                ns_per_tick,
            } => {
                let ticks = tsc::read().saturating_sub(*epoch_tsc);
                let ns = ns_since(self.epoch, Instant::now());
                if ticks > 0 {
                    let rate = ns as f64 / ticks as f64;
                    ns_per_tick.store(rate.to_bits(), Ordering::Relaxed);
                }
            }
        }
    }

    pub(crate) fn source_name(&self) -> &'static str {
        match &self.source {
            Source::Instant => "Instant",
            #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
            Source::Tsc { .. } => "TSC",
        }
    }
}

fn ns_since(epoch: Instant, instant: Instant) -> u64 {
    let ns = instant.saturating_duration_since(epoch).as_nanos();
    u64::try_from(ns).unwrap_or(u64::MAX).max(1)
}

pub(crate) fn as_us(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(all(target_arch = "x86_64", target_os = "linux"))]
mod tsc {
    #[inline]
    pub(super) fn read() -> u64 {
        // SAFETY: `rdtsc` is available on every x86-64 CPU.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    /// The TSC is used only where the kernel uses it as its own clock and
    /// the CPU says it ticks at a constant rate through sleep states.
    pub(super) fn trusted_by_kernel() -> bool {
        let clocksource = std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        );
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo");
        match (clocksource, cpuinfo) {
            (Ok(source), Ok(cpu)) => {
                source.trim() == "tsc"
                    && cpu.split_whitespace().any(|w| w == "constant_tsc")
                    && cpu.split_whitespace().any(|w| w == "nonstop_tsc")
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use std::time::{Duration, Instant};

    #[test]
    fn ticks_convert_to_elapsed_nanoseconds() {
        let clock = Clock::new();
        let start = clock.now_ticks();
        let wall = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        clock.recalibrate();
        let measured = clock.ticks_to_ns(clock.now_ticks() - start);
        let actual = u64::try_from(wall.elapsed().as_nanos()).unwrap();
        // Same interval measured two ways; allow 5% for the calibration.
        assert!(
            measured.abs_diff(actual) <= actual / 20,
            "{} clock: {measured} ns vs {actual} ns",
            clock.source_name()
        );
    }
}
