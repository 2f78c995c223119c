//! The report: plain data (serde) and its terminal rendering.
//!
//! Field meanings, and which symptom each one answers, are documented in
//! the crate README ("why are my tasks slow?").

use std::fmt::{self, Write as _};

use serde::Serialize;

/// A snapshot of everything the monitor measured since it started or was
/// last [`reset`](crate::Monitor::reset).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Wall time covered by this report, in ms.
    pub elapsed_ms: u64,
    pub settings: ReportSettings,
    /// Timer lag: how late the probes woke up (coordinated-omission corrected).
    pub lag: LagSummary,
    /// `yield_now` round trips: sub-millisecond queueing delay.
    pub sched_delay: LagSummary,
    pub runtime: RuntimeSummary,
    /// One entry per runtime worker.
    pub workers: Vec<WorkerSummary>,
    /// One entry per named task monitor.
    pub tasks: Vec<TaskSummary>,
    /// The most recent stalls, oldest first (a bounded ring).
    pub stalls: Vec<Stall>,
    /// Stalls seen in this interval, including those pushed out of the ring.
    pub stall_count: u64,
    /// Stalls pushed out of the ring.
    pub stalls_dropped: u64,
    /// Blocking time per call site (task, blocking call, caller), from the
    /// closed stalls and the sampler, most blocked time first. The join
    /// key for `stallcheck --evidence`.
    pub stall_sites: Vec<StallSite>,
    /// Call sites beyond the table's capacity (512), counted, not kept.
    pub stall_sites_dropped: u64,
    /// Samples the sampler added to sites, and captures it discarded (the
    /// poll ended before the handler ran, or the capture failed).
    pub samples: u64,
    pub samples_discarded: u64,
    /// Whether the sampler runs (`running (every 10 ms)`), and if not why.
    pub sampler: String,
    /// Whether stalls carry stacks: `supported: ...`, or why not.
    pub stack_capture: String,
    /// Whether the watchdog runs, and if not why.
    pub watchdog: String,
    /// The tokio-console server, if one was requested.
    pub console: Option<String>,
}

/// The monitor's configuration, echoed so a report stands on its own.
#[derive(Clone, Debug, Serialize)]
pub struct ReportSettings {
    pub probe_interval_us: u64,
    pub stall_threshold_us: u64,
    /// The sampler's period; 0 = sampler off.
    pub sample_interval_us: u64,
    pub slow_poll_threshold_us: u64,
    pub metrics_interval_ms: u64,
    pub stall_capacity: usize,
    /// One `spawn_named` task in this many of each name carries a
    /// `TaskMonitor` (`MonitorBuilder::task_sample_every`); 0 = none
    /// (`task_metrics(false)`).
    pub task_sample_every: u32,
}

/// A delay distribution in µs (HdrHistogram, 1 µs .. 60 s, 3 significant
/// digits) and its per-bucket maxima over time.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LagSummary {
    pub count: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// Samples above 60 s, recorded as 60 s.
    pub clamped: u64,
    /// Width of one series bucket (grows when the series is downsampled).
    pub series_bucket_ms: u64,
    /// `(ms since start of the interval, max µs in the bucket)`.
    pub series: Vec<(u64, u64)>,
}

/// Runtime-wide tokio metrics over the interval.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RuntimeSummary {
    pub workers: usize,
    pub elapsed_ms: u64,
    /// Busy time over `elapsed * workers`, in 0..=1.
    pub busy_ratio: f64,
    pub total_polls: u64,
    pub mean_poll_us: f64,
    pub parks: u64,
    /// Parks that found no work when woken.
    pub noops: u64,
    /// Tasks stolen by idle workers.
    pub steals: u64,
    pub steal_operations: u64,
    /// Times a worker's local queue overflowed into the injection queue.
    pub overflows: u64,
    /// Wake-ups from outside the runtime.
    pub remote_schedules: u64,
    pub local_schedules: u64,
    pub budget_forced_yields: u64,
    /// Injection (global) queue depth at the last sample.
    pub global_queue_depth: usize,
    pub max_global_queue_depth: usize,
    /// Sum of the workers' local queue depths at the last sample.
    pub local_queue_depth: usize,
    /// Deepest single local queue seen at a sample.
    pub max_local_queue_depth: usize,
    pub blocking_queue_depth: usize,
    pub blocking_threads: usize,
    pub live_tasks: usize,
    /// Number of `RuntimeMonitor` intervals folded in.
    pub samples: u64,
    pub busy_series_bucket_ms: u64,
    /// `(ms since start, busy ‰)`: the worst interval in each bucket.
    pub busy_permille_series: Vec<(u64, u64)>,
}

/// One runtime worker.
#[derive(Clone, Debug, Serialize)]
pub struct WorkerSummary {
    pub worker: usize,
    pub busy_ratio: f64,
    pub polls: u64,
    pub steals: u64,
    pub parks: u64,
    pub local_queue_depth: usize,
    /// Longest single poll the watchdog saw running on this worker, in µs
    /// (from its first sighting, so at the scan resolution, `threshold / 4`:
    /// polls shorter than one scan interval do not show; 0 without the
    /// watchdog).
    pub max_poll_us: u64,
    /// Probe samples that ran on this worker, and the worst lag among them.
    pub probe_samples: u64,
    pub probe_max_lag_us: u64,
}

/// One task name: its tokio-metrics `TaskMonitor`, which instruments a
/// sample of the name's tasks.
///
/// Means and ratios estimate every task of the name. Counts (`instrumented`,
/// `dropped`, `polls`, `slow_polls`, `total_poll_ms`) cover the sampled tasks
/// only: about `1 / sample_every` of the totals. `spawned` is exact.
#[derive(Clone, Debug, Serialize)]
pub struct TaskSummary {
    pub name: String,
    /// Tasks spawned under this name through `Monitor::spawn_named` (all of them).
    pub spawned: u64,
    /// One task in `sample_every` is instrumented; 0 = none (task metrics off).
    pub sample_every: u32,
    /// Tasks instrumented by the name's `TaskMonitor` (the sample, plus any
    /// the application instrumented through `Monitor::task_monitor`).
    pub instrumented: u64,
    pub dropped: u64,
    /// Polls of the instrumented tasks.
    pub polls: u64,
    pub slow_polls: u64,
    pub slow_poll_ratio: f64,
    pub mean_poll_us: f64,
    pub mean_slow_poll_us: f64,
    pub total_poll_ms: f64,
    pub mean_first_poll_delay_us: f64,
    /// Mean time from wake-up to poll (time spent in a run queue).
    pub mean_scheduled_us: f64,
    pub long_delay_ratio: f64,
    pub mean_idle_us: f64,
}

/// One poll that held a worker longer than the stall threshold.
#[derive(Clone, Debug, Serialize)]
pub struct Stall {
    /// tokio's worker index (as in `RuntimeMetrics`), if the poll ran on a worker.
    pub worker: Option<usize>,
    pub thread: String,
    pub task_id: u64,
    /// The name given to `Monitor::spawn_named`, if any.
    pub task_name: Option<String>,
    /// `file:line:column` of the spawn.
    pub spawned_at: String,
    /// When the poll started, µs on the monitor's clock (since it was built).
    pub started_at_us: u64,
    /// How long the poll took (or has taken so far, when `in_progress`).
    pub duration_us: u64,
    pub in_progress: bool,
    /// Symbolised function names of the stuck thread, innermost first.
    pub frames: Vec<String>,
    /// The library call that blocked (outermost library frame under `caller`).
    pub blocking_call: Option<String>,
    /// The innermost application frame: the code that made the call.
    pub caller: Option<String>,
    pub caller_location: Option<String>,
    /// Why `frames` is empty or may be imprecise.
    pub stack_note: Option<String>,
    /// The stuck thread's scheduler state when the watchdog saw it (Linux):
    /// `sleeping` = blocked in a system call (sleep, lock, I/O), `running` =
    /// computing on the CPU or waiting for one (preempted by the OS),
    /// `disk-wait` = uninterruptible I/O.
    pub thread_state: Option<String>,
    /// Where the stuck thread's time went while the stall lasted (Linux):
    /// tells a poll that computes or blocks from a worker the OS did not run.
    /// `None` if the poll ended within a scan interval of its detection, or
    /// the kernel does not expose `schedstat`.
    pub cpu: Option<StallCpu>,
}

/// One call site that held workers: a task, the blocking call it made and
/// the application function that made it.
///
/// Sites come from two sources: closed stalls (exact durations, above the
/// threshold) and the sampler (any duration; each sample stands for the
/// sampler's interval). Stalls still in progress are counted once closed.
#[derive(Clone, Debug, Serialize)]
pub struct StallSite {
    /// The task's `spawn_named` name.
    pub task: Option<String>,
    /// The library call that blocked (allocator and drop frames and library
    /// futures' `poll` skipped); `None` when the time is in the caller's own
    /// code.
    pub blocking_call: Option<String>,
    /// The source function that made the call (`BlockingStore::add`).
    pub caller: Option<String>,
    /// Its file, relative to the workspace root, and line.
    pub caller_file: Option<String>,
    pub caller_line: Option<u32>,
    /// `caller_file:caller_line`, as in `Stall::caller_location`.
    pub caller_location: Option<String>,
    /// Closed stalls at this site.
    pub stalls: u64,
    /// Those during which the worker slept in a system call at the call its
    /// stack shows: asleep when the stack was taken (`thread_state`) and
    /// over the stall (CPU verdict `blocked`); not computing, not preempted.
    pub blocked_stalls: u64,
    /// Sampler hits at this site.
    pub samples: u64,
    /// Estimated time workers were held here, ms: the larger of the sampled
    /// time and the stalls' total.
    pub blocked_ms: f64,
    /// Total and longest stall here, ms (0 without stalls).
    pub stall_ms: f64,
    pub max_ms: f64,
    /// From the samples' thread states, by majority: `blocked` (asleep in a
    /// system call: I/O, a lock, a sleep) or `running` (computing, or
    /// runnable and waiting for a CPU: one reading cannot tell them apart);
    /// `None` without samples.
    pub cpu: Option<String>,
    /// The newest example stack, innermost first.
    pub stack: Vec<String>,
}

/// How a stalled worker thread spent the stall, from the kernel's per-thread
/// run time and run-queue wait (`/proc/self/task/<tid>/schedstat`), between
/// the watchdog's detection of the stall and its last scan that saw the poll
/// still running.
#[derive(Clone, Debug, Serialize)]
pub struct StallCpu {
    /// Length of the measured window.
    pub window_us: u64,
    /// Share of the window the thread ran on a CPU.
    pub on_cpu_ratio: f64,
    /// Share of the window the thread was runnable but waited for a CPU.
    pub waiting_ratio: f64,
    /// The largest share: `on-cpu` (the poll computes), `preempted` (the
    /// thread was runnable but the OS ran something else: an overloaded
    /// machine or a CPU quota, not the task's call), `blocked` (off the CPU,
    /// in a system call: sleep, lock, I/O).
    pub verdict: String,
}

impl Report {
    /// The terminal rendering (the same as `Display`).
    pub fn render_table(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        render(self, &mut out)?;
        f.write_str(&out)
    }
}

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1_000.0)
}

fn render(r: &Report, out: &mut String) -> fmt::Result {
    writeln!(
        out,
        "stallcheck runtime report: {:.1} s",
        r.elapsed_ms as f64 / 1_000.0
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<14} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9}",
        "delay (ms)", "samples", "mean", "p50", "p90", "p99", "p99.9", "max"
    )?;
    for (label, s) in [("timer lag", &r.lag), ("sched delay", &r.sched_delay)] {
        writeln!(
            out,
            "{:<14} {:>8} {:>8.2} {:>8} {:>8} {:>8} {:>9} {:>9}",
            label,
            s.count,
            s.mean_us / 1_000.0,
            ms(s.p50_us),
            ms(s.p90_us),
            ms(s.p99_us),
            ms(s.p999_us),
            ms(s.max_us)
        )?;
    }
    writeln!(out)?;
    let rt = &r.runtime;
    writeln!(
        out,
        "runtime: {} workers, busy {:.1}%, {} polls (mean {:.1} µs), {} parks, {} steals, queues: global {} (max {}), local {} (max {})",
        rt.workers,
        rt.busy_ratio * 100.0,
        rt.total_polls,
        rt.mean_poll_us,
        rt.parks,
        rt.steals,
        rt.global_queue_depth,
        rt.max_global_queue_depth,
        rt.local_queue_depth,
        rt.max_local_queue_depth
    )?;
    if !r.workers.is_empty() {
        writeln!(
            out,
            "{:<8} {:>7} {:>9} {:>7} {:>13} {:>14} {:>13}",
            "worker", "busy", "polls", "steals", "max poll ms", "probe samples", "max lag ms"
        )?;
        for w in &r.workers {
            writeln!(
                out,
                "{:<8} {:>6.1}% {:>9} {:>7} {:>13} {:>14} {:>13}",
                w.worker,
                w.busy_ratio * 100.0,
                w.polls,
                w.steals,
                ms(w.max_poll_us),
                w.probe_samples,
                ms(w.probe_max_lag_us)
            )?;
        }
    }
    if !r.tasks.is_empty() {
        writeln!(out)?;
        match r.settings.task_sample_every {
            0 => writeln!(out, "task metrics: off (tasks are named, not instrumented)")?,
            1 => writeln!(out, "task metrics: every task instrumented")?,
            n => writeln!(
                out,
                "task metrics: sampled, 1 in {n} tasks of each name instrumented; \
                 means and ratios estimate all tasks, polls count the sample only"
            )?,
        }
        writeln!(
            out,
            "{:<30} {:>8} {:>8} {:>9} {:>7} {:>10} {:>12} {:>12} {:>7}",
            "task",
            "spawned",
            "sampled",
            "polls",
            "slow %",
            "mean poll",
            "first delay",
            "scheduled",
            "long %"
        )?;
        for t in &r.tasks {
            writeln!(
                out,
                "{:<30} {:>8} {:>8} {:>9} {:>6.1}% {:>8.1}µs {:>10.1}µs {:>10.1}µs {:>6.1}%",
                t.name,
                t.spawned,
                t.instrumented,
                t.polls,
                t.slow_poll_ratio * 100.0,
                t.mean_poll_us,
                t.mean_first_poll_delay_us,
                t.mean_scheduled_us,
                t.long_delay_ratio * 100.0
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "stalls: {} seen ({} in the ring, {} dropped from it); watchdog {}; stacks {}",
        r.stall_count,
        r.stalls.len(),
        r.stalls_dropped,
        r.watchdog,
        r.stack_capture
    )?;
    writeln!(
        out,
        "sampler: {}; {} samples ({} discarded)",
        r.sampler, r.samples, r.samples_discarded
    )?;
    render_sites(r, out)?;
    // Beside the grouped sites, the few stalls worth reading one by one:
    // those still stuck, then the longest.
    let mut shown: Vec<&Stall> = r.stalls.iter().collect();
    shown.sort_by_key(|s| (!s.in_progress, std::cmp::Reverse(s.duration_us)));
    shown.truncate(TABLE_STALLS.max(r.stalls.iter().filter(|s| s.in_progress).count()));
    if !shown.is_empty() {
        writeln!(out, "longest stalls:")?;
        for s in shown {
            render_stall(s, out)?;
        }
    }
    if let Some(console) = &r.console {
        writeln!(out, "tokio-console: {console}")?;
    }
    Ok(())
}

/// Stalls shown one by one in the table (besides those still stuck).
const TABLE_STALLS: usize = 3;
/// Sites shown in the table; the JSON report has them all.
const TABLE_SITES: usize = 12;
/// Frames of a site's newest stack shown in the table.
const TABLE_FRAMES: usize = 8;

/// Stalls and samples grouped by call site: what blocked, where, how often,
/// for how long, with the newest example stack.
fn render_sites(r: &Report, out: &mut String) -> fmt::Result {
    if r.stall_sites.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "call sites holding workers (most blocked time first; {} of {}):",
        r.stall_sites.len().min(TABLE_SITES),
        r.stall_sites.len()
    )?;
    for site in r.stall_sites.iter().take(TABLE_SITES) {
        let task = site
            .task
            .as_deref()
            .map_or_else(|| "<unnamed>".to_owned(), |n| format!("\"{n}\""));
        let cpu = site
            .cpu
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        writeln!(
            out,
            "  {:.1} ms blocked in task {task}: {} stalls (total {:.1} ms, max {:.1} ms), {} samples{cpu}",
            site.blocked_ms, site.stalls, site.stall_ms, site.max_ms, site.samples
        )?;
        writeln!(
            out,
            "    blocking call: {}",
            site.blocking_call
                .as_deref()
                .unwrap_or("(in the caller's own code)")
        )?;
        if let Some(caller) = &site.caller {
            let at = site
                .caller_location
                .as_deref()
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            writeln!(out, "    called from:   {caller}{at}")?;
        }
        for frame in site.stack.iter().take(TABLE_FRAMES) {
            writeln!(out, "      {frame}")?;
        }
    }
    Ok(())
}

fn render_stall(s: &Stall, out: &mut String) -> fmt::Result {
    let worker = s.worker.map_or_else(|| "?".to_owned(), |w| w.to_string());
    writeln!(
        out,
        "  worker {worker} blocked {} ms{} in task {} (id {}, spawned at {})",
        ms(s.duration_us),
        if s.in_progress { " so far" } else { "" },
        s.task_name
            .as_deref()
            .map_or_else(|| "<unnamed>".to_owned(), |n| format!("\"{n}\"")),
        s.task_id,
        s.spawned_at
    )?;
    if let Some(call) = &s.blocking_call {
        writeln!(out, "    blocking call: {call}")?;
    }
    if let Some(caller) = &s.caller {
        let at = s
            .caller_location
            .as_deref()
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        writeln!(out, "    called from:   {caller}{at}")?;
    }
    if let Some(state) = &s.thread_state {
        writeln!(out, "    thread state:  {state}")?;
    }
    if let Some(cpu) = &s.cpu {
        let meaning = match cpu.verdict.as_str() {
            "preempted" => " (the OS did not run the worker: not the task's call)",
            "on-cpu" => " (the poll computes)",
            "blocked" => " (in a system call)",
            _ => "",
        };
        writeln!(
            out,
            "    cpu:           {}{meaning}: on a CPU {:.0}%, waiting for one {:.0}% of {} ms",
            cpu.verdict,
            cpu.on_cpu_ratio * 100.0,
            cpu.waiting_ratio * 100.0,
            ms(cpu.window_us)
        )?;
    }
    if let Some(note) = &s.stack_note {
        writeln!(out, "    note: {note}")?;
    }
    Ok(())
}
