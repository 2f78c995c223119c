//! The regression gate end to end on the embedding benchmark (CPU time) at a small
//! sample size: a deliberate 20% slowdown (the workloads' own knob,
//! `STALLCHECK_BENCH_SLOWDOWN_PCT`) fails it and names the benchmark; the
//! unchanged code passes it.

use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

/// The embedding bench only, small samples: the gate's statistics, not a
/// precise measurement.
const CRITERION: &[&str] = &[
    "--sample-size",
    "20",
    "--warm-up-time",
    "0.5",
    "--measurement-time",
    "2",
];

fn gate(args: &[&str], slowdown_pct: Option<u32>) -> Output {
    let mut command = Command::new(XTASK);
    command
        .args(["bench", "--suite", "harness", "--filter", "^embed-cpu/"])
        .args(args)
        .arg("--")
        .args(CRITERION)
        .env_remove("STALLCHECK_BENCH_SLOWDOWN_PCT");
    if let Some(pct) = slowdown_pct {
        command.env("STALLCHECK_BENCH_SLOWDOWN_PCT", pct.to_string());
    }
    command.output().expect("cargo xtask bench runs")
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
#[ignore = "unfinished: on 2026-12-04 the slowdown knob moved embed-cpu's median by only +1..+4% against the baseline and the gate caught 1 of 5 slowed runs; run with --ignored once the knob is fixed"]
fn a_twenty_percent_slowdown_fails_the_gate_and_unchanged_code_passes() {
    let baseline = format!("gate-test-{}", std::process::id());
    let saved = gate(&["--save-baseline", &baseline], None);
    assert!(saved.status.success(), "{}", describe(&saved));

    let slowed = gate(&["--baseline", &baseline], Some(20));
    assert_eq!(slowed.status.code(), Some(1), "{}", describe(&slowed));
    let stderr = String::from_utf8_lossy(&slowed.stderr);
    assert!(
        stderr.contains("embed-cpu/feature-hashing"),
        "the failure names the benchmark: {}",
        describe(&slowed)
    );

    let unchanged = gate(&["--baseline", &baseline], None);
    assert!(unchanged.status.success(), "{}", describe(&unchanged));
    assert!(
        String::from_utf8_lossy(&unchanged.stdout).contains("ok embed-cpu/feature-hashing"),
        "{}",
        describe(&unchanged)
    );
}
