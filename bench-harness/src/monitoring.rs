//! The one place that talks to `stallcheck-runtime`: builds a monitored
//! multi-thread runtime for one variant and turns the monitor's report into
//! the numbers the harness prints.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use stallcheck_runtime::{Monitor, MonitorGuard, Report};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::driver::Spawner;

/// How often the loop-lag probe wakes.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(10);

/// Default poll length above which a poll is a stall (watchdog) and a slow
/// poll (metrics); `stallcheck-bench run --stall-threshold` overrides it.
pub const STALL_THRESHOLD: Duration = Duration::from_millis(10);

/// Stalls listed per variant in the table (the longest ones).
const TOP_STALLS: usize = 3;

/// Frames shown per stall.
const TOP_FRAMES: usize = 6;

/// A multi-thread runtime with the monitor installed and started.
pub struct MonitoredRuntime {
    // Field order matters: the guard stops the monitor before the runtime drops.
    guard: Option<MonitorGuard>,
    monitor: Arc<Monitor>,
    runtime: Runtime,
}

/// What the monitor saw during the measured part of a run.
#[derive(Clone, Debug, Default)]
pub struct Observed {
    pub lag_p50_us: u64,
    pub lag_p99_us: u64,
    pub lag_max_us: u64,
    pub lag_samples: u64,
    /// `(ms since reset, max lag µs in that interval)`.
    pub lag_series: Vec<(u64, u64)>,
    pub stall_count: u64,
    pub top_stalls: Vec<StallLine>,
    /// Highest slow-poll ratio among this variant's operation tasks.
    pub slow_poll_ratio: f64,
}

/// A stall, shortened for the table.
#[derive(Clone, Debug)]
pub struct StallLine {
    pub task: String,
    pub duration_us: u64,
    pub frames: Vec<String>,
}

impl MonitoredRuntime {
    /// A runtime of `workers` worker threads, monitored; tokio-console on
    /// `console` when given.
    pub fn new(
        workers: usize,
        console: Option<SocketAddr>,
        stall_threshold: Duration,
    ) -> Result<MonitoredRuntime, String> {
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
    pub fn reset(&self) {
        self.monitor.reset();
    }

    /// The monitor's view since the last reset; `label` selects this
    /// variant's tasks (`vector-store/blocking`).
    pub fn observe(&self, label: &str) -> Observed {
        summarise(&self.monitor.report(), label)
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

fn summarise(report: &Report, label: &str) -> Observed {
    let mut stalls: Vec<StallLine> = report
        .stalls
        .iter()
        .map(|stall| StallLine {
            task: stall
                .task_name
                .clone()
                .unwrap_or_else(|| format!("task {}", stall.task_id)),
            duration_us: stall.duration_us,
            frames: top_frames(stall),
        })
        .collect();
    stalls.sort_by_key(|stall| std::cmp::Reverse(stall.duration_us));
    stalls.truncate(TOP_STALLS);
    let slow_poll_ratio = report
        .tasks
        .iter()
        .filter(|task| task.name.starts_with(label) && !task.name.ends_with("/client"))
        .map(|task| task.slow_poll_ratio)
        .fold(0.0, f64::max);
    Observed {
        lag_p50_us: report.lag.p50_us,
        lag_p99_us: report.lag.p99_us,
        lag_max_us: report.lag.max_us,
        lag_samples: report.lag.count,
        lag_series: report.lag.series.clone(),
        stall_count: report.stall_count,
        top_stalls: stalls,
        slow_poll_ratio,
    }
}

/// The blocking call and its caller when the watchdog identified them,
/// otherwise the innermost frames.
fn top_frames(stall: &stallcheck_runtime::Stall) -> Vec<String> {
    let named: Vec<String> = [&stall.blocking_call, &stall.caller]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if !named.is_empty() {
        return named;
    }
    let mut frames: Vec<String> = stall.frames.iter().take(TOP_FRAMES).cloned().collect();
    if frames.is_empty()
        && let Some(note) = &stall.stack_note
    {
        frames.push(format!("({note})"));
    }
    frames
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
