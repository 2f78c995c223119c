//! tokio-metrics: the runtime sampled at an interval, and named task monitors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::runtime::Handle;
use tokio_metrics::{RuntimeIntervals, RuntimeMetrics, RuntimeMonitor, TaskMetrics, TaskMonitor};

use crate::lag::lock;
use crate::names::NameTable;
use crate::report::{RuntimeSummary, TaskSummary};
use crate::series::{DEFAULT_SERIES_POINTS, MaxSeries};

/// Runtime-wide totals folded from `RuntimeMonitor` intervals since the last
/// reset. Only sums, maxima and the last queue depths are kept, plus a
/// bounded busy-ratio series: constant memory in a long run.
#[derive(Debug)]
pub(crate) struct RuntimeSampler {
    intervals: RuntimeIntervals,
    started: Instant,
    totals: Totals,
    busy_series: MaxSeries,
    series_bucket_ms: u64,
}

#[derive(Debug, Default)]
struct Totals {
    workers: usize,
    elapsed: Duration,
    busy: Duration,
    polls: u64,
    poll_time: Duration,
    parks: u64,
    noops: u64,
    steals: u64,
    steal_operations: u64,
    overflows: u64,
    remote_schedules: u64,
    local_schedules: u64,
    budget_forced_yields: u64,
    global_queue_depth: usize,
    max_global_queue_depth: usize,
    local_queue_depth: usize,
    max_local_queue_depth: usize,
    blocking_queue_depth: usize,
    blocking_threads: usize,
    live_tasks: usize,
    samples: u64,
}

impl RuntimeSampler {
    pub(crate) fn new(handle: &Handle, series_bucket: Duration) -> Self {
        let mut intervals = RuntimeMonitor::new(handle).intervals();
        // The first interval covers the runtime's life so far; start clean.
        let _ = intervals.next();
        let bucket_ms = u64::try_from(series_bucket.as_millis()).unwrap_or(u64::MAX);
        Self {
            intervals,
            started: Instant::now(),
            totals: Totals::default(),
            busy_series: MaxSeries::new(bucket_ms, DEFAULT_SERIES_POINTS),
            series_bucket_ms: bucket_ms,
        }
    }

    /// Folds the interval since the previous sample into the totals.
    pub(crate) fn sample(&mut self) {
        let Some(interval) = self.intervals.next() else {
            return;
        };
        self.fold(&interval);
    }

    fn fold(&mut self, m: &RuntimeMetrics) {
        let t = &mut self.totals;
        t.samples += 1;
        t.workers = m.workers_count;
        t.elapsed += m.elapsed;
        t.busy += m.total_busy_duration;
        t.polls += m.total_polls_count;
        t.poll_time += m
            .mean_poll_duration
            .saturating_mul(u32::try_from(m.total_polls_count).unwrap_or(u32::MAX));
        t.parks += m.total_park_count;
        t.noops += m.total_noop_count;
        t.steals += m.total_steal_count;
        t.steal_operations += m.total_steal_operations;
        t.overflows += m.total_overflow_count;
        t.remote_schedules += m.num_remote_schedules;
        t.local_schedules += m.total_local_schedule_count;
        t.budget_forced_yields += m.budget_forced_yield_count;
        t.global_queue_depth = m.global_queue_depth;
        t.max_global_queue_depth = t.max_global_queue_depth.max(m.global_queue_depth);
        t.local_queue_depth = m.total_local_queue_depth;
        t.max_local_queue_depth = t.max_local_queue_depth.max(m.max_local_queue_depth);
        t.blocking_queue_depth = m.blocking_queue_depth;
        t.blocking_threads = m.blocking_threads_count;
        t.live_tasks = m.live_tasks_count;

        let capacity = m.elapsed.as_secs_f64() * m.workers_count.max(1) as f64;
        if capacity > 0.0 {
            let permille = (m.total_busy_duration.as_secs_f64() / capacity * 1000.0).round() as u64;
            let at_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.busy_series.record(at_ms, permille);
        }
    }

    pub(crate) fn reset(&mut self) {
        let _ = self.intervals.next();
        self.totals = Totals::default();
        self.busy_series.clear(self.series_bucket_ms);
        self.started = Instant::now();
    }

    pub(crate) fn summary(&mut self) -> RuntimeSummary {
        // Fold the partial interval so a report is exact at the moment it is taken.
        self.sample();
        let t = &self.totals;
        let capacity = t.elapsed.as_secs_f64() * t.workers.max(1) as f64;
        RuntimeSummary {
            workers: t.workers,
            elapsed_ms: u64::try_from(t.elapsed.as_millis()).unwrap_or(u64::MAX),
            busy_ratio: if capacity > 0.0 {
                t.busy.as_secs_f64() / capacity
            } else {
                0.0
            },
            total_polls: t.polls,
            mean_poll_us: if t.polls > 0 {
                t.poll_time.as_secs_f64() * 1e6 / t.polls as f64
            } else {
                0.0
            },
            parks: t.parks,
            noops: t.noops,
            steals: t.steals,
            steal_operations: t.steal_operations,
            overflows: t.overflows,
            remote_schedules: t.remote_schedules,
            local_schedules: t.local_schedules,
            budget_forced_yields: t.budget_forced_yields,
            global_queue_depth: t.global_queue_depth,
            max_global_queue_depth: t.max_global_queue_depth,
            local_queue_depth: t.local_queue_depth,
            max_local_queue_depth: t.max_local_queue_depth,
            blocking_queue_depth: t.blocking_queue_depth,
            blocking_threads: t.blocking_threads,
            live_tasks: t.live_tasks,
            samples: t.samples,
            busy_series_bucket_ms: self.busy_series.bucket_ms(),
            busy_permille_series: self.busy_series.points().to_vec(),
        }
    }
}

/// Named task monitors, each with the cumulative metrics at the last reset.
///
/// tokio-metrics' per-poll accounting costs a few hundred ns per poll, so
/// only one in `sample_every` tasks spawned under each name is instrumented
/// (a per-name counter: the 1st, the `n+1`th, ...); the others run bare.
/// `sample_every` 0 instruments none (`MonitorBuilder::task_metrics(false)`).
#[derive(Debug)]
pub(crate) struct TaskMonitors {
    slow_poll_threshold: Duration,
    long_delay_threshold: Duration,
    sample_every: u32,
    by_name: Mutex<BTreeMap<String, NamedMonitor>>,
    names: Arc<NameTable>,
}

#[derive(Debug)]
struct NamedMonitor {
    monitor: TaskMonitor,
    /// Cumulative metrics at the last reset.
    baseline: TaskMetrics,
    /// The name's index in the watchdog's name table.
    name: u32,
    /// Tasks spawned under this name through the monitor, ever and at the
    /// last reset.
    spawned: u64,
    spawned_at_reset: u64,
}

impl TaskMonitors {
    pub(crate) fn new(
        slow_poll_threshold: Duration,
        long_delay_threshold: Duration,
        sample_every: u32,
        names: Arc<NameTable>,
    ) -> Self {
        Self {
            slow_poll_threshold,
            long_delay_threshold,
            sample_every,
            by_name: Mutex::new(BTreeMap::new()),
            names,
        }
    }

    pub(crate) fn sample_every(&self) -> u32 {
        self.sample_every
    }

    pub(crate) fn get_or_create(&self, name: &str) -> TaskMonitor {
        let mut by_name = lock(&self.by_name);
        self.entry(&mut by_name, name).monitor.clone()
    }

    /// For a task about to be spawned under `name`: the name's interned
    /// index, and the monitor to instrument it with if it is in the sample.
    pub(crate) fn for_spawn(&self, name: &str) -> (Option<TaskMonitor>, u32) {
        let mut by_name = lock(&self.by_name);
        let entry = self.entry(&mut by_name, name);
        let sampled =
            self.sample_every > 0 && entry.spawned.is_multiple_of(u64::from(self.sample_every));
        entry.spawned += 1;
        (sampled.then(|| entry.monitor.clone()), entry.name)
    }

    fn entry<'m>(
        &self,
        by_name: &'m mut BTreeMap<String, NamedMonitor>,
        name: &str,
    ) -> &'m mut NamedMonitor {
        if !by_name.contains_key(name) {
            let mut builder = TaskMonitor::builder();
            builder
                .with_slow_poll_threshold(self.slow_poll_threshold)
                .with_long_delay_threshold(self.long_delay_threshold);
            let monitor = builder.build();
            let entry = NamedMonitor {
                baseline: monitor.cumulative(),
                monitor,
                name: self.names.intern(name),
                spawned: 0,
                spawned_at_reset: 0,
            };
            by_name.insert(name.to_owned(), entry);
        }
        by_name
            .get_mut(name)
            .expect("inserted above when it was missing")
    }

    pub(crate) fn reset(&self) {
        for entry in lock(&self.by_name).values_mut() {
            entry.baseline = entry.monitor.cumulative();
            entry.spawned_at_reset = entry.spawned;
        }
    }

    pub(crate) fn summaries(&self) -> Vec<TaskSummary> {
        lock(&self.by_name)
            .iter()
            .map(|(name, entry)| {
                let mut summary = summarise(name, &entry.monitor.cumulative(), &entry.baseline);
                summary.spawned = entry.spawned - entry.spawned_at_reset;
                summary.sample_every = self.sample_every;
                summary
            })
            .collect()
    }
}

fn summarise(name: &str, now: &TaskMetrics, base: &TaskMetrics) -> TaskSummary {
    let count = |a: u64, b: u64| a.saturating_sub(b);
    let time = |a: Duration, b: Duration| a.saturating_sub(b);
    let mean_us = |total: Duration, n: u64| {
        if n == 0 {
            0.0
        } else {
            total.as_secs_f64() * 1e6 / n as f64
        }
    };
    let ratio = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            part as f64 / whole as f64
        }
    };

    let polls = count(now.total_poll_count, base.total_poll_count);
    let slow_polls = count(now.total_slow_poll_count, base.total_slow_poll_count);
    let first_polls = count(now.first_poll_count, base.first_poll_count);
    let scheduled = count(now.total_scheduled_count, base.total_scheduled_count);
    let long_delays = count(now.total_long_delay_count, base.total_long_delay_count);
    let short_delays = count(now.total_short_delay_count, base.total_short_delay_count);
    let idled = count(now.total_idled_count, base.total_idled_count);
    let poll_time = time(now.total_poll_duration, base.total_poll_duration);
    TaskSummary {
        name: name.to_owned(),
        spawned: 0,
        sample_every: 1,
        instrumented: count(now.instrumented_count, base.instrumented_count),
        dropped: count(now.dropped_count, base.dropped_count),
        polls,
        slow_polls,
        slow_poll_ratio: ratio(slow_polls, polls),
        mean_poll_us: mean_us(poll_time, polls),
        mean_slow_poll_us: mean_us(
            time(now.total_slow_poll_duration, base.total_slow_poll_duration),
            slow_polls,
        ),
        total_poll_ms: poll_time.as_secs_f64() * 1e3,
        mean_first_poll_delay_us: mean_us(
            time(now.total_first_poll_delay, base.total_first_poll_delay),
            first_polls,
        ),
        mean_scheduled_us: mean_us(
            time(now.total_scheduled_duration, base.total_scheduled_duration),
            scheduled,
        ),
        long_delay_ratio: ratio(long_delays, long_delays + short_delays),
        mean_idle_us: mean_us(
            time(now.total_idle_duration, base.total_idle_duration),
            idled,
        ),
    }
}

/// Per-worker counters from tokio's `RuntimeMetrics`, diffed against the
/// values at the last reset.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkerCounters {
    pub(crate) busy: Duration,
    pub(crate) polls: u64,
    pub(crate) steals: u64,
    pub(crate) parks: u64,
}

pub(crate) fn worker_counters(handle: &Handle) -> Vec<WorkerCounters> {
    let metrics = handle.metrics();
    (0..metrics.num_workers())
        .map(|w| WorkerCounters {
            busy: metrics.worker_total_busy_duration(w),
            polls: metrics.worker_poll_count(w),
            steals: metrics.worker_steal_count(w),
            parks: metrics.worker_park_count(w),
        })
        .collect()
}

pub(crate) fn busy_ratio(busy: Duration, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        0.0
    } else {
        busy.as_secs_f64() / elapsed.as_secs_f64()
    }
}

pub(crate) fn local_queue_depth(handle: &Handle, worker: usize) -> usize {
    handle.metrics().worker_local_queue_depth(worker)
}
