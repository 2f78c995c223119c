//! `--evidence`: runtime call sites joined to findings, as a user reads them
//! in each output format.

mod support;

use std::path::Path;

use support::{Run, assert_one_line_error, json, run_binary, tree};

const STORE_RS: &str = "\
use std::fs::File;
use std::io::Write;

pub struct Store {
    file: File,
}

impl Store {
    pub async fn add(&mut self, line: &str) {
        self.file.write_all(line.as_bytes()).unwrap();
        self.file.sync_all().unwrap();
    }

    pub async fn get(&self) -> String {
        std::fs::read_to_string(\"store.log\").unwrap()
    }

    pub async fn wait(&self) {
        wait_for_disk();
    }
}

fn wait_for_disk() {}
";

/// A runtime report as `stallcheck-runtime` writes it (only the fields the
/// join reads; the rest of a real report is ignored). Paths are relative to
/// the workspace root the program was built in, one level above the linted
/// crate.
const RUNTIME_REPORT: &str = r#"{
  "elapsed_ms": 2000,
  "stall_sites": [
    { "task": "store/add", "blocking_call": "fsync", "caller": "Store::add",
      "caller_file": "app/src/store.rs", "caller_line": 11,
      "stalls": 14, "blocked_stalls": 14, "samples": 190, "blocked_ms": 1900.0, "stall_ms": 1500.0, "max_ms": 250.0,
      "cpu": "blocked", "stack": ["fsync", "std::fs::File::sync_all", "Store::add"] },
    { "task": "store/get", "blocking_call": "read", "caller": "Store::get",
      "caller_file": "app/src/store.rs", "caller_line": 15,
      "stalls": 0, "samples": 3, "blocked_ms": 30.0, "stall_ms": 0.0, "max_ms": 0.0,
      "cpu": "blocked", "stack": ["read", "std::fs::read_to_string", "Store::get"] },
    { "task": "store/wait", "blocking_call": "clock_nanosleep", "caller": "wait_for_disk",
      "caller_file": "app/src/store.rs", "caller_line": 23,
      "stalls": 2, "blocked_stalls": 2, "samples": 40, "blocked_ms": 400.0, "stall_ms": 300.0, "max_ms": 160.0,
      "cpu": "blocked", "stack": ["clock_nanosleep", "std::thread::sleep", "wait_for_disk", "Store::wait"] },
    { "task": "other", "blocking_call": "fsync", "caller": "Journal::flush",
      "caller_file": "journal/src/lib.rs", "caller_line": 7,
      "stalls": 1, "blocked_stalls": 1, "samples": 5, "blocked_ms": 50.0, "stall_ms": 20.0, "max_ms": 20.0,
      "cpu": "blocked", "stack": [] },
    { "task": "store/add", "blocking_call": null, "caller": "Store::add",
      "caller_file": "app/src/store.rs", "caller_line": 9,
      "stalls": 0, "samples": 2, "blocked_ms": 20.0, "stall_ms": 0.0, "max_ms": 0.0,
      "cpu": "running", "stack": [] }
  ]
}"#;

fn crate_and_evidence() -> tempfile::TempDir {
    tree(&[
        ("app/src/store.rs", STORE_RS),
        ("runtime-report.json", RUNTIME_REPORT),
    ])
}

fn lint(dir: &Path, args: &[&str]) -> Run {
    let evidence = dir.join("runtime-report.json");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--evidence", evidence.to_str().expect("UTF-8 path")]);
    run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &all,
        Some(&dir.join("app")),
    )
}

#[test]
fn a_finding_at_a_measured_call_site_carries_its_evidence_in_json() {
    let dir = crate_and_evidence();
    let run = lint(dir.path(), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = json(&run);
    let findings = report["findings"].as_array().expect("findings");
    let by_line = |line: u64| {
        findings
            .iter()
            .find(|f| f["line"] == line)
            .unwrap_or_else(|| panic!("no finding on line {line}: {findings:#?}"))
    };
    assert_eq!(
        by_line(11)["evidence"],
        serde_json::json!({
            "stalls": 14, "samples": 190, "blocked_ms": 1900.0, "max_ms": 250.0,
            "source": "runtime-report.json"
        })
    );
    assert_eq!(by_line(15)["evidence"]["samples"], 3);
    assert!(
        by_line(10)["evidence"].is_null(),
        "nothing was measured at the write: {:#?}",
        by_line(10)
    );
}

#[test]
fn blocking_the_linter_did_not_see_is_listed_as_a_blind_spot() {
    let dir = crate_and_evidence();
    let report = json(&lint(dir.path(), &["--format", "json"]));
    let blind: Vec<(&str, u64)> = report["seen_at_run_time"]
        .as_array()
        .expect("seen_at_run_time")
        .iter()
        .map(|s| {
            (
                s["caller"].as_str().expect("caller"),
                s["caller_line"].as_u64().expect("line"),
            )
        })
        .collect();
    // `wait_for_disk` sleeps through code the linter cannot see; the journal
    // is another crate; the on-CPU site at line 9 is not blocking.
    assert_eq!(blind, vec![("wait_for_disk", 23)]);
}

#[test]
fn human_output_notes_the_cost_and_lists_blind_spots_with_their_stacks() {
    let dir = crate_and_evidence();
    let run = lint(dir.path(), &["--color", "never", "--sort", "cost"]);
    let text = summary_time_redacted(&run.stdout);
    insta::assert_snapshot!(text);
}

#[test]
fn sort_cost_puts_the_most_blocked_time_first() {
    let dir = crate_and_evidence();
    let report = json(&lint(dir.path(), &["--format", "json", "--sort", "cost"]));
    let lines: Vec<u64> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, vec![11, 15, 10], "1.9 s, 30 ms, then unmeasured");
}

#[test]
fn a_site_whose_line_moved_still_matches_its_function() {
    let moved = RUNTIME_REPORT.replace("\"caller_line\": 15", "\"caller_line\": 99");
    let dir = tree(&[
        ("app/src/store.rs", STORE_RS),
        ("runtime-report.json", moved.as_str()),
    ]);
    let report = json(&lint(dir.path(), &["--format", "json"]));
    let get = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["function"] == "Store::get")
        .expect("the read in `get`");
    assert_eq!(get["evidence"]["samples"], 3, "{get:#?}");
}

#[test]
fn sarif_results_carry_the_evidence_as_properties() {
    let dir = crate_and_evidence();
    let sarif = json(&lint(dir.path(), &["--format", "sarif"]));
    let run = &sarif["runs"][0];
    let measured: Vec<&serde_json::Value> = run["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["properties"].get("evidence"))
        .collect();
    assert_eq!(measured.len(), 2, "{run:#?}");
    assert_eq!(
        run["properties"]["seenAtRunTime"][0]["caller"],
        "wait_for_disk"
    );
}

#[test]
fn a_file_without_stall_sites_is_one_clear_error() {
    let dir = tree(&[
        ("app/src/store.rs", STORE_RS),
        ("runtime-report.json", "{\"findings\": []}"),
    ]);
    assert_one_line_error(&lint(dir.path(), &[]), "has no `stall_sites`");
    let dir = tree(&[
        ("app/src/store.rs", STORE_RS),
        ("runtime-report.json", "not json"),
    ]);
    assert_one_line_error(&lint(dir.path(), &[]), "is not JSON");
}

#[test]
fn sort_cost_without_evidence_is_a_usage_error() {
    let dir = tree(&[("app/src/store.rs", STORE_RS)]);
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["--sort", "cost"],
        Some(&dir.path().join("app")),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--evidence"), "{}", run.stderr);
}

/// The summary line ends with the run's wall time.
fn summary_time_redacted(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" read in ") {
            Some(at) if line.starts_with("stallcheck: ") => {
                format!("{} read in [time]", &line[..at])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
