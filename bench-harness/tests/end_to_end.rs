//! The `stallcheck-bench` binary, end to end at tiny scale.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_stallcheck-bench");
const MISSING: &str = "redis-server not found: install it with `apt-get install -y redis-server`";

fn bench(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn report(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("harness.json")).unwrap()).unwrap()
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
fn every_workload_runs_correctly_at_tiny_scale() {
    let out = tempfile::tempdir().unwrap();
    let output = bench(&[
        "run",
        "--workload",
        "all",
        "--clients",
        "4",
        "--ops",
        "8",
        "--calibrate",
        "0.2",
        "--fail-on-skip",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    let text = describe(&output);
    assert!(
        !text.contains("redis-server not found"),
        "{MISSING}\n{text}"
    );
    assert!(output.status.success(), "{text}");
    let json = report(out.path());
    let names: Vec<&str> = json["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "vector-store",
            "working-memory",
            "repo-sync",
            "memory-stream",
            "session-store"
        ]
    );
    for workload in json["workloads"].as_array().unwrap() {
        assert!(workload["skipped"].is_null(), "{workload}");
        for kind in ["blocking", "fixed", "optimized"] {
            assert_eq!(workload[kind]["correct"], true, "{kind}: {workload}");
            assert!(
                workload[kind]["offered_ops_per_sec"].is_f64(),
                "open loop by default: {workload}"
            );
        }
        for chart in ["loop-lag", "latency"] {
            let name = format!("{}-{chart}.svg", workload["name"].as_str().unwrap());
            assert!(out.path().join(&name).is_file(), "{name} missing");
        }
    }
}

#[test]
fn a_fixed_rate_is_recorded_and_stays_correct() {
    let out = tempfile::tempdir().unwrap();
    let output = bench(&[
        "run",
        "--workload",
        "session-store",
        "--clients",
        "4",
        "--ops",
        "16",
        "--rate",
        "400",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let json = report(out.path());
    assert_eq!(json["config"]["mode"], "open");
    assert_eq!(json["config"]["rate"], 400.0);
    assert_eq!(json["workloads"][0]["fixed"]["correct"], true);
    assert_eq!(
        json["workloads"][0]["blocking"]["offered_ops_per_sec"],
        400.0
    );
}

#[test]
fn closed_loop_is_a_flag() {
    let out = tempfile::tempdir().unwrap();
    let output = bench(&[
        "run",
        "--workload",
        "session-store",
        "--clients",
        "2",
        "--ops",
        "8",
        "--closed-loop",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let json = report(out.path());
    assert_eq!(json["config"]["mode"], "closed");
    assert!(json["workloads"][0]["fixed"]["offered_ops_per_sec"].is_null());
    assert!(json["workloads"][0]["calibrated_capacity_ops_per_sec"].is_null());
}

#[test]
fn without_redis_server_working_memory_is_skipped_with_the_install_command() {
    let out = tempfile::tempdir().unwrap();
    let empty_path = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new(BIN)
            .args([
                "run",
                "--workload",
                "working-memory",
                "--clients",
                "1",
                "--ops",
                "2",
                "--out",
            ])
            .arg(out.path())
            .args(extra)
            .env("PATH", empty_path.path())
            .output()
            .unwrap()
    };
    let output = run(&[]);
    assert!(
        output.status.success(),
        "a skip alone is not a failure: {}",
        describe(&output)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(MISSING),
        "{}",
        describe(&output)
    );
    assert_eq!(report(out.path())["workloads"][0]["skipped"], MISSING);
    let strict = run(&["--fail-on-skip"]);
    assert_eq!(strict.status.code(), Some(1), "{}", describe(&strict));
    assert!(String::from_utf8_lossy(&strict.stderr).contains(MISSING));
}

#[test]
fn an_unknown_workload_is_a_one_line_usage_error() {
    let output = bench(&["run", "--workload", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: unknown workload `nope`"),
        "{stderr}"
    );
}

#[test]
fn zero_clients_are_refused() {
    let output = bench(&["run", "--clients", "0"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--clients"));
}

#[test]
fn help_explains_the_options() {
    let output = bench(&["run", "--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for option in [
        "--workload",
        "--clients",
        "--ops",
        "--duration",
        "--seed",
        "--rate",
        "--rate-fraction",
        "--calibrate",
        "--closed-loop",
        "--hot-share",
        "--io-latency",
        "--redis-url",
        "--console",
        "--out",
    ] {
        assert!(help.contains(option), "--help lacks {option}");
    }
}

#[test]
fn a_duration_cut_run_checks_only_the_completed_operations() {
    let out = tempfile::tempdir().unwrap();
    let output = bench(&[
        "run",
        "--workload",
        "memory-stream",
        "--clients",
        "4",
        "--ops",
        "100000",
        "--duration",
        "0.3",
        "--calibrate",
        "0.2",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let completed_line = stdout
        .lines()
        .find(|line| line.contains("blocking:") && line.contains("ops in"))
        .unwrap();
    let done: usize = completed_line
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        done < 100_000,
        "the duration stopped the clients early: {completed_line}"
    );
    let json = report(out.path());
    assert_eq!(json["config"]["duration_secs"], 0.3);
    for kind in ["blocking", "fixed", "optimized"] {
        assert_eq!(json["workloads"][0][kind]["correct"], true, "{kind}");
    }
}

#[test]
fn an_unreachable_redis_url_fails_the_workload_with_the_reason() {
    let out = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let output = bench(&[
        "run",
        "--workload",
        "working-memory",
        "--clients",
        "1",
        "--ops",
        "2",
        "--redis-url",
        &url,
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("working-memory") && stderr.contains(&format!("127.0.0.1:{port}")),
        "{stderr}"
    );
}
