//! The JSON report keeps exactly the documented schema (README, "Reading the
//! report"), and the charts are written beside it.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use stallcheck_bench::report::{HarnessReport, WorkloadReport};
use stallcheck_bench::run::{LoadMode, RunOptions, run};
use stallcheck_bench::workload::DEFAULT_HOT_SHARE;

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

/// The default mode (open loop at a calibrated rate), at a tiny scale.
fn options(out: PathBuf) -> RunOptions {
    RunOptions {
        workloads: vec!["session-store".to_string()],
        clients: 2,
        ops: Some(12),
        duration: None,
        seed: 5,
        load: LoadMode::Calibrated {
            fraction: 0.5,
            calibration: Duration::from_millis(200),
        },
        hot_share: DEFAULT_HOT_SHARE,
        io_latency: Duration::ZERO,
        redis_url: None,
        console: None,
        out,
        workers: 2,
        cpu_permits: 1,
        print: false,
        stall_threshold: stallcheck_bench::monitoring::STALL_THRESHOLD,
    }
}

const PERCENTILES: &[&str] = &["p50", "p90", "p99", "p999", "max"];

const WORKLOAD_KEYS: &[&str] = &[
    "name",
    "skipped",
    "calibrated_capacity_ops_per_sec",
    "blocking",
    "fixed",
    "optimized",
    "price_of_blocking",
    "price_of_design",
];

fn assert_percentiles(value: &Value) {
    assert_eq!(keys(value), set(PERCENTILES), "{value}");
    assert!(value.as_object().unwrap().values().all(Value::is_u64));
}

fn assert_variant_schema(variant: &Value) {
    assert_eq!(
        keys(variant),
        set(&[
            "ops_per_sec",
            "capacity_ops_per_sec",
            "offered_ops_per_sec",
            "saturated",
            "ops",
            "planned",
            "errors",
            "elapsed_secs",
            "latency_us",
            "latency_by_op_us",
            "loop_lag_us",
            "sched_delay_us",
            "stalls",
            "stall_details",
            "effects",
            "check",
            "correct",
        ])
    );
    for percentiles in [
        &variant["latency_us"],
        &variant["loop_lag_us"],
        &variant["sched_delay_us"],
    ] {
        assert_percentiles(percentiles);
    }
    let by_op = variant["latency_by_op_us"].as_object().unwrap();
    assert!(!by_op.is_empty(), "latency per operation kind");
    by_op.values().for_each(assert_percentiles);
    assert!(variant["ops_per_sec"].is_f64());
    assert!(
        variant["capacity_ops_per_sec"].is_f64(),
        "calibration measures every variant"
    );
    assert!(
        variant["offered_ops_per_sec"].is_f64(),
        "open loop offers a rate"
    );
    assert!(variant["saturated"].is_boolean());
    assert!(variant["stalls"].is_u64());
    for stall in variant["stall_details"].as_array().unwrap() {
        assert_eq!(
            keys(stall),
            set(&[
                "task",
                "blocking_call",
                "caller",
                "caller_location",
                "started_ms",
                "duration_us",
                "cpu_verdict"
            ])
        );
    }
    assert_eq!(
        keys(&variant["effects"]),
        set(&["writes", "redis_commands", "lock_waits", "lock_retries"])
    );
    assert_eq!(
        keys(&variant["effects"]["writes"]),
        set(&["fsyncs", "files_created", "renames"])
    );
    assert!(
        variant["check"]
            .as_str()
            .is_some_and(|text| text.starts_with("passed: ")),
        "{}",
        variant["check"]
    );
    assert_eq!(variant["correct"], true);
}

#[test]
fn harness_json_has_the_documented_shape_and_the_charts_are_beside_it() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&options(out.path().to_path_buf())).expect("the run completes");
    assert!(result.failures.is_empty(), "{:?}", result.failures);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("harness.json")).unwrap())
            .unwrap();
    assert_eq!(
        keys(&json),
        set(&[
            "version",
            "config",
            "machine",
            "idle_loop_lag_us",
            "idle_sched_delay_us",
            "workloads",
            "claims"
        ])
    );
    assert_eq!(json["version"], 2);
    assert_eq!(
        keys(&json["config"]),
        set(&[
            "clients",
            "workers",
            "cpu_permits",
            "seed",
            "mode",
            "rate_fraction",
            "rate",
            "calibration_secs",
            "duration_secs",
            "hot_share",
            "io_latency_ms"
        ])
    );
    assert_eq!(json["config"]["mode"], "open");
    assert_eq!(
        keys(&json["machine"]),
        set(&["cores", "fsync_p50_us", "load_average"])
    );
    assert_percentiles(&json["idle_loop_lag_us"]);
    assert_percentiles(&json["idle_sched_delay_us"]);
    let workloads = json["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), 1);
    let workload = &workloads[0];
    assert_eq!(keys(workload), set(WORKLOAD_KEYS));
    assert_eq!(workload["name"], "session-store");
    assert!(workload["skipped"].is_null());
    let capacity = workload["fixed"]["capacity_ops_per_sec"].as_f64().unwrap();
    assert_eq!(
        workload["calibrated_capacity_ops_per_sec"].as_f64(),
        Some(capacity)
    );
    for kind in ["blocking", "fixed", "optimized"] {
        assert_variant_schema(&workload[kind]);
        let offered = workload[kind]["offered_ops_per_sec"].as_f64().unwrap();
        assert!(
            (offered - (capacity * 0.5).max(1.0)).abs() < 1e-6,
            "{kind} is offered half the calibrated capacity"
        );
    }
    for (ratio, numerator, denominator) in [
        ("price_of_blocking", "fixed", "blocking"),
        ("price_of_design", "optimized", "fixed"),
    ] {
        assert_eq!(
            keys(&workload[ratio]),
            set(&["throughput", "basis", "loop_lag_p99"])
        );
        assert_eq!(workload[ratio]["basis"], "capacity");
        let capacity = |kind: &str| workload[kind]["capacity_ops_per_sec"].as_f64().unwrap();
        let throughput = workload[ratio]["throughput"].as_f64().unwrap();
        let expected = capacity(numerator) / capacity(denominator);
        assert!(
            (throughput - expected).abs() < 1e-9 * expected.max(1.0),
            "{ratio} is {numerator} / {denominator}"
        );
    }
    let claims = json["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 3);
    for claim in claims {
        assert_eq!(keys(claim), set(&["claim", "measured", "verdict"]));
    }
    // It also reads back into the report type (floats may differ in the last bit).
    let parsed: HarnessReport = serde_json::from_value(json).unwrap();
    assert_eq!(parsed.config, result.report.config);
    assert_eq!(
        parsed.workloads[0].fixed.as_ref().unwrap().latency_us,
        result.report.workloads[0]
            .fixed
            .as_ref()
            .unwrap()
            .latency_us
    );
    for name in ["session-store-loop-lag.svg", "session-store-latency.svg"] {
        let path = out.path().join(name);
        assert!(result.written.contains(&path), "{name} reported as written");
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{name} is an SVG");
        for kind in ["blocking", "fixed", "optimized"] {
            assert!(svg.contains(kind), "{name} shows {kind}");
        }
    }
    let latency = std::fs::read_to_string(out.path().join("session-store-latency.svg")).unwrap();
    for tick in [
        "p50",
        "p90",
        "p99",
        "p99.9",
        "percentile",
        "latency (ms, log scale)",
    ] {
        assert!(latency.contains(tick), "the latency chart shows `{tick}`");
    }
}

#[test]
fn a_skipped_workload_has_a_reason_and_null_variants() {
    let skipped = WorkloadReport::skipped(
        "working-memory",
        stallcheck_bench::redis_server::MISSING.to_string(),
    );
    let json = serde_json::to_value(&skipped).unwrap();
    assert_eq!(keys(&json), set(WORKLOAD_KEYS));
    assert_eq!(
        json["skipped"],
        "redis-server not found: install it with `apt-get install -y redis-server`"
    );
    for key in WORKLOAD_KEYS.iter().skip(2) {
        assert!(json[key].is_null(), "{key} is null");
    }
}
