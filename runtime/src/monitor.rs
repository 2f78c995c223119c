//! The entry point: build a [`Monitor`], install it on a runtime builder,
//! start it on the runtime, read [`Report`]s.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::clock::{Clock, as_us};
use crate::lag::{DelayRecorder, ProbeSinks, WorkerCoverage, lock, run_probe};
use crate::metrics::{self, RuntimeSampler, TaskMonitors, WorkerCounters};
use crate::names::{NameTable, Named};
use crate::report::{Report, ReportSettings, RuntimeSummary, WorkerSummary};
use crate::watchdog::{SamplerThread, WatchdogState, WatchdogThread, stack};

#[cfg(not(tokio_unstable))]
compile_error!(
    "stallcheck-runtime needs tokio's unstable APIs (task-poll hooks, queue metrics): build with \
     RUSTFLAGS=\"--cfg tokio_unstable\" or `[build] rustflags = [\"--cfg\", \"tokio_unstable\"]` in .cargo/config.toml"
);

/// Default probe interval.
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_millis(10);
/// The shortest probe interval accepted (shorter values are raised to it).
pub const MIN_PROBE_INTERVAL: Duration = Duration::from_millis(1);
/// Default poll duration above which the watchdog reports a stall.
pub const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(10);
/// Default period of the stack sampler (see [`MonitorBuilder::sample_interval`]).
pub const DEFAULT_SAMPLE_INTERVAL: Duration = Duration::from_millis(10);
/// The shortest sampler period accepted (shorter values are raised to it).
const MIN_SAMPLE_INTERVAL: Duration = Duration::from_millis(1);
/// Default for [`MonitorBuilder::task_sample_every`]: one task in 128 of each
/// name carries a `TaskMonitor`.
pub const DEFAULT_TASK_SAMPLE_EVERY: u32 = 128;
/// Default `RuntimeMonitor` sampling interval.
pub const DEFAULT_METRICS_INTERVAL: Duration = Duration::from_millis(100);
/// Default number of stalls kept (older ones are dropped and counted).
pub const DEFAULT_STALL_CAPACITY: usize = 256;
/// Default width of one time-series bucket.
const DEFAULT_SERIES_BUCKET: Duration = Duration::from_millis(100);
/// Shortest and longest pause between two watchdog scans.
const MIN_SCAN_INTERVAL: Duration = Duration::from_millis(1);
const MAX_SCAN_INTERVAL: Duration = Duration::from_millis(50);

static NEXT_MONITOR_UID: AtomicU64 = AtomicU64::new(1);

/// Configures a [`Monitor`]. Every setting has a documented default.
#[derive(Clone, Debug)]
pub struct MonitorBuilder {
    probe_interval: Duration,
    stall_threshold: Duration,
    slow_poll_threshold: Duration,
    long_delay_threshold: Duration,
    metrics_interval: Duration,
    series_bucket: Duration,
    stall_capacity: usize,
    watchdog: bool,
    capture_stacks: bool,
    /// `None`: the sampler is off.
    sample_interval: Option<Duration>,
    task_metrics: bool,
    task_sample_every: u32,
    console: Option<SocketAddr>,
}

impl Default for MonitorBuilder {
    fn default() -> Self {
        Self {
            probe_interval: DEFAULT_PROBE_INTERVAL,
            stall_threshold: DEFAULT_STALL_THRESHOLD,
            slow_poll_threshold: tokio_metrics::TaskMonitor::DEFAULT_SLOW_POLL_THRESHOLD,
            long_delay_threshold: tokio_metrics::TaskMonitor::DEFAULT_LONG_DELAY_THRESHOLD,
            metrics_interval: DEFAULT_METRICS_INTERVAL,
            series_bucket: DEFAULT_SERIES_BUCKET,
            stall_capacity: DEFAULT_STALL_CAPACITY,
            watchdog: true,
            capture_stacks: true,
            sample_interval: Some(DEFAULT_SAMPLE_INTERVAL),
            task_metrics: true,
            task_sample_every: DEFAULT_TASK_SAMPLE_EVERY,
            console: None,
        }
    }
}

impl MonitorBuilder {
    /// How often each lag probe wakes (default 10 ms, at least 1 ms).
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval.max(MIN_PROBE_INTERVAL);
        self
    }

    /// Poll duration above which the watchdog reports a stall (default 10 ms).
    pub fn stall_threshold(mut self, threshold: Duration) -> Self {
        self.stall_threshold = threshold.max(Duration::from_micros(100));
        self
    }

    /// Poll duration above which a `TaskMonitor` counts a poll as slow
    /// (default: tokio-metrics' 50 µs).
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.slow_poll_threshold = threshold;
        self
    }

    /// Queue delay above which a `TaskMonitor` counts a schedule as long
    /// (default: tokio-metrics' 50 µs).
    pub fn long_delay_threshold(mut self, threshold: Duration) -> Self {
        self.long_delay_threshold = threshold;
        self
    }

    /// How often `RuntimeMonitor` is sampled (default 100 ms).
    pub fn metrics_interval(mut self, interval: Duration) -> Self {
        self.metrics_interval = interval.max(Duration::from_millis(1));
        self
    }

    /// Width of one time-series bucket (default 100 ms). Series keep at most
    /// 2048 points and widen their buckets when full.
    pub fn series_bucket(mut self, bucket: Duration) -> Self {
        self.series_bucket = bucket.max(Duration::from_millis(1));
        self
    }

    /// How many stalls the report keeps (default 256).
    pub fn stall_capacity(mut self, capacity: usize) -> Self {
        self.stall_capacity = capacity.max(1);
        self
    }

    /// Runs the stall watchdog thread (default on).
    pub fn watchdog(mut self, enabled: bool) -> Self {
        self.watchdog = enabled;
        self
    }

    /// Instruments a sample of `spawn_named` tasks with their name's
    /// `TaskMonitor` (default on, see [`task_sample_every`](Self::task_sample_every)).
    /// Off, every task runs bare; names, console, probes, runtime metrics and
    /// the watchdog still apply.
    pub fn task_metrics(mut self, enabled: bool) -> Self {
        self.task_metrics = enabled;
        self
    }

    /// Instruments one task in `n` spawned under each name with the name's
    /// `TaskMonitor` (default [`DEFAULT_TASK_SAMPLE_EVERY`], 128; 0 is taken
    /// as 1). The choice is a per-name counter, not random: the 1st, the
    /// `n+1`th, the `2n+1`th task of a name. The others run bare, still
    /// named (console, stalls).
    ///
    /// Why sample: tokio-metrics' accounting costs ~250-400 ns per poll of an
    /// instrumented task (several clock reads and shared atomics), which is
    /// +10% on 2 µs polls and more than doubles the cost of 0.2 µs polls when
    /// every task is instrumented (`n = 1`). Means and ratios (`mean_poll_us`,
    /// `slow_poll_ratio`, `mean_scheduled_us`, ...) estimate all tasks of the
    /// name; counts (`instrumented`, `polls`, ...) cover the sampled tasks
    /// only. `tasks[].spawned` counts every task.
    pub fn task_sample_every(mut self, n: u32) -> Self {
        self.task_sample_every = n.max(1);
        self
    }

    /// Runs the stack sampler every `interval` (default
    /// [`DEFAULT_SAMPLE_INTERVAL`], 10 ms; at least 1 ms), or not at all
    /// (`None`). The sampler takes the stack of every worker that is inside
    /// a poll, whatever the poll's length, and adds it to the report's
    /// `stall_sites`: it names blocking calls too short to be stalls (one
    /// fsync, one Redis round trip). Each sample costs the sampled worker a
    /// signal and an unwind (~10-30 µs), so at 10 ms at most ~0.3 % of a
    /// busy worker. Needs the watchdog and stack capture (Linux).
    pub fn sample_interval(mut self, interval: Option<Duration>) -> Self {
        self.sample_interval = interval.map(|i| i.max(MIN_SAMPLE_INTERVAL));
        self
    }

    /// Takes the stuck thread's stack for each stall (default on, Linux only).
    pub fn capture_stacks(mut self, enabled: bool) -> Self {
        self.capture_stacks = enabled;
        self
    }

    /// Serves tokio-console at `addr` (`Some(stallcheck_runtime::DEFAULT_CONSOLE_ADDR)`
    /// for the usual `127.0.0.1:6669`); needs the `console` feature. Off by default.
    pub fn console(mut self, addr: Option<SocketAddr>) -> Self {
        self.console = addr;
        self
    }

    pub fn build(self) -> Monitor {
        let uid = NEXT_MONITOR_UID.fetch_add(1, Ordering::Relaxed);
        let clock = Clock::new();
        let names = Arc::new(NameTable::default());
        let watchdog = Arc::new(WatchdogState::new(
            uid,
            clock,
            self.stall_threshold,
            self.stall_capacity,
            Arc::clone(&names),
            self.capture_stacks,
        ));
        let probes = Arc::new(ProbeSinks {
            lag: Mutex::new(DelayRecorder::new(self.series_bucket)),
            sched_delay: Mutex::new(DelayRecorder::new(self.series_bucket)),
            coverage: Mutex::new(Arc::new(WorkerCoverage::new(0))),
        });
        Monitor {
            inner: Arc::new(Inner {
                task_monitors: TaskMonitors::new(
                    self.slow_poll_threshold,
                    self.long_delay_threshold,
                    if self.task_metrics {
                        self.task_sample_every
                    } else {
                        0
                    },
                    names,
                ),
                settings: self,
                watchdog,
                probes,
                attached: Mutex::new(None),
                interval_started: Mutex::new(Instant::now()),
                console_status: Mutex::new(None),
            }),
        }
    }
}

/// Measures one tokio runtime: loop lag, tokio metrics, named tasks, stalls.
///
/// Cheap to clone (an `Arc`). One monitor per runtime; a process may create
/// several runtimes one after another, each with its own monitor.
#[derive(Clone, Debug)]
pub struct Monitor {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: MonitorBuilder,
    watchdog: Arc<WatchdogState>,
    probes: Arc<ProbeSinks>,
    task_monitors: TaskMonitors,
    attached: Mutex<Option<Attached>>,
    interval_started: Mutex<Instant>,
    console_status: Mutex<Option<Result<SocketAddr, String>>>,
}

/// What `start` learned about the runtime.
#[derive(Debug)]
struct Attached {
    handle: Handle,
    sampler: Arc<Mutex<RuntimeSampler>>,
    worker_baseline: Vec<WorkerCounters>,
    watchdog_running: bool,
    sampler_running: bool,
}

impl Monitor {
    pub fn builder() -> MonitorBuilder {
        MonitorBuilder::default()
    }

    /// Sets the task-poll hooks on a runtime builder, before `build()`
    /// (only when the watchdog is enabled; it is their only user).
    ///
    /// Replaces any `on_before_task_poll` / `on_after_task_poll` callbacks
    /// set earlier. Also starts the tokio-console server if one was asked
    /// for (tasks must be spawned after it, so this is the moment).
    pub fn install(&self, builder: &mut tokio::runtime::Builder) {
        // Without the watchdog the hooks would only cost time: leave them off.
        if self.inner.settings.watchdog {
            let before = Arc::clone(&self.inner.watchdog);
            let after = Arc::clone(&self.inner.watchdog);
            builder
                .on_before_task_poll(move |meta| before.before_poll(meta))
                .on_after_task_poll(move |_| after.after_poll());
            self.inner
                .watchdog
                .hooks_installed
                .store(true, Ordering::Release);
        }
        if let Some(addr) = self.inner.settings.console {
            *lock(&self.inner.console_status) = Some(start_console(addr));
        }
    }

    /// The tokio-console server address, if one was requested and is serving.
    pub fn console_addr(&self) -> Option<Result<SocketAddr, String>> {
        lock(&self.inner.console_status).clone()
    }

    /// Starts the probes, the metrics sampler and the watchdog thread on
    /// the runtime behind `handle`. They stop when the guard is dropped.
    pub fn start(&self, handle: &Handle) -> MonitorGuard {
        let settings = &self.inner.settings;
        let workers = handle.metrics().num_workers().max(1);
        *lock(&self.inner.probes.coverage) = Arc::new(WorkerCoverage::new(workers));

        let mut tasks = Vec::with_capacity(workers + 1);
        for i in 0..workers {
            let phase = settings.probe_interval * u32::try_from(i).unwrap_or(0)
                / u32::try_from(workers).unwrap_or(1);
            let first_deadline = Instant::now() + phase + settings.probe_interval;
            let probe = run_probe(
                Arc::clone(&self.inner.probes),
                settings.probe_interval,
                first_deadline,
            );
            tasks.push(spawn_internal("stallcheck/probe", probe, handle));
        }

        let sampler = Arc::new(Mutex::new(RuntimeSampler::new(
            handle,
            settings.series_bucket,
        )));
        tasks.push(spawn_internal(
            "stallcheck/metrics",
            sample_runtime(Arc::clone(&sampler), settings.metrics_interval),
            handle,
        ));

        let watchdog = self.spawn_watchdog();
        let stack_sampler = watchdog.as_ref().and_then(|_| self.spawn_sampler());
        *lock(&self.inner.attached) = Some(Attached {
            handle: handle.clone(),
            sampler,
            worker_baseline: metrics::worker_counters(handle),
            watchdog_running: watchdog.is_some(),
            sampler_running: stack_sampler.is_some(),
        });
        *lock(&self.inner.interval_started) = Instant::now();
        MonitorGuard {
            tasks,
            sampler: stack_sampler,
            watchdog,
        }
    }

    fn spawn_sampler(&self) -> Option<SamplerThread> {
        let settings = &self.inner.settings;
        let interval = settings.sample_interval?;
        if !settings.capture_stacks || stack::ensure_installed().is_err() {
            return None;
        }
        match SamplerThread::spawn(Arc::clone(&self.inner.watchdog), interval) {
            Ok(thread) => Some(thread),
            Err(error) => {
                tracing::error!("stallcheck: cannot start the sampler thread: {error}");
                None
            }
        }
    }

    fn spawn_watchdog(&self) -> Option<WatchdogThread> {
        let settings = &self.inner.settings;
        let hooked = self.inner.watchdog.hooks_installed.load(Ordering::Acquire);
        if !settings.watchdog || !hooked {
            return None;
        }
        let scan_every = (settings.stall_threshold / 4).clamp(MIN_SCAN_INTERVAL, MAX_SCAN_INTERVAL);
        match WatchdogThread::spawn(Arc::clone(&self.inner.watchdog), scan_every) {
            Ok(thread) => Some(thread),
            Err(error) => {
                tracing::error!("stallcheck: cannot start the watchdog thread: {error}");
                None
            }
        }
    }

    /// A tokio-metrics `TaskMonitor` for tasks named `name` (created on first
    /// use with the configured thresholds; the same monitor afterwards).
    pub fn task_monitor(&self, name: &str) -> tokio_metrics::TaskMonitor {
        self.inner.task_monitors.get_or_create(name)
    }

    /// Spawns `future` on the current runtime as a task named `name`
    /// (visible in tokio-console and in stall reports); one task in
    /// [`task_sample_every`](MonitorBuilder::task_sample_every) of each name
    /// is instrumented by the name's `TaskMonitor`.
    ///
    /// Panics, like `tokio::spawn`, when called outside a runtime.
    #[track_caller]
    pub fn spawn_named<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_named_on(name, future, &Handle::current())
    }

    /// [`spawn_named`](Self::spawn_named) on an explicit runtime.
    #[track_caller]
    pub fn spawn_named_on<F>(&self, name: &str, future: F, handle: &Handle) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task_monitor, name_index) = self.inner.task_monitors.for_spawn(name);
        let named = Named::new(future, name_index);
        let builder = tokio::task::Builder::new().name(name);
        let spawned = match task_monitor {
            Some(task_monitor) => builder.spawn_on(task_monitor.instrument(named), handle),
            None => builder.spawn_on(named, handle),
        };
        spawned.expect("tokio::task::Builder::spawn_on only fails on a shut-down runtime")
    }

    /// Starts a new measurement interval: clears the histograms, the series,
    /// the stall ring and counters, and rebases runtime and task metrics.
    pub fn reset(&self) {
        lock(&self.inner.probes.lag).reset();
        lock(&self.inner.probes.sched_delay).reset();
        lock(&self.inner.probes.coverage).reset();
        self.inner.watchdog.reset();
        self.inner.task_monitors.reset();
        if let Some(attached) = lock(&self.inner.attached).as_mut() {
            lock(&attached.sampler).reset();
            attached.worker_baseline = metrics::worker_counters(&attached.handle);
        }
        *lock(&self.inner.interval_started) = Instant::now();
    }

    /// A snapshot of the current interval.
    pub fn report(&self) -> Report {
        let inner = &self.inner;
        let elapsed = lock(&inner.interval_started).elapsed();
        let attached = lock(&inner.attached);
        let runtime = attached
            .as_ref()
            .map_or_else(RuntimeSummary::default, |a| lock(&a.sampler).summary());
        let workers = attached
            .as_ref()
            .map_or_else(Vec::new, |a| self.worker_summaries(a, elapsed));
        let (stalls, stall_count, stalls_dropped) = inner.watchdog.stalls_snapshot();
        let (stall_sites, stall_sites_dropped, samples, samples_discarded) =
            inner.watchdog.sites_snapshot();
        Report {
            elapsed_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            settings: self.settings(),
            lag: lock(&inner.probes.lag).summary(),
            sched_delay: lock(&inner.probes.sched_delay).summary(),
            runtime,
            workers,
            tasks: inner.task_monitors.summaries(),
            stalls,
            stall_count,
            stalls_dropped,
            stall_sites,
            stall_sites_dropped,
            samples,
            samples_discarded,
            sampler: self.sampler_status(attached.as_ref()),
            stack_capture: self.stack_capture_status(),
            watchdog: self.watchdog_status(attached.as_ref()),
            console: lock(&inner.console_status)
                .as_ref()
                .map(|status| match status {
                    Ok(addr) => format!("serving on {addr}"),
                    Err(why) => format!("not serving: {why}"),
                }),
        }
    }

    fn settings(&self) -> ReportSettings {
        let s = &self.inner.settings;
        ReportSettings {
            probe_interval_us: as_us(s.probe_interval),
            stall_threshold_us: as_us(s.stall_threshold),
            sample_interval_us: s.sample_interval.map_or(0, as_us),
            slow_poll_threshold_us: as_us(s.slow_poll_threshold),
            metrics_interval_ms: u64::try_from(s.metrics_interval.as_millis()).unwrap_or(u64::MAX),
            stall_capacity: s.stall_capacity,
            task_sample_every: self.inner.task_monitors.sample_every(),
        }
    }

    fn worker_summaries(&self, attached: &Attached, elapsed: Duration) -> Vec<WorkerSummary> {
        let now = metrics::worker_counters(&attached.handle);
        let coverage = Arc::clone(&lock(&self.inner.probes.coverage));
        let slots = self.inner.watchdog.slots();
        now.iter()
            .enumerate()
            .map(|(worker, current)| {
                let base = attached
                    .worker_baseline
                    .get(worker)
                    .cloned()
                    .unwrap_or_default();
                let (probe_samples, probe_max_lag_us) = coverage.get(worker);
                let max_poll_ns = slots
                    .iter()
                    .filter(|s| s.worker() == Some(worker))
                    .map(|s| s.max_poll_ns())
                    .max()
                    .unwrap_or(0);
                WorkerSummary {
                    worker,
                    busy_ratio: metrics::busy_ratio(
                        current.busy.saturating_sub(base.busy),
                        elapsed,
                    ),
                    polls: current.polls.saturating_sub(base.polls),
                    steals: current.steals.saturating_sub(base.steals),
                    parks: current.parks.saturating_sub(base.parks),
                    local_queue_depth: metrics::local_queue_depth(&attached.handle, worker),
                    max_poll_us: max_poll_ns / 1_000,
                    probe_samples,
                    probe_max_lag_us,
                }
            })
            .collect()
    }

    fn stack_capture_status(&self) -> String {
        if !self.inner.settings.capture_stacks {
            return "disabled (MonitorBuilder::capture_stacks(false))".to_owned();
        }
        match stack::ensure_installed() {
            Ok(how) => how,
            Err(why) => why,
        }
    }

    fn sampler_status(&self, attached: Option<&Attached>) -> String {
        let settings = &self.inner.settings;
        let Some(interval) = settings.sample_interval else {
            return "disabled (MonitorBuilder::sample_interval(None))".to_owned();
        };
        match attached {
            Some(a) if a.sampler_running => {
                format!("running (every {} ms)", interval.as_secs_f64() * 1e3)
            }
            Some(a) if !a.watchdog_running => "not running: the watchdog is not running".to_owned(),
            Some(_) if !settings.capture_stacks => {
                "not running: stack capture is disabled".to_owned()
            }
            Some(_) => match stack::ensure_installed() {
                Err(why) => format!("not running: {why}"),
                Ok(_) => "not running: the sampler thread could not be started".to_owned(),
            },
            None => "not running: Monitor::start was not called".to_owned(),
        }
    }

    fn watchdog_status(&self, attached: Option<&Attached>) -> String {
        let hooked = self.inner.watchdog.hooks_installed.load(Ordering::Acquire);
        let threshold = self.inner.settings.stall_threshold;
        match attached {
            _ if !self.inner.settings.watchdog => {
                "disabled (MonitorBuilder::watchdog(false))".to_owned()
            }
            _ if !hooked => {
                "not running: call Monitor::install on the runtime builder before build()"
                    .to_owned()
            }
            None => "not running: Monitor::start was not called".to_owned(),
            Some(a) if a.watchdog_running => format!(
                "running (threshold {} ms, {} clock)",
                threshold.as_secs_f64() * 1e3,
                self.inner.watchdog.clock_source()
            ),
            Some(_) => "not running: the watchdog thread could not be started".to_owned(),
        }
    }
}

/// Keeps the probes, the sampler and the watchdog running; stops them when
/// dropped or on [`stop`](Self::stop). The collected data stays readable
/// through [`Monitor::report`].
#[derive(Debug)]
#[must_use = "dropping the guard stops the monitor"]
pub struct MonitorGuard {
    tasks: Vec<JoinHandle<()>>,
    sampler: Option<SamplerThread>,
    watchdog: Option<WatchdogThread>,
}

impl MonitorGuard {
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for MonitorGuard {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.sampler.take();
        self.watchdog.take();
    }
}

fn spawn_internal<F>(name: &str, future: F, handle: &Handle) -> JoinHandle<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    tokio::task::Builder::new()
        .name(name)
        .spawn_on(future, handle)
        .expect("tokio::task::Builder::spawn_on only fails on a shut-down runtime")
}

async fn sample_runtime(sampler: Arc<Mutex<RuntimeSampler>>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    // A late sample just covers a longer interval; never fire a burst.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        lock(&sampler).sample();
    }
}

#[cfg(feature = "console")]
fn start_console(addr: SocketAddr) -> Result<SocketAddr, String> {
    crate::console::init(addr).map_err(|e| e.to_string())
}

#[cfg(not(feature = "console"))]
fn start_console(_addr: SocketAddr) -> Result<SocketAddr, String> {
    Err("stallcheck-runtime was built without the `console` feature".to_owned())
}
