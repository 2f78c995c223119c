//! `stallcheck-bench run`: for each selected workload, prepare it (sync),
//! find the offered rate (calibration), run the blocking, fixed and
//! optimized variants on fresh monitored runtimes of the same shape under
//! the same plan and rate, check each, compare them, and report.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use crate::charts;
use crate::claims;
use crate::driver::{self, Load, Measurement};
use crate::monitoring::MonitoredRuntime;
use crate::progress::ProgressDisplay;
use crate::report::{
    HarnessReport, Machine, Percentiles, Ratio, RunConfig, SCHEMA_VERSION, VariantDetail,
    VariantReport, WorkloadReport,
};
use crate::scratch::Scratch;
use crate::workload::{Completed, Plan, Settings, Unprepared, Variant, VariantKind, Workload};
use crate::workloads::{
    self, memory_stream, repo_sync, session_store, vector_store, working_memory,
};

/// How the clients issue their operations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LoadMode {
    /// Each client back to back (`--closed-loop`).
    Closed,
    /// Every variant offered this total rate (`--rate`).
    Open { rate: f64 },
    /// Every variant offered `fraction` of the fixed variant's closed-loop
    /// throughput, measured by a calibration run of `calibration` (default).
    Calibrated {
        fraction: f64,
        calibration: Duration,
    },
}

/// Default share of the fixed variant's capacity offered in open loop: high
/// enough to load the system, low enough that a healthy variant keeps up.
pub const DEFAULT_RATE_FRACTION: f64 = 0.7;

/// Default length of a calibration run.
pub const DEFAULT_CALIBRATION: Duration = Duration::from_secs(2);

/// An achieved rate under this share of the offered one is saturation.
const SATURATED_BELOW: f64 = 0.9;

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
    pub load: LoadMode,
    /// Percentage of operations on shared hot keys.
    pub hot_share: u8,
    /// Extra latency of each blocking-capable call.
    pub io_latency: Duration,
    pub redis_url: Option<String>,
    pub console: Option<SocketAddr>,
    pub out: PathBuf,
    pub workers: usize,
    /// CPU-heavy jobs the optimized variants run at once.
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
    /// Every variant's details (for the price curve).
    pub details: Vec<(String, Vec<VariantDetail>)>,
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
    let scratch = Scratch::create()?;
    let mut result = RunResult {
        report: empty_report(options, &scratch),
        failures: Vec::new(),
        written: Vec::new(),
        details: Vec::new(),
    };
    let (idle_lag, idle_sched) = idle_floor(options)?;
    result.report.idle_loop_lag_us = Some(idle_lag);
    result.report.idle_sched_delay_us = Some(idle_sched);
    if options.print {
        print_preamble(options, &result.report, idle_lag, idle_sched);
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
            hot_share: options.hot_share,
            io_latency: options.io_latency,
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
    result.report.claims = claims::judge(&result.report);
    if options.print {
        print!("{}", claims::table(&result.report.claims));
    }
    let json = options.out.join("harness.json");
    let text = serde_json::to_string_pretty(&result.report).map_err(|err| err.to_string())?;
    std::fs::write(&json, text + "\n")
        .map_err(|err| format!("cannot write {}: {err}", json.display()))?;
    result.written.insert(0, json);
    Ok(result)
}

fn print_preamble(
    options: &RunOptions,
    report: &HarnessReport,
    idle_lag: Percentiles,
    idle_sched: Percentiles,
) {
    let machine = &report.machine;
    println!(
        "machine: {} cores, fsync (4 KiB write + fdatasync) p50 {}, load average {}",
        machine.cores,
        machine.fsync_p50_us.map_or("n/a".to_string(), |us| format!(
            "{:.2} ms",
            us as f64 / 1000.0
        )),
        machine
            .load_average
            .map_or("n/a".to_string(), |load| format!("{load:.2}")),
    );
    let mode = match options.load {
        LoadMode::Closed => "closed loop".to_string(),
        LoadMode::Open { rate } => format!("open loop at {rate:.0} ops/s"),
        LoadMode::Calibrated {
            fraction,
            calibration,
        } => format!(
            "open loop at {:.0}% of the fixed variant's capacity (calibrated for {:.1} s)",
            fraction * 100.0,
            calibration.as_secs_f64()
        ),
    };
    println!(
        "settings: {mode}; {} clients, {} workers, {} cpu permits, seed {}, hot share {}%, io latency {} ms{}",
        options.clients,
        options.workers,
        options.cpu_permits,
        options.seed,
        options.hot_share,
        options.io_latency.as_secs_f64() * 1000.0,
        options.duration.map_or(String::new(), |d| format!(
            ", {:.1} s per variant",
            d.as_secs_f64()
        )),
    );
    println!(
        "idle runtime: timer loop lag ms p50/p99 {:.2}/{:.2} (floor: tokio timers tick in whole ms); yield round trip µs p50/p99 {}/{}",
        idle_lag.p50 as f64 / 1000.0,
        idle_lag.p99 as f64 / 1000.0,
        idle_sched.p50,
        idle_sched.p99
    );
}

fn empty_report(options: &RunOptions, scratch: &Scratch) -> HarnessReport {
    let (mode, rate, rate_fraction, calibration_secs) = match options.load {
        LoadMode::Closed => ("closed", None, None, None),
        LoadMode::Open { rate } => ("open", Some(rate), None, None),
        LoadMode::Calibrated {
            fraction,
            calibration,
        } => (
            "open",
            None,
            Some(fraction),
            Some(calibration.as_secs_f64()),
        ),
    };
    HarnessReport {
        version: SCHEMA_VERSION,
        config: RunConfig {
            clients: options.clients,
            workers: options.workers,
            cpu_permits: options.cpu_permits,
            seed: options.seed,
            mode: mode.to_string(),
            rate_fraction,
            rate,
            calibration_secs,
            duration_secs: options.duration.map(|duration| duration.as_secs_f64()),
            hot_share: options.hot_share,
            io_latency_ms: options.io_latency.as_secs_f64() * 1000.0,
        },
        machine: Machine {
            cores: crate::embed::cpu_permits(),
            fsync_p50_us: crate::storage::measure_fsync(scratch.path(), FSYNC_SAMPLES)
                .ok()
                .map(|median| median.as_micros() as u64),
            load_average: load_average(),
        },
        idle_loop_lag_us: None,
        idle_sched_delay_us: None,
        workloads: Vec::new(),
        claims: Vec::new(),
    }
}

/// fsync rounds timed for the machine facts.
const FSYNC_SAMPLES: usize = 20;

/// The 1-minute load average (`/proc/loadavg`), where the OS exposes it.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// How long the idle runtime is measured.
const IDLE_WINDOW: Duration = Duration::from_millis(1000);

/// Loop lag and yield round trip of a monitored runtime with nothing to do:
/// the floor every variant's figures should be read against.
fn idle_floor(options: &RunOptions) -> Result<(Percentiles, Percentiles), String> {
    let mut runtime = MonitoredRuntime::new(options.workers, None, options.stall_threshold)?;
    runtime.reset();
    runtime.block_on(async { tokio::time::sleep(IDLE_WINDOW).await });
    let observed = runtime.observe("idle");
    runtime.shutdown();
    Ok((observed.lag, observed.sched_delay))
}

/// What running one workload produced.
enum WorkloadOutcome {
    Skipped(String),
    Failed(String),
    Ran {
        capacity: Option<f64>,
        variants: Vec<VariantDetail>,
        disagreement: Option<String>,
    },
}

fn record(
    options: &RunOptions,
    name: &str,
    outcome: WorkloadOutcome,
    result: &mut RunResult,
) -> Result<(), String> {
    match outcome {
        WorkloadOutcome::Skipped(reason) => {
            if options.print {
                println!("{name:<15} skipped: {reason}");
            }
            result
                .report
                .workloads
                .push(WorkloadReport::skipped(name, reason));
        }
        WorkloadOutcome::Failed(reason) => {
            if options.print {
                println!("{name:<15} FAILED: {reason}");
            }
            result.failures.push(format!("{name}: {reason}"));
            result
                .report
                .workloads
                .push(WorkloadReport::skipped(name, format!("failed: {reason}")));
        }
        WorkloadOutcome::Ran {
            capacity,
            variants,
            disagreement,
        } => {
            if options.print {
                print!("{}", crate::report::table_rows(name, &variants));
            }
            for detail in &variants {
                if !detail.report.correct && detail.report.check.starts_with("FAILED") {
                    result.failures.push(format!(
                        "{name}/{}: {}",
                        detail.kind.as_str(),
                        detail.report.check
                    ));
                }
                if detail.report.errors > 0 {
                    result.failures.push(format!(
                        "{name}/{}: {} operations failed",
                        detail.kind.as_str(),
                        detail.report.errors
                    ));
                }
            }
            if let Some(reason) = disagreement {
                if options.print {
                    println!("  VARIANTS DISAGREE: {reason}");
                }
                result.failures.push(format!("{name}: {reason}"));
            }
            let charts = charts::write(&options.out, name, &variants)?;
            result.written.extend(charts);
            let find = |kind: VariantKind| variants.iter().find(|detail| detail.kind == kind);
            let ratio = |base, candidate| match (find(base), find(candidate)) {
                (Some(base), Some(candidate)) => Some(Ratio::between(base, candidate)),
                _ => None,
            };
            let report = |kind| find(kind).map(|detail| detail.report.clone());
            result.report.workloads.push(WorkloadReport {
                name: name.to_string(),
                skipped: None,
                calibrated_capacity_ops_per_sec: capacity,
                blocking: report(VariantKind::Blocking),
                fixed: report(VariantKind::Fixed),
                optimized: report(VariantKind::Optimized),
                price_of_blocking: ratio(VariantKind::Blocking, VariantKind::Fixed),
                price_of_design: ratio(VariantKind::Fixed, VariantKind::Optimized),
            });
            result.details.push((name.to_string(), variants));
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
    let mut capacities = [None; 3];
    let (open_loop, capacity) = match options.load {
        LoadMode::Closed => (None, None),
        LoadMode::Open { rate } => (Some(rate), None),
        LoadMode::Calibrated {
            fraction,
            calibration,
        } => {
            for kind in VariantKind::ALL {
                let measured = match kind {
                    VariantKind::Blocking => {
                        calibrate::<W, W::Blocking>(options, &workload, &plan, kind, calibration)
                    }
                    VariantKind::Fixed => {
                        calibrate::<W, W::Fixed>(options, &workload, &plan, kind, calibration)
                    }
                    VariantKind::Optimized => {
                        calibrate::<W, W::Optimized>(options, &workload, &plan, kind, calibration)
                    }
                };
                match measured {
                    Ok(ops_per_sec) => capacities[kind.index()] = Some(ops_per_sec),
                    Err(reason) => {
                        return WorkloadOutcome::Failed(format!(
                            "calibration of {}: {reason}",
                            kind.as_str()
                        ));
                    }
                }
            }
            let fixed = capacities[VariantKind::Fixed.index()].unwrap_or(0.0);
            let offered = (fixed * fraction).max(1.0);
            if options.print {
                let [blocking, _, optimized] = capacities.map(|c| c.unwrap_or(0.0));
                println!(
                    "{}: calibration (closed loop, {:.1} s each): capacity blocking {blocking:.0}, fixed {fixed:.0}, optimized {optimized:.0} ops/s; offering {offered:.0} ops/s ({:.0}% of fixed) to every variant",
                    W::NAME,
                    calibration.as_secs_f64(),
                    fraction * 100.0
                );
            }
            (Some(offered), Some(fixed))
        }
    };
    let load = Load {
        duration: options.duration,
        open_loop,
    };
    let mut runs = Vec::new();
    for kind in VariantKind::ALL {
        let ran = match kind {
            VariantKind::Blocking => {
                run_variant::<W, W::Blocking>(options, &workload, &plan, kind, load)
            }
            VariantKind::Fixed => run_variant::<W, W::Fixed>(options, &workload, &plan, kind, load),
            VariantKind::Optimized => {
                run_variant::<W, W::Optimized>(options, &workload, &plan, kind, load)
            }
        };
        match ran {
            Ok(run) => runs.push(run),
            Err(reason) => {
                return WorkloadOutcome::Failed(format!("{}: {reason}", kind.as_str()));
            }
        }
    }
    let (reference, _) = &runs[0];
    let disagreement = runs[1..].iter().find_map(|(completed, detail)| {
        compare::<W>(reference, completed)
            .map(|reason| format!("{} against blocking: {reason}", detail.kind.as_str()))
    });
    let mut variants: Vec<VariantDetail> = runs.into_iter().map(|(_, detail)| detail).collect();
    if disagreement.is_some() {
        // No variant can be called correct when they answer differently.
        for detail in &mut variants {
            detail.report.correct = false;
        }
    }
    for (detail, capacity) in variants.iter_mut().zip(&capacities) {
        detail.report.capacity_ops_per_sec = *capacity;
    }
    WorkloadOutcome::Ran {
        capacity,
        variants,
        disagreement,
    }
}

/// A variant's closed-loop throughput over `calibration`, on the same
/// runtime shape as the measured run (its state is emptied before and
/// after).
fn calibrate<W: Workload, V: Variant<W>>(
    options: &RunOptions,
    workload: &Arc<W>,
    plan: &Plan<W::Op>,
    kind: VariantKind,
    calibration: Duration,
) -> Result<f64, String> {
    workload.fresh_state(kind)?;
    let runtime = MonitoredRuntime::new(options.workers, None, options.stall_threshold)?;
    let variant = Arc::new(runtime.block_on(V::open(workload))?);
    let load = Load {
        duration: Some(calibration),
        open_loop: None,
    };
    let measurement: Measurement<W::Outcome> = runtime.block_on(driver::drive::<W, V, _>(
        Arc::clone(&variant),
        plan,
        load,
        runtime.spawner(),
        &format!("{}/calibration/{}", W::NAME, kind.as_str()),
        Arc::new(AtomicU64::new(0)),
    ));
    runtime.block_on(variant.close())?;
    runtime.shutdown();
    workload.fresh_state(kind)?;
    if measurement.errors() > 0 {
        return Err(format!("{} operations failed", measurement.errors()));
    }
    Ok(measurement.ops_per_sec())
}

/// The first operation both variants completed with different outcomes
/// (as `W::same_outcome` judges them).
pub fn compare<W: Workload>(
    reference: &Completed<W::Outcome>,
    other: &Completed<W::Outcome>,
) -> Option<String> {
    for (client, (left, right)) in reference.clients.iter().zip(&other.clients).enumerate() {
        for (index, (a, b)) in left.iter().zip(right).enumerate() {
            let same = match (a, b) {
                (Ok(a), Ok(b)) => W::same_outcome(a, b),
                (a, b) => a == b,
            };
            if !same {
                return Some(format!("client {client} op {index}: {a:?} against {b:?}"));
            }
        }
    }
    None
}

/// Runs one variant on a fresh monitored runtime over an emptied state,
/// then reads its effects and checks it.
fn run_variant<W: Workload, V: Variant<W>>(
    options: &RunOptions,
    workload: &Arc<W>,
    plan: &Plan<W::Op>,
    kind: VariantKind,
    load: Load,
) -> Result<(Completed<W::Outcome>, VariantDetail), String> {
    let label = format!("{}/{}", W::NAME, kind.as_str());
    workload.fresh_state(kind)?;
    let mut runtime =
        MonitoredRuntime::new(options.workers, options.console, options.stall_threshold)?;
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
        options.duration,
        Arc::clone(&progress),
        options.print,
        note,
    );
    runtime.reset();
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
    let effects = workload.effects(kind)?;
    let check = closed.and_then(|()| workload.check(kind, plan, &measurement.completed));
    let correct = check.is_ok() && measurement.errors() == 0;
    let ops_per_sec = measurement.ops_per_sec();
    let report = VariantReport {
        ops_per_sec,
        capacity_ops_per_sec: None,
        offered_ops_per_sec: load.open_loop,
        saturated: load
            .open_loop
            .is_some_and(|offered| ops_per_sec < offered * SATURATED_BELOW),
        ops: measurement.completed.total(),
        planned: plan.total(),
        errors: measurement.errors(),
        elapsed_secs: measurement.elapsed.as_secs_f64(),
        latency_us: Percentiles::of(&measurement.latency),
        latency_by_op_us: measurement
            .latency_by_op
            .iter()
            .map(|(op, histogram)| (op.to_string(), Percentiles::of(histogram)))
            .collect(),
        loop_lag_us: observed.lag,
        sched_delay_us: observed.sched_delay,
        stalls: observed.stall_count,
        stall_details: observed.stalls.clone(),
        effects,
        check: match check {
            Ok(summary) => format!("passed: {summary}"),
            Err(reason) => format!("FAILED: {reason}"),
        },
        correct,
    };
    let detail = VariantDetail {
        kind,
        report,
        latency_curve: charts::curve_points(&measurement.latency),
        observed,
    };
    Ok((measurement.completed, detail))
}
