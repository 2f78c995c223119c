//! The regression gate's deliberate slowdown: with
//! `STALLCHECK_BENCH_SLOWDOWN_PCT=20` in the environment, every embedding
//! costs 20% more CPU time than it does without it, and returns the same
//! vector. Only the gate's own test (`xtask/tests/gate.rs`) sets it, to prove
//! that the gate fails on a slowdown of that size and names the benchmark.
//!
//! The extra cost is measured, not estimated: the real work's own thread CPU
//! time is read around it, and the thread then spins (`black_box`ed
//! arithmetic the optimizer cannot drop) until `pct` percent of that time has
//! passed on its CPU clock, so the extra cost is exact by construction
//! instead of an estimate of the hashing work's share.

use std::hint::black_box;
use std::time::Duration;

/// The environment variable the gate's test sets; a whole number of percent.
pub const SLOWDOWN_ENV: &str = "STALLCHECK_BENCH_SLOWDOWN_PCT";

/// `SLOWDOWN_ENV` as a percentage, read once; 0 when unset or not a number.
pub fn pct() -> u32 {
    static PCT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PCT.get_or_init(|| {
        std::env::var(SLOWDOWN_ENV)
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    })
}

/// Runs `work`; with the knob set, then burns `pct()` percent of the CPU
/// time `work` took on this thread.
pub fn slowed<T>(work: impl FnOnce() -> T) -> T {
    slowed_by(pct(), work)
}

fn slowed_by<T>(pct: u32, work: impl FnOnce() -> T) -> T {
    if pct == 0 {
        return work();
    }
    let started = thread_cpu_time();
    let result = work();
    let spent = thread_cpu_time().saturating_sub(started);
    burn(spent * pct / 100);
    result
}

/// Spins until this thread has used `cpu` more CPU time.
fn burn(cpu: Duration) {
    let until = thread_cpu_time() + cpu;
    let mut acc = 0x9E37_79B9_7F4A_7C15_u64;
    while thread_cpu_time() < until {
        for i in 0..64 {
            acc = black_box(acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
        }
    }
    black_box(acc);
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: plain clock_gettime into a stack timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work that reports the CPU time it took itself.
    fn timed_work() -> Duration {
        let started = thread_cpu_time();
        burn(Duration::from_millis(10));
        thread_cpu_time() - started
    }

    #[test]
    fn a_slowed_call_costs_its_work_plus_the_percentage_of_it() {
        let started = thread_cpu_time();
        let work = slowed_by(50, timed_work);
        let total = thread_cpu_time() - started;
        assert!(total >= work + work / 2, "work {work:?}, total {total:?}");
    }

    #[test]
    fn without_the_knob_the_work_runs_once_and_nothing_more() {
        let started = thread_cpu_time();
        let work = slowed_by(0, timed_work);
        let total = thread_cpu_time() - started;
        // Only the two clock reads around the work are extra, never another
        // half of it.
        assert!(total < work + work / 2, "work {work:?}, total {total:?}");
    }
}
