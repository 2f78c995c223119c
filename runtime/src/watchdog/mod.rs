//! The stall watchdog: which poll is stuck right now, and where.
//!
//! - **Poll hooks** (`on_before_task_poll` / `on_after_task_poll`, which need
//!   `--cfg tokio_unstable`) keep, per thread that polls tasks, a
//!   [`WorkerSlot`]: the running task's id, spawn location and start time,
//!   published through atomics with a sequence counter (a seqlock, so the
//!   watchdog never reads a torn record). The hooks take no lock on the fast
//!   path; they lock the stall ring only after a poll that exceeded the
//!   threshold.
//! - The **watchdog thread** (an OS thread, so it runs while every worker is
//!   stuck) scans the slots every `threshold / 4`. A poll running longer than
//!   the threshold becomes a [`Stall`]: it signals the stuck thread to take
//!   its stack (see `stack`), symbolises it, logs a `WARN` event and stores it.
//! - When the long poll returns, the after-poll hook completes the record
//!   with the full duration (or creates it, if the poll ended before the
//!   watchdog's next scan) and logs the final `WARN`.
//! - Stalls live in a bounded ring; the total and the number pushed out are
//!   counted.

pub(crate) mod stack;
mod symbols;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::Location;
use std::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence,
};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use crate::lag::lock;
use crate::names::{NameTable, UNNAMED, task_id_u64};
use crate::report::Stall;

const NO_WORKER: usize = usize::MAX;

/// What one thread that polls tasks is doing, readable from any thread.
#[derive(Debug)]
pub(crate) struct WorkerSlot {
    uid: u64,
    tid: i32,
    thread_name: String,
    /// Odd while the poll record is being written.
    seq: AtomicU64,
    /// Clock ns at poll start; 0 when no poll runs.
    poll_start_ticks: AtomicU64,
    task_id: AtomicU64,
    spawned_at: AtomicPtr<Location<'static>>,
    worker_index: AtomicUsize,
    /// The running task's interned name (`names::UNNAMED` if none), set by
    /// `names::Named` right after the before-poll hook.
    name: AtomicU32,
    max_poll_ns: AtomicU64,
    /// The `seq` of the last poll the watchdog reported (each stall once).
    reported_seq: AtomicU64,
}

/// A consistent copy of a slot's current poll.
#[derive(Clone, Copy, Debug)]
struct PollRecord {
    seq: u64,
    start_ticks: u64,
    task_id: u64,
    spawned_at: Option<&'static Location<'static>>,
    worker: Option<usize>,
    name: u32,
}

impl WorkerSlot {
    fn begin_poll(&self, now_ticks: u64, task_id: u64, spawned_at: &'static Location<'static>) {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        self.task_id.store(task_id, Ordering::Relaxed);
        self.spawned_at
            .store(std::ptr::from_ref(spawned_at).cast_mut(), Ordering::Relaxed);
        let worker = tokio::runtime::worker_index().unwrap_or(NO_WORKER);
        self.worker_index.store(worker, Ordering::Relaxed);
        self.name.store(UNNAMED, Ordering::Relaxed);
        self.poll_start_ticks.store(now_ticks, Ordering::Relaxed);
        self.seq.store(seq + 2, Ordering::Release);
    }

    /// Ends the poll; returns its record and duration in ticks.
    fn end_poll(&self, now_ticks: u64) -> Option<(PollRecord, u64)> {
        // Only this thread writes the slot, so its own reads are consistent.
        let record = self.read()?;
        self.poll_start_ticks.store(0, Ordering::Release);
        Some((record, now_ticks.saturating_sub(record.start_ticks)))
    }

    fn note_poll_duration(&self, duration_ns: u64) {
        // Only this thread raises the maximum (a reset may race and lose one
        // sample), so a plain load and store is enough: no locked instruction.
        if duration_ns > self.max_poll_ns.load(Ordering::Relaxed) {
            self.max_poll_ns.store(duration_ns, Ordering::Relaxed);
        }
    }

    /// The running poll, if any, read without tearing.
    fn read(&self) -> Option<PollRecord> {
        let before = self.seq.load(Ordering::Acquire);
        if before % 2 == 1 {
            return None;
        }
        let start_ticks = self.poll_start_ticks.load(Ordering::Relaxed);
        let task_id = self.task_id.load(Ordering::Relaxed);
        let spawned_at = self.spawned_at.load(Ordering::Relaxed);
        let worker = self.worker_index.load(Ordering::Relaxed);
        let name = self.name.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before || start_ticks == 0 {
            return None;
        }
        Some(PollRecord {
            seq: before,
            start_ticks,
            task_id,
            // SAFETY: only `&'static Location` values are ever stored.
            spawned_at: unsafe { spawned_at.as_ref() },
            worker: (worker != NO_WORKER).then_some(worker),
            name,
        })
    }

    pub(crate) fn worker(&self) -> Option<usize> {
        let worker = self.worker_index.load(Ordering::Relaxed);
        (worker != NO_WORKER).then_some(worker)
    }

    pub(crate) fn max_poll_ns(&self) -> u64 {
        self.max_poll_ns.load(Ordering::Relaxed)
    }
}

/// Everything the hooks and the watchdog thread share.
#[derive(Debug)]
pub(crate) struct WatchdogState {
    monitor_uid: u64,
    clock: Clock,
    threshold_ns: u64,
    slots: Mutex<Vec<Arc<WorkerSlot>>>,
    next_slot_uid: AtomicU64,
    pub(crate) stalls: Mutex<StallRing>,
    names: Arc<NameTable>,
    pub(crate) hooks_installed: AtomicBool,
    capture_stacks: bool,
}

impl WatchdogState {
    pub(crate) fn new(
        monitor_uid: u64,
        clock: Clock,
        threshold: Duration,
        stall_capacity: usize,
        names: Arc<NameTable>,
        capture_stacks: bool,
    ) -> Self {
        Self {
            monitor_uid,
            clock,
            threshold_ns: u64::try_from(threshold.as_nanos()).unwrap_or(u64::MAX),
            slots: Mutex::new(Vec::new()),
            next_slot_uid: AtomicU64::new(1),
            stalls: Mutex::new(StallRing::new(stall_capacity)),
            names,
            hooks_installed: AtomicBool::new(false),
            capture_stacks,
        }
    }

    pub(crate) fn now_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    pub(crate) fn clock_source(&self) -> &'static str {
        self.clock.source_name()
    }

    pub(crate) fn slots(&self) -> Vec<Arc<WorkerSlot>> {
        lock(&self.slots).clone()
    }

    pub(crate) fn reset(&self) {
        lock(&self.stalls).clear();
        for slot in lock(&self.slots).iter() {
            slot.max_poll_ns.store(0, Ordering::Relaxed);
        }
    }

    fn register_current_thread(self: &Arc<Self>) -> Arc<WorkerSlot> {
        let slot = Arc::new(WorkerSlot {
            uid: self.next_slot_uid.fetch_add(1, Ordering::Relaxed),
            tid: stack::current_tid(),
            thread_name: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned(),
            seq: AtomicU64::new(0),
            poll_start_ticks: AtomicU64::new(0),
            task_id: AtomicU64::new(0),
            spawned_at: AtomicPtr::new(std::ptr::null_mut()),
            worker_index: AtomicUsize::new(NO_WORKER),
            name: AtomicU32::new(UNNAMED),
            max_poll_ns: AtomicU64::new(0),
            reported_seq: AtomicU64::new(u64::MAX),
        });
        lock(&self.slots).push(Arc::clone(&slot));
        slot
    }

    fn unregister(&self, slot_uid: u64) {
        lock(&self.slots).retain(|s| s.uid != slot_uid);
    }

    pub(crate) fn before_poll(self: &Arc<Self>, meta: &tokio::runtime::TaskMeta<'_>) {
        let now = self.clock.now_ticks();
        let task_id = task_id_u64(meta.id());
        with_current_slot(self, |slot| {
            slot.begin_poll(now, task_id, meta.spawned_at())
        });
    }

    pub(crate) fn after_poll(self: &Arc<Self>) {
        let now = self.clock.now_ticks();
        let stalled = with_current_slot(self, |slot| {
            let (record, ticks) = slot.end_poll(now)?;
            let duration_ns = self.clock.ticks_to_ns(ticks);
            slot.note_poll_duration(duration_ns);
            // The common case ends here, without touching a reference count.
            (duration_ns >= self.threshold_ns).then(|| (Arc::clone(slot), record, duration_ns))
        });
        if let Some((slot, record, duration_ns)) = stalled.flatten() {
            self.complete_stall(&slot, &record, duration_ns);
        }
    }

    /// The after-poll side of a stall: fills in the duration of the record
    /// the watchdog created, or records a poll it did not get to see.
    fn complete_stall(&self, slot: &WorkerSlot, record: &PollRecord, duration_ns: u64) {
        let duration_us = duration_ns / 1_000;
        let mut ring = lock(&self.stalls);
        let stall = match ring.find_mut(slot.uid, record.seq) {
            Some(stall) => {
                stall.duration_us = duration_us;
                stall.in_progress = false;
                if !stack_settled(stall) {
                    // The symboliser logs this stall once it has named the call.
                    return;
                }
                stall.clone()
            }
            None => {
                let mut stall = self.new_stall(slot, record, duration_us);
                stall.in_progress = false;
                stall.stack_note = Some(
                    "the poll returned before the watchdog's next scan; no stack was taken"
                        .to_owned(),
                );
                ring.push(slot.uid, record.seq, stall.clone());
                stall
            }
        };
        drop(ring);
        warn_stall(&stall, "blocked");
    }

    fn new_stall(&self, slot: &WorkerSlot, record: &PollRecord, duration_us: u64) -> Stall {
        Stall {
            worker: record.worker,
            thread: slot.thread_name.clone(),
            task_id: record.task_id,
            task_name: self.names.get(record.name).map(|n| n.to_string()),
            spawned_at: record.spawned_at.map_or_else(
                || "unknown".to_owned(),
                |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
            ),
            started_at_us: self.clock.ticks_to_ns(record.start_ticks) / 1_000,
            duration_us,
            in_progress: true,
            frames: Vec::new(),
            blocking_call: None,
            caller: None,
            caller_location: None,
            stack_note: None,
            thread_state: None,
        }
    }

    /// One watchdog scan over all slots: a poll past the threshold gets a
    /// stall record and its raw stack, which `symbolise_job` names later (on
    /// another thread, so a slow symbolisation never delays the next scan).
    fn scan(&self, symboliser: &SyncSender<SymbolJob>) {
        self.clock.recalibrate();
        let now = self.clock.now_ticks();
        for slot in self.slots() {
            let Some(record) = slot.read() else { continue };
            let running_ns = self
                .clock
                .ticks_to_ns(now.saturating_sub(record.start_ticks));
            if running_ns < self.threshold_ns
                || slot.reported_seq.load(Ordering::Relaxed) == record.seq
            {
                continue;
            }
            slot.reported_seq.store(record.seq, Ordering::Relaxed);
            self.open_stall(&slot, &record, running_ns);
            let job = self.take_stack(&slot, &record);
            if let Err(TrySendError::Full(job)) = symboliser.try_send(job) {
                self.attach_stack(
                    &job,
                    symbols::Symbolised::default(),
                    Some(
                        "the symboliser was saturated; this stall's stack was discarded".to_owned(),
                    ),
                );
            }
        }
    }

    /// Creates the record first, so the after-poll hook finds it even if the
    /// poll ends while the stack is being taken.
    fn open_stall(&self, slot: &WorkerSlot, record: &PollRecord, running_ns: u64) {
        let mut ring = lock(&self.stalls);
        if ring.find_mut(slot.uid, record.seq).is_none() {
            let stall = self.new_stall(slot, record, running_ns / 1_000);
            ring.push(slot.uid, record.seq, stall);
        }
    }

    fn take_stack(&self, slot: &WorkerSlot, record: &PollRecord) -> SymbolJob {
        let mut job = SymbolJob {
            slot_uid: slot.uid,
            seq: record.seq,
            raw: Ok(Vec::new()),
            note: None,
            // Read before the signal, which briefly makes the thread runnable.
            thread_state: stack::thread_state(slot.tid),
        };
        if !self.capture_stacks {
            job.raw = Err("stack capture disabled".to_owned());
            return job;
        }
        job.raw = stack::capture(slot.tid);
        // If the poll ended while the signal was in flight, the stack shows
        // whatever ran next; keep it, but say so.
        if job.raw.is_ok() && slot.read().map(|r| r.seq) != Some(record.seq) {
            job.note = Some(
                "the poll ended while the stack was being taken; frames may be from later code"
                    .to_owned(),
            );
        }
        job
    }

    fn symbolise_job(&self, job: &SymbolJob) {
        match &job.raw {
            Ok(raw) => {
                let symbolised = symbols::symbolise(raw);
                let note = match (&job.note, symbolised.frames.is_empty()) {
                    (None, true) => Some("the captured stack was empty".to_owned()),
                    (note, _) => note.clone(),
                };
                self.attach_stack(job, symbolised, note);
            }
            Err(why) => self.attach_stack(job, symbols::Symbolised::default(), Some(why.clone())),
        }
    }

    fn attach_stack(&self, job: &SymbolJob, symbolised: symbols::Symbolised, note: Option<String>) {
        let mut ring = lock(&self.stalls);
        let Some(stall) = ring.find_mut(job.slot_uid, job.seq) else {
            return; // pushed out of the ring meanwhile (counted there)
        };
        stall.frames = symbolised.frames;
        stall.blocking_call = symbolised.blocking_call;
        stall.caller = symbolised.caller;
        stall.caller_location = symbolised.caller_location;
        stall.stack_note = note;
        stall.thread_state.clone_from(&job.thread_state);
        let mut snapshot = stall.clone();
        drop(ring);
        if snapshot.in_progress {
            let so_far = (self.clock.now_ns() / 1_000).saturating_sub(snapshot.started_at_us);
            snapshot.duration_us = snapshot.duration_us.max(so_far);
            warn_stall(&snapshot, "is blocked (still running)");
        } else {
            // The poll ended before its stack was named; the after-poll hook
            // left the final event to us.
            warn_stall(&snapshot, "blocked");
        }
    }
}

/// A raw stack on its way to the symboliser thread.
#[derive(Debug)]
struct SymbolJob {
    slot_uid: u64,
    seq: u64,
    raw: Result<stack::RawStack, String>,
    note: Option<String>,
    thread_state: Option<String>,
}

/// Whether the watchdog is done with a stall's stack (named, or explained).
fn stack_settled(stall: &Stall) -> bool {
    !stall.frames.is_empty() || stall.stack_note.is_some()
}

fn warn_stall(stall: &Stall, verb: &str) {
    let worker = stall
        .worker
        .map_or_else(|| "?".to_owned(), |w| w.to_string());
    let task = stall.task_name.as_deref().unwrap_or("<unnamed>");
    let ms = stall.duration_us as f64 / 1_000.0;
    let call = stall.blocking_call.as_deref().unwrap_or("unknown call");
    let at = stall
        .caller_location
        .as_deref()
        .or(stall.caller.as_deref())
        .unwrap_or(stall.spawned_at.as_str());
    tracing::warn!(
        target: "stallcheck_runtime::stall",
        worker = stall.worker,
        task_id = stall.task_id,
        task_name = task,
        duration_us = stall.duration_us,
        blocking_call = stall.blocking_call.as_deref(),
        "stall: worker {worker} {verb} {ms:.1} ms in task \"{task}\" (id {}) at {at}, in {call}",
        stall.task_id,
    );
}

/// Called by `names::Named` at the start of its poll, right after the
/// before-poll hook picked this thread's slot: tags the running poll with the
/// task's interned name.
pub(crate) fn publish_task_name(name: u32) {
    let _ = CURRENT_SLOT.try_with(|cell| {
        if let Ok(current) = cell.try_borrow()
            && let Some(registration) = current.as_ref()
        {
            registration.slot.name.store(name, Ordering::Relaxed);
        }
    });
}

thread_local! {
    static CURRENT_SLOT: RefCell<Option<SlotRegistration>> = const { RefCell::new(None) };
}

/// A thread's slot for one monitor; unregisters itself when the thread exits.
struct SlotRegistration {
    monitor_uid: u64,
    slot: Arc<WorkerSlot>,
    state: Weak<WatchdogState>,
}

impl Drop for SlotRegistration {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            state.unregister(self.slot.uid);
        }
    }
}

fn with_current_slot<R>(
    state: &Arc<WatchdogState>,
    f: impl FnOnce(&Arc<WorkerSlot>) -> R,
) -> Option<R> {
    CURRENT_SLOT
        .try_with(|cell| {
            let mut current = cell.borrow_mut();
            let stale = current
                .as_ref()
                .is_none_or(|r| r.monitor_uid != state.monitor_uid);
            if stale {
                // A thread polls for one runtime at a time; a new monitor on
                // this thread (sequential current-thread runtimes) replaces the old.
                *current = Some(SlotRegistration {
                    monitor_uid: state.monitor_uid,
                    slot: state.register_current_thread(),
                    state: Arc::downgrade(state),
                });
            }
            current.as_ref().map(|r| f(&r.slot))
        })
        .ok()
        .flatten()
}

/// The bounded ring of stalls, keyed for updates by `(slot, poll seq)`.
#[derive(Debug)]
pub(crate) struct StallRing {
    capacity: usize,
    entries: VecDeque<(u64, u64, Stall)>,
    total: u64,
    dropped: u64,
}

impl StallRing {
    fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
            total: 0,
            dropped: 0,
        }
    }

    fn push(&mut self, slot_uid: u64, seq: u64, stall: Stall) {
        self.total += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back((slot_uid, seq, stall));
    }

    fn find_mut(&mut self, slot_uid: u64, seq: u64) -> Option<&mut Stall> {
        self.entries
            .iter_mut()
            .rev()
            .find(|(u, s, _)| *u == slot_uid && *s == seq)
            .map(|(_, _, stall)| stall)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.total = 0;
        self.dropped = 0;
    }

    /// Stalls in the ring (oldest first), the total seen and how many were
    /// pushed out.
    pub(crate) fn snapshot(&self, now_ns: u64) -> (Vec<Stall>, u64, u64) {
        let stalls = self
            .entries
            .iter()
            .map(|(_, _, stall)| {
                let mut stall = stall.clone();
                if stall.in_progress {
                    // Still stuck: report how long so far.
                    let so_far = (now_ns / 1_000).saturating_sub(stall.started_at_us);
                    stall.duration_us = stall.duration_us.max(so_far);
                }
                stall
            })
            .collect();
        (stalls, self.total, self.dropped)
    }
}

/// Stacks waiting for symbolisation; beyond this, stacks are discarded
/// (and the stall says so) rather than queued without bound.
const SYMBOLISER_QUEUE: usize = 64;

/// The running watchdog and symboliser threads; stop and join on drop.
#[derive(Debug)]
pub(crate) struct WatchdogThread {
    stop: Arc<AtomicBool>,
    watchdog: Option<JoinHandle<()>>,
    symboliser: Option<JoinHandle<()>>,
}

impl WatchdogThread {
    pub(crate) fn spawn(state: Arc<WatchdogState>, scan_every: Duration) -> std::io::Result<Self> {
        let (jobs, queue) = sync_channel::<SymbolJob>(SYMBOLISER_QUEUE);
        let symbolising = Arc::clone(&state);
        let symboliser = std::thread::Builder::new()
            .name("stallcheck-symboliser".to_owned())
            .spawn(move || {
                // Ends when the watchdog thread drops the sender.
                for job in queue {
                    symbolising.symbolise_job(&job);
                }
            })?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let watchdog = std::thread::Builder::new()
            .name("stallcheck-watchdog".to_owned())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    state.scan(&jobs);
                    std::thread::park_timeout(scan_every);
                }
            })?;
        Ok(Self {
            stop,
            watchdog: Some(watchdog),
            symboliser: Some(symboliser),
        })
    }
}

impl Drop for WatchdogThread {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.watchdog.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
        if let Some(thread) = self.symboliser.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stall(id: u64) -> Stall {
        Stall {
            worker: Some(0),
            thread: "t".to_owned(),
            task_id: id,
            task_name: None,
            spawned_at: "x.rs:1:1".to_owned(),
            started_at_us: 0,
            duration_us: 10_000,
            in_progress: false,
            frames: Vec::new(),
            blocking_call: None,
            caller: None,
            caller_location: None,
            stack_note: None,
            thread_state: None,
        }
    }

    #[test]
    fn the_ring_is_bounded_and_counts_what_it_drops() {
        let mut ring = StallRing::new(3);
        for id in 0..5 {
            ring.push(1, id, stall(id));
        }
        let (stalls, total, dropped) = ring.snapshot(0);
        assert_eq!(
            stalls.iter().map(|s| s.task_id).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!((total, dropped), (5, 2));
        assert!(ring.find_mut(1, 0).is_none());
        assert!(ring.find_mut(1, 4).is_some());
    }
}
