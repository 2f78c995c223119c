//! The one place that talks to `stallcheck-runtime`: builds a monitored
//! multi-thread runtime for one variant and turns the monitor's report into
//! the numbers the harness prints.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use stallcheck_runtime::{Monitor, MonitorGuard, Report};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::driver::Spawner;
use crate::report::{Percentiles, StallReport};

/// How often the loop-lag probe wakes.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// Default poll length above which a poll is a stall (watchdog) and a slow
/// poll (metrics); `stallcheck-bench run --stall-threshold` overrides it.
pub const STALL_THRESHOLD: Duration = Duration::from_millis(10);

/// A multi-thread runtime with the monitor installed and started.
pub struct MonitoredRuntime {
    // Field order matters: the guard stops the monitor before the runtime drops.
    guard: Option<MonitorGuard>,
    monitor: Arc<Monitor>,
    runtime: Runtime,
    /// When the monitor was built: the zero of its stall clock.
    built: Instant,
    /// When the measured part began (the last `reset`).
    measured_from: Instant,
}

/// What the monitor saw during the measured part of a run.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub lag: Percentiles,
    pub lag_samples: u64,
    /// `(ms since reset, max lag µs in that interval)`.
    pub lag_series: Vec<(u64, u64)>,
    /// Yield round trips (`sched_delay`).
    pub sched_delay: Percentiles,
    pub stall_count: u64,
    /// The stalls the watchdog kept, longest first.
    pub stalls: Vec<StallReport>,
    /// Highest slow-poll ratio among this variant's operation tasks.
    pub slow_poll_ratio: f64,
}

impl MonitoredRuntime {
    /// A runtime of `workers` worker threads, monitored; tokio-console on
    /// `console` when given.
    pub fn new(
        workers: usize,
        console: Option<SocketAddr>,
        stall_threshold: Duration,
    ) -> Result<MonitoredRuntime, String> {
        let built = Instant::now();
        let monitor = Monitor::builder()
            .probe_interval(PROBE_INTERVAL)
            .stall_threshold(stall_threshold)
            .watchdog(true)
            // Every operation task carries its TaskMonitor: the slow-poll
            // ratio compares variants, so it must not rest on a small sample.
            .task_sample_every(1)
            .console(console)
            .build();
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers).enable_all();
        monitor.install(&mut builder);
        let runtime = builder
            .build()
            .map_err(|err| format!("cannot build the runtime: {err}"))?;
        let guard = monitor.start(runtime.handle());
        Ok(MonitoredRuntime {
            guard: Some(guard),
            monitor: Arc::new(monitor),
            runtime,
            built,
            measured_from: built,
        })
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Spawns through the monitor: named, instrumented tasks.
    pub fn spawner(&self) -> Arc<MonitorSpawner> {
        Arc::new(MonitorSpawner(Arc::clone(&self.monitor)))
    }

    /// Where tokio-console can connect, or why it cannot (when requested).
    pub fn console_status(&self) -> Option<Result<SocketAddr, String>> {
        self.monitor.console_addr()
    }

    /// Forgets everything measured so far (set-up is not measured).
    pub fn reset(&mut self) {
        self.monitor.reset();
        self.measured_from = Instant::now();
    }

    /// The monitor's view since the last reset; `label` selects this
    /// variant's tasks (`vector-store/blocking`).
    pub fn observe(&self, label: &str) -> Observed {
        let offset_us = self.measured_from.duration_since(self.built).as_micros() as u64;
        summarise(&self.monitor.report(), label, offset_us)
    }

    /// Writes the monitor's full JSON report (the runtime's own format,
    /// with `stall_sites`: what `stallcheck --evidence` reads) to `path`.
    pub fn write_report(&self, path: &std::path::Path) -> Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(&self.monitor.report())
            .map_err(|err| format!("cannot serialise the runtime report: {err}"))?;
        std::fs::write(path, json).map_err(|err| format!("cannot write {}: {err}", path.display()))
    }

    /// Stops the monitor, then shuts the runtime down.
    pub fn shutdown(mut self) {
        if let Some(guard) = self.guard.take() {
            guard.stop();
        }
        self.runtime.shutdown_timeout(Duration::from_secs(5));
    }
}

/// `offset_us`: the measured start on the monitor's stall clock.
fn summarise(report: &Report, label: &str, offset_us: u64) -> Observed {
    let mut stalls: Vec<StallReport> = report
        .stalls
        .iter()
        .map(|stall| StallReport {
            task: stall.task_name.clone().unwrap_or_else(|| {
                format!("task {} spawned at {}", stall.task_id, stall.spawned_at)
            }),
            blocking_call: stall.blocking_call.clone(),
            caller: stall.caller.clone().or_else(|| innermost_frame(stall)),
            caller_location: stall.caller_location.clone(),
            started_ms: stall.started_at_us.saturating_sub(offset_us) / 1000,
            duration_us: stall.duration_us,
            cpu_verdict: stall.cpu.as_ref().map(|cpu| cpu.verdict.clone()),
        })
        .collect();
    stalls.sort_by_key(|stall| std::cmp::Reverse(stall.duration_us));
    let slow_poll_ratio = report
        .tasks
        .iter()
        .filter(|task| task.name.starts_with(label) && !task.name.ends_with("/client"))
        .map(|task| task.slow_poll_ratio)
        .fold(0.0, f64::max);
    let percentiles = |lag: &stallcheck_runtime::LagSummary| Percentiles {
        p50: lag.p50_us,
        p90: lag.p90_us,
        p99: lag.p99_us,
        p999: lag.p999_us,
        max: lag.max_us,
    };
    Observed {
        lag: percentiles(&report.lag),
        lag_samples: report.lag.count,
        lag_series: report.lag.series.clone(),
        sched_delay: percentiles(&report.sched_delay),
        stall_count: report.stall_count,
        stalls,
        slow_poll_ratio,
    }
}

/// Without a named caller: the innermost frame, or why there is none.
fn innermost_frame(stall: &stallcheck_runtime::Stall) -> Option<String> {
    stall
        .frames
        .first()
        .cloned()
        .or_else(|| stall.stack_note.as_ref().map(|note| format!("({note})")))
}

/// Spawns named tasks through the monitor.
pub struct MonitorSpawner(Arc<Monitor>);

impl Spawner for MonitorSpawner {
    fn spawn<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.spawn_named(name, future)
    }
}
