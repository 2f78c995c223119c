//! The watchdog names the stuck task and the call that blocked it, while it
//! is stuck; and it stays silent when nothing blocks.

mod support;

use std::future::Future;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use stallcheck_runtime::{Monitor, Report, Stall};
use support::ms;

/// Runs one blocking task named `name` on a two-worker runtime and returns
/// the report plus the task's id. `guard.stop()` joins the watchdog and the
/// symboliser, so every captured stack is named when the report is taken.
fn run_blocking_task(name: &'static str, block: impl FnOnce() + Send + 'static) -> (Report, u64) {
    let monitored = support::multi_thread(2, Monitor::builder().stall_threshold(ms(10)));
    let task_id = monitored.runtime.block_on(async {
        let handle = monitored.monitor.spawn_named(name, async move { block() });
        let id = handle
            .id()
            .to_string()
            .parse::<u64>()
            .expect("task ids are numbers");
        handle.await.expect("blocking task");
        id
    });
    // The JoinHandle can complete a moment before the worker runs the
    // after-poll hook that closes the stall; wait for it (the bound only
    // keeps a broken hook from hanging the suite).
    for _ in 0..6_000 {
        let report = monitored.monitor.report();
        if !report.stalls.iter().any(|s| s.in_progress) {
            break;
        }
        std::thread::sleep(ms(5));
    }
    monitored.guard.stop();
    (monitored.monitor.report(), task_id)
}

fn the_stall_of<'r>(report: &'r Report, task: &str) -> &'r Stall {
    let mut stalls = report
        .stalls
        .iter()
        .filter(|s| s.task_name.as_deref() == Some(task));
    let stall = stalls
        .next()
        .unwrap_or_else(|| panic!("no stall reported for task {task:?}: {:#?}", report.stalls));
    assert!(
        stalls.next().is_none(),
        "one blocking poll must be one stall: {:#?}",
        report.stalls
    );
    stall
}

fn has_frame(stall: &Stall, fragment: &str) -> bool {
    stall.frames.iter().any(|f| f.contains(fragment))
}

fn assert_names_the_culprit(
    report: &Report,
    task: &str,
    task_id: u64,
    blocking: &[&str],
    caller: &str,
) {
    assert!(
        report.stack_capture.starts_with("supported"),
        "stack capture: {}",
        report.stack_capture
    );
    let stall = the_stall_of(report, task);
    assert_eq!(stall.task_id, task_id);
    assert!(
        stall.worker.is_some_and(|w| w < 2),
        "worker index: {stall:?}"
    );
    assert!(
        stall.spawned_at.contains("tests/watchdog.rs"),
        "spawn location: {}",
        stall.spawned_at
    );
    assert!(!stall.in_progress);
    assert!(
        stall.duration_us >= 90_000,
        "the poll blocked for 100 ms: {stall:?}"
    );
    assert!(
        blocking.iter().any(|b| has_frame(stall, b)),
        "no frame containing any of {blocking:?}: {:#?}",
        stall.frames
    );
    assert!(
        has_frame(stall, caller),
        "no frame for the calling code {caller:?}: {:#?}",
        stall.frames
    );
    assert_eq!(
        stall.caller.as_deref().map(|c| c.contains(caller)),
        Some(true),
        "{stall:?}"
    );
    assert_eq!(
        stall
            .thread_state
            .as_deref()
            .map(|s| s.starts_with("sleeping")),
        Some(true),
        "a thread blocked in a system call sleeps: {stall:?}"
    );
    assert_eq!(
        stall.cpu.as_ref().map(|c| c.verdict.as_str()),
        Some("blocked"),
        "a thread blocked in a system call is off the CPU: {stall:?}"
    );
}

#[inline(never)]
fn sleep_in_handler() {
    std::thread::sleep(ms(100));
    // Keeps the sleep from being a tail call, which an optimised build turns
    // into a jump that leaves no frame for this function.
    std::hint::black_box(());
}

#[test]
fn a_thread_sleep_is_reported_with_its_task_and_the_sleep_frame() {
    let _alone = support::one_at_a_time();
    let (report, id) = run_blocking_task("sleeper", sleep_in_handler);
    assert_names_the_culprit(&report, "sleeper", id, &["sleep"], "sleep_in_handler");
    let stall = the_stall_of(&report, "sleeper");
    assert_eq!(
        stall.blocking_call.as_deref().map(|c| c.contains("sleep")),
        Some(true),
        "{stall:?}"
    );
}

#[inline(never)]
fn lock_shared_state(state: &Mutex<u32>) -> u32 {
    *state.lock().expect("not poisoned")
}

#[test]
fn a_contended_std_mutex_is_reported_with_the_lock_frame() {
    let _alone = support::one_at_a_time();
    let state = Arc::new(Mutex::new(0_u32));
    let (held, wait_until_held) = mpsc::channel();
    let (locking, wait_until_locking) = mpsc::channel();
    let holder_state = Arc::clone(&state);
    let holder = std::thread::spawn(move || {
        let _guard = holder_state.lock().expect("not poisoned");
        held.send(()).expect("test still running");
        // Counted from the moment the task's poll runs, so it blocks for
        // at least 100 ms however long the runtime took to start.
        wait_until_locking.recv().expect("the task runs");
        std::thread::sleep(ms(100));
    });
    wait_until_held.recv().expect("holder thread");
    let (report, id) = run_blocking_task("locker", move || {
        locking.send(()).expect("holder waiting");
        lock_shared_state(&state);
    });
    holder.join().expect("holder thread");
    assert_names_the_culprit(
        &report,
        "locker",
        id,
        &["lock", "futex"],
        "lock_shared_state",
    );
}

#[inline(never)]
fn read_from_silent_peer(stream: &mut TcpStream) -> usize {
    let mut buf = [0_u8; 16];
    loop {
        match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            result => return result.expect("read from the loopback peer"),
        }
    }
}

#[test]
fn a_sync_socket_read_is_reported_with_the_read_frame() {
    let _alone = support::one_at_a_time();
    // The peer accepts, says nothing for 100 ms from when the reader starts
    // reading (not from the accept: setting up the runtime can take a good
    // part of that on a busy machine), then hangs up.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let (reading, started) = mpsc::channel::<()>();
    let peer = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        started.recv().expect("the reader starts");
        std::thread::sleep(ms(100));
        drop(stream);
    });
    let mut stream = TcpStream::connect(addr).expect("connect to loopback");
    let (report, id) = run_blocking_task("reader", move || {
        reading.send(()).expect("the peer waits");
        assert_eq!(
            read_from_silent_peer(&mut stream),
            0,
            "the peer never writes"
        );
    });
    peer.join().expect("peer thread");
    assert_names_the_culprit(
        &report,
        "reader",
        id,
        &["read", "recv"],
        "read_from_silent_peer",
    );
}

#[inline(never)]
fn spin_for_100ms() -> u64 {
    let start = std::time::Instant::now();
    let mut spins = 0_u64;
    while start.elapsed() < ms(100) {
        spins = std::hint::black_box(spins + 1);
    }
    spins
}

#[test]
fn a_cpu_bound_poll_is_reported_as_running_not_sleeping() {
    let _alone = support::one_at_a_time();
    let steal_before = machine_steal_ticks();
    let (report, _) = run_blocking_task("spinner", || {
        spin_for_100ms();
    });
    let stolen = machine_steal_ticks() - steal_before;
    let stall = the_stall_of(&report, "spinner");
    assert_eq!(
        stall
            .thread_state
            .as_deref()
            .map(|s| s.starts_with("running")),
        Some(true),
        "{stall:?}"
    );
    assert!(has_frame(stall, "spin_for_100ms"), "{:#?}", stall.frames);
    // On a CPU, or runnable and waiting for one on a loaded machine: never
    // off the CPU.
    let cpu = stall.cpu.as_ref().expect("a 100 ms stall is measured");
    assert_ne!(cpu.verdict, "blocked", "{cpu:?}");
    // In a virtual machine the hypervisor may take the CPU from the spinning
    // thread (steal), time the guest counts nowhere: the ratios then say so
    // and only the verdict above is checked.
    if stolen < 2 {
        assert!(cpu.on_cpu_ratio + cpu.waiting_ratio > 0.5, "{cpu:?}");
    } else {
        eprintln!("{stolen} ticks of steal during the spin: ratios not checked ({cpu:?})");
    }
}

/// The machine's steal time so far, in `USER_HZ` ticks over all CPUs (the
/// eighth value of `/proc/stat`'s `cpu` line).
fn machine_steal_ticks() -> i64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    stat.lines()
        .next()
        .and_then(|cpu| cpu.split_whitespace().nth(8))
        .and_then(|steal| steal.parse().ok())
        .expect("a steal column in /proc/stat")
}

/// Pins the calling thread to `cpu`, or back to `set`.
fn pin_current_thread(set: &libc::cpu_set_t) {
    // SAFETY: sched_setaffinity on the calling thread with a valid set.
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), set) };
    assert_eq!(
        rc,
        0,
        "sched_setaffinity: {}",
        std::io::Error::last_os_error()
    );
}

fn current_affinity() -> libc::cpu_set_t {
    // SAFETY: an all-zero cpu_set_t is valid; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    assert_eq!(
        rc,
        0,
        "sched_getaffinity: {}",
        std::io::Error::last_os_error()
    );
    set
}

fn only_cpu(cpu: usize) -> libc::cpu_set_t {
    // SAFETY: as above; CPU_SET writes one bit of the set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    unsafe { libc::CPU_SET(cpu, &mut set) };
    set
}

#[test]
fn a_worker_the_os_does_not_run_is_reported_as_preempted() {
    let _alone = support::one_at_a_time();
    let all = current_affinity();
    let cpu = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: CPU_ISSET reads one bit of a valid set.
        .find(|&c| unsafe { libc::CPU_ISSET(c, &all) })
        .expect("at least one CPU");
    // Three threads that only spin, sharing one CPU with the worker: the
    // worker is runnable all along but gets about a quarter of the CPU.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hogs: Vec<_> = (0..3)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                pin_current_thread(&only_cpu(cpu));
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    let (report, _) = run_blocking_task("crowded-out", move || {
        pin_current_thread(&only_cpu(cpu));
        spin_for_100ms();
        pin_current_thread(&all);
    });
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for hog in hogs {
        hog.join().expect("hog thread");
    }
    let stall = the_stall_of(&report, "crowded-out");
    let cpu = stall.cpu.as_ref().expect("a 100 ms stall is measured");
    assert_eq!(cpu.verdict, "preempted", "{stall:?}");
    assert!(cpu.waiting_ratio > cpu.on_cpu_ratio, "{cpu:?}");
    assert!(
        report
            .render_table()
            .contains("preempted (the OS did not run the worker"),
        "{}",
        report.render_table()
    );
}

#[test]
fn many_short_polls_raise_no_stall_but_a_real_one_still_does() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(2, Monitor::builder().stall_threshold(ms(100)));
    monitored.runtime.block_on(async {
        let tasks: Vec<_> = (0..200_u64)
            .map(|i| {
                monitored.monitor.spawn_named("short-polls", async move {
                    let mut acc = i;
                    for step in 0..200_u64 {
                        acc = acc.wrapping_mul(31).wrapping_add(step);
                        tokio::task::yield_now().await;
                    }
                    acc
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("short task");
        }
    });
    let busy = monitored.monitor.report();
    assert!(busy.watchdog.starts_with("running"), "{}", busy.watchdog);
    let short = busy
        .tasks
        .iter()
        .find(|t| t.name == "short-polls")
        .expect("task metrics");
    // One task in `DEFAULT_TASK_SAMPLE_EVERY` carries the TaskMonitor.
    assert_eq!(short.spawned, 200, "{short:?}");
    assert!(
        short.instrumented > 0 && short.polls >= short.instrumented * 200,
        "the sampled tasks polled: {short:?}"
    );
    assert_eq!(busy.stall_count, 0, "false stalls: {:#?}", busy.stalls);

    // Same monitor, same thresholds: a genuinely blocking poll is caught.
    let real_stall = monitored.monitor.spawn_named_on(
        "real-stall",
        async { std::thread::sleep(ms(250)) },
        monitored.runtime.handle(),
    );
    monitored
        .runtime
        .block_on(real_stall)
        .expect("blocking task");
    monitored.guard.stop();
    let after = monitored.monitor.report();
    assert_eq!(after.stall_count, 1, "{:#?}", after.stalls);
    assert_eq!(after.stalls[0].task_name.as_deref(), Some("real-stall"));
}

#[test]
fn a_poll_still_stuck_is_reported_while_it_is_stuck() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(1, Monitor::builder().stall_threshold(ms(10)));
    let (release, stuck_until_released) = mpsc::channel::<()>();
    let (started, wait_for_start) = mpsc::channel::<()>();
    let handle = monitored.runtime.spawn({
        let monitor = monitored.monitor.clone();
        async move {
            monitor
                .spawn_named("stuck", async move {
                    started.send(()).expect("test still running");
                    stuck_until_released.recv().expect("test releases the task");
                })
                .await
        }
    });
    wait_for_start.recv().expect("the task started");
    // Wait until the watchdog has the stall and its stack, taken while the
    // worker is still blocked. The bound only keeps a broken watchdog from
    // hanging the suite; the watchdog scans every few ms.
    let mut waited = 0;
    let report = loop {
        let report = monitored.monitor.report();
        if report
            .stalls
            .iter()
            .any(|s| !s.frames.is_empty() || s.stack_note.is_some())
        {
            break report;
        }
        waited += 1;
        assert!(
            waited < 6_000,
            "no stall reported while the task was stuck: {report:#?}"
        );
        std::thread::sleep(ms(5));
    };
    release.send(()).expect("task waiting");
    monitored
        .runtime
        .block_on(handle)
        .expect("outer")
        .expect("inner");
    // As in `run_blocking_task`: the hook that closes the stall may run a
    // moment after the task's JoinHandle completes.
    for _ in 0..6_000 {
        if !monitored
            .monitor
            .report()
            .stalls
            .iter()
            .any(|s| s.in_progress)
        {
            break;
        }
        std::thread::sleep(ms(5));
    }
    monitored.guard.stop();

    let stall = the_stall_of(&report, "stuck");
    assert!(stall.in_progress, "{stall:?}");
    assert!(
        has_frame(stall, "recv"),
        "blocked in a channel receive: {:#?}",
        stall.frames
    );
    let final_report = monitored.monitor.report();
    assert!(!the_stall_of(&final_report, "stuck").in_progress);
}

#[test]
fn the_stall_ring_is_bounded_and_counts_what_it_drops() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(
        1,
        Monitor::builder().stall_threshold(ms(5)).stall_capacity(2),
    );
    monitored.runtime.block_on(async {
        for _ in 0..4 {
            monitored
                .monitor
                .spawn_named("repeat-offender", async { std::thread::sleep(ms(30)) })
                .await
                .expect("blocking task");
        }
    });
    monitored.guard.stop();
    let report = monitored.monitor.report();
    assert_eq!(report.stalls.len(), 2);
    assert_eq!(report.stall_count, 4);
    assert_eq!(report.stalls_dropped, 2);
}

#[test]
fn the_json_report_carries_the_documented_fields() {
    let _alone = support::one_at_a_time();
    let (report, _) = run_blocking_task("sleeper", sleep_in_handler);
    let json = serde_json::to_value(&report).expect("serialise");
    for field in ["p50_us", "p99_us", "max_us", "count"] {
        assert!(
            json["lag"][field].is_u64(),
            "lag.{field} missing: {}",
            json["lag"]
        );
    }
    let stall = &json["stalls"][0];
    for field in [
        "worker",
        "task_id",
        "task_name",
        "spawned_at",
        "duration_us",
        "frames",
    ] {
        assert!(!stall[field].is_null(), "stalls[].{field} missing: {stall}");
    }
    let table = report.render_table();
    assert!(table.contains("\"sleeper\""), "{table}");
    assert!(table.contains("sleep_in_handler"), "{table}");
}

/// A future that records how long each of its polls ran.
struct Timed<F> {
    inner: Pin<Box<F>>,
    polls: Arc<Mutex<Vec<Duration>>>,
}

impl<F: Future> Future for Timed<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let began = Instant::now();
        let result = self.inner.as_mut().poll(cx);
        self.polls.lock().expect("poll log").push(began.elapsed());
        result
    }
}

/// The longest a stall may be reported: the longest poll measured, plus
/// the few instructions between tokio's poll hooks and `Timed`'s clock
/// reads and the watchdog clock's calibration against `Instant`.
fn longest_possible_stall_us(polls: &[Duration]) -> u64 {
    let longest = polls.iter().max().expect("polls ran").as_micros() as u64;
    longest + longest / 50 + 1_000
}

#[test]
fn back_to_back_stalls_on_one_worker_never_outlast_their_polls() {
    let _alone = support::one_at_a_time();
    let monitored = support::current_thread(Monitor::builder().stall_threshold(ms(2)));
    let polls = Arc::new(Mutex::new(Vec::new()));
    let task = monitored.monitor.spawn_named_on(
        "back-to-back",
        Timed {
            inner: Box::pin(async {
                for _ in 0..80 {
                    std::thread::sleep(ms(4));
                    tokio::task::yield_now().await;
                }
            }),
            polls: Arc::clone(&polls),
        },
        monitored.runtime.handle(),
    );
    // Reports (and one reset) taken while the stalls come and go, from
    // another thread, as a service's metrics endpoint would.
    let reporter = std::thread::spawn({
        let monitor = monitored.monitor.clone();
        move || {
            let mut reports = Vec::new();
            for round in 0..40 {
                if round == 20 {
                    monitor.reset();
                }
                reports.push(monitor.report());
                std::thread::sleep(ms(3));
            }
            reports
        }
    });
    monitored.runtime.block_on(task).expect("blocking task");
    let mid_run = reporter.join().expect("reporter");
    // The after-poll hook of the last poll may run a moment after the
    // JoinHandle completes: let the watchdog scan once more.
    std::thread::sleep(ms(20));
    monitored.guard.stop();
    let last = monitored.monitor.report();

    let polls = polls.lock().expect("poll log").clone();
    let bound = longest_possible_stall_us(&polls);
    assert!(
        last.stall_count >= 10,
        "80 polls of 4 ms with a 2 ms threshold: {:#?}",
        last.stalls
    );
    for report in mid_run.iter().chain([&last]) {
        for stall in &report.stalls {
            assert!(
                stall.duration_us <= bound,
                "a stall of {} us, but no poll ran longer than {bound} us: {stall:?}",
                stall.duration_us
            );
        }
    }
    assert!(
        last.stalls.iter().all(|s| !s.in_progress),
        "every poll ended, so every stall is closed: {:#?}",
        last.stalls
    );
}
