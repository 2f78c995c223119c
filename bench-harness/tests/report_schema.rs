//! The JSON report keeps exactly the documented schema.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;
use stallcheck_bench::report::{HarnessReport, WorkloadReport};
use stallcheck_bench::run::{RunOptions, run};

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("expected an object, got {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

fn options(out: PathBuf) -> RunOptions {
    RunOptions {
        workloads: vec!["session-store".to_string()],
        clients: 2,
        ops: Some(8),
        duration: None,
        seed: 5,
        open_loop: None,
        redis_url: None,
        console: None,
        out,
        workers: 2,
        cpu_permits: 1,
        print: false,
        stall_threshold: stallcheck_bench::monitoring::STALL_THRESHOLD,
    }
}

fn assert_variant_schema(variant: &Value) {
    assert_eq!(
        keys(variant),
        set(&[
            "ops_per_sec",
            "latency_us",
            "loop_lag_us",
            "stalls",
            "correct"
        ])
    );
    for percentiles in [&variant["latency_us"], &variant["loop_lag_us"]] {
        assert_eq!(keys(percentiles), set(&["p50", "p99", "max"]));
        assert!(percentiles.as_object().unwrap().values().all(Value::is_u64));
    }
    assert!(variant["ops_per_sec"].is_f64());
    assert!(variant["stalls"].is_u64());
    assert!(variant["correct"].is_boolean());
}

#[test]
fn harness_json_has_the_documented_shape() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&options(out.path().to_path_buf())).expect("the run completes");
    assert!(result.failures.is_empty(), "{:?}", result.failures);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("harness.json")).unwrap())
            .unwrap();
    assert_eq!(
        keys(&json),
        set(&["version", "config", "idle_loop_lag_us", "workloads"])
    );
    assert_eq!(json["version"], 1);
    assert_eq!(
        keys(&json["config"]),
        set(&[
            "clients",
            "workers",
            "cpu_permits",
            "seed",
            "mode",
            "rate",
            "duration_secs"
        ])
    );
    let workloads = json["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 1);
    let workload = &workloads[0];
    assert_eq!(
        keys(workload),
        set(&["name", "skipped", "blocking", "fixed", "ratio"])
    );
    assert_eq!(workload["name"], "session-store");
    assert!(workload["skipped"].is_null());
    assert_variant_schema(&workload["blocking"]);
    assert_variant_schema(&workload["fixed"]);
    assert_eq!(workload["blocking"]["correct"], true);
    assert_eq!(workload["fixed"]["correct"], true);
    assert_eq!(
        keys(&workload["ratio"]),
        set(&["throughput", "loop_lag_p99"])
    );
    let throughput = workload["ratio"]["throughput"].as_f64().unwrap();
    let expected = workload["fixed"]["ops_per_sec"].as_f64().unwrap()
        / workload["blocking"]["ops_per_sec"].as_f64().unwrap();
    assert!(
        (throughput - expected).abs() < 1e-9 * expected.max(1.0),
        "ratio is fixed / blocking"
    );
    // It also reads back into the report type (floats may differ in the last bit).
    let parsed: HarnessReport = serde_json::from_value(json).unwrap();
    assert_eq!(parsed.config, result.report.config);
    assert_eq!(
        parsed.workloads[0].blocking.as_ref().unwrap().latency_us,
        result.report.workloads[0]
            .blocking
            .as_ref()
            .unwrap()
            .latency_us
    );
}

#[test]
fn a_skipped_workload_has_a_reason_and_null_variants() {
    let skipped = WorkloadReport {
        name: "working-memory".to_string(),
        skipped: Some(stallcheck_bench::redis_server::MISSING.to_string()),
        blocking: None,
        fixed: None,
        ratio: None,
    };
    let json = serde_json::to_value(&skipped).unwrap();
    assert_eq!(
        keys(&json),
        set(&["name", "skipped", "blocking", "fixed", "ratio"])
    );
    assert_eq!(
        json["skipped"],
        "redis-server not found: install it with `apt-get install -y redis-server`"
    );
    assert!(json["blocking"].is_null() && json["fixed"].is_null() && json["ratio"].is_null());
}

#[test]
fn charts_are_written_beside_the_json() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&options(out.path().to_path_buf())).expect("the run completes");
    for name in ["session-store-loop-lag.svg", "session-store-latency.svg"] {
        let path = out.path().join(name);
        assert!(result.written.contains(&path), "{name} reported as written");
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.contains("blocking") && svg.contains("fixed"),
            "{name} has both series"
        );
    }
}
