//! The loop between the static and the runtime halves: stallcheck, run on
//! this package, finds every anti-pattern the blocking variants reproduce,
//! each at its call with the expected rule, and nothing in the fixed
//! variants or anywhere else in the package.

use std::path::Path;

use stallcheck_lint::driver::{Options, run};
use stallcheck_lint::finding::Finding;

/// (workload folder, rule, a snippet of the call's line, unique in the file).
const EXPECTED: &[(&str, &str, &str)] = &[
    // vector-store: file append + fsync per insert, index lock, inline in the handler.
    (
        "vector_store",
        "blocking-fs",
        "let mut log = OpenOptions::new().append(true).open(&self.log).map_err(|err| err.to_string())?;\n        log.write_all(record",
    ),
    (
        "vector_store",
        "blocking-fs",
        "log.sync_data().map_err(|err| err.to_string())?;\n        self.index",
    ),
    (
        "vector_store",
        "sync-lock-in-async",
        "self.index.lock().unwrap().insert(namespace, id, vector)",
    ),
    (
        "vector_store",
        "sync-lock-in-async",
        "self.index.lock().unwrap().search(namespace, &vector, k)",
    ),
    // working-memory: sync redis client, a new connection per call, sync commands.
    (
        "working_memory",
        "blocking-client",
        "client.get_connection()",
    ),
    (
        "working_memory",
        "blocking-client",
        "let () = connection.set_ex(&key, json, TTL_SECONDS).map_err(|err| err.to_string())?;\n                Ok(Outcome::Stored)",
    ),
    (
        "working_memory",
        "blocking-client",
        "let raw: Option<String> = connection.get(&key).map_err(|err| err.to_string())?;\n                let Some(raw) = raw else { return Ok(Outcome::Missing) };\n                let document: Document",
    ),
    // repo-sync: std::fs walk and reads in async code, waiting for the worker thread on a std channel.
    ("repo_sync", "blocking-fs", "std::fs::read_dir(&dir)"),
    ("repo_sync", "blocking-fs", "std::fs::read_to_string(path)"),
    ("repo_sync", "blocking-wait", "answer.recv()"),
    (
        "repo_sync",
        "sync-lock-in-async",
        "self.jobs.lock().unwrap().clone()",
    ),
    // memory-stream: the async caller waits on a std channel.
    ("memory_stream", "blocking-wait", "received.recv_timeout("),
    // session-store: lock retries with thread::sleep, file I/O, std Mutex cache.
    (
        "session_store",
        "blocking-fs",
        ".open(lock_path(&self.dir, &session.id))",
    ),
    (
        "session_store",
        "blocking-sleep",
        "std::thread::sleep(backoff)",
    ),
    (
        "session_store",
        "blocking-fs",
        "std::fs::File::create(&temp)",
    ),
    ("session_store", "blocking-fs", "file.sync_all()"),
    (
        "session_store",
        "blocking-fs",
        "std::fs::rename(&temp, &path)",
    ),
    ("session_store", "blocking-fs", "path.exists()"),
    ("session_store", "blocking-fs", "std::fs::metadata(&path)"),
    (
        "session_store",
        "blocking-fs",
        "std::fs::read_to_string(session_path(&self.dir, &id))",
    ),
    (
        "session_store",
        "blocking-fs",
        "std::fs::metadata(session_path(&self.dir, &id))",
    ),
    (
        "session_store",
        "sync-lock-in-async",
        "self.cache.lock().unwrap().fresh(&id)",
    ),
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

/// The 1-based line on which `snippet` starts in `path` (relative to the package).
fn line_of(path: &str, snippet: &str) -> usize {
    let source = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    let matches: Vec<usize> = source.match_indices(snippet).map(|(at, _)| at).collect();
    assert_eq!(
        matches.len(),
        1,
        "snippet `{snippet}` must occur exactly once in {path}"
    );
    source[..matches[0]].matches('\n').count() + 1
}

#[test]
fn every_listed_anti_pattern_is_found_in_its_blocking_variant() {
    let findings = findings();
    let mut missing = Vec::new();
    for (workload, rule, snippet) in EXPECTED {
        let path = blocking_file(workload);
        let line = line_of(&path, snippet);
        let found = findings.iter().any(|finding| {
            finding.path == path
                && finding.rule == *rule
                && finding.span.line <= line
                && line <= finding.span.end_line
        });
        if !found {
            missing.push(format!(
                "{path}:{line}: expected `{rule}` at `{}`",
                snippet.lines().next().unwrap_or(snippet)
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "stallcheck missed anti-patterns:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_workload_has_an_expected_anti_pattern() {
    for workload in WORKLOADS {
        assert!(
            EXPECTED.iter().any(|(listed, ..)| *listed == workload),
            "{workload} lists no anti-pattern"
        );
    }
}

#[test]
fn fixed_variants_and_the_rest_of_the_package_have_no_findings() {
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
