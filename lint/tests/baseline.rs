//! The adoption path on a copy of a real crate (this workspace's
//! `bench-harness`, 30-odd findings): `--write-baseline` accepts today's
//! findings, lines shifting above them changes nothing, and a new blocking
//! call is then the only finding.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod support;

use support::{Run, assert_one_line_error, json, run_binary};

const BASELINE: &str = "stallcheck-baseline.json";
const VECTOR_STORE: &str = "src/workloads/vector_store/blocking.rs";
const SESSION_STORE: &str = "src/workloads/session_store/blocking.rs";

fn stallcheck(args: &[&str], krate: &Path) -> Run {
    let args: Vec<&str> = ["--no-config", "--color", "never"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    run_binary(env!("CARGO_BIN_EXE_stallcheck"), &args, Some(krate))
}

/// Findings of a `--format json` run as (rule, path, function, line).
fn findings(run: &Run) -> Vec<(String, String, String, u64)> {
    json(run)["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|finding| {
            (
                finding["rule"].as_str().unwrap().to_string(),
                finding["path"].as_str().unwrap().to_string(),
                finding["function"].as_str().unwrap_or("").to_string(),
                finding["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// A standalone copy of `bench-harness` (a real crate of this repository)
/// in a temporary directory, plus the directory holding it.
struct Copy {
    _dir: tempfile::TempDir,
    krate: PathBuf,
    baseline: PathBuf,
}

fn copy_of_bench_harness() -> Copy {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-harness");
    let dir = tempfile::tempdir().expect("temporary directory");
    let krate = dir.path().join("bench-harness");
    copy_tree(&source, &krate);
    let manifest = std::fs::read_to_string(source.join("Cargo.toml")).unwrap();
    std::fs::write(krate.join("Cargo.toml"), standalone_manifest(&manifest)).unwrap();
    let baseline = dir.path().join(BASELINE);
    Copy {
        _dir: dir,
        krate,
        baseline,
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Outside the workspace, `x.workspace = true` cannot be inherited: give the
/// package concrete fields and the dependencies any version (`cargo metadata
/// --no-deps` does not resolve them).
fn standalone_manifest(manifest: &str) -> String {
    let mut out = String::new();
    for line in manifest.lines() {
        let Some(key) = line.strip_suffix(".workspace = true") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        match key {
            "version" => out.push_str("version = \"0.1.0\"\n"),
            "edition" => out.push_str("edition = \"2024\"\n"),
            "rust-version" | "license" => {}
            dependency => out.push_str(&format!("{dependency} = \"*\"\n")),
        }
    }
    out
}

fn edit(krate: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = krate.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(text.clone());
    assert_ne!(changed, text, "the edit of {file} changed nothing");
    std::fs::write(path, changed).unwrap();
}

/// Inserts `line` as the first statement of the function whose signature
/// contains `signature`.
fn insert_in_body(text: String, signature: &str, line: &str) -> String {
    let start = text
        .find(signature)
        .unwrap_or_else(|| panic!("`{signature}` not found"));
    let body = start + text[start..].find("{\n").expect("a body") + 2;
    format!("{}{line}\n{}", &text[..body], &text[body..])
}

fn write_baseline(copy: &Copy) -> usize {
    let baseline = copy.baseline.to_str().unwrap();
    let run = stallcheck(&["--write-baseline", baseline], &copy.krate);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&copy.baseline).unwrap())
        .expect("the baseline is JSON");
    let count = recorded["fingerprints"].as_array().unwrap().len();
    assert!(
        run.stdout
            .contains(&format!("wrote a baseline of {count} findings")),
        "{}",
        run.stdout
    );
    count
}

fn with_baseline(copy: &Copy, format: &str) -> Run {
    let baseline = copy.baseline.to_str().unwrap();
    stallcheck(&["--baseline", baseline, "--format", format], &copy.krate)
}

#[test]
fn adoption_path_reports_only_the_new_blocking_call() {
    let copy = copy_of_bench_harness();
    let before = findings(&stallcheck(&["--format", "json"], &copy.krate));
    assert!(before.len() >= 10, "a real crate with findings: {before:?}");

    let recorded = write_baseline(&copy);
    assert_eq!(recorded, before.len());

    // Lines shift above every finding of two files: still nothing new.
    for file in [VECTOR_STORE, SESSION_STORE] {
        edit(&copy.krate, file, |text| {
            format!("\n// Added while adopting stallcheck.\n// Lines below move down.\n{text}")
        });
    }
    let shifted = findings(&stallcheck(&["--format", "json"], &copy.krate));
    assert_ne!(shifted, before, "the edit moved findings to other lines");
    let run = with_baseline(&copy, "json");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(findings(&run), Vec::new());
    assert_eq!(json(&run)["summary"]["baseline_hidden"], recorded);

    // A new blocking call in an existing async fn is the only finding.
    edit(&copy.krate, VECTOR_STORE, |text| {
        insert_in_body(
            text,
            "pub async fn search(",
            "        std::thread::sleep(std::time::Duration::from_millis(1));",
        )
    });
    let run = with_baseline(&copy, "json");
    assert_eq!(run.code, 1, "a new warning fails the run: {}", run.stderr);
    let new = findings(&run);
    assert_eq!(new.len(), 1, "{new:?}");
    let (rule, path, function, _) = &new[0];
    assert_eq!(
        (rule.as_str(), path.as_str(), function.as_str()),
        ("blocking-sleep", VECTOR_STORE, "BlockingStore::search")
    );
    assert_eq!(json(&run)["summary"]["baseline_hidden"], recorded);

    let human = with_baseline(&copy, "human");
    assert!(
        human.stdout.contains(&format!(
            "stallcheck: 0 errors, 1 warning, 0 notes; {recorded} hidden by baseline; "
        )),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("BlockingStore::search"),
        "{}",
        human.stdout
    );
}

#[test]
fn one_more_identical_call_than_recorded_is_new() {
    let copy = copy_of_bench_harness();
    write_baseline(&copy);
    // `save` already calls `std::thread::sleep` once; a second one is new.
    edit(&copy.krate, SESSION_STORE, |text| {
        insert_in_body(
            text,
            "async fn save(",
            "        std::thread::sleep(std::time::Duration::from_millis(1));",
        )
    });
    let new = findings(&with_baseline(&copy, "json"));
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].0, "blocking-sleep");
    assert_eq!(new[0].2, "BlockingSessionStore::save");
}

#[test]
fn baseline_file_is_sorted_stable_and_shares_sarif_fingerprints() {
    let copy = copy_of_bench_harness();
    write_baseline(&copy);
    let first = std::fs::read_to_string(&copy.baseline).unwrap();
    write_baseline(&copy);
    assert_eq!(
        std::fs::read_to_string(&copy.baseline).unwrap(),
        first,
        "rewriting an unchanged baseline gives the same bytes"
    );
    let leftovers: Vec<_> = std::fs::read_dir(copy.baseline.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "no temporary file left");

    let recorded: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(recorded["version"], 1);
    let entries = recorded["fingerprints"].as_array().unwrap();
    let keys: Vec<(&str, &str)> = entries
        .iter()
        .map(|entry| {
            (
                entry["path"].as_str().unwrap(),
                entry["function"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "entries sorted by path, then function");

    let baseline_prints: BTreeSet<&str> = entries
        .iter()
        .map(|entry| entry["fingerprint"].as_str().unwrap())
        .collect();
    let sarif = json(&stallcheck(&["--format", "sarif"], &copy.krate));
    let sarif_prints: BTreeSet<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["partialFingerprints"]["stallcheck/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let sarif_prints: BTreeSet<&str> = sarif_prints.iter().map(String::as_str).collect();
    assert_eq!(
        baseline_prints.len(),
        entries.len(),
        "fingerprints are unique"
    );
    assert_eq!(baseline_prints, sarif_prints);
}

#[test]
fn missing_corrupt_or_foreign_baselines_are_one_line_errors() {
    let copy = copy_of_bench_harness();
    let baseline = copy.baseline.to_str().unwrap();

    let missing = stallcheck(&["--baseline", baseline], &copy.krate);
    assert_one_line_error(&missing, BASELINE);

    std::fs::write(&copy.baseline, "{\"version\":1,\"fingerp").unwrap();
    assert_one_line_error(
        &stallcheck(&["--baseline", baseline], &copy.krate),
        "not a stallcheck baseline",
    );

    std::fs::write(&copy.baseline, "{\"version\":7,\"fingerprints\":[]}").unwrap();
    assert_one_line_error(
        &stallcheck(&["--baseline", baseline], &copy.krate),
        "version 7",
    );
}

#[test]
fn unwritable_baseline_is_a_one_line_error() {
    let copy = copy_of_bench_harness();
    let nowhere = copy.krate.join("no-such-dir").join(BASELINE);
    let run = stallcheck(
        &["--write-baseline", nowhere.to_str().unwrap()],
        &copy.krate,
    );
    assert_one_line_error(&run, "cannot write baseline");
}

#[test]
fn reading_and_writing_a_baseline_at_once_is_a_usage_error() {
    let copy = copy_of_bench_harness();
    let baseline = copy.baseline.to_str().unwrap();
    let run = stallcheck(
        &["--baseline", baseline, "--write-baseline", baseline],
        &copy.krate,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
}

#[test]
fn help_explains_the_baseline_flags() {
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{help}");
    for needle in [
        "--baseline <FILE>",
        "--write-baseline <FILE>",
        "not line numbers",
    ] {
        assert!(help.contains(needle), "`{needle}` not in --help:\n{help}");
    }
}

#[test]
fn files_that_do_not_parse_are_named_as_not_recorded() {
    let copy = copy_of_bench_harness();
    edit(&copy.krate, VECTOR_STORE, |text| {
        format!("{text}\nfn broken( {{\n")
    });
    let baseline = copy.baseline.to_str().unwrap();
    let run = stallcheck(&["--write-baseline", baseline], &copy.krate);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("1 input error not analysed, so not recorded"),
        "{}",
        run.stdout
    );
}
