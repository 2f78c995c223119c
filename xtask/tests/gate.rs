//! The regression gate end to end on the embedding benchmark (thread CPU
//! time) at a small sample size: a deliberate 20% slowdown (the workloads'
//! own knob, `STALLCHECK_BENCH_SLOWDOWN_PCT`, which burns 20% of each
//! embedding's measured CPU time on top of it) fails it and names the
//! benchmark; the unchanged code passes it.
//!
//! The bench is built in the `dev` profile: that reuses the debug build `cargo
//! test` has just made instead of an optimised build of the bench's
//! dependencies (minutes and a gigabyte on CI). The test is about the gate's
//! decision, which does not depend on how fast the embedding is.

use std::path::PathBuf;
use std::process::{Command, Output};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

/// The embedding's CPU-time bench only, small samples: the gate's
/// statistics, not a precise measurement. 2,000 bootstrap resamples instead
/// of criterion's 100,000 and no plots: criterion's analysis in a debug build
/// otherwise takes most of a minute per run.
const CRITERION: &[&str] = &[
    "--sample-size",
    "20",
    "--warm-up-time",
    "0.5",
    "--measurement-time",
    "2",
    "--nresamples",
    "2000",
    "--noplot",
];

struct Gate {
    /// `CRITERION_HOME` of this test: its baselines stay out of the developer's.
    home: PathBuf,
}

impl Gate {
    fn new() -> Gate {
        let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("gate-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        Gate { home }
    }

    fn run(&self, args: &[&str], slowdown_pct: Option<u32>) -> Output {
        let mut command = Command::new(XTASK);
        command
            .args([
                "bench",
                "--suite",
                "embed",
                "--filter",
                "^embed-vs-control/",
            ])
            .args(["--profile", "dev"])
            .args(args)
            .arg("--")
            .args(CRITERION)
            .env("CRITERION_HOME", &self.home)
            .env_remove("STALLCHECK_BENCH_SLOWDOWN_PCT");
        if let Some(pct) = slowdown_pct {
            command.env("STALLCHECK_BENCH_SLOWDOWN_PCT", pct.to_string());
        }
        command.output().expect("cargo xtask bench runs")
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.home);
    }
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
fn a_twenty_percent_slowdown_fails_the_gate_and_unchanged_code_passes() {
    let gate = Gate::new();
    let saved = gate.run(&["--save-baseline", "before"], None);
    assert!(saved.status.success(), "{}", describe(&saved));

    let slowed = gate.run(&["--baseline", "before"], Some(20));
    assert_eq!(slowed.status.code(), Some(1), "{}", describe(&slowed));
    let stderr = String::from_utf8_lossy(&slowed.stderr);
    assert!(
        stderr.contains("slower than `before`")
            && stderr.contains("embed-vs-control/feature-hashing"),
        "the failure names the benchmark: {}",
        describe(&slowed)
    );

    let unchanged = gate.run(&["--baseline", "before"], None);
    assert!(unchanged.status.success(), "{}", describe(&unchanged));
    assert!(
        String::from_utf8_lossy(&unchanged.stdout).contains("ok embed-vs-control/feature-hashing"),
        "{}",
        describe(&unchanged)
    );
}
