//! The README's quick start, exactly as written: the commands are read
//! from its `## Quick start` code block, so that this test breaks when the
//! README changes. The first (lint the bench harness) is run and must exit
//! 1 with diagnostics for the blocking workload variants; the second
//! (`cargo xtask ci`) is CI itself, so `.ci/run` must run exactly it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is inside the workspace")
        .to_path_buf()
}

/// The commands of the README's quick start block, comments removed.
fn quick_start_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).expect("README.md");
    let section = readme
        .split("\n## Quick start\n")
        .nth(1)
        .and_then(|text| text.split("\n## ").next())
        .expect("README.md has a `## Quick start` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|text| text.split("```").next())
        .expect("the quick start has a ```sh block");
    block
        .lines()
        .map(|line| line.split(" #").next().unwrap_or("").trim().to_string())
        .filter(|command| !command.is_empty())
        .collect()
}

#[test]
fn the_quick_start_has_two_commands() {
    let commands = quick_start_commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
}

#[test]
fn ci_runs_the_second_quick_start_command_and_nothing_else() {
    let second = quick_start_commands()
        .pop()
        .expect("the quick start has commands");
    let script = std::fs::read_to_string(workspace().join(".ci/run")).expect(".ci/run");
    // What the script runs, apart from its shell set-up.
    let commands: Vec<&str> = script
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter(|line| {
            !["set ", "cd ", "export "]
                .iter()
                .any(|setup| line.starts_with(setup))
        })
        .collect();
    assert_eq!(commands, [second.as_str()], ".ci/run runs: {commands:?}");
}

#[test]
fn the_first_quick_start_command_flags_the_blocking_workloads() {
    let first = quick_start_commands()
        .into_iter()
        .next()
        .expect("the quick start has commands");
    let words: Vec<&str> = first.split_whitespace().collect();
    let output = Command::new(words[0])
        .args(&words[1..])
        .current_dir(workspace())
        .output()
        .unwrap_or_else(|err| panic!("cannot run `{first}`: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "`{first}`: exit code 1 expected\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // Paths are those of the blocking variants, whether printed relative to
    // the bench harness or to the workspace.
    let locations: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("--> "))
        .collect();
    assert!(!locations.is_empty(), "no diagnostics:\n{stdout}");
    for location in &locations {
        let path = location.split(':').next().unwrap_or("");
        let in_workloads = path.strip_prefix("bench-harness/").unwrap_or(path);
        assert!(
            in_workloads.starts_with("src/workloads/") && in_workloads.ends_with("/blocking.rs"),
            "a diagnostic outside the blocking variants: {location}\n{stdout}"
        );
    }
    assert!(
        stdout.contains("warning[blocking-"),
        "no blocking warning:\n{stdout}"
    );
}
