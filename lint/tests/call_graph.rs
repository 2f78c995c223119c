//! Call-graph specs through the binary: blocking reached through the
//! target's own functions is reported at the async call, across files and
//! across workspace members, with its chain, and goes through the same
//! configuration and suppression path as every other finding.

// Shared with the other suites; not every helper is needed here.
#[allow(dead_code)]
mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{Run, json, run_binary, tree};

fn stallcheck(args: &[&str], path: &Path) -> Run {
    run_binary(env!("CARGO_BIN_EXE_stallcheck"), args, Some(path))
}

fn manifest(name: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{dependencies}"
    )
}

/// Member `app` has an async fn calling `util::load()`; member `util`
/// reads a file two calls down, in another module.
fn workspace(app_lib: &str) -> tempfile::TempDir {
    tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\", \"util\"]\nresolver = \"2\"\n",
        ),
        (
            "app/Cargo.toml",
            &manifest("app", "util = { path = \"../util\" }\n"),
        ),
        ("app/src/lib.rs", app_lib),
        ("util/Cargo.toml", &manifest("util", "")),
        (
            "util/src/lib.rs",
            "mod disk;\n\npub fn load() -> Vec<u8> {\n    disk::read_all()\n}\n",
        ),
        (
            "util/src/disk.rs",
            "pub fn read_all() -> Vec<u8> {\n    std::fs::read(\"data\").unwrap_or_default()\n}\n",
        ),
    ])
}

const APP: &str = "pub async fn serve() {\n    let _ = util::load();\n}\n";

fn findings(run: &Run) -> Vec<Value> {
    let findings = json(run)["findings"]
        .as_array()
        .expect("findings array")
        .clone();
    // Exit code 1 for warnings, 0 for none; never 2 (a fatal error).
    assert_eq!(
        run.code,
        i32::from(!findings.is_empty()),
        "stderr: {}",
        run.stderr
    );
    findings
}

#[test]
fn a_call_into_another_member_is_reported_with_its_chain() {
    let dir = workspace(APP);
    let run = stallcheck(&["--format", "json", "--no-config"], dir.path());
    let [finding] = findings(&run).try_into().expect("one finding");
    assert_eq!(finding["rule"], "blocking-fs");
    assert_eq!(finding["path"], "app/src/lib.rs");
    assert_eq!(finding["line"], 2);
    assert_eq!(finding["function"], "serve");
    assert_eq!(finding["callee"], "util::load");
    assert_eq!(
        finding["message"],
        "`load` blocks the executor in async function `serve`: it ends up calling `std::fs::read`"
    );
    assert_eq!(
        finding["chain"],
        json!([
            { "function": "util::load", "path": "util/src/lib.rs", "line": 4 },
            { "function": "util::disk::read_all", "path": "util/src/disk.rs", "line": 2 },
        ])
    );
}

#[test]
fn human_output_has_one_note_per_step() {
    let dir = workspace(APP);
    let run = stallcheck(&["--no-config", "--color", "never"], dir.path());
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    assert!(
        run.stdout
            .contains("= note: `load` (util/src/lib.rs:4) calls `read_all`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("= note: `read_all` (util/src/disk.rs:2) calls `std::fs::read`"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_imported_helper_of_another_member_is_the_same_function() {
    let dir = workspace("use util::load as fetch;\n\npub async fn serve() {\n    fetch();\n}\n");
    let run = stallcheck(&["--format", "json", "--no-config"], dir.path());
    let [finding] = findings(&run).try_into().expect("one finding");
    assert_eq!(finding["line"], 4);
    assert_eq!(finding["callee"], "util::load");
}

#[test]
fn offloading_the_helper_is_clean() {
    let dir = workspace(
        "pub async fn serve() {\n    std::thread::spawn(util::load);\n    std::thread::spawn(|| util::load());\n}\n",
    );
    let run = stallcheck(&["--format", "json", "--no-config"], dir.path());
    assert_eq!(findings(&run), Vec::<Value>::new(), "{}", run.stdout);
}

#[test]
fn findings_through_helpers_obey_allows_and_rule_selection() {
    let allowed = workspace(
        "pub async fn serve() {\n    // stallcheck: allow(blocking-fs) read once at startup\n    let _ = util::load();\n}\n",
    );
    let run = stallcheck(&["--format", "json", "--no-config"], allowed.path());
    assert_eq!(findings(&run), Vec::<Value>::new(), "{}", run.stdout);

    let dir = workspace(APP);
    let run = stallcheck(
        &[
            "--format",
            "json",
            "--no-config",
            "--skip-rule",
            "blocking-fs",
        ],
        dir.path(),
    );
    assert_eq!(findings(&run), Vec::<Value>::new(), "{}", run.stdout);
}

#[test]
fn a_binary_is_a_crate_of_its_own() {
    // `run` in the binary blocks; the library's `run` does not. Both are
    // `tool::run` by name, and must not be confused.
    let dir = tree(&[
        ("Cargo.toml", manifest("tool", "").as_str()),
        (
            "src/lib.rs",
            "pub fn run() {}\n\npub async fn serve() {\n    run();\n}\n",
        ),
        (
            "src/main.rs",
            "fn run() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n\nasync fn start() {\n    tool::run();\n}\n\nfn main() {\n    run();\n}\n",
        ),
    ]);
    let run = stallcheck(&["--format", "json", "--no-config"], dir.path());
    assert_eq!(findings(&run), Vec::<Value>::new(), "{}", run.stdout);
}

#[test]
fn sarif_lists_the_chain_as_related_locations_and_validates() {
    let dir = workspace(APP);
    let run = stallcheck(&["--format", "sarif", "--no-config"], dir.path());
    assert_eq!(run.code, 1, "stderr: {}", run.stderr);
    let log = json(&run);
    let related = &log["runs"][0]["results"][0]["relatedLocations"];
    let steps: Vec<(String, String, u64)> = related
        .as_array()
        .expect("related locations")
        .iter()
        .map(|location| {
            let physical = &location["physicalLocation"];
            (
                location["message"]["text"].as_str().unwrap().to_string(),
                physical["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                physical["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                "through `util::load`".to_string(),
                "util/src/lib.rs".to_string(),
                4
            ),
            (
                "through `util::disk::read_all`".to_string(),
                "util/src/disk.rs".to_string(),
                2
            ),
        ]
    );
    let schema: Value = serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))
        .expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
