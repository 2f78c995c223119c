//! `stallcheck-bench run`: for each selected workload, prepare it (sync),
//! run the blocking then the fixed variant on fresh monitored runtimes of the
//! same shape under the same plan, check both, compare them, and report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::charts;
use crate::driver::{self, Load, Measurement};
use crate::monitoring::MonitoredRuntime;
use crate::report::{
    HarnessReport, Percentiles, Ratio, RunConfig, SCHEMA_VERSION, VariantDetail, VariantReport,
    WorkloadReport,
};
use crate::workload::{Completed, Plan, Settings, Unprepared, Variant, VariantKind, Workload};
use crate::workloads::{
    self, memory_stream, repo_sync, session_store, vector_store, working_memory,
};

/// Everything `run` needs (the parsed command line).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Workload names to run, in order.
    pub workloads: Vec<String>,
    pub clients: usize,
    /// Operations per variant; each workload's default when `None`.
    pub ops: Option<usize>,
    pub duration: Option<Duration>,
    pub seed: u64,
    pub open_loop: Option<f64>,
    pub redis_url: Option<String>,
    pub console: Option<SocketAddr>,
    pub out: PathBuf,
    pub workers: usize,
    /// CPU-heavy jobs the fixed variants run at once.
    pub cpu_permits: usize,
    /// Print the table (false in tests).
    pub print: bool,
    /// Poll length above which the monitor reports a stall.
    pub stall_threshold: Duration,
}

/// The result of a run: the report and what went wrong.
#[derive(Debug)]
pub struct RunResult {
    pub report: HarnessReport,
    /// One line per failed check, failed workload or disagreement.
    pub failures: Vec<String>,
    /// Files written (JSON, charts).
    pub written: Vec<PathBuf>,
}

/// Resolves `all` or one name to the list of workloads.
pub fn select(name: &str) -> Result<Vec<String>, String> {
    if name == "all" {
        return Ok(workloads::NAMES
            .iter()
            .map(|name| name.to_string())
            .collect());
    }
    if workloads::NAMES.contains(&name) {
        return Ok(vec![name.to_string()]);
    }
    Err(format!(
        "unknown workload `{name}`: expected `all` or one of {}",
        workloads::NAMES.join(", ")
    ))
}

/// Runs the selected workloads, writes `harness.json` and the charts into
/// `options.out`, and returns the report.
pub fn run(options: &RunOptions) -> Result<RunResult, String> {
    std::fs::create_dir_all(&options.out)
        .map_err(|err| format!("cannot create {}: {err}", options.out.display()))?;
    let scratch = tempfile::Builder::new()
        .prefix("stallcheck-bench-")
        .tempdir()
        .map_err(|err| format!("cannot create a scratch directory: {err}"))?;
    let mut result = RunResult {
        report: empty_report(options),
        failures: Vec::new(),
        written: Vec::new(),
    };
    let idle = idle_loop_lag(options)?;
    result.report.idle_loop_lag_us = Some(idle);
    if options.print {
        println!(
            "idle runtime loop lag µs p50/p99/max: {}/{}/{} (the probe's floor: tokio timers tick in whole ms)",
            idle.p50, idle.p99, idle.max
        );
        println!("{}", crate::report::table_header());
    }
    for name in &options.workloads {
        let settings = Settings {
            cpu_permits: options.cpu_permits,
            seed: options.seed,
            clients: options.clients,
            ops: 0,
            redis_url: options.redis_url.clone(),
            scratch: scratch.path().to_path_buf(),
        };
        let outcome = match name.as_str() {
            "vector-store" => run_workload::<vector_store::VectorStore>(options, settings),
            "working-memory" => run_workload::<working_memory::WorkingMemory>(options, settings),
            "repo-sync" => run_workload::<repo_sync::RepoSync>(options, settings),
            "memory-stream" => run_workload::<memory_stream::MemoryStream>(options, settings),
            "session-store" => run_workload::<session_store::SessionStore>(options, settings),
            other => return Err(format!("unknown workload `{other}`")),
        };
        record(options, name, outcome, &mut result)?;
    }
    let json = options.out.join("harness.json");
    let text = serde_json::to_string_pretty(&result.report).map_err(|err| err.to_string())?;
    std::fs::write(&json, text + "\n")
        .map_err(|err| format!("cannot write {}: {err}", json.display()))?;
    result.written.insert(0, json);
    Ok(result)
}

fn empty_report(options: &RunOptions) -> HarnessReport {
    HarnessReport {
        version: SCHEMA_VERSION,
        config: RunConfig {
            clients: options.clients,
            workers: options.workers,
            cpu_permits: options.cpu_permits,
            seed: options.seed,
            mode: if options.open_loop.is_some() {
                "open"
            } else {
                "closed"
            }
            .to_string(),
            rate: options.open_loop,
            duration_secs: options.duration.map(|duration| duration.as_secs_f64()),
        },
        idle_loop_lag_us: None,
        workloads: Vec::new(),
    }
}

/// How long the idle runtime is measured.
const IDLE_WINDOW: Duration = Duration::from_millis(1000);

/// Loop lag of a monitored runtime with nothing to do: the floor every
/// variant's loop lag should be read against.
fn idle_loop_lag(options: &RunOptions) -> Result<Percentiles, String> {
    let runtime = MonitoredRuntime::new(options.workers, None, options.stall_threshold)?;
    runtime.reset();
    runtime.block_on(async { tokio::time::sleep(IDLE_WINDOW).await });
    let observed = runtime.observe("idle");
    runtime.shutdown();
    Ok(Percentiles {
        p50: observed.lag_p50_us,
        p99: observed.lag_p99_us,
        max: observed.lag_max_us,
    })
}

/// What running one workload produced.
enum WorkloadOutcome {
    Skipped(String),
    Failed(String),
    Ran {
        blocking: Box<VariantDetail>,
        fixed: Box<VariantDetail>,
        disagreement: Option<String>,
    },
}

fn record(
    options: &RunOptions,
    name: &str,
    outcome: WorkloadOutcome,
    result: &mut RunResult,
) -> Result<(), String> {
    let skipped_report = |reason: String| WorkloadReport {
        name: name.to_string(),
        skipped: Some(reason),
        blocking: None,
        fixed: None,
        ratio: None,
    };
    match outcome {
        WorkloadOutcome::Skipped(reason) => {
            if options.print {
                println!("{name:<15} skipped: {reason}");
            }
            result.report.workloads.push(skipped_report(reason));
        }
        WorkloadOutcome::Failed(reason) => {
            if options.print {
                println!("{name:<15} FAILED: {reason}");
            }
            result.failures.push(format!("{name}: {reason}"));
            result
                .report
                .workloads
                .push(skipped_report(format!("failed: {reason}")));
        }
        WorkloadOutcome::Ran {
            blocking,
            fixed,
            disagreement,
        } => {
            if options.print {
                print!("{}", crate::report::table_rows(name, &blocking, &fixed));
            }
            for (kind, detail) in [("blocking", &blocking), ("fixed", &fixed)] {
                if let Err(reason) = &detail.check {
                    result.failures.push(format!("{name}/{kind}: {reason}"));
                }
            }
            if let Some(reason) = disagreement {
                if options.print {
                    println!("  VARIANTS DISAGREE: {reason}");
                }
                result.failures.push(format!("{name}: {reason}"));
            }
            let charts = charts::write(&options.out, name, &blocking, &fixed)?;
            result.written.extend(charts);
            result.report.workloads.push(WorkloadReport {
                name: name.to_string(),
                skipped: None,
                ratio: Some(Ratio::between(&blocking, &fixed)),
                blocking: Some(blocking.report),
                fixed: Some(fixed.report),
            });
        }
    }
    Ok(())
}

fn run_workload<W: Workload>(options: &RunOptions, mut settings: Settings) -> WorkloadOutcome {
    settings.ops = options.ops.unwrap_or(W::DEFAULT_OPS);
    let workload = match W::prepare(&settings) {
        Ok(workload) => Arc::new(workload),
        Err(Unprepared::Skipped(reason)) => return WorkloadOutcome::Skipped(reason),
        Err(Unprepared::Failed(reason)) => return WorkloadOutcome::Failed(reason),
    };
    let plan = workload.plan(&settings);
    let blocking =
        match run_variant::<W, W::Blocking>(options, &workload, &plan, VariantKind::Blocking) {
            Ok(run) => run,
            Err(reason) => return WorkloadOutcome::Failed(format!("blocking: {reason}")),
        };
    let fixed = match run_variant::<W, W::Fixed>(options, &workload, &plan, VariantKind::Fixed) {
        Ok(run) => run,
        Err(reason) => return WorkloadOutcome::Failed(format!("fixed: {reason}")),
    };
    let disagreement = compare::<W>(&blocking.0, &fixed.0);
    let (mut blocking, mut fixed) = (blocking.1, fixed.1);
    if disagreement.is_some() {
        // Neither variant can be called correct when they answer differently.
        blocking.report.correct = false;
        fixed.report.correct = false;
    }
    WorkloadOutcome::Ran {
        blocking: Box::new(blocking),
        fixed: Box::new(fixed),
        disagreement,
    }
}

/// The first operation both variants completed with different outcomes
/// (as `W::same_outcome` judges them).
pub fn compare<W: Workload>(
    blocking: &Completed<W::Outcome>,
    fixed: &Completed<W::Outcome>,
) -> Option<String> {
    for (client, (left, right)) in blocking.clients.iter().zip(&fixed.clients).enumerate() {
        for (index, (a, b)) in left.iter().zip(right).enumerate() {
            let same = match (a, b) {
                (Ok(a), Ok(b)) => W::same_outcome(a, b),
                (a, b) => a == b,
            };
            if !same {
                return Some(format!(
                    "client {client} op {index}: blocking gave {a:?}, fixed gave {b:?}"
                ));
            }
        }
    }
    None
}

/// Runs one variant on a fresh monitored runtime, then checks it.
fn run_variant<W: Workload, V: Variant<W>>(
    options: &RunOptions,
    workload: &Arc<W>,
    plan: &Plan<W::Op>,
    kind: VariantKind,
) -> Result<(Completed<W::Outcome>, VariantDetail), String> {
    let label = format!("{}/{}", W::NAME, kind.as_str());
    let runtime = MonitoredRuntime::new(options.workers, options.console, options.stall_threshold)?;
    if options.print {
        match runtime.console_status() {
            Some(Ok(addr)) => println!("{label}: tokio-console: `tokio-console http://{addr}`"),
            Some(Err(reason)) => println!("{label}: tokio-console unavailable: {reason}"),
            None => {}
        }
    }
    let variant = Arc::new(runtime.block_on(V::open(workload))?);
    let progress = Arc::new(AtomicU64::new(0));
    let note_source = Arc::clone(workload);
    let note = move || note_source.progress_note().unwrap_or_default();
    let bar = ProgressDisplay::start(
        &label,
        plan.total() as u64,
        Arc::clone(&progress),
        options.print,
        note,
    );
    runtime.reset();
    let load = Load {
        duration: options.duration,
        open_loop: options.open_loop,
    };
    let measurement: Measurement<W::Outcome> = runtime.block_on(driver::drive::<W, V, _>(
        Arc::clone(&variant),
        plan,
        load,
        runtime.spawner(),
        &label,
        progress,
    ));
    let observed = runtime.observe(&label);
    runtime.write_report(&options.out.join("runtime").join(format!(
        "{}-{}.json",
        W::NAME,
        kind.as_str()
    )))?;
    bar.finish();
    let closed = runtime.block_on(variant.close());
    runtime.shutdown();
    let check = closed.and_then(|()| workload.check(kind, plan, &measurement.completed));
    let correct = check.is_ok() && measurement.errors() == 0;
    let report = VariantReport {
        ops_per_sec: measurement.ops_per_sec(),
        latency_us: Percentiles::of(&measurement.latency),
        loop_lag_us: Percentiles {
            p50: observed.lag_p50_us,
            p99: observed.lag_p99_us,
            max: observed.lag_max_us,
        },
        stalls: observed.stall_count,
        correct,
    };
    let detail = VariantDetail {
        report,
        ops: measurement.completed.total(),
        planned: plan.total(),
        errors: measurement.errors(),
        elapsed_secs: measurement.elapsed.as_secs_f64(),
        latency_by_op: measurement
            .latency_by_op
            .iter()
            .map(|(op, histogram)| (op.to_string(), Percentiles::of(histogram)))
            .collect(),
        check,
        latency_curve: charts::curve_points(&measurement.latency),
        observed,
    };
    Ok((measurement.completed, detail))
}

/// A progress bar fed from an atomic counter by its own thread, so the
/// measured tasks never touch the bar's lock.
struct ProgressDisplay {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    fn start(
        label: &str,
        total: u64,
        progress: Arc<AtomicU64>,
        visible: bool,
        note: impl Fn() -> String + Send + 'static,
    ) -> ProgressDisplay {
        let done = Arc::new(AtomicBool::new(false));
        if !visible {
            return ProgressDisplay { done, thread: None };
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{prefix:<24} [{bar:30}] {pos}/{len} ops {elapsed} {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        let finished = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                bar.set_position(progress.load(Ordering::Relaxed));
                bar.set_message(note());
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        ProgressDisplay {
            done,
            thread: Some(thread),
        }
    }

    fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
