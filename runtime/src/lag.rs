//! The loop-lag probe and the scheduling-delay sampler.
//!
//! One probe task per worker wakes on a fixed interval (the probes are
//! phase-shifted by `interval / workers` so their wake-ups interleave) and
//! records how late each wake-up was against `std::time::Instant`. Because
//! tokio moves tasks between workers (work stealing, the LIFO slot, the
//! injection queue), the probes rotate over the workers; each sample is also
//! attributed to the worker it ran on (`tokio::runtime::worker_index`) so the
//! report can show per-worker coverage.
//!
//! Traps this avoids:
//! - `tokio::time::Interval` with the default `MissedTickBehavior::Burst`
//!   fires missed ticks back to back, each on time relative to the previous
//!   one, which hides a stall. The probe sleeps until an absolute deadline
//!   and skips missed deadlines instead.
//! - A stall that swallows several intervals produces one late sample where
//!   a steady observer would have seen many: the samples are back-filled with
//!   `Histogram::record_correct` (coordinated omission, as jHiccup does).
//! - The timer wheel has millisecond resolution, so timer lag below ~1 ms is
//!   noise. After a wake-up the probe therefore also measures a
//!   `yield_now` round trip (on one wake-up in ten: see
//!   `SCHED_DELAY_SAMPLE_EVERY`): the time until the worker gets back to it,
//!   which sees sub-millisecond queueing a timer cannot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::clock::as_us;
use crate::report::LagSummary;
use crate::series::{DEFAULT_SERIES_POINTS, MaxSeries};

/// A probe measures a `yield_now` round trip on one wake-up in this many
/// (the first, then every tenth). A yield is not free for the tasks around
/// it: measured with `poll_cost`, a round trip on every 10 ms wake-up of
/// both probes cost a burst of 0.2 µs polls ~6 % of its wall time, against
/// under 1 % at one in ten. One sample per 100 ms per worker still sees
/// sustained sub-millisecond queueing, which is what the sampler is for.
const SCHED_DELAY_SAMPLE_EVERY: u64 = 10;

/// Highest value tracked: 60 s, in µs.
const HISTOGRAM_MAX_US: u64 = 60_000_000;

/// A histogram of delays (µs, 1 µs .. 60 s) plus its per-bucket max series.
#[derive(Debug)]
pub(crate) struct DelayRecorder {
    histogram: Histogram<u64>,
    series: MaxSeries,
    series_bucket_ms: u64,
    started: Instant,
    /// Samples above 60 s are clamped; counted so the clamp is visible.
    clamped: u64,
}

impl DelayRecorder {
    pub(crate) fn new(series_bucket: Duration) -> Self {
        let bucket_ms = u64::try_from(series_bucket.as_millis()).unwrap_or(u64::MAX);
        Self {
            histogram: Histogram::new_with_bounds(1, HISTOGRAM_MAX_US, 3)
                .expect("static histogram bounds are valid"),
            series: MaxSeries::new(bucket_ms, DEFAULT_SERIES_POINTS),
            series_bucket_ms: bucket_ms,
            started: Instant::now(),
            clamped: 0,
        }
    }

    /// Records one delay; with `expected_interval`, back-fills the samples a
    /// long delay swallowed (coordinated omission correction).
    pub(crate) fn record(
        &mut self,
        at: Instant,
        delay: Duration,
        expected_interval: Option<Duration>,
    ) {
        let mut value = as_us(delay).max(1);
        if value > HISTOGRAM_MAX_US {
            value = HISTOGRAM_MAX_US;
            self.clamped += 1;
        }
        let recorded = match expected_interval {
            Some(interval) => self.histogram.record_correct(value, as_us(interval).max(1)),
            None => self.histogram.record(value),
        };
        // Bounds are checked above, so recording cannot fail; count if it does.
        if recorded.is_err() {
            self.clamped += 1;
        }
        let at_ms = u64::try_from(at.saturating_duration_since(self.started).as_millis())
            .unwrap_or(u64::MAX);
        self.series.record(at_ms, value);
    }

    pub(crate) fn reset(&mut self) {
        self.histogram.reset();
        self.series.clear(self.series_bucket_ms);
        self.started = Instant::now();
        self.clamped = 0;
    }

    pub(crate) fn summary(&self) -> LagSummary {
        let h = &self.histogram;
        let empty = h.is_empty();
        let quantile = |q: f64| if empty { 0 } else { h.value_at_quantile(q) };
        LagSummary {
            count: h.len(),
            mean_us: if empty { 0.0 } else { h.mean() },
            p50_us: quantile(0.50),
            p90_us: quantile(0.90),
            p99_us: quantile(0.99),
            p999_us: quantile(0.999),
            max_us: if empty { 0 } else { h.max() },
            clamped: self.clamped,
            series_bucket_ms: self.series.bucket_ms(),
            series: self.series.points().to_vec(),
        }
    }
}

/// Per-worker probe coverage: how many samples landed on each worker and the
/// worst lag seen there. Fixed size, lock-free.
#[derive(Debug)]
pub(crate) struct WorkerCoverage {
    samples: Vec<AtomicU64>,
    max_lag_us: Vec<AtomicU64>,
}

impl WorkerCoverage {
    pub(crate) fn new(workers: usize) -> Self {
        Self {
            samples: (0..workers).map(|_| AtomicU64::new(0)).collect(),
            max_lag_us: (0..workers).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, worker: usize, lag_us: u64) {
        if let (Some(samples), Some(max)) = (self.samples.get(worker), self.max_lag_us.get(worker))
        {
            samples.fetch_add(1, Ordering::Relaxed);
            max.fetch_max(lag_us, Ordering::Relaxed);
        }
    }

    pub(crate) fn get(&self, worker: usize) -> (u64, u64) {
        let load = |v: &Vec<AtomicU64>| v.get(worker).map_or(0, |a| a.load(Ordering::Relaxed));
        (load(&self.samples), load(&self.max_lag_us))
    }

    pub(crate) fn reset(&self) {
        for a in self.samples.iter().chain(&self.max_lag_us) {
            a.store(0, Ordering::Relaxed);
        }
    }
}

/// What a probe task writes into.
#[derive(Debug)]
pub(crate) struct ProbeSinks {
    pub(crate) lag: Mutex<DelayRecorder>,
    pub(crate) sched_delay: Mutex<DelayRecorder>,
    pub(crate) coverage: Mutex<Arc<WorkerCoverage>>,
}

/// One probe: sleeps to absolute deadlines `interval` apart, the first at
/// `first_deadline` (fixed when the probe is spawned, so a runtime blocked
/// before the probe's first poll still shows), and records timer lag and a
/// `yield_now` round trip per wake-up.
pub(crate) async fn run_probe(sinks: Arc<ProbeSinks>, interval: Duration, first_deadline: Instant) {
    let mut deadline = first_deadline;
    let mut wakes: u64 = 0;
    loop {
        tokio::time::sleep_until(deadline.into()).await;
        let woke = Instant::now();
        let lag = woke.saturating_duration_since(deadline);
        record_lag(&sinks, woke, lag, interval);

        wakes += 1;
        if wakes % SCHED_DELAY_SAMPLE_EVERY == 1 {
            let before_yield = Instant::now();
            tokio::task::yield_now().await;
            let round_trip = before_yield.elapsed();
            lock(&sinks.sched_delay).record(before_yield, round_trip, None);
        }

        // Skip the deadlines this wake-up's lag already stands for (the
        // histogram back-filled them) rather than firing them back to back,
        // which would hide the stall. Skip relative to `woke`, not to now:
        // if the runtime stalled during the yield, the next deadline is
        // already past, the next sleep returns at once and records that stall.
        deadline += interval;
        while deadline <= woke {
            deadline += interval;
        }
    }
}

fn record_lag(sinks: &ProbeSinks, woke: Instant, lag: Duration, interval: Duration) {
    lock(&sinks.lag).record(woke, lag, Some(interval));
    if let Some(worker) = tokio::runtime::worker_index() {
        let coverage = Arc::clone(&lock(&sinks.coverage));
        coverage.record(worker, as_us(lag));
    }
}

/// Locks a mutex, recovering from poisoning: a panic elsewhere must not take
/// the measurements down with it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_fills_samples_a_long_delay_swallowed() {
        let mut recorder = DelayRecorder::new(Duration::from_millis(100));
        let now = Instant::now();
        recorder.record(
            now,
            Duration::from_millis(100),
            Some(Duration::from_millis(10)),
        );
        let summary = recorder.summary();
        // 100 ms at a 10 ms interval stands for ten missed samples: 100, 90, .. 10 ms.
        assert_eq!(summary.count, 10);
        assert!(
            summary.p50_us >= 40_000 && summary.p50_us <= 60_000,
            "{summary:?}"
        );
    }

    #[test]
    fn plain_samples_are_not_back_filled() {
        let mut recorder = DelayRecorder::new(Duration::from_millis(100));
        recorder.record(Instant::now(), Duration::from_millis(100), None);
        assert_eq!(recorder.summary().count, 1);
    }

    #[test]
    fn empty_summary_is_all_zero() {
        let summary = DelayRecorder::new(Duration::from_millis(100)).summary();
        assert_eq!((summary.count, summary.p99_us, summary.max_us), (0, 0, 0));
    }
}
