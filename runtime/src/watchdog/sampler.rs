//! The low-rate stack sampler: which code holds the workers, below the
//! stall threshold too.
//!
//! A blocking call shorter than the threshold (one fsync, one Redis round
//! trip) never becomes a stall, yet thousands of them hold a runtime's
//! workers most of the time. Every `interval` (default 10 ms, 100 rounds a
//! second) the sampler thread looks at each slot; a thread inside a poll is
//! signalled and its stack taken exactly as for a stall (the same handler
//! and preallocated buffer, see `stack`), together with the slot's poll
//! counter as the handler read it, so a stack is kept only if it belongs to
//! the poll the sampler saw. Its scheduler state (`/proc`) tells running
//! (on a CPU or waiting for one) from blocked (asleep in a system call). Each kept sample stands for the wall time since the previous
//! round (capped at four intervals, so a starved sampler does not inflate
//! one sample) and is added to its call site (see `sites`).
//!
//! Cost on a worker: one signal and one unwind (~10-30 µs) per sample, only
//! while it is inside a poll: at most 100 per second per worker with the
//! default interval, well under 0.5 % of a busy worker. Idle workers (parked
//! between polls) are never signalled. Symbolisation runs on the sampler
//! thread, with resolved addresses cached.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::sites::SiteKey;
use super::{WatchdogState, stack, symbols};
use crate::lag::lock;

/// A sample stands for at most this many intervals of wall time.
const MAX_WEIGHT_INTERVALS: u32 = 4;

/// The sampler's counters, for the report.
#[derive(Debug, Default)]
pub(crate) struct SamplerCounters {
    /// Samples kept (added to a site).
    pub(crate) taken: AtomicU64,
    /// Captures discarded: the poll ended before the handler ran, or the
    /// capture failed.
    pub(crate) discarded: AtomicU64,
}

/// The running sampler thread; stops and joins on drop.
#[derive(Debug)]
pub(crate) struct SamplerThread {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SamplerThread {
    pub(crate) fn spawn(state: Arc<WatchdogState>, interval: Duration) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("stallcheck-sampler".to_owned())
            .spawn(move || run(&state, interval, &stopping))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for SamplerThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn run(state: &WatchdogState, interval: Duration, stop: &AtomicBool) {
    let max_weight = interval * MAX_WEIGHT_INTERVALS;
    let mut previous_round = Instant::now();
    let mut next_round = previous_round + interval;
    loop {
        // Absolute deadlines: a slow round shortens the next pause.
        let now = Instant::now();
        if now < next_round {
            std::thread::park_timeout(next_round - now);
        }
        if stop.load(Ordering::Acquire) {
            return;
        }
        let now = Instant::now();
        if now < next_round {
            continue; // woken early (spurious unpark)
        }
        let weight = now.duration_since(previous_round).min(max_weight);
        previous_round = now;
        next_round = (next_round + interval).max(now);
        sample_round(state, weight);
    }
}

fn sample_round(state: &WatchdogState, weight: Duration) {
    let weight_us = u64::try_from(weight.as_micros()).unwrap_or(u64::MAX);
    for slot in state.slots() {
        let Some(record) = slot.read() else {
            continue; // between polls: the worker holds nothing
        };
        // Read before the signal, which briefly makes the thread runnable.
        let on_cpu = stack::thread_state(slot.tid).is_some_and(|s| s.starts_with("running"));
        let capture = match stack::capture(slot.tid, &slot.seq) {
            Ok(capture) if capture.seq == record.seq => capture,
            _ => {
                state.sampler.discarded.fetch_add(1, Ordering::Relaxed);
                continue;
            }
        };
        let symbolised = symbols::symbolise(&capture.frames);
        let key = SiteKey::new(state.names.get(record.name), &symbolised);
        lock(&state.sites).add_sample(key, weight_us, on_cpu, &symbolised.frames);
        state.sampler.taken.fetch_add(1, Ordering::Relaxed);
    }
}
