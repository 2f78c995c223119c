//! The harness report: the JSON written to `target/stallcheck/harness.json`
//! (its schema is a promise: see the README) and the terminal table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::claims::Claim;
use crate::monitoring::Observed;
use crate::workload::{Effects, VariantKind};

/// Version of the JSON schema (2: three variants, two ratios, open loop,
/// stall details, effects).
pub const SCHEMA_VERSION: u32 = 2;

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HarnessReport {
    pub version: u32,
    pub config: RunConfig,
    pub machine: Machine,
    /// Loop lag of the same runtime shape with nothing to do (the floor).
    pub idle_loop_lag_us: Option<Percentiles>,
    /// Yield round trip of the idle runtime (the sub-millisecond floor).
    pub idle_sched_delay_us: Option<Percentiles>,
    pub workloads: Vec<WorkloadReport>,
    /// The design documents' claims against what this run measured.
    pub claims: Vec<Claim>,
}

/// How the run was driven (so a reader can reproduce it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub clients: usize,
    pub workers: usize,
    /// CPU-heavy jobs the optimized variants ran at once on the blocking pool.
    pub cpu_permits: usize,
    pub seed: u64,
    /// `"open"` (default) or `"closed"`.
    pub mode: String,
    /// Open loop with a rate from calibration: the fraction of the fixed
    /// variant's measured capacity offered to every variant.
    pub rate_fraction: Option<f64>,
    /// Open loop with `--rate`: the same rate for every workload.
    pub rate: Option<f64>,
    /// Length of each calibration run.
    pub calibration_secs: Option<f64>,
    pub duration_secs: Option<f64>,
    /// Percentage of operations on shared hot keys (session-store).
    pub hot_share: u8,
    /// Extra latency added to each blocking-capable call, ms.
    pub io_latency_ms: f64,
}

/// Facts of the machine the figures come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    /// Median of a 4 KiB write + `fdatasync` in the scratch directory, µs.
    pub fsync_p50_us: Option<u64>,
    /// 1-minute load average when the run started (other processes' load).
    pub load_average: Option<f64>,
}

/// One workload: its three variants and what each step is worth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadReport {
    pub name: String,
    /// `null`, or why the workload did not run.
    pub skipped: Option<String>,
    /// Closed-loop throughput of the fixed variant during calibration.
    pub calibrated_capacity_ops_per_sec: Option<f64>,
    pub blocking: Option<VariantReport>,
    pub fixed: Option<VariantReport>,
    pub optimized: Option<VariantReport>,
    /// Fixed over blocking: what blocking costs.
    pub price_of_blocking: Option<Ratio>,
    /// Optimized over fixed: what the better design adds.
    pub price_of_design: Option<Ratio>,
}

impl WorkloadReport {
    /// A workload that did not run.
    pub fn skipped(name: &str, reason: String) -> WorkloadReport {
        WorkloadReport {
            name: name.to_string(),
            skipped: Some(reason),
            calibrated_capacity_ops_per_sec: None,
            blocking: None,
            fixed: None,
            optimized: None,
            price_of_blocking: None,
            price_of_design: None,
        }
    }

    pub fn variant(&self, kind: VariantKind) -> Option<&VariantReport> {
        match kind {
            VariantKind::Blocking => self.blocking.as_ref(),
            VariantKind::Fixed => self.fixed.as_ref(),
            VariantKind::Optimized => self.optimized.as_ref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantReport {
    /// Achieved: completed operations per second of the measured part.
    pub ops_per_sec: f64,
    /// Closed-loop throughput of this variant during calibration: how much
    /// it can do, which the ratios compare (`null` without calibration).
    pub capacity_ops_per_sec: Option<f64>,
    /// Open loop: the rate offered; `null` in closed loop.
    pub offered_ops_per_sec: Option<f64>,
    /// Open loop: achieved below 90% of offered; its latencies then include
    /// the queue it built up.
    pub saturated: bool,
    pub ops: usize,
    pub planned: usize,
    pub errors: usize,
    pub elapsed_secs: f64,
    /// From each operation's intended start in open loop (no coordinated
    /// omission), from its actual start in closed loop.
    pub latency_us: Percentiles,
    pub latency_by_op_us: BTreeMap<String, Percentiles>,
    /// How late the monitor's timer probes woke (floor ~1 ms: timer ticks).
    pub loop_lag_us: Percentiles,
    /// Yield round trip: how long a woken task waited for a worker.
    pub sched_delay_us: Percentiles,
    /// Stalls caught by the watchdog.
    pub stalls: u64,
    /// The stalls the watchdog kept (its ring is bounded), longest first.
    pub stall_details: Vec<StallReport>,
    /// Durable writes, Redis commands and lock contention, counted.
    pub effects: Effects,
    /// What the correctness check verified, or why it failed.
    pub check: String,
    /// The check passed, no operation failed, the variants agree.
    pub correct: bool,
}

/// One stall, from the runtime's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StallReport {
    pub task: String,
    pub blocking_call: Option<String>,
    pub caller: Option<String>,
    pub caller_location: Option<String>,
    /// Start, ms since the measured part began.
    pub started_ms: u64,
    pub duration_us: u64,
    /// `on-cpu`, `preempted` or `blocked` (kernel schedstat), when known.
    pub cpu_verdict: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub max: u64,
}

/// Candidate over base: throughput above 1 and loop lag below 1 mean the
/// candidate is better.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub throughput: Option<f64>,
    /// What `throughput` divides: `capacity` (the calibration's closed-loop
    /// throughputs; open loop at one offered rate would cap both variants at
    /// that rate) or `achieved` (the measured runs, without calibration).
    pub basis: RatioBasis,
    pub loop_lag_p99: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RatioBasis {
    Capacity,
    Achieved,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            p50: histogram.value_at_quantile(0.50),
            p90: histogram.value_at_quantile(0.90),
            p99: histogram.value_at_quantile(0.99),
            p999: histogram.value_at_quantile(0.999),
            max: histogram.max(),
        }
    }
}

impl Ratio {
    /// `candidate` over `base`; the loop-lag ratio is `None` when a variant
    /// ran too briefly for the probe to take a sample.
    pub fn between(base: &VariantDetail, candidate: &VariantDetail) -> Ratio {
        let sampled = base.observed.lag_samples > 0 && candidate.observed.lag_samples > 0;
        let (throughput, basis) = match (
            base.report.capacity_ops_per_sec,
            candidate.report.capacity_ops_per_sec,
        ) {
            (Some(base), Some(candidate)) => (divide(candidate, base), RatioBasis::Capacity),
            _ => (
                divide(candidate.report.ops_per_sec, base.report.ops_per_sec),
                RatioBasis::Achieved,
            ),
        };
        Ratio {
            throughput,
            basis,
            loop_lag_p99: divide(
                candidate.report.loop_lag_us.p99 as f64,
                base.report.loop_lag_us.p99 as f64,
            )
            .filter(|_| sampled),
        }
    }
}

fn divide(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// What the table and charts need about one variant beyond the JSON.
#[derive(Clone, Debug)]
pub struct VariantDetail {
    pub kind: VariantKind,
    pub report: VariantReport,
    pub observed: Observed,
    /// The latency distribution for charts: (percentile, µs).
    pub latency_curve: Vec<(f64, u64)>,
}

/// The header of the terminal table.
pub fn table_header() -> String {
    format!(
        "{:<15} {:<10} {:>9} {:>15} {:>20} {:>15} {:>13} {:>6} {:>6} {:>7}",
        "workload",
        "variant",
        "capacity",
        "ops/s (offered)",
        "latency ms p50/p99/p99.9",
        "loop lag ms p50/p99",
        "sched µs p50/p99",
        "stalls",
        "slow",
        "correct"
    )
}

/// The table rows of one workload: a row per variant, the two ratio lines,
/// then per variant its operations, effects, check and longest stalls.
pub fn table_rows(name: &str, variants: &[VariantDetail]) -> String {
    let mut out = String::new();
    for (index, detail) in variants.iter().enumerate() {
        let label = if index == 0 { name } else { "" };
        let report = &detail.report;
        let rate = match report.offered_ops_per_sec {
            Some(offered) => format!(
                "{:.0} ({offered:.0}){}",
                report.ops_per_sec,
                if report.saturated { " SAT" } else { "" }
            ),
            None => format!("{:.0}", report.ops_per_sec),
        };
        let _ = writeln!(
            out,
            "{label:<15} {:<10} {:>9} {rate:>15} {:>20} {:>15} {:>13} {:>6} {:>5.1}% {:>7}",
            detail.kind.as_str(),
            report
                .capacity_ops_per_sec
                .map_or("-".to_string(), |capacity| format!("{capacity:.0}")),
            format!(
                "{}/{}/{}",
                ms(report.latency_us.p50),
                ms(report.latency_us.p99),
                ms(report.latency_us.p999)
            ),
            format!(
                "{}/{}",
                ms(report.loop_lag_us.p50),
                ms(report.loop_lag_us.p99)
            ),
            format!(
                "{}/{}",
                report.sched_delay_us.p50, report.sched_delay_us.p99
            ),
            report.stalls,
            detail.observed.slow_poll_ratio * 100.0,
            if report.correct { "yes" } else { "NO" },
        );
    }
    let find = |kind| variants.iter().find(|detail| detail.kind == kind);
    for (base, candidate, label, meaning) in [
        (
            VariantKind::Blocking,
            VariantKind::Fixed,
            "fixed/blk",
            "price of blocking",
        ),
        (
            VariantKind::Fixed,
            VariantKind::Optimized,
            "opt/fixed",
            "price of the design",
        ),
    ] {
        if let (Some(base), Some(candidate)) = (find(base), find(candidate)) {
            let ratio = Ratio::between(base, candidate);
            let basis = match ratio.basis {
                RatioBasis::Capacity => "capacity",
                RatioBasis::Achieved => "achieved ops/s",
            };
            let _ = writeln!(
                out,
                "{:<15} {label:<10} {:>9}   {meaning} ({basis}); {}",
                "",
                ratio
                    .throughput
                    .map_or("n/a".to_string(), |value| format!("x{value:.2}")),
                lag_improvement(base, candidate),
            );
        }
    }
    for detail in variants {
        let kind = detail.kind.as_str();
        let report = &detail.report;
        let ops: Vec<String> = report
            .latency_by_op_us
            .iter()
            .map(|(op, p)| format!("{op} {}/{}/{}", ms(p.p50), ms(p.p99), ms(p.p999)))
            .collect();
        let _ = writeln!(
            out,
            "  {kind}: {}/{} ops in {:.1}s, {} errors; latency ms p50/p99/p99.9 by op: {}",
            report.ops,
            report.planned,
            report.elapsed_secs,
            report.errors,
            ops.join(", ")
        );
        let _ = writeln!(out, "  {kind}: {}", effects_line(&report.effects));
        let _ = writeln!(out, "  {kind}: check {}", report.check);
        for stall in report.stall_details.iter().take(TOP_STALLS) {
            let _ = writeln!(out, "{}", stall_line(kind, stall));
        }
    }
    out
}

/// Stalls listed per variant in the table (the longest ones).
const TOP_STALLS: usize = 3;

/// What a variant did to the outside world, in one line.
pub fn effects_line(effects: &Effects) -> String {
    let writes = effects.writes;
    let mut line = format!(
        "{} fsyncs, {} files created, {} renames",
        writes.fsyncs, writes.files_created, writes.renames
    );
    if !effects.redis_commands.is_empty() {
        let commands: Vec<String> = effects
            .redis_commands
            .iter()
            .map(|(name, calls)| format!("{name} {calls}"))
            .collect();
        let _ = write!(line, "; redis: {}", commands.join(", "));
    }
    if effects.lock_waits > 0 || effects.lock_retries > 0 {
        let _ = write!(
            line,
            "; lock waits {}, retries {}",
            effects.lock_waits, effects.lock_retries
        );
    }
    line
}

/// How many times lower the candidate's p99 loop lag is (`÷N`).
fn lag_improvement(base: &VariantDetail, candidate: &VariantDetail) -> String {
    if base.observed.lag_samples == 0 || candidate.observed.lag_samples == 0 {
        return "lag p99 n/a (run too short to sample)".to_string();
    }
    match (
        base.report.loop_lag_us.p99,
        candidate.report.loop_lag_us.p99,
    ) {
        (0, _) => "lag p99 n/a".to_string(),
        (before, 0) => format!("lag p99 {before} µs -> 0"),
        (before, after) => format!("lag p99 ÷{:.1}", before as f64 / after as f64),
    }
}

fn stall_line(kind: &str, stall: &StallReport) -> String {
    let what = match (&stall.blocking_call, &stall.caller) {
        (Some(call), Some(caller)) => format!("{call} <- {caller}"),
        (Some(call), None) => call.clone(),
        (None, Some(caller)) => caller.clone(),
        (None, None) => "no frames captured".to_string(),
    };
    let location = stall
        .caller_location
        .as_deref()
        .map_or(String::new(), |location| format!(" at {location}"));
    let cpu = stall
        .cpu_verdict
        .as_deref()
        .map_or(String::new(), |verdict| format!(" [{verdict}]"));
    format!(
        "  {kind}: stall {:.1} ms in {}: {what}{location}{cpu}",
        stall.duration_us as f64 / 1000.0,
        stall.task
    )
}

fn ms(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(ops_per_sec: f64, lag_p99: u64, lag_samples: u64) -> VariantDetail {
        let percentiles = Percentiles {
            p99: lag_p99,
            max: lag_p99,
            ..Percentiles::default()
        };
        VariantDetail {
            kind: VariantKind::Fixed,
            report: VariantReport {
                ops_per_sec,
                capacity_ops_per_sec: None,
                offered_ops_per_sec: None,
                saturated: false,
                ops: 0,
                planned: 0,
                errors: 0,
                elapsed_secs: 0.0,
                latency_us: percentiles,
                latency_by_op_us: BTreeMap::new(),
                loop_lag_us: percentiles,
                sched_delay_us: Percentiles::default(),
                stalls: 0,
                stall_details: Vec::new(),
                effects: Effects::default(),
                check: String::new(),
                correct: true,
            },
            observed: Observed {
                lag: percentiles,
                lag_samples,
                ..Observed::default()
            },
            latency_curve: Vec::new(),
        }
    }

    #[test]
    fn ratios_are_candidate_over_base() {
        let ratio = Ratio::between(&detail(100.0, 50_000, 10), &detail(400.0, 1_000, 10));
        assert_eq!(
            ratio,
            Ratio {
                throughput: Some(4.0),
                basis: RatioBasis::Achieved,
                loop_lag_p99: Some(0.02)
            }
        );
    }

    #[test]
    fn calibrated_capacities_are_compared_when_both_variants_have_one() {
        let mut base = detail(100.0, 50_000, 10);
        let mut candidate = detail(100.0, 1_000, 10);
        base.report.capacity_ops_per_sec = Some(50.0);
        candidate.report.capacity_ops_per_sec = Some(500.0);
        let ratio = Ratio::between(&base, &candidate);
        assert_eq!(
            (ratio.throughput, ratio.basis),
            (Some(10.0), RatioBasis::Capacity)
        );
    }

    #[test]
    fn a_zero_denominator_gives_no_ratio() {
        let ratio = Ratio::between(&detail(0.0, 0, 10), &detail(400.0, 1_000, 10));
        assert_eq!(
            ratio,
            Ratio {
                throughput: None,
                basis: RatioBasis::Achieved,
                loop_lag_p99: None
            }
        );
    }

    #[test]
    fn a_variant_without_lag_samples_gives_no_lag_ratio() {
        let ratio = Ratio::between(&detail(100.0, 50_000, 10), &detail(400.0, 0, 0));
        assert_eq!(ratio.loop_lag_p99, None);
        assert!(
            lag_improvement(&detail(100.0, 50_000, 10), &detail(400.0, 0, 0)).contains("too short")
        );
    }

    #[test]
    fn empty_histograms_give_zero_percentiles() {
        assert_eq!(
            Percentiles::of(&crate::driver::new_histogram()),
            Percentiles::default()
        );
    }

    #[test]
    fn the_effects_line_names_contention_only_when_it_happened() {
        let mut effects = Effects::default();
        effects.writes.fsyncs = 3;
        assert_eq!(
            effects_line(&effects),
            "3 fsyncs, 0 files created, 0 renames"
        );
        effects.lock_waits = 2;
        effects.lock_retries = 5;
        assert!(effects_line(&effects).ends_with("; lock waits 2, retries 5"));
    }
}
