//! Capturing the stack of *another* thread while it is stuck.
//!
//! The approach is pprof-rs': deliver a signal to the target thread and walk
//! the stack from inside its signal handler. The handler is
//! async-signal-safe in the sense pprof-rs relies on:
//! - it writes only into a preallocated static buffer of atomics (no
//!   allocation, no locks), guarded by a small state machine so a late
//!   handler can never race the reader;
//! - it walks with `backtrace::trace_unsynchronized` (libgcc's unwinder,
//!   which unwinds through the kernel's signal frame), storing raw
//!   instruction pointers only;
//! - it saves and restores `errno`.
//!
//! Symbolisation (`backtrace::resolve`, which allocates and parses debug
//! info) happens afterwards on the watchdog thread. One capture runs at a
//! time per process (several monitors share the buffer through
//! `CAPTURE_LOCK`, taken only by watchdog threads, never in the handler).
//!
//! The signal is `SIGRTMIN + 5`, installed with `SA_RESTART`. The blocking
//! calls this interrupts resume transparently: `std::thread::sleep` retries
//! `nanosleep` with the remaining time, std's futex mutex re-waits, and
//! `read`/`recv` restart.

/// Most frames kept per capture.
pub(crate) const MAX_FRAMES: usize = 128;

/// The result of one capture: raw instruction pointers, innermost first,
/// still including the signal handler's own frames.
pub(crate) type RawStack = Vec<usize>;

/// A captured stack and the value the target thread's poll counter (its
/// slot's `seq`) had while the handler ran: which poll the stack belongs to.
#[derive(Debug)]
pub(crate) struct Capture {
    pub(crate) frames: RawStack,
    pub(crate) seq: u64,
}

#[cfg(target_os = "linux")]
pub(crate) use linux::{capture, capture_with_state, ensure_installed};

#[cfg(not(target_os = "linux"))]
pub(crate) fn ensure_installed() -> Result<String, String> {
    Err(format!(
        "unsupported on {}: the stack sampler signals the stuck worker thread (tgkill) and walks \
         its stack in the handler, which is implemented for Linux only; stalls are still \
         reported with worker, task and duration",
        std::env::consts::OS
    ))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn capture_with_state(
    tid: i32,
    seq: &std::sync::atomic::AtomicU64,
) -> (Option<String>, Result<Capture, String>) {
    (settled_thread_state(tid), capture(tid, seq))
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn capture(_tid: i32, _seq: &std::sync::atomic::AtomicU64) -> Result<Capture, String> {
    ensure_installed().map(|_| Capture {
        frames: Vec::new(),
        seq: 0,
    })
}

/// The scheduler state of thread `tid` of this process, from
/// `/proc/self/task/<tid>/stat` (the field after the parenthesised name).
#[cfg(target_os = "linux")]
pub(crate) fn thread_state(tid: i32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let state = after_name.split_whitespace().next()?;
    Some(
        match state {
            "R" => "running (on a CPU or waiting for one)",
            "S" => "sleeping (blocked in a system call)",
            "D" => "disk-wait (uninterruptible I/O)",
            "T" | "t" => "stopped",
            other => other,
        }
        .to_owned(),
    )
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn thread_state(_tid: i32) -> Option<String> {
    None
}

/// Whether `tid` is asleep in a system call now (one read: a signal
/// handler running can make it read runnable for a moment).
pub(crate) fn is_asleep(tid: i32) -> bool {
    thread_state(tid).as_deref().is_some_and(asleep)
}

/// A [`thread_state`] of a thread blocked in a system call.
fn asleep(state: &str) -> bool {
    state.starts_with("sleeping") || state.starts_with("disk-wait")
}

/// Reads of [`settled_thread_state`] before it takes a runnable state as the
/// answer: gaps of 0.25, 0.5, 1 and 2 ms, under 4 ms in all, so a thread
/// waiting for a busy core to re-enter its sleep still reads as asleep.
const STATE_READS: u32 = 5;

/// The first pause between two of those reads; each next one doubles.
const STATE_READ_GAP: std::time::Duration = std::time::Duration::from_micros(250);

/// The scheduler state of `tid`, read up to [`STATE_READS`] times a short
/// gap apart until it shows blocked. The watchdog and the sampler signal
/// workers independently: a thread asleep in a system call runs its signal
/// handler (and restarts the call) right after the other one's signal, so a
/// single read can catch it runnable. A thread that computes never reads as
/// blocked, so taking any blocked reading is not a guess.
pub(crate) fn settled_thread_state(tid: i32) -> Option<String> {
    let mut last = None;
    let mut gap = STATE_READ_GAP;
    for read in 0..STATE_READS {
        if read > 0 {
            std::thread::sleep(gap);
            gap *= 2;
        }
        let state = thread_state(tid);
        if state.as_deref().is_some_and(asleep) {
            return state;
        }
        last = state;
    }
    last
}

/// The kernel thread id of the calling thread (what `capture` targets).
#[cfg(target_os = "linux")]
pub(crate) fn current_tid() -> i32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn current_tid() -> i32 {
    0
}

#[cfg(target_os = "linux")]
mod linux {
    use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU8, AtomicU64, AtomicUsize, Ordering};
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};

    use super::{Capture, MAX_FRAMES, RawStack};

    const IDLE: u8 = 0;
    const REQUESTED: u8 = 1;
    const WRITING: u8 = 2;
    const DONE: u8 = 3;

    /// How long the watchdog waits for the handler before giving up.
    const HANDLER_TIMEOUT: Duration = Duration::from_millis(200);

    static STATE: AtomicU8 = AtomicU8::new(IDLE);
    static TARGET_TID: AtomicI32 = AtomicI32::new(0);
    static LEN: AtomicUsize = AtomicUsize::new(0);
    /// The target's poll counter, read by the handler (the capturing thread
    /// keeps the slot alive until the capture ends), and what it read.
    static SEQ_SOURCE: AtomicPtr<AtomicU64> = AtomicPtr::new(std::ptr::null_mut());
    static SEQ_AT_CAPTURE: AtomicU64 = AtomicU64::new(0);
    static FRAMES: [AtomicUsize; MAX_FRAMES] = [const { AtomicUsize::new(0) }; MAX_FRAMES];
    static CAPTURE_LOCK: Mutex<()> = Mutex::new(());
    static INSTALLED: OnceLock<Result<String, String>> = OnceLock::new();

    fn signal_number() -> libc::c_int {
        libc::SIGRTMIN() + 5
    }

    /// Installs the process-wide handler once; says how stacks are captured,
    /// or why they cannot be.
    pub(crate) fn ensure_installed() -> Result<String, String> {
        INSTALLED.get_or_init(install).clone()
    }

    fn install() -> Result<String, String> {
        let signal = signal_number();
        // SAFETY: plain sigaction calls on zero-initialised structs; the
        // handler only touches atomics and the unwinder (see module docs).
        unsafe {
            let mut previous: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut previous) != 0 {
                return Err(format!(
                    "cannot query signal {signal}: {}",
                    std::io::Error::last_os_error()
                ));
            }
            if previous.sa_sigaction != libc::SIG_DFL {
                return Err(format!(
                    "signal SIGRTMIN+5 ({signal}) already has a handler in this process; stacks are not captured"
                ));
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handle_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(format!(
                    "cannot install handler for signal {signal}: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        Ok(format!(
            "supported: the watchdog signals the stuck worker (SIGRTMIN+5 = {signal}), walks its \
             stack in the handler and symbolises it afterwards"
        ))
    }

    extern "C" fn handle_signal(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: errno is thread-local; restoring it keeps the interrupted
        // code's view unchanged.
        let saved_errno = unsafe { *libc::__errno_location() };
        // SAFETY: gettid is async-signal-safe.
        let tid = unsafe { libc::gettid() };
        if TARGET_TID.load(Ordering::Acquire) == tid
            && STATE
                .compare_exchange(REQUESTED, WRITING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            let source = SEQ_SOURCE.load(Ordering::Acquire);
            // SAFETY: `capture` points it at a counter it keeps alive until
            // the handler is DONE or the capture gave up (then not WRITING).
            if let Some(seq) = unsafe { source.as_ref() } {
                SEQ_AT_CAPTURE.store(seq.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            let mut len = 0;
            // SAFETY: the callback only stores into preallocated atomics.
            unsafe {
                backtrace::trace_unsynchronized(|frame| {
                    FRAMES[len].store(frame.ip() as usize, Ordering::Relaxed);
                    len += 1;
                    len < MAX_FRAMES
                });
            }
            LEN.store(len, Ordering::Relaxed);
            STATE.store(DONE, Ordering::Release);
        }
        // SAFETY: see above.
        unsafe { *libc::__errno_location() = saved_errno };
    }

    /// Captures the stack of thread `tid` (a kernel thread id in this
    /// process), with the value of `seq` (the thread's own poll counter)
    /// at that moment. Raw instruction pointers, innermost first.
    pub(crate) fn capture(tid: i32, seq: &AtomicU64) -> Result<Capture, String> {
        ensure_installed()?;
        let _one_at_a_time = CAPTURE_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        SEQ_SOURCE.store(std::ptr::from_ref(seq).cast_mut(), Ordering::Release);
        let captured = signal_and_wait(tid);
        SEQ_SOURCE.store(std::ptr::null_mut(), Ordering::Release);
        captured.map(|frames| Capture {
            frames,
            seq: SEQ_AT_CAPTURE.load(Ordering::Relaxed),
        })
    }

    /// As [`capture`], with the thread's settled scheduler state read
    /// first, under the same lock: no other capture's signal (the
    /// sampler's) is then in flight, so a worker asleep in a system call is
    /// not caught runnable on its way through another handler.
    pub(crate) fn capture_with_state(
        tid: i32,
        seq: &AtomicU64,
    ) -> (Option<String>, Result<Capture, String>) {
        if let Err(why) = ensure_installed() {
            return (super::settled_thread_state(tid), Err(why));
        }
        let _one_at_a_time = CAPTURE_LOCK
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = super::settled_thread_state(tid);
        SEQ_SOURCE.store(std::ptr::from_ref(seq).cast_mut(), Ordering::Release);
        let captured = signal_and_wait(tid);
        SEQ_SOURCE.store(std::ptr::null_mut(), Ordering::Release);
        let captured = captured.map(|frames| Capture {
            frames,
            seq: SEQ_AT_CAPTURE.load(Ordering::Relaxed),
        });
        (state, captured)
    }

    fn signal_and_wait(tid: i32) -> Result<RawStack, String> {
        TARGET_TID.store(tid, Ordering::Release);
        STATE.store(REQUESTED, Ordering::Release);
        // tgkill, not pthread_kill: a kernel tid stays a valid argument even
        // if the thread has just exited (the call then fails with ESRCH).
        // SAFETY: plain syscall with integer arguments.
        let sent = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, signal_number()) };
        if sent != 0 {
            STATE.store(IDLE, Ordering::Release);
            return Err(format!(
                "could not signal thread {tid}: {}",
                std::io::Error::last_os_error()
            ));
        }
        wait_for_handler(tid)
    }

    fn wait_for_handler(tid: i32) -> Result<RawStack, String> {
        let deadline = Instant::now() + HANDLER_TIMEOUT;
        loop {
            if STATE.load(Ordering::Acquire) == DONE {
                return Ok(take_frames());
            }
            if Instant::now() >= deadline
                && STATE
                    .compare_exchange(REQUESTED, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                return Err(format!(
                    "thread {tid} did not run the stack sampler within {} ms (signal blocked?)",
                    HANDLER_TIMEOUT.as_millis()
                ));
            }
            // Either still REQUESTED before the deadline, or the handler is
            // WRITING and will finish shortly.
            std::thread::sleep(Duration::from_micros(50));
        }
    }

    fn take_frames() -> RawStack {
        let len = LEN.load(Ordering::Relaxed).min(MAX_FRAMES);
        let frames = FRAMES[..len]
            .iter()
            .map(|f| f.load(Ordering::Relaxed))
            .collect();
        STATE.store(IDLE, Ordering::Release);
        frames
    }
}
