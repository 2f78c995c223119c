//! `--fix` and `--fix --diff`, end to end through the binary: which findings
//! get a fix (the catalog's `[fixes]`, only in async code that can `.await`,
//! only when the target's tokio has the feature), that `--diff` writes
//! nothing, and that fixing the fixtures removes exactly the findings that had
//! a fix and leaves files that parse.
//!
//! The diff snapshot is accepted with
//! `cargo insta test -p stallcheck-lint --test fix --review`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// Shared with the other suites; not every helper is needed here.
#[allow(dead_code)]
mod support;

use support::{Run, json, run_binary, tree};

fn stallcheck(args: &[&str], path: &Path) -> Run {
    run_binary(env!("CARGO_BIN_EXE_stallcheck"), args, Some(path))
}

/// A `[package]` manifest whose `[dependencies]` table holds `dependencies`.
fn manifest(name: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n{dependencies}\n"
    )
}

const TOKIO_FS_TIME: &str = r#"tokio = { version = "1", features = ["fs", "time"] }"#;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The fixtures crate's sources and configuration under a standalone
/// manifest (the real one inherits from the workspace) whose tokio has the
/// `fs` and `time` features and nothing else.
fn fixtures_copy() -> tempfile::TempDir {
    let dir = tree(&[
        (
            "Cargo.toml",
            &manifest("stallcheck-fixtures", TOKIO_FS_TIME),
        ),
        (
            "stallcheck.toml",
            &std::fs::read_to_string(fixtures_dir().join("stallcheck.toml")).unwrap(),
        ),
    ]);
    for (relative, text) in sources(&fixtures_dir()) {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Every file under `root/src`, by path relative to `root`.
fn sources(root: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.join("src")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy();
                let relative = relative.replace('\\', "/");
                files.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

/// The JSON findings of a run on `dir`, after checking it analysed every file.
fn findings(dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all_args = vec!["--format", "json"];
    all_args.extend_from_slice(args);
    let run = stallcheck(&all_args, dir);
    let report = json(&run);
    assert_eq!(report["errors"], serde_json::json!([]), "{}", run.stdout);
    report["findings"].as_array().unwrap().clone()
}

/// (path, line, rule) -> how many findings.
fn keyed<'a>(
    findings: impl IntoIterator<Item = &'a serde_json::Value>,
) -> BTreeMap<(String, u64, String), usize> {
    let mut keyed = BTreeMap::new();
    for finding in findings {
        let key = (
            finding["path"].as_str().unwrap().to_string(),
            finding["line"].as_u64().unwrap(),
            finding["rule"].as_str().unwrap().to_string(),
        );
        *keyed.entry(key).or_default() += 1;
    }
    keyed
}

fn has_fix(finding: &serde_json::Value) -> bool {
    !finding["fix"].is_null()
}

/// The callees of the findings that have a fix, sorted.
fn fixed_callees(findings: &[serde_json::Value]) -> Vec<String> {
    let mut callees: Vec<String> = findings
        .iter()
        .filter(|finding| has_fix(finding))
        .map(|finding| finding["callee"].as_str().unwrap().to_string())
        .collect();
    callees.sort();
    callees
}

#[test]
fn fixing_the_fixtures_removes_exactly_the_findings_that_had_a_fix() {
    let dir = fixtures_copy();
    let before = findings(dir.path(), &[]);
    let (fixable, kept): (Vec<_>, Vec<_>) = before.iter().partition(|finding| has_fix(finding));
    let callees = fixed_callees(&before);
    for callee in ["std::thread::sleep", "std::fs::read", "std::fs::write"] {
        assert!(callees.iter().any(|c| c == callee), "no fix for `{callee}`");
    }
    // Functions whose tokio twin differs in type keep their help only.
    for callee in ["std::fs::read_dir", "std::fs::File::open"] {
        assert!(!callees.iter().any(|c| c == callee), "`{callee}` got a fix");
        assert!(kept.iter().any(|finding| finding["callee"] == callee));
    }
    let fixed_paths: BTreeSet<String> = fixable
        .iter()
        .map(|finding| finding["path"].as_str().unwrap().to_string())
        .collect();
    let original = sources(dir.path());

    let diff = stallcheck(&["--fix", "--unsafe-fixes", "--diff"], dir.path());
    assert_eq!(sources(dir.path()), original, "--diff must write nothing");
    assert_eq!(diff.stdout.matches("\n+++ b/").count(), fixed_paths.len());
    for path in &fixed_paths {
        assert!(
            diff.stdout
                .contains(&format!("--- a/{path}\n+++ b/{path}\n")),
            "no diff for {path}:\n{}",
            diff.stdout
        );
    }
    for hunk in [
        "-    std::thread::sleep(Duration::from_millis(1)); //~ blocking-sleep\n\
         +    tokio::time::sleep(Duration::from_millis(1)).await; //~ blocking-sleep\n",
        "+    let data = tokio::fs::read(dir.join(\"a\")).await?; //~ blocking-fs\n",
        "+    let both = (tokio::time::sleep(d).await, tokio::time::sleep(d).await); //~ blocking-sleep blocking-sleep\n",
    ] {
        assert!(
            diff.stdout.contains(hunk),
            "missing\n{hunk}in\n{}",
            diff.stdout
        );
    }
    let counts = format!("{} findings in {} files", fixable.len(), fixed_paths.len());
    assert!(
        diff.stderr.contains(&format!("would fix {counts}")),
        "{}",
        diff.stderr
    );

    let fix = stallcheck(&["--fix", "--unsafe-fixes"], dir.path());
    assert_eq!(fix.code, 1, "warnings remain: {}", fix.stderr);
    assert!(
        fix.stderr.contains(&format!("fixed {counts}")),
        "{}",
        fix.stderr
    );
    let fixed = sources(dir.path());
    let changed: BTreeSet<String> = fixed
        .iter()
        .filter(|(path, text)| original[path.as_str()] != **text)
        .map(|(path, _)| path.clone())
        .collect();
    assert_eq!(changed, fixed_paths);
    for path in &changed {
        if let Err(err) = syn::parse_file(&fixed[path]) {
            panic!("fixed {path} does not parse: {err}");
        }
    }

    // Fixes never add lines, so what remains keeps its lines: exactly the
    // findings without a fix, every `//~` of them.
    let after = findings(dir.path(), &[]);
    assert!(!after.iter().any(has_fix), "a fix was left unapplied");
    assert_eq!(keyed(&after), keyed(kept));
}

const SLEEP_AND_READ: &str = "\
pub async fn work(d: std::time::Duration) -> std::io::Result<Vec<u8>> {
    std::thread::sleep(d);
    std::fs::read(\"a\")
}
";

#[test]
fn fixes_need_a_tokio_dependency_with_the_feature() {
    let sleep = "std::thread::sleep";
    let read = "std::fs::read";
    let workspace_inherited = "tokio = { workspace = true, features = [\"fs\"] }\n\n\
        [workspace]\n[workspace.dependencies]\ntokio = { version = \"1\", features = [\"time\"] }";
    for (dependencies, expected) in [
        (
            r#"tokio = { version = "1", features = ["rt", "macros"] }"#,
            &[][..],
        ),
        (
            r#"tokio = { version = "1", features = ["time"] }"#,
            &[sleep][..],
        ),
        (
            r#"tokio = { version = "1", features = ["fs"] }"#,
            &[read][..],
        ),
        (
            r#"tokio = { version = "1", features = ["full"] }"#,
            &[read, sleep][..],
        ),
        (workspace_inherited, &[read, sleep][..]),
        // `tokio::` would not name a renamed, optional or dev-only tokio.
        (
            r#"tk = { package = "tokio", version = "1", features = ["full"] }"#,
            &[][..],
        ),
        (
            r#"tokio = { version = "1", features = ["full"], optional = true }"#,
            &[][..],
        ),
        (
            "[dev-dependencies]\ntokio = { version = \"1\", features = [\"full\"] }",
            &[][..],
        ),
        ("async-std = \"1\"", &[][..]),
    ] {
        let dir = tree(&[
            ("Cargo.toml", &manifest("sample", dependencies)),
            ("src/lib.rs", SLEEP_AND_READ),
        ]);
        let found = findings(dir.path(), &[]);
        assert_eq!(found.len(), 2, "{dependencies}");
        assert_eq!(fixed_callees(&found), expected, "{dependencies}");
    }
}

/// Each line marked `//~ fix` has a finding with a fix; each marked
/// `//~ no-fix` has a finding without one.
const CONTEXTS: &str = "\
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub async fn direct(d: Duration) {
    std::thread::sleep(d); //~ fix
}

pub fn async_block_in_sync_closure(d: Duration) -> impl Fn() -> Pin<Box<dyn Future<Output = ()>>> {
    move || Box::pin(async move { std::thread::sleep(d) }) //~ fix
}

pub async fn sync_closure(d: Duration) {
    let nap = || std::thread::sleep(d); //~ no-fix
    nap();
    (0..2).for_each(|_| std::thread::sleep(d)); //~ no-fix
}

pub struct Delay;

impl Future for Delay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        std::thread::sleep(Duration::ZERO); //~ no-fix
        Poll::Ready(())
    }
}

pub async fn macro_body(d: Duration) {
    tokio::join!(async { std::thread::sleep(d) }); //~ no-fix
}

pub async fn turbofish() {
    let _ = std::fs::read::<&str>(\"a\"); //~ no-fix
}

pub mod shadowed {
    mod tokio {}

    pub async fn local_tokio_module(d: std::time::Duration) {
        std::thread::sleep(d); //~ no-fix
    }
}
";

#[test]
fn fixes_are_offered_only_where_await_can_go() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_FS_TIME)),
        ("src/lib.rs", CONTEXTS),
    ]);
    let found = findings(dir.path(), &[]);
    let mut expected = BTreeMap::new();
    for (index, line) in CONTEXTS.lines().enumerate() {
        if let Some((_, marker)) = line.split_once("//~ ") {
            expected.insert(index as u64 + 1, marker == "fix");
        }
    }
    let actual: BTreeMap<u64, bool> = found
        .iter()
        .map(|finding| (finding["line"].as_u64().unwrap(), has_fix(finding)))
        .collect();
    assert_eq!(actual, expected);
}

#[test]
fn diff_requires_fix_and_fix_does_not_write_a_baseline() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_FS_TIME)),
        ("src/lib.rs", SLEEP_AND_READ),
    ]);
    let alone = stallcheck(&["--diff"], dir.path());
    assert_eq!(alone.code, 2);
    assert!(alone.stderr.contains("--fix"), "{}", alone.stderr);
    let baseline = dir.path().join("baseline.json");
    let both = stallcheck(
        &["--fix", "--write-baseline", baseline.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(both.code, 2);
    assert!(both.stderr.contains("--write-baseline"), "{}", both.stderr);
    assert_eq!(sources(dir.path())["src/lib.rs"], SLEEP_AND_READ);
}

const REPORTED_ONLY: &str = "\
use std::time::Duration;

pub async fn known(d: Duration) {
    std::thread::sleep(d);
}

pub async fn allowed(d: Duration) {
    std::thread::sleep(d); // stallcheck: allow(blocking-sleep) measured
}

pub async fn skipped() -> std::io::Result<String> {
    std::fs::read_to_string(\"a\")
}
";

#[test]
fn only_reported_findings_are_fixed() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_FS_TIME)),
        ("src/lib.rs", REPORTED_ONLY),
    ]);
    let baseline = dir.path().join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    let written = stallcheck(&["--write-baseline", baseline], dir.path());
    assert_eq!(written.code, 0, "{}", written.stderr);
    // A finding that appears after the baseline was written.
    let source = format!(
        "{REPORTED_ONLY}\npub async fn new(d: Duration) {{\n    std::thread::sleep(d);\n}}\n"
    );
    std::fs::write(dir.path().join("src/lib.rs"), &source).unwrap();

    let fix = stallcheck(
        &[
            "--fix",
            "--unsafe-fixes",
            "--baseline",
            baseline,
            "--skip-rule",
            "blocking-fs",
        ],
        dir.path(),
    );
    assert!(
        fix.stderr.contains("fixed 1 finding in 1 file"),
        "{}",
        fix.stderr
    );
    let expected = source.replacen(
        "pub async fn new(d: Duration) {\n    std::thread::sleep(d);",
        "pub async fn new(d: Duration) {\n    tokio::time::sleep(d).await;",
        1,
    );
    assert_eq!(sources(dir.path())["src/lib.rs"], expected);
    // Nothing left that the baseline does not know: the fix re-linted.
    assert_eq!(fix.code, 0, "{}", fix.stdout);
}

const SAMPLE_LIB: &str = "\
mod store;

use std::fs;
use std::time::Duration;

pub async fn load(path: &str) -> std::io::Result<String> {
    let text = fs::read_to_string(path)?;
    std::thread::sleep(Duration::from_millis(10));
    Ok(text)
}
";

const SAMPLE_STORE: &str = "\
pub async fn save(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap())?;
    std::fs::write(path, data)?;
    for entry in std::fs::read_dir(path)? {
        let _ = entry?;
    }
    Ok(())
}
";

#[test]
fn diff_of_a_sample_crate() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_FS_TIME)),
        ("src/lib.rs", SAMPLE_LIB),
        ("src/store.rs", SAMPLE_STORE),
    ]);
    let run = stallcheck(&["--fix", "--unsafe-fixes", "--diff"], dir.path());
    // The findings are still there: nothing was written.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "stallcheck: would fix 4 findings in 2 files (nothing written)\n"
    );
    insta::assert_snapshot!(run.stdout);
    // Without `--unsafe-fixes`, the sleep (outside `#[tokio::main]`) stays.
    let safe_only = stallcheck(&["--fix", "--diff"], dir.path());
    assert_eq!(
        safe_only.stderr,
        "stallcheck: would fix 3 findings in 2 files (nothing written)\n"
    );

    // Human output marks the same four findings, and only them: three
    // safe `tokio::fs` rewrites and the unsafe sleep.
    let human = stallcheck(&["--color", "never"], dir.path());
    assert_eq!(human.stdout.matches("warning[blocking-fs]").count(), 4);
    assert_eq!(
        human
            .stdout
            .matches("= help: fix available: run with `--fix`")
            .count(),
        3,
        "{}",
        human.stdout
    );
    assert_eq!(
        human
            .stdout
            .matches("= help: unsafe fix available with `--fix --unsafe-fixes`: `tokio::time::sleep` panics on a runtime built without `enable_time()` or under another executor, and this code is not known to run on a runtime with timers (a `#[tokio::main]`/`#[tokio::test]` function, or an async block of a function whose runtime builders enable them)")
            .count(),
        1,
        "{}",
        human.stdout
    );

    // The JSON form of one of those fixes.
    let found = findings(dir.path(), &["--rule", "blocking-sleep"]);
    assert_eq!(
        found[0]["fix"],
        serde_json::json!({
            "description": "replace with `tokio::time::sleep(..).await`",
            "safety": "unsafe",
            "unsafe_reason": "`tokio::time::sleep` panics on a runtime built without `enable_time()` or under another executor, and this code is not known to run on a runtime with timers (a `#[tokio::main]`/`#[tokio::test]` function, or an async block of a function whose runtime builders enable them)",
            "edits": [
                {
                    "line": 8, "column": 5, "end_line": 8, "end_column": 23,
                    "replacement": "tokio::time::sleep",
                },
                {
                    "line": 8, "column": 50, "end_line": 8, "end_column": 50,
                    "replacement": ".await",
                },
            ],
        })
    );
}

const SLEEP_IN_ENTRY_POINT_AND_HELPER: &str = "\
use std::time::Duration;

#[tokio::main]
async fn main() {
    std::thread::sleep(Duration::from_millis(1));
    helper().await;
}

async fn helper() {
    std::thread::sleep(Duration::from_millis(1));
}
";

const TOKIO_MAIN_TIME: &str =
    r#"tokio = { version = "1", features = ["macros", "rt-multi-thread", "time"] }"#;

#[test]
fn a_sleep_fix_is_safe_only_inside_a_tokio_entry_point() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_MAIN_TIME)),
        ("src/main.rs", SLEEP_IN_ENTRY_POINT_AND_HELPER),
    ]);
    let found = findings(dir.path(), &[]);
    let safety: Vec<(u64, &str)> = found
        .iter()
        .map(|finding| {
            (
                finding["line"].as_u64().unwrap(),
                finding["fix"]["safety"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(safety, [(5, "safe"), (10, "unsafe")]);
    let sarif = json(&stallcheck(&["--format", "sarif"], dir.path()));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let sarif_safety: Vec<&str> = results
        .iter()
        .map(|result| result["properties"]["fixSafety"].as_str().unwrap())
        .collect();
    assert_eq!(sarif_safety, ["safe", "unsafe"]);
    // SARIF `fixes` carry the same edits as JSON's `fix.edits`.
    for (result, finding) in results.iter().zip(&found) {
        let replacements = result["fixes"][0]["artifactChanges"][0]["replacements"]
            .as_array()
            .unwrap();
        let edits = finding["fix"]["edits"].as_array().unwrap();
        assert_eq!(replacements.len(), edits.len());
        for (replacement, edit) in replacements.iter().zip(edits) {
            assert_eq!(replacement["insertedContent"]["text"], edit["replacement"]);
            assert_eq!(replacement["deletedRegion"]["startLine"], edit["line"]);
            assert_eq!(replacement["deletedRegion"]["startColumn"], edit["column"]);
            assert_eq!(
                replacement["deletedRegion"]["endColumn"],
                edit["end_column"]
            );
        }
    }

    let fix = stallcheck(&["--fix"], dir.path());
    assert!(
        fix.stderr.contains("fixed 1 finding in 1 file"),
        "{}",
        fix.stderr
    );
    let text = &sources(dir.path())["src/main.rs"];
    assert!(
        text.contains("async fn main() {\n    tokio::time::sleep(Duration::from_millis(1)).await;"),
        "{text}"
    );
    assert!(
        text.contains("async fn helper() {\n    std::thread::sleep("),
        "{text}"
    );

    let unsafe_fix = stallcheck(&["--fix", "--unsafe-fixes"], dir.path());
    assert!(
        unsafe_fix.stderr.contains("fixed 1 finding in 1 file"),
        "{}",
        unsafe_fix.stderr
    );
    assert!(!sources(dir.path())["src/main.rs"].contains("std::thread::sleep"));
}

const SLEEP_UNDER_A_GUARD: &str = "\
use std::sync::Mutex;
use std::time::Duration;

pub async fn hold(counter: &Mutex<u32>) {
    let guard = counter.lock().unwrap();
    std::thread::sleep(Duration::from_millis(1));
    drop(guard);
}
";

#[test]
fn a_rewrite_that_would_hold_a_lock_across_its_await_is_not_written() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_FS_TIME)),
        ("src/lib.rs", SLEEP_UNDER_A_GUARD),
    ]);
    let before = findings(dir.path(), &[]);
    assert!(
        !before
            .iter()
            .any(|finding| finding["rule"] == "lock-held-across-await"),
        "{before:?}"
    );
    let fix = stallcheck(&["--fix", "--unsafe-fixes", "--color", "never"], dir.path());
    assert_eq!(sources(dir.path())["src/lib.rs"], SLEEP_UNDER_A_GUARD);
    assert!(
        fix.stderr.contains("fixed 0 findings in 0 files"),
        "{}",
        fix.stderr
    );
    assert!(
        fix.stdout.contains("error: not fixed: the rewrite would hold a lock across an `.await` (a new `lock-held-across-await` at 5:25); left unchanged\n--> src/lib.rs"),
        "{}",
        fix.stdout
    );
    assert!(
        fix.stdout.contains("warning[blocking-sleep]"),
        "{}",
        fix.stdout
    );
}

const SLEEP_UNDER_BUILDERS: &str = "\
use std::time::Duration;

pub fn with_timers() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        std::thread::sleep(Duration::from_millis(1));
    });
}

pub fn without_timers() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        std::thread::sleep(Duration::from_millis(1));
    });
}
";

#[test]
fn a_sleep_fix_is_safe_in_an_async_block_of_a_runtime_built_with_timers() {
    let dir = tree(&[
        ("Cargo.toml", &manifest("sample", TOKIO_MAIN_TIME)),
        ("src/lib.rs", SLEEP_UNDER_BUILDERS),
    ]);
    let found = findings(dir.path(), &["--rule", "blocking-sleep"]);
    let safety: Vec<(u64, &str)> = found
        .iter()
        .map(|finding| {
            (
                finding["line"].as_u64().unwrap(),
                finding["fix"]["safety"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(safety, [(9, "safe"), (16, "unsafe")]);
}
