//! The stall watchdog: which poll is stuck right now, and where.
//!
//! The poll hooks only *count* polls; an OS thread measures time. (Go's
//! runtime finds long-running goroutines the same way: `sysmon` watches each
//! processor's scheduling tick.)
//!
//! - **Poll hooks** (`on_before_task_poll` / `on_after_task_poll`, which need
//!   `--cfg tokio_unstable`) keep, per thread that polls tasks, a
//!   [`WorkerSlot`]: a poll sequence number and the running task's id, spawn
//!   location and worker index, published through atomics under that
//!   sequence number (a seqlock, so the watchdog never reads a torn record).
//!   The hooks read no clock, take no lock and touch no reference count:
//!   the before-poll hook is one thread-local read and a few plain stores,
//!   the after-poll hook one thread-local read, two loads and one store.
//! - The **watchdog thread** (an OS thread, so it runs while every worker is
//!   stuck) scans the slots every `threshold / 4` and notes when it first saw
//!   each poll running. The same poll still running a threshold later is a
//!   [`Stall`]: it signals the stuck thread to take its stack (see `stack`),
//!   symbolises it, logs a `WARN` event and stores it. Durations are measured
//!   from the first scan that saw the poll: never overstated, whatever the
//!   load (no false stall), and short by at most one scan interval; a poll
//!   between 1 and 1.25 thresholds long may go unreported.
//! - Once a poll is a stall, its after-poll hook reads the clock (the only
//!   clock read on a worker), so the stall's end is exact; the watchdog closes
//!   the record at its next scan and logs the final `WARN`.
//! - Stalls live in a bounded ring; the total and the number pushed out are
//!   counted.

mod cpu;
mod sampler;
mod sites;
pub(crate) mod stack;
mod symbols;

pub(crate) use sampler::SamplerThread;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
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
use crate::report::{Stall, StallSite};
use sampler::SamplerCounters;
use sites::SiteTable;

/// Most call sites kept (further ones are counted, not kept).
const SITE_CAPACITY: usize = 512;

const NO_WORKER: usize = usize::MAX;

/// `WorkerSlot::seq` is `4n` between polls, `4n + 1` while the before-poll
/// hook writes the record of the next poll and `4n + 2` while it runs: each
/// poll has its own `seq`, and the watchdog tells polls apart by it.
const SEQ_STEP: u64 = 4;
const SEQ_WRITING: u64 = 1;
const SEQ_RUNNING: u64 = 2;

/// The before-poll hook refreshes the thread's tokio worker index every this
/// many polls (a thread-local lookup in tokio; the index of a thread changes
/// only when `block_in_place` hands a worker to another thread).
const WORKER_INDEX_EVERY: u64 = 64;

/// The `seq` value between polls at or after `seq`.
const fn idle_seq(seq: u64) -> u64 {
    seq.next_multiple_of(SEQ_STEP)
}

/// What one thread that polls tasks is doing, readable from any thread.
/// The hooks of the owning thread write the poll record; the watchdog
/// writes `stalled_seq`, `stall_end_ticks`' reset and `max_poll_ns`.
#[derive(Debug)]
pub(crate) struct WorkerSlot {
    uid: u64,
    tid: i32,
    thread_name: String,
    seq: AtomicU64,
    task_id: AtomicU64,
    spawned_at: AtomicPtr<Location<'static>>,
    worker_index: AtomicUsize,
    /// The running task's interned name (`names::UNNAMED` if none), set by
    /// `names::Named` right after the before-poll hook.
    name: AtomicU32,
    /// The `seq` of the running poll once the watchdog calls it a stall; its
    /// after-poll hook then stores the clock in `stall_end_ticks`.
    stalled_seq: AtomicU64,
    stall_end_ticks: AtomicU64,
    /// The longest poll the watchdog saw on this thread.
    max_poll_ns: AtomicU64,
}

/// A consistent copy of a slot's running poll.
#[derive(Clone, Copy, Debug)]
struct PollRecord {
    seq: u64,
    task_id: u64,
    spawned_at: Option<&'static Location<'static>>,
    worker: Option<usize>,
    name: u32,
}

impl WorkerSlot {
    fn new(uid: u64) -> Self {
        Self {
            uid,
            tid: stack::current_tid(),
            thread_name: std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_owned(),
            seq: AtomicU64::new(0),
            task_id: AtomicU64::new(0),
            spawned_at: AtomicPtr::new(std::ptr::null_mut()),
            worker_index: AtomicUsize::new(NO_WORKER),
            name: AtomicU32::new(UNNAMED),
            stalled_seq: AtomicU64::new(u64::MAX),
            stall_end_ticks: AtomicU64::new(0),
            max_poll_ns: AtomicU64::new(0),
        }
    }

    /// The before-poll hook's work: publish the record of a new poll.
    #[inline]
    fn begin_poll(&self, task_id: u64, spawned_at: &'static Location<'static>) {
        // Only this thread writes `seq`, so its own relaxed read is current.
        let idle = idle_seq(self.seq.load(Ordering::Relaxed));
        self.seq.store(idle + SEQ_WRITING, Ordering::Relaxed);
        fence(Ordering::Release);
        self.task_id.store(task_id, Ordering::Relaxed);
        self.spawned_at
            .store(std::ptr::from_ref(spawned_at).cast_mut(), Ordering::Relaxed);
        if idle.is_multiple_of(WORKER_INDEX_EVERY * SEQ_STEP) {
            let worker = tokio::runtime::worker_index().unwrap_or(NO_WORKER);
            self.worker_index.store(worker, Ordering::Relaxed);
        }
        self.name.store(UNNAMED, Ordering::Relaxed);
        self.seq.store(idle + SEQ_RUNNING, Ordering::Release);
    }

    /// The after-poll hook's work: end the poll; time it only if the
    /// watchdog has called it a stall.
    #[inline]
    fn end_poll(&self, clock: &Clock) {
        let seq = self.seq.load(Ordering::Relaxed);
        if self.stalled_seq.load(Ordering::Acquire) == seq {
            self.end_stalled_poll(clock);
        }
        self.seq.store(idle_seq(seq), Ordering::Release);
    }

    #[cold]
    #[inline(never)]
    fn end_stalled_poll(&self, clock: &Clock) {
        self.stall_end_ticks
            .store(clock.now_ticks(), Ordering::Release);
    }

    /// When stalled poll `seq` ended, as its after-poll hook read the clock;
    /// `None` while it runs, or if it ended before the watchdog flagged it
    /// (its hook then read no clock).
    fn stall_end(&self, seq: u64) -> Option<u64> {
        if self.stalled_seq.load(Ordering::Acquire) != seq {
            return None;
        }
        match self.stall_end_ticks.load(Ordering::Acquire) {
            0 => None,
            end => Some(end),
        }
    }

    fn note_poll_duration(&self, duration_ns: u64) {
        self.max_poll_ns.fetch_max(duration_ns, Ordering::Relaxed);
    }

    /// Whether poll `seq` is still the one running.
    fn still_running(&self, seq: u64) -> bool {
        self.seq.load(Ordering::Acquire) == seq
    }

    /// The running poll, if any, read without tearing.
    fn read(&self) -> Option<PollRecord> {
        let before = self.seq.load(Ordering::Acquire);
        if before % SEQ_STEP != SEQ_RUNNING {
            return None;
        }
        let task_id = self.task_id.load(Ordering::Relaxed);
        let spawned_at = self.spawned_at.load(Ordering::Relaxed);
        let worker = self.worker_index.load(Ordering::Relaxed);
        let name = self.name.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if self.seq.load(Ordering::Relaxed) != before {
            return None;
        }
        Some(PollRecord {
            seq: before,
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
    /// Blocking time per call site, from closed stalls and the sampler.
    sites: Mutex<SiteTable>,
    sampler: SamplerCounters,
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
            sites: Mutex::new(SiteTable::new(SITE_CAPACITY)),
            sampler: SamplerCounters::default(),
            names,
            hooks_installed: AtomicBool::new(false),
            capture_stacks,
        }
    }

    pub(crate) fn clock_source(&self) -> &'static str {
        self.clock.source_name()
    }

    pub(crate) fn slots(&self) -> Vec<Arc<WorkerSlot>> {
        lock(&self.slots).clone()
    }

    /// The stalls of the current interval; see [`StallRing::snapshot`].
    pub(crate) fn stalls_snapshot(&self) -> (Vec<Stall>, u64, u64) {
        lock(&self.stalls).snapshot(&self.clock)
    }

    /// The call sites of the current interval (most blocked time first),
    /// the sites not kept, and the sampler's kept and discarded samples.
    pub(crate) fn sites_snapshot(&self) -> (Vec<StallSite>, u64, u64, u64) {
        let (sites, dropped) = lock(&self.sites).report();
        (
            sites,
            dropped,
            self.sampler.taken.load(Ordering::Relaxed),
            self.sampler.discarded.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn reset(&self) {
        lock(&self.sites).clear();
        self.sampler.taken.store(0, Ordering::Relaxed);
        self.sampler.discarded.store(0, Ordering::Relaxed);
        lock(&self.stalls).clear();
        for slot in lock(&self.slots).iter() {
            slot.max_poll_ns.store(0, Ordering::Relaxed);
        }
    }

    /// The first poll of this monitor on this thread: a new slot, kept alive
    /// by the thread's registration. `None` while the thread is exiting.
    #[cold]
    #[inline(never)]
    fn register_current_thread(self: &Arc<Self>) -> Option<*const WorkerSlot> {
        let slot = Arc::new(WorkerSlot::new(
            self.next_slot_uid.fetch_add(1, Ordering::Relaxed),
        ));
        let ptr = Arc::as_ptr(&slot);
        REGISTRATION
            .try_with(|cell| {
                let mut current = cell.try_borrow_mut().ok()?;
                lock(&self.slots).push(Arc::clone(&slot));
                // A thread polls for one runtime at a time; a new monitor on
                // this thread (sequential current-thread runtimes) replaces
                // the old one, whose registration clears `CURRENT` as it drops.
                *current = Some(SlotRegistration {
                    slot,
                    state: Arc::downgrade(self),
                });
                CURRENT.set((self.monitor_uid, ptr));
                Some(ptr)
            })
            .ok()
            .flatten()
    }

    fn unregister(&self, slot_uid: u64) {
        lock(&self.slots).retain(|s| s.uid != slot_uid);
    }

    #[inline]
    pub(crate) fn before_poll(self: &Arc<Self>, meta: &tokio::runtime::TaskMeta<'_>) {
        let (uid, slot) = CURRENT.get();
        let slot = if uid == self.monitor_uid {
            slot
        } else {
            match self.register_current_thread() {
                Some(slot) => slot,
                None => return,
            }
        };
        // SAFETY: `CURRENT` holds a pointer into the `Arc` owned by this
        // thread's `REGISTRATION`, and is cleared before that `Arc` drops.
        let slot = unsafe { &*slot };
        slot.begin_poll(task_id_u64(meta.id()), meta.spawned_at());
    }

    #[inline]
    pub(crate) fn after_poll(&self) {
        let (uid, slot) = CURRENT.get();
        if uid == self.monitor_uid {
            // SAFETY: as in `before_poll`.
            unsafe { &*slot }.end_poll(&self.clock);
        }
    }

    fn new_stall(&self, slot: &WorkerSlot, record: &PollRecord, first_seen: u64) -> Stall {
        Stall {
            worker: record.worker,
            thread: slot.thread_name.clone(),
            task_id: record.task_id,
            task_name: self.names.get(record.name).map(|n| n.to_string()),
            spawned_at: record.spawned_at.map_or_else(
                || "unknown".to_owned(),
                |l| format!("{}:{}:{}", l.file(), l.line(), l.column()),
            ),
            started_at_us: self.clock.ticks_to_ns(first_seen) / 1_000,
            duration_us: 0,
            in_progress: true,
            frames: Vec::new(),
            blocking_call: None,
            caller: None,
            caller_location: None,
            stack_note: None,
            thread_state: None,
            cpu: None,
        }
    }

    /// One watchdog scan: closes the stalls whose poll has ended, notes the
    /// polls seen running for the first time, and turns polls running past
    /// the threshold into stalls with their raw stack, which `symbolise_job`
    /// names later (on another thread, so a slow symbolisation never delays
    /// the next scan).
    ///
    /// Each slot is read once per scan and that one reading decides both
    /// whether its open stall ended and which poll runs now: a stall is
    /// closed on every path that forgets its poll (another poll running, no
    /// poll running, the thread gone), so none stays open after its poll.
    fn scan(&self, watches: &mut Watches, symboliser: &SyncSender<SymbolJob>) {
        self.clock.recalibrate();
        let now = self.clock.now_ticks();
        let slots = self.slots();
        watches.retain(|uid, watch| {
            let alive = slots.iter().any(|s| s.uid == *uid);
            if !alive && watch.stalled {
                // The thread exited: its poll ended at the latest now.
                self.close_stall(watch);
            }
            alive
        });
        for slot in slots {
            let record = slot.read();
            if let Some(watch) = watches.get_mut(&slot.uid)
                && watch.stalled
            {
                if record.is_some_and(|r| r.seq == watch.seq) {
                    self.follow_stall(watch, now);
                } else {
                    self.close_stall(watch);
                    watch.stalled = false;
                }
            }
            let Some(record) = record else { continue };
            let watch = watches.entry(slot.uid).or_insert_with(|| Watch {
                slot: Arc::clone(&slot),
                seq: record.seq,
                first_seen: now,
                last_seen: now,
                stalled: false,
                cpu_at_stall: None,
                seen_asleep: false,
            });
            if watch.seq != record.seq {
                debug_assert!(!watch.stalled, "a stall outlived its poll");
                (watch.seq, watch.first_seen, watch.stalled) = (record.seq, now, false);
            }
            watch.last_seen = now;
            let running_ns = self.clock.ticks_to_ns(now.saturating_sub(watch.first_seen));
            slot.note_poll_duration(running_ns);
            if watch.stalled || running_ns < self.threshold_ns {
                continue;
            }
            watch.stalled = true;
            watch.cpu_at_stall = cpu::sample(slot.tid, self.clock.ticks_to_ns(now));
            watch.seen_asleep = stack::is_asleep(slot.tid);
            slot.stall_end_ticks.store(0, Ordering::Relaxed);
            slot.stalled_seq.store(record.seq, Ordering::Release);
            self.open_stall(&slot, &record, watch.first_seen, running_ns);
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

    /// Creates the record first, so the scan that closes it finds it even if
    /// the poll ends while the stack is being taken.
    fn open_stall(
        &self,
        slot: &Arc<WorkerSlot>,
        record: &PollRecord,
        first_seen: u64,
        running_ns: u64,
    ) {
        let mut ring = lock(&self.stalls);
        if ring.find_mut(slot.uid, record.seq).is_none() {
            let mut stall = self.new_stall(slot, record, first_seen);
            stall.duration_us = running_ns / 1_000;
            ring.push(Arc::clone(slot), record.seq, stall);
        }
    }

    /// An open stall's poll is still running: update how its thread spent
    /// the time since the stall was detected (see `cpu`).
    fn follow_stall(&self, watch: &mut Watch, now: u64) {
        let Some(first) = watch.cpu_at_stall else {
            return;
        };
        watch.seen_asleep |= stack::is_asleep(watch.slot.tid);
        let Some(share) = cpu::sample(watch.slot.tid, self.clock.ticks_to_ns(now))
            .and_then(|last| cpu::share(first, last, watch.seen_asleep))
        else {
            return;
        };
        if let Some(stall) = lock(&self.stalls).find_mut(watch.slot.uid, watch.seq) {
            stall.cpu = Some(share);
        }
    }

    /// The poll of an open stall has ended: record its duration (exact when
    /// its after-poll hook saw the stall flag, else up to the last scan that
    /// saw it running) and log the final event.
    fn close_stall(&self, watch: &Watch) {
        let end = watch
            .slot
            .stall_end(watch.seq)
            .map_or(watch.last_seen, |end| end.max(watch.last_seen));
        let duration_ns = self.clock.ticks_to_ns(end.saturating_sub(watch.first_seen));
        watch.slot.note_poll_duration(duration_ns);
        let mut ring = lock(&self.stalls);
        let Some(stall) = ring.find_mut(watch.slot.uid, watch.seq) else {
            return; // pushed out of the ring meanwhile (counted there)
        };
        stall.duration_us = duration_ns / 1_000;
        stall.in_progress = false;
        if !stack_settled(stall) {
            // The symboliser logs this stall once it has named the call.
            return;
        }
        let stall = stall.clone();
        drop(ring);
        self.settled(&stall);
    }

    /// A stall closed with its stack named (or explained): counted at its
    /// call site, and logged.
    fn settled(&self, stall: &Stall) {
        lock(&self.sites).add_stall(stall);
        warn_stall(stall, "blocked");
    }

    fn take_stack(&self, slot: &WorkerSlot, record: &PollRecord) -> SymbolJob {
        let mut job = SymbolJob {
            slot_uid: slot.uid,
            seq: record.seq,
            raw: Ok(Vec::new()),
            note: None,
            thread_state: None,
        };
        if !self.capture_stacks {
            job.thread_state = stack::settled_thread_state(slot.tid);
            job.raw = Err("stack capture disabled".to_owned());
            return job;
        }
        // The state is read before the signal, which briefly makes the
        // thread runnable, and under the capture lock, so the sampler's
        // signal cannot have just done the same.
        let (thread_state, captured) = stack::capture_with_state(slot.tid, &slot.seq);
        job.thread_state = thread_state;
        match captured {
            Ok(capture) => {
                // The handler read the thread's poll counter: if the poll
                // ended while the signal was in flight, the stack shows
                // whatever ran next; keep it, but say so.
                if capture.seq != record.seq {
                    job.note = Some(
                        "the poll ended before the stack was taken; frames are from later code"
                            .to_owned(),
                    );
                }
                job.raw = Ok(capture.frames);
            }
            Err(why) => job.raw = Err(why),
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
            // The poll ended before its stack was named; the scan that
            // closed it left the final event to us.
            self.settled(&snapshot);
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
/// task's interned name. (On a thread whose last hooks belonged to another
/// monitor, the name lands in that monitor's idle slot, where nothing reads it.)
#[inline]
pub(crate) fn publish_task_name(name: u32) {
    let (uid, slot) = CURRENT.get();
    if uid != 0 {
        // SAFETY: as in `WatchdogState::before_poll`.
        unsafe { &*slot }.name.store(name, Ordering::Relaxed);
    }
}

thread_local! {
    /// `(monitor uid, slot)` for the monitor whose hooks last ran on this
    /// thread; `(0, null)` if none. The hooks' fast path: const-initialised
    /// and without a destructor, so reading it is a plain thread-local load.
    static CURRENT: Cell<(u64, *const WorkerSlot)> =
        const { Cell::new((0, std::ptr::null())) };
    /// Owns the slot `CURRENT` points to.
    static REGISTRATION: RefCell<Option<SlotRegistration>> = const { RefCell::new(None) };
}

/// A thread's slot for one monitor; unregisters itself when the thread exits
/// or a new monitor's hooks run on the thread.
struct SlotRegistration {
    slot: Arc<WorkerSlot>,
    state: Weak<WatchdogState>,
}

impl Drop for SlotRegistration {
    fn drop(&mut self) {
        // First, so no hook can reach the slot once its `Arc` is gone.
        CURRENT.set((0, std::ptr::null()));
        if let Some(state) = self.state.upgrade() {
            state.unregister(self.slot.uid);
        }
    }
}

/// What the watchdog thread remembers about one slot between scans.
#[derive(Debug)]
struct Watch {
    slot: Arc<WorkerSlot>,
    /// The running poll last seen on the slot.
    seq: u64,
    /// Clock ticks at the first and the last scan that saw it running.
    first_seen: u64,
    last_seen: u64,
    /// Whether it is an open stall (closed by the first scan after it ends).
    stalled: bool,
    /// The thread's scheduler counters when the stall was detected.
    cpu_at_stall: Option<cpu::CpuSample>,
    /// Whether the thread was seen asleep (in a system call) at any scan
    /// since the stall was detected (see `cpu::share`).
    seen_asleep: bool,
}

/// The watchdog thread's watches, by slot uid.
type Watches = HashMap<u64, Watch>;

/// The bounded ring of stalls, keyed for updates by `(slot, poll seq)`.
/// Each entry keeps its slot, so a report can ask whether an open stall's
/// poll really still runs.
#[derive(Debug)]
pub(crate) struct StallRing {
    capacity: usize,
    entries: VecDeque<(Arc<WorkerSlot>, u64, Stall)>,
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

    fn push(&mut self, slot: Arc<WorkerSlot>, seq: u64, stall: Stall) {
        self.total += 1;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back((slot, seq, stall));
    }

    fn find_mut(&mut self, slot_uid: u64, seq: u64) -> Option<&mut Stall> {
        self.entries
            .iter_mut()
            .rev()
            .find(|(slot, s, _)| slot.uid == slot_uid && *s == seq)
            .map(|(_, _, stall)| stall)
    }

    /// Starts a new interval. Stalls still in progress stay: they hold a
    /// worker in the new interval too, and the scan that closes them must
    /// find them.
    fn clear(&mut self) {
        self.entries.retain(|(_, _, stall)| stall.in_progress);
        self.total = self.entries.len() as u64;
        self.dropped = 0;
    }

    /// Stalls in the ring (oldest first), the total seen and how many were
    /// pushed out.
    ///
    /// No stall is reported longer than its poll ran: an open stall is
    /// extended to `now` only if its poll is still the one running on its
    /// thread; one whose poll ended since the last scan is reported closed,
    /// at the end its after-poll hook timed (or the last scan that saw it).
    pub(crate) fn snapshot(&self, clock: &Clock) -> (Vec<Stall>, u64, u64) {
        let stalls = self
            .entries
            .iter()
            .map(|(slot, seq, stall)| {
                let mut stall = stall.clone();
                if !stall.in_progress {
                    return stall;
                }
                if slot.still_running(*seq) {
                    let so_far = (clock.now_ns() / 1_000).saturating_sub(stall.started_at_us);
                    stall.duration_us = stall.duration_us.max(so_far);
                } else {
                    stall.in_progress = false;
                    if let Some(end) = slot.stall_end(*seq) {
                        let ended_us = clock.ticks_to_ns(end) / 1_000;
                        let timed = ended_us.saturating_sub(stall.started_at_us);
                        stall.duration_us = stall.duration_us.max(timed);
                    }
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
                let mut watches = Watches::new();
                loop {
                    let stopping = stop_flag.load(Ordering::Acquire);
                    // After a stop, one last scan closes the stalls that ended.
                    state.scan(&mut watches, &jobs);
                    if stopping {
                        break;
                    }
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
            cpu: None,
        }
    }

    #[test]
    fn a_slot_shows_each_poll_only_while_it_runs_under_its_own_seq() {
        let clock = Clock::new();
        let slot = WorkerSlot::new(1);
        let at = Location::caller();
        assert!(slot.read().is_none(), "no poll yet");

        slot.begin_poll(7, at);
        let first = slot.read().expect("running");
        assert_eq!((first.task_id, first.spawned_at), (7, Some(at)));
        assert!(slot.still_running(first.seq));
        slot.end_poll(&clock);
        assert!(slot.read().is_none(), "ended");
        assert!(!slot.still_running(first.seq));

        slot.begin_poll(8, at);
        let second = slot.read().expect("running");
        assert_ne!(first.seq, second.seq, "each poll has its own seq");
        slot.end_poll(&clock);
        assert_eq!(
            slot.stall_end_ticks.load(Ordering::Relaxed),
            0,
            "an unflagged poll reads no clock"
        );
    }

    #[test]
    fn the_after_poll_hook_times_a_poll_the_watchdog_flagged() {
        let clock = Clock::new();
        let slot = WorkerSlot::new(1);
        slot.begin_poll(7, Location::caller());
        let record = slot.read().expect("running");
        let flagged_at = clock.now_ticks();
        slot.stalled_seq.store(record.seq, Ordering::Release);
        slot.end_poll(&clock);
        assert!(slot.stall_end_ticks.load(Ordering::Relaxed) >= flagged_at);
    }

    #[test]
    fn the_ring_is_bounded_and_counts_what_it_drops() {
        let clock = Clock::new();
        let slot = Arc::new(WorkerSlot::new(1));
        let mut ring = StallRing::new(3);
        for id in 0..5 {
            ring.push(Arc::clone(&slot), id, stall(id));
        }
        let (stalls, total, dropped) = ring.snapshot(&clock);
        assert_eq!(
            stalls.iter().map(|s| s.task_id).collect::<Vec<_>>(),
            vec![2, 3, 4]
        );
        assert_eq!((total, dropped), (5, 2));
        assert!(ring.find_mut(1, 0).is_none());
        assert!(ring.find_mut(1, 4).is_some());
    }

    /// A watchdog driven scan by scan on the test thread, with a slot whose
    /// polls the test begins and ends by hand. Stacks are not captured (the
    /// slot's thread is the test's own).
    struct Harness {
        state: WatchdogState,
        slot: Arc<WorkerSlot>,
        watches: Watches,
        jobs: SyncSender<SymbolJob>,
        _queue: std::sync::mpsc::Receiver<SymbolJob>,
        /// When the running poll began, as the test saw it.
        poll_began: Option<std::time::Instant>,
    }

    const THRESHOLD: Duration = Duration::from_millis(2);

    impl Harness {
        fn new() -> Self {
            let state = WatchdogState::new(
                1,
                Clock::new(),
                THRESHOLD,
                64,
                Arc::new(NameTable::default()),
                false,
            );
            let slot = Arc::new(WorkerSlot::new(1));
            lock(&state.slots).push(Arc::clone(&slot));
            let (jobs, queue) = sync_channel(SYMBOLISER_QUEUE);
            Self {
                state,
                slot,
                watches: Watches::new(),
                jobs,
                _queue: queue,
                poll_began: None,
            }
        }

        fn begin_poll(&mut self, task: u64) {
            self.poll_began = Some(std::time::Instant::now());
            self.slot.begin_poll(task, Location::caller());
        }

        /// Ends the running poll; returns how long it ran.
        fn end_poll(&mut self) -> Duration {
            self.slot.end_poll(&self.state.clock);
            self.poll_began.take().expect("a poll runs").elapsed()
        }

        fn scan(&mut self) {
            self.state.scan(&mut self.watches, &self.jobs);
        }

        /// Begins a poll and scans until the watchdog calls it a stall.
        fn stall(&mut self, task: u64) {
            self.begin_poll(task);
            self.scan();
            std::thread::sleep(THRESHOLD * 2);
            self.scan();
            let (stalls, ..) = self.state.stalls_snapshot();
            assert!(
                stalls.iter().any(|s| s.task_id == task && s.in_progress),
                "{stalls:#?}"
            );
        }

        fn stalls(&self) -> Vec<Stall> {
            self.state.stalls_snapshot().0
        }
    }

    /// The invariant: a stall is never longer than its poll ran (up to the
    /// clock's calibration: the watchdog's ticks against `Instant`).
    fn assert_within(stall: &Stall, poll: Duration) {
        let poll_us = poll.as_micros() as u64;
        assert!(
            stall.duration_us <= poll_us + poll_us / 50 + 100,
            "a stall of {} us in a poll of {poll_us} us: {stall:?}",
            stall.duration_us
        );
    }

    #[test]
    fn a_stall_closes_when_the_next_poll_already_runs_at_the_next_scan() {
        let mut h = Harness::new();
        h.stall(1);
        let first = h.end_poll();
        h.begin_poll(2);
        h.scan();
        std::thread::sleep(Duration::from_millis(30));
        let stalls = h.stalls();
        assert_eq!(stalls.len(), 1, "{stalls:#?}");
        assert!(!stalls[0].in_progress, "{stalls:#?}");
        assert_within(&stalls[0], first);
    }

    #[test]
    fn many_consecutive_stalls_on_one_slot_all_close_at_their_poll_length() {
        let mut h = Harness::new();
        let mut polls = Vec::new();
        for task in 0..20 {
            h.stall(task);
            polls.push(h.end_poll());
        }
        h.begin_poll(99);
        h.scan();
        std::thread::sleep(Duration::from_millis(20));
        let stalls = h.stalls();
        assert_eq!(stalls.len(), polls.len(), "{stalls:#?}");
        for (stall, poll) in stalls.iter().zip(&polls) {
            assert!(!stall.in_progress, "{stall:?}");
            assert_within(stall, *poll);
        }
    }

    #[test]
    fn a_report_between_scans_does_not_extend_a_poll_that_ended() {
        let mut h = Harness::new();
        h.stall(1);
        let poll = h.end_poll();
        // No scan yet: the ring still holds the stall open.
        std::thread::sleep(Duration::from_millis(30));
        let stalls = h.stalls();
        assert!(!stalls[0].in_progress, "{stalls:#?}");
        assert_within(&stalls[0], poll);
        assert!(
            stalls[0].duration_us >= (THRESHOLD.as_micros() as u64),
            "timed by the after-poll hook: {stalls:#?}"
        );
    }

    #[test]
    fn a_stall_whose_thread_goes_away_is_closed() {
        let mut h = Harness::new();
        h.stall(1);
        let uid = h.slot.uid;
        h.state.unregister(uid);
        let poll = h.end_poll();
        h.scan();
        let (ring, ..) = lock(&h.state.stalls).snapshot(&h.state.clock);
        assert!(!ring[0].in_progress, "{ring:#?}");
        assert_within(&ring[0], poll);
    }

    #[test]
    fn a_stall_open_across_a_reset_stays_and_closes_after_it() {
        let mut h = Harness::new();
        h.stall(1);
        h.state.reset();
        let (during, total, _) = h.state.stalls_snapshot();
        assert_eq!((during.len(), total), (1, 1), "{during:#?}");
        assert!(during[0].in_progress);
        let poll = h.end_poll();
        h.scan();
        let after = h.stalls();
        assert!(!after[0].in_progress, "{after:#?}");
        assert_within(&after[0], poll);
    }
}
