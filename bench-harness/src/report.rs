//! The harness report: the JSON written to `target/stallcheck/harness.json`
//! (its schema is a promise: see the README) and the terminal table.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::monitoring::{Observed, StallLine};

/// Version of the JSON schema.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HarnessReport {
    pub version: u32,
    pub config: RunConfig,
    /// Loop lag of the same runtime shape with nothing to do (the floor).
    pub idle_loop_lag_us: Option<Percentiles>,
    pub workloads: Vec<WorkloadReport>,
}

/// How the run was driven (so a reader can reproduce it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub clients: usize,
    pub workers: usize,
    /// CPU-heavy jobs the fixed variants ran at once on the blocking pool.
    pub cpu_permits: usize,
    pub seed: u64,
    /// `"closed"` or `"open"`.
    pub mode: String,
    /// Open loop: operations per second in total.
    pub rate: Option<f64>,
    pub duration_secs: Option<f64>,
}

/// One workload: both variants and what the fix is worth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadReport {
    pub name: String,
    /// `null`, or why the workload did not run.
    pub skipped: Option<String>,
    pub blocking: Option<VariantReport>,
    pub fixed: Option<VariantReport>,
    pub ratio: Option<Ratio>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantReport {
    pub ops_per_sec: f64,
    pub latency_us: Percentiles,
    pub loop_lag_us: Percentiles,
    /// Stalls caught by the watchdog.
    pub stalls: u64,
    /// Every acknowledged write readable, counts match, answers as expected.
    pub correct: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

/// Fixed divided by blocking: throughput above 1 and loop lag below 1 mean
/// the fix helps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    pub throughput: Option<f64>,
    pub loop_lag_p99: Option<f64>,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Percentiles {
        if histogram.is_empty() {
            return Percentiles {
                p50: 0,
                p99: 0,
                max: 0,
            };
        }
        Percentiles {
            p50: histogram.value_at_quantile(0.50),
            p99: histogram.value_at_quantile(0.99),
            max: histogram.max(),
        }
    }
}

impl Ratio {
    /// Fixed over blocking; the loop-lag ratio is `None` when a variant ran
    /// too briefly for the probe to take a sample.
    pub fn between(blocking: &VariantDetail, fixed: &VariantDetail) -> Ratio {
        let sampled = blocking.observed.lag_samples > 0 && fixed.observed.lag_samples > 0;
        Ratio {
            throughput: divide(fixed.report.ops_per_sec, blocking.report.ops_per_sec),
            loop_lag_p99: divide(
                fixed.report.loop_lag_us.p99 as f64,
                blocking.report.loop_lag_us.p99 as f64,
            )
            .filter(|_| sampled),
        }
    }
}

fn divide(numerator: f64, denominator: f64) -> Option<f64> {
    (denominator > 0.0).then(|| numerator / denominator)
}

/// Everything the table shows about one variant beyond the JSON.
#[derive(Clone, Debug)]
pub struct VariantDetail {
    pub report: VariantReport,
    pub observed: Observed,
    pub ops: usize,
    pub planned: usize,
    pub errors: usize,
    pub elapsed_secs: f64,
    pub latency_by_op: Vec<(String, Percentiles)>,
    /// What the correctness check verified, or why it failed.
    pub check: Result<String, String>,
    /// The latency distribution for charts: (percentile, µs).
    pub latency_curve: Vec<(f64, u64)>,
}

/// The header of the terminal table.
pub fn table_header() -> String {
    format!(
        "{:<15} {:<9} {:>9} {:>26} {:>26} {:>7} {:>6} {:>8}",
        "workload",
        "variant",
        "ops/s",
        "latency µs p50/p99/max",
        "loop lag µs p50/p99/max",
        "stalls",
        "slow",
        "correct"
    )
}

/// The table rows of one workload (both variants, the ratio line, checks,
/// per-operation latencies and the longest stalls).
pub fn table_rows(name: &str, blocking: &VariantDetail, fixed: &VariantDetail) -> String {
    let mut out = String::new();
    for (index, (kind, detail)) in [("blocking", blocking), ("fixed", fixed)]
        .into_iter()
        .enumerate()
    {
        let label = if index == 0 { name } else { "" };
        let report = &detail.report;
        let _ = writeln!(
            out,
            "{label:<15} {kind:<9} {:>9.0} {:>26} {:>26} {:>7} {:>5.1}% {:>8}",
            report.ops_per_sec,
            triple(report.latency_us),
            triple(report.loop_lag_us),
            report.stalls,
            detail.observed.slow_poll_ratio * 100.0,
            if report.correct { "yes" } else { "NO" },
        );
    }
    let ratio = Ratio::between(blocking, fixed);
    let _ = writeln!(
        out,
        "{:<15} {:<9} {:>9} {:>26} {:>26}",
        "",
        "fixed/blk",
        ratio
            .throughput
            .map_or("n/a".to_string(), |value| format!("x{value:.2}")),
        "",
        lag_improvement(blocking, fixed),
    );
    for (kind, detail) in [("blocking", blocking), ("fixed", fixed)] {
        let ops: Vec<String> = detail
            .latency_by_op
            .iter()
            .map(|(op, p)| format!("{op} {}/{}/{}", p.p50, p.p99, p.max))
            .collect();
        let _ = writeln!(
            out,
            "  {kind}: {}/{} ops in {:.1}s, {} errors; latency µs by op: {}",
            detail.ops,
            detail.planned,
            detail.elapsed_secs,
            detail.errors,
            ops.join(", ")
        );
        match &detail.check {
            Ok(summary) => {
                let _ = writeln!(out, "  {kind}: check passed: {summary}");
            }
            Err(reason) => {
                let _ = writeln!(out, "  {kind}: CHECK FAILED: {reason}");
            }
        }
        for stall in &detail.observed.top_stalls {
            let _ = writeln!(out, "{}", stall_line(kind, stall));
        }
    }
    out
}

/// How many times lower the fixed variant's p99 loop lag is (`÷N`).
fn lag_improvement(blocking: &VariantDetail, fixed: &VariantDetail) -> String {
    if blocking.observed.lag_samples == 0 || fixed.observed.lag_samples == 0 {
        return "lag p99 n/a (run too short to sample)".to_string();
    }
    match (
        blocking.report.loop_lag_us.p99,
        fixed.report.loop_lag_us.p99,
    ) {
        (0, _) => "lag p99 n/a".to_string(),
        (before, 0) => format!("lag p99 {before} µs -> 0"),
        (before, after) => format!("lag p99 ÷{:.1}", before as f64 / after as f64),
    }
}

fn stall_line(kind: &str, stall: &StallLine) -> String {
    let frames = if stall.frames.is_empty() {
        "no frames captured".to_string()
    } else {
        stall.frames.join(" <- ")
    };
    format!(
        "  {kind}: stall {:.1} ms in {}: {frames}",
        stall.duration_us as f64 / 1000.0,
        stall.task
    )
}

fn triple(p: Percentiles) -> String {
    format!("{}/{}/{}", p.p50, p.p99, p.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(ops_per_sec: f64, lag_p99: u64, lag_samples: u64) -> VariantDetail {
        let percentiles = Percentiles {
            p50: 0,
            p99: lag_p99,
            max: lag_p99,
        };
        VariantDetail {
            report: VariantReport {
                ops_per_sec,
                latency_us: percentiles,
                loop_lag_us: percentiles,
                stalls: 0,
                correct: true,
            },
            observed: Observed {
                lag_p99_us: lag_p99,
                lag_samples,
                ..Observed::default()
            },
            ops: 0,
            planned: 0,
            errors: 0,
            elapsed_secs: 0.0,
            latency_by_op: Vec::new(),
            check: Ok(String::new()),
            latency_curve: Vec::new(),
        }
    }

    #[test]
    fn ratios_are_fixed_over_blocking() {
        let ratio = Ratio::between(&detail(100.0, 50_000, 10), &detail(400.0, 1_000, 10));
        assert_eq!(
            ratio,
            Ratio {
                throughput: Some(4.0),
                loop_lag_p99: Some(0.02)
            }
        );
    }

    #[test]
    fn a_zero_denominator_gives_no_ratio() {
        let ratio = Ratio::between(&detail(0.0, 0, 10), &detail(400.0, 1_000, 10));
        assert_eq!(
            ratio,
            Ratio {
                throughput: None,
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
            Percentiles {
                p50: 0,
                p99: 0,
                max: 0
            }
        );
    }
}
