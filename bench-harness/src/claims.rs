//! The design documents' claims about blocking, checked against a run: each
//! claim, the value this machine measured, and a verdict. Only workloads that
//! ran with every variant correct count.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::report::{HarnessReport, VariantReport, WorkloadReport};
use crate::workload::VariantKind;

/// One claim and what the run says about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub claim: String,
    pub measured: String,
    /// `confirmed`, `refuted`, `partly` (some workloads in range) or
    /// `no data`.
    pub verdict: String,
}

/// The three claims, judged on `report`'s workloads.
pub fn judge(report: &HarnessReport) -> Vec<Claim> {
    let ran: Vec<&WorkloadReport> = report
        .workloads
        .iter()
        .filter(|workload| {
            VariantKind::ALL.iter().all(|kind| {
                workload
                    .variant(*kind)
                    .is_some_and(|variant| variant.correct)
            })
        })
        .collect();
    vec![
        blocking_per_operation(&ran),
        throughput_gain(&ran),
        lag_after_the_fix(&ran),
    ]
}

/// "Blocking costs 100–1000 ms per operation": the median stall of each
/// blocking variant (how long one poll held a worker).
fn blocking_per_operation(ran: &[&WorkloadReport]) -> Claim {
    let medians: Vec<(&str, Option<f64>)> = ran
        .iter()
        .map(|workload| {
            let variant = workload
                .blocking
                .as_ref()
                .expect("filtered on all variants");
            (workload.name.as_str(), median_stall_ms(variant))
        })
        .collect();
    let mut measured = String::from("median stall of the blocking variant:");
    for (name, median) in &medians {
        let _ = match median {
            Some(ms) => write!(measured, " {name} {ms:.1} ms;"),
            None => write!(measured, " {name} no stall over the threshold;"),
        };
    }
    let in_range = medians
        .iter()
        .filter(|(_, median)| median.is_some_and(|ms| (100.0..=1000.0).contains(&ms)))
        .count();
    Claim {
        claim: "blocking holds the executor 100–1000 ms per operation".to_string(),
        measured: measured.trim_end_matches(';').to_string(),
        verdict: verdict(in_range, medians.len()),
    }
}

/// "The async conversion gives 10–50x throughput": the price of blocking
/// (fixed ÷ blocking, capacities when calibrated) per workload, with
/// optimized ÷ blocking beside it.
fn throughput_gain(ran: &[&WorkloadReport]) -> Claim {
    let mut measured = String::from("fixed/blocking (optimized/blocking):");
    let mut judged = 0;
    let mut in_range = 0;
    for workload in ran {
        let (Some(blocking), Some(design)) = (
            workload
                .price_of_blocking
                .and_then(|ratio| ratio.throughput),
            workload.price_of_design.and_then(|ratio| ratio.throughput),
        ) else {
            continue;
        };
        judged += 1;
        if (10.0..=50.0).contains(&blocking) {
            in_range += 1;
        }
        let _ = write!(
            measured,
            " {} x{blocking:.2} (x{:.2});",
            workload.name,
            blocking * design
        );
    }
    Claim {
        claim: "the async conversion gives 10–50x throughput".to_string(),
        measured: measured.trim_end_matches(';').to_string(),
        verdict: verdict(in_range, judged),
    }
}

/// "Loop lag under 1 ms after the fix": the fixed variants' yield round trip
/// p99 (the timer probe cannot see below its ~1 ms tick).
fn lag_after_the_fix(ran: &[&WorkloadReport]) -> Claim {
    let mut measured = String::from("fixed variants' yield round trip p99 (timer lag p99):");
    let mut under = 0;
    for workload in ran {
        let fixed = workload.fixed.as_ref().expect("filtered");
        if fixed.sched_delay_us.p99 < 1000 {
            under += 1;
        }
        let _ = write!(
            measured,
            " {} {:.2} ms ({:.2} ms);",
            workload.name,
            fixed.sched_delay_us.p99 as f64 / 1000.0,
            fixed.loop_lag_us.p99 as f64 / 1000.0
        );
    }
    Claim {
        claim: "loop lag stays under 1 ms after the fix".to_string(),
        measured: measured.trim_end_matches(';').to_string(),
        verdict: verdict(under, ran.len()),
    }
}

fn median_stall_ms(variant: &VariantReport) -> Option<f64> {
    let mut durations: Vec<u64> = variant
        .stall_details
        .iter()
        .map(|stall| stall.duration_us)
        .collect();
    if durations.is_empty() {
        return None;
    }
    durations.sort_unstable();
    Some(durations[durations.len() / 2] as f64 / 1000.0)
}

fn verdict(holding: usize, of: usize) -> String {
    match (holding, of) {
        (_, 0) => "no data",
        (0, _) => "refuted",
        (holding, of) if holding == of => "confirmed",
        _ => "partly",
    }
    .to_string()
}

/// The claims as table lines.
pub fn table(claims: &[Claim]) -> String {
    let mut out = String::from("claims checked on this machine:\n");
    for claim in claims {
        let _ = writeln!(
            out,
            "  {:<10} {}\n             measured: {}",
            claim.verdict.to_uppercase(),
            claim.claim,
            claim.measured
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_needs_every_workload_in_range_to_confirm() {
        assert_eq!(verdict(3, 3), "confirmed");
        assert_eq!(verdict(1, 3), "partly");
        assert_eq!(verdict(0, 3), "refuted");
        assert_eq!(verdict(0, 0), "no data");
    }
}
