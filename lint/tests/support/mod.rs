//! Helpers shared by the binary-level test suites (`mod support;`).

use std::path::Path;
use std::process::Command;

/// What one run of a binary produced.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `binary` with `args`, then `path` as the last argument if given.
pub fn run_binary(binary: &str, args: &[&str], path: Option<&Path>) -> Run {
    let mut command = Command::new(binary);
    // Colour is decided by flags in tests, never by the caller's environment.
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CARGO_TERM_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR");
    if let Some(path) = path {
        command.arg(path);
    }
    let output = command.output().expect("the binary runs");
    Run {
        code: output
            .status
            .code()
            .expect("exited normally, not by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The run's stdout as JSON.
#[allow(dead_code)] // Not every suite reads stallcheck's JSON.
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {}", run.stdout))
}

/// A fatal error: exit code 2 and exactly one `error: ...` line naming the problem.
#[allow(dead_code)] // Not every suite checks errors.
pub fn assert_one_line_error(run: &Run, needle: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", run.stderr);
    assert!(
        lines[0].contains(needle),
        "`{needle}` not named in: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("backtrace"),
        "{}",
        run.stderr
    );
}

/// Writes `files` (path, contents) under a fresh temporary directory.
#[allow(dead_code)] // Not every suite builds trees.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let bytes: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(path, contents)| (*path, contents.as_bytes()))
        .collect();
    tree_bytes(&bytes)
}

/// [`tree`] for contents that need not be UTF-8.
#[allow(dead_code)] // Not every suite builds trees.
pub fn tree_bytes(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (path, contents) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file path has a parent"))
            .expect("create parent directories");
        std::fs::write(path, contents).expect("write test file");
    }
    dir
}
