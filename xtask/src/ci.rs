//! `cargo xtask ci`: the checks `.ci/run` runs, in the order a developer
//! wants to see them fail, after making sure the machine has what they need
//! (`provision`).

use std::process::{Command, ExitCode};

#[derive(clap::Args)]
pub struct Args {}

/// One step: a description and the cargo arguments that run it.
const STEPS: &[(&str, &[&str])] = &[
    ("formatting", &["fmt", "--all", "--", "--check"]),
    (
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ),
    (
        "fixtures compile",
        &["check", "--package", "stallcheck-fixtures"],
    ),
    ("test suite", &["test", "--workspace"]),
    ("stallcheck audit", &["xtask", "audit"]),
];

pub fn run(_args: Args) -> Result<ExitCode, String> {
    crate::provision::ensure_requirements()?;
    for (name, cargo_args) in STEPS {
        eprintln!("==> {name}: cargo {}", cargo_args.join(" "));
        let status = Command::new(cargo())
            .args(*cargo_args)
            .status()
            .map_err(|err| format!("cannot run cargo for {name}: {err}"))?;
        if !status.success() {
            eprintln!("==> {name} failed");
            return Ok(ExitCode::FAILURE);
        }
    }
    eprintln!("==> all checks passed");
    Ok(ExitCode::SUCCESS)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}
