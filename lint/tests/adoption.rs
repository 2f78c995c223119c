//! The adoption kit of `docs/ci.md`, as a user would run it.
//!
//! - The pre-commit hook of `.pre-commit-hooks.yaml`, run by the real
//!   `pre-commit try-repo` on a tiny git repository: a blocking call fails
//!   the commit with stallcheck's diagnostics, clean code passes, and a
//!   change with no Rust file in it does not run the hook. The hook is
//!   `language: system`: it runs the `stallcheck` on PATH, here the one
//!   this test suite built. pre-commit comes from PyPI
//!   (`pip install pre-commit`; `cargo xtask ci` installs it).
//! - The GitHub Actions workflow's lint command, taken from `docs/ci.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository that holds `.pre-commit-hooks.yaml`.
fn hook_repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("lint/ is inside the workspace")
        .to_path_buf()
}

fn pre_commit_is_installed() {
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "pre-commit is not installed: install it: pip install pre-commit (`cargo xtask ci` does)"
    );
}

/// What `pre-commit try-repo` printed, and its exit code.
struct HookRun {
    code: i32,
    output: String,
}

/// A git repository with `files` staged, and the hook run on all of them.
fn try_hook(files: &[(&str, &str)]) -> HookRun {
    pre_commit_is_installed();
    let repo = tempfile::tempdir().expect("temporary directory");
    for (path, contents) in files {
        let path = repo.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file path has a parent"))
            .expect("create parent directories");
        std::fs::write(path, contents).expect("write test file");
    }
    git(repo.path(), &["init", "--quiet"]);
    git(repo.path(), &["add", "--all"]);
    let home = tempfile::tempdir().expect("temporary directory");
    let stallcheck_dir = Path::new(env!("CARGO_BIN_EXE_stallcheck"))
        .parent()
        .expect("the binary is in a directory");
    let path = std::env::join_paths(std::iter::once(stallcheck_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .expect("PATH entries without separators");
    let output = without_git_environment(Command::new("pre-commit"))
        .args(["try-repo"])
        .arg(hook_repository())
        .args(["stallcheck", "--all-files", "--color", "never"])
        .current_dir(repo.path())
        .env("PATH", path)
        // pre-commit's cache and log, apart from the developer's.
        .env("PRE_COMMIT_HOME", home.path())
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("pre-commit runs");
    HookRun {
        code: output.status.code().unwrap_or(-1),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// A test run from a git hook inherits `GIT_DIR` and friends, which would
/// point these commands at the outer repository.
fn without_git_environment(mut command: Command) -> Command {
    for name in ["GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX"] {
        command.env_remove(name);
    }
    command
}

fn git(dir: &Path, args: &[&str]) {
    let status = without_git_environment(Command::new("git"))
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?} failed");
}

const MANIFEST: &str = "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

#[test]
fn a_blocking_call_fails_the_hook_with_its_diagnostic() {
    let lib = "pub async fn load() -> String {\n    std::fs::read_to_string(\"x\").unwrap()\n}\n";
    let run = try_hook(&[("Cargo.toml", MANIFEST), ("src/lib.rs", lib)]);
    assert_eq!(run.code, 1, "{}", run.output);
    assert!(
        run.output.contains("stallcheck....") && run.output.contains("Failed"),
        "{}",
        run.output
    );
    assert!(
        run.output.contains(
            "warning[blocking-fs]: blocking filesystem call `std::fs::read_to_string` in async function `load`"
        ),
        "{}",
        run.output
    );
    assert!(run.output.contains(" --> src/lib.rs:2:5"), "{}", run.output);
}

#[test]
fn clean_code_passes_the_hook() {
    let lib =
        "pub async fn load() -> String {\n    tokio::fs::read_to_string(\"x\").await.unwrap()\n}\n";
    let run = try_hook(&[("Cargo.toml", MANIFEST), ("src/lib.rs", lib)]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(run.output.contains("Passed"), "{}", run.output);
}

#[test]
fn the_hook_does_not_run_without_rust_files_or_manifests() {
    let run = try_hook(&[("README.md", "# notes\n")]);
    assert_eq!(run.code, 0, "{}", run.output);
    assert!(
        run.output.contains("(no files to check)") && run.output.contains("Skipped"),
        "{}",
        run.output
    );
}

/// The `run: stallcheck ...` line of the workflow in `docs/ci.md`, without
/// its redirection: `["--format", "sarif", ...]`.
fn workflow_lint_arguments() -> Vec<String> {
    let docs =
        std::fs::read_to_string(hook_repository().join("docs/ci.md")).expect("docs/ci.md exists");
    let line = docs
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("run: stallcheck "))
        .expect("the workflow has a `run: stallcheck ...` step");
    let command = line.split('>').next().unwrap_or(line);
    command.split_whitespace().map(str::to_string).collect()
}

#[test]
fn the_workflow_lint_step_writes_sarif_and_lets_the_upload_run() {
    let args = workflow_lint_arguments();
    assert_eq!(args, ["--format", "sarif", "--exit-zero"]);
    let lib = "pub async fn load() -> String {\n    std::fs::read_to_string(\"x\").unwrap()\n}\n";
    let repo = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir_all(repo.path().join("src")).expect("src/");
    std::fs::write(repo.path().join("Cargo.toml"), MANIFEST).expect("manifest");
    std::fs::write(repo.path().join("src/lib.rs"), lib).expect("lib.rs");
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(&args)
        .current_dir(repo.path())
        .output()
        .expect("stallcheck runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the step writes SARIF");
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{log}");
    assert_eq!(results[0]["ruleId"], "blocking-fs");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/lib.rs"
    );
}
