//! Where a stuck thread's time goes: on a CPU, waiting for one, or neither.
//!
//! A worker thread that the OS leaves runnable but does not run (a loaded
//! machine, CPU quotas) stalls its runtime as surely as a blocking call, but
//! the task is not to blame. Linux counts, per thread, the time spent on a
//! CPU and the time spent runnable in a run queue
//! (`/proc/self/task/<tid>/schedstat`: `sum_exec_runtime`, `run_delay`, in
//! ns; present when the kernel has `CONFIG_SCHED_INFO`, as distribution
//! kernels do). The watchdog samples them when it calls a poll a stall and
//! at every later scan that still sees the poll running, and splits the
//! window in between:
//!
//! - mostly on a CPU: the poll computes (`on-cpu`);
//! - mostly runnable but waiting for a CPU: `preempted`, the OS did not run
//!   the worker;
//! - mostly neither: the thread slept in a system call (`blocked`: sleep,
//!   lock, I/O), provided it was seen asleep at least once in the window.
//!   A thread never seen asleep did not sleep: in a virtual machine the
//!   hypervisor can take the CPU from under a running thread (steal time),
//!   and the guest counts that time neither as run time nor as run-queue
//!   wait. As far as the thread knows it was running: `on-cpu` (or
//!   `preempted` if it waited more than it ran), with the ratios as
//!   measured.
//!
//! Reading the file costs a few µs, so it is done only for open stalls,
//! never for ordinary polls.

use crate::report::StallCpu;

/// A window shorter than this says too little to judge.
const MIN_WINDOW_NS: u64 = 1_000_000;

/// One reading of a thread's scheduler counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CpuSample {
    /// Watchdog clock, ns.
    pub(crate) at_ns: u64,
    pub(crate) on_cpu_ns: u64,
    pub(crate) waiting_ns: u64,
}

/// The counters of thread `tid` of this process, read at `at_ns`.
#[cfg(target_os = "linux")]
pub(crate) fn sample(tid: i32, at_ns: u64) -> Option<CpuSample> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    parse_schedstat(&text, at_ns)
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn sample(_tid: i32, _at_ns: u64) -> Option<CpuSample> {
    None
}

fn parse_schedstat(text: &str, at_ns: u64) -> Option<CpuSample> {
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    Some(CpuSample {
        at_ns,
        on_cpu_ns: fields.next()?.ok()?,
        waiting_ns: fields.next()?.ok()?,
    })
}

/// How the thread spent the window between two samples; `None` if the
/// window is too short to judge. `seen_asleep`: whether the thread was seen
/// in a sleeping state during the window (see the module's doc).
pub(crate) fn share(first: CpuSample, last: CpuSample, seen_asleep: bool) -> Option<StallCpu> {
    let window_ns = last.at_ns.checked_sub(first.at_ns)?;
    if window_ns < MIN_WINDOW_NS {
        return None;
    }
    let ratio = |ns: u64| (ns as f64 / window_ns as f64).min(1.0);
    let on_cpu_ratio = ratio(last.on_cpu_ns.saturating_sub(first.on_cpu_ns));
    let waiting_ratio = ratio(last.waiting_ns.saturating_sub(first.waiting_ns));
    let off_cpu_ratio = (1.0 - on_cpu_ratio - waiting_ratio).max(0.0);
    // Off-CPU time counts as sleep only for a thread seen asleep.
    let off_cpu_ratio = if seen_asleep { off_cpu_ratio } else { 0.0 };
    let verdict = if waiting_ratio >= on_cpu_ratio && waiting_ratio >= off_cpu_ratio {
        "preempted"
    } else if on_cpu_ratio >= off_cpu_ratio {
        "on-cpu"
    } else {
        "blocked"
    };
    Some(StallCpu {
        window_us: window_ns / 1_000,
        on_cpu_ratio,
        waiting_ratio,
        verdict: verdict.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::{CpuSample, parse_schedstat, share};

    fn at(ms: u64, on_cpu_ms: u64, waiting_ms: u64) -> CpuSample {
        CpuSample {
            at_ns: ms * 1_000_000,
            on_cpu_ns: on_cpu_ms * 1_000_000,
            waiting_ns: waiting_ms * 1_000_000,
        }
    }

    #[test]
    fn schedstat_is_run_time_then_run_queue_wait() {
        assert_eq!(
            parse_schedstat("82943520 11941224 369\n", 5),
            Some(CpuSample {
                at_ns: 5,
                on_cpu_ns: 82_943_520,
                waiting_ns: 11_941_224
            })
        );
        assert_eq!(parse_schedstat("garbage", 5), None);
        assert_eq!(parse_schedstat("", 5), None);
    }

    #[test]
    fn the_largest_share_of_the_window_decides() {
        let verdict = |last| share(at(10, 100, 100), last, true).map(|s| s.verdict);
        assert_eq!(verdict(at(50, 136, 102)).as_deref(), Some("on-cpu"));
        assert_eq!(verdict(at(50, 108, 130)).as_deref(), Some("preempted"));
        assert_eq!(verdict(at(50, 101, 101)).as_deref(), Some("blocked"));
    }

    #[test]
    fn time_unaccounted_for_a_thread_never_seen_asleep_is_not_sleep() {
        // 45% run, 5% queued, half the window nowhere: a hypervisor's steal.
        let cpu = share(at(0, 0, 0), at(100, 45, 5), false).expect("long enough");
        assert_eq!(cpu.verdict, "on-cpu");
        assert!((cpu.on_cpu_ratio - 0.45).abs() < 1e-9);
        let queued = share(at(0, 0, 0), at(100, 5, 30), false).expect("long enough");
        assert_eq!(queued.verdict, "preempted");
    }

    #[test]
    fn ratios_are_shares_of_the_window() {
        let cpu = share(at(0, 0, 0), at(40, 10, 30), true).expect("long enough");
        assert_eq!(cpu.window_us, 40_000);
        assert!((cpu.on_cpu_ratio - 0.25).abs() < 1e-9);
        assert!((cpu.waiting_ratio - 0.75).abs() < 1e-9);
    }

    #[test]
    fn a_window_under_a_millisecond_is_no_verdict() {
        assert!(share(at(10, 0, 0), at(10, 0, 0), true).is_none());
        assert!(share(at(10, 0, 0), at(5, 0, 0), true).is_none());
    }
}
