//! The loop between the static and the runtime halves: stallcheck, run on
//! this package, finds every anti-pattern the blocking variants reproduce,
//! each at its call with the expected rule, and nothing in the fixed or
//! optimized variants or anywhere else in the package.

use std::path::Path;

use stallcheck_lint::driver::{Options, run};
use stallcheck_lint::finding::Finding;

/// One anti-pattern the linter must report: in `workload`'s blocking.rs, a
/// finding of `rule` whose span covers the `nth` (1-based) line containing
/// `anchor` (one line of the call, as rustfmt lays it out).
struct Expected {
    workload: &'static str,
    rule: &'static str,
    anchor: &'static str,
    nth: usize,
}

const fn expect(
    workload: &'static str,
    rule: &'static str,
    anchor: &'static str,
    nth: usize,
) -> Expected {
    Expected {
        workload,
        rule,
        anchor,
        nth,
    }
}

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    // vector-store: log append + fsync per insert (through the counting storage layer) and a
    // std Mutex index, inline in the handler.
    expect("vector_store", "blocking-fs", ".open(&self.log)", 1),
    expect("vector_store", "blocking-fs", "log.write_all(record.to_line()", 1),
    expect("vector_store", "blocking-fs", "sync_data(&log)", 1),
    expect("vector_store", "sync-lock-in-async", "self.index.lock().unwrap().insert", 1),
    expect("vector_store", "sync-lock-in-async", "self.index.lock().unwrap().search", 1),
    // working-memory: the sync redis client, a new connection per call, sync commands.
    expect("working_memory", "blocking-client", "client.get_connection()", 1),
    expect("working_memory", "blocking-client", "connection.set_ex(&key, json, TTL_SECONDS)", 1),
    expect("working_memory", "blocking-client", "connection.get(&key)", 1),
    // repo-sync: std::fs walk and reads in async code; waiting for the worker thread on a std channel.
    expect("repo_sync", "blocking-fs", "std::fs::read_dir(&dir)", 1),
    expect("repo_sync", "blocking-fs", "std::fs::read_to_string(path)", 1),
    expect("repo_sync", "sync-lock-in-async", ".lock()", 1),
    expect("repo_sync", "blocking-wait", ".recv()", 1),
    // memory-stream: the async caller waits on a std channel.
    expect("memory_stream", "blocking-wait", "received.recv_timeout(", 1),
    // session-store: lock retries with thread::sleep, file I/O and fsync, a std Mutex cache.
    expect("session_store", "blocking-fs", "std::fs::read_to_string(session_path(", 1),
    expect("session_store", "sync-lock-in-async", "self.cache.lock().unwrap().fresh(&id)", 1),
    expect("session_store", "blocking-fs", "std::fs::metadata(session_path(", 1),
    expect("session_store", "blocking-fs", ".open(lock_path(&self.dir, &session.id))", 1),
    expect("session_store", "blocking-sleep", "std::thread::sleep(backoff)", 1),
    expect("session_store", "blocking-fs", ".create(&temp)", 1),
    expect("session_store", "blocking-fs", "file.write_all(&json)", 1),
    expect("session_store", "blocking-fs", ".sync_all(&file)", 1),
    expect("session_store", "blocking-fs", ".rename(&temp, &path)", 1),
    expect("session_store", "blocking-fs", "path.exists()", 1),
    expect("session_store", "blocking-fs", "std::fs::metadata(&path)", 1),
];

const WORKLOADS: [&str; 5] = [
    "vector_store",
    "working_memory",
    "repo_sync",
    "memory_stream",
    "session_store",
];

fn findings() -> Vec<Finding> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = run(
        root,
        &Options {
            no_config: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|err| panic!("stallcheck could not run on bench-harness: {}", err.0));
    assert!(
        report.errors.is_empty(),
        "stallcheck could not read some files: {:?}",
        report.errors
    );
    report.findings
}

fn blocking_file(workload: &str) -> String {
    format!("src/workloads/{workload}/blocking.rs")
}

/// The 1-based number of the `nth` line of `path` (relative to the package)
/// that contains `anchor`.
fn line_of(path: &str, anchor: &str, nth: usize) -> usize {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    let lines: Vec<usize> = source
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(anchor))
        .map(|(index, _)| index + 1)
        .collect();
    *lines.get(nth - 1).unwrap_or_else(|| {
        panic!(
            "{path} has {} lines with `{anchor}`, expected a #{nth}",
            lines.len()
        )
    })
}

/// Whether the linter reports `expected`, and where it was looked for.
fn is_found(findings: &[Finding], expected: &Expected) -> (bool, String) {
    let path = blocking_file(expected.workload);
    let line = line_of(&path, expected.anchor, expected.nth);
    let found = findings.iter().any(|finding| {
        finding.path == path
            && finding.rule == expected.rule
            && finding.span.line <= line
            && line <= finding.span.end_line
    });
    let place = format!(
        "{path}:{line}: `{}` at `{}`",
        expected.rule, expected.anchor
    );
    (found, place)
}

#[test]
fn every_listed_anti_pattern_is_found_in_its_blocking_variant() {
    let findings = findings();
    let missing: Vec<String> = EXPECTED
        .iter()
        .map(|expected| is_found(&findings, expected))
        .filter(|(found, _)| !found)
        .map(|(_, place)| place)
        .collect();
    assert!(
        missing.is_empty(),
        "stallcheck missed anti-patterns:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_workload_lists_its_anti_patterns() {
    for workload in WORKLOADS {
        assert!(
            EXPECTED
                .iter()
                .any(|expected| expected.workload == workload),
            "{workload} lists no anti-pattern"
        );
    }
}

#[test]
fn fixed_and_optimized_variants_and_the_rest_of_the_package_have_no_findings() {
    let unexpected: Vec<String> = findings()
        .into_iter()
        .filter(|finding| {
            !WORKLOADS
                .iter()
                .any(|workload| finding.path == blocking_file(workload))
        })
        .map(|finding| {
            format!(
                "{}:{}: {} {}",
                finding.path, finding.span.line, finding.rule, finding.message
            )
        })
        .collect();
    assert!(
        unexpected.is_empty(),
        "findings outside the blocking variants:\n{}",
        unexpected.join("\n")
    );
}
