//! `cargo xtask mutate`: a long run of the linter's mutation property test
//! (`lint/tests/mutations.rs`), in release mode: many more mutated fixtures
//! than the few seconds' worth the ordinary test suite checks.

use std::process::{Command, ExitCode};

use crate::harness::workspace_root;

#[derive(clap::Args)]
pub struct Args {
    /// How many mutants to check (the test suite checks 24)
    #[arg(long, value_name = "N", default_value_t = 5000)]
    mutants: usize,
    /// Seed of the mutation generator (a failure prints the one to reuse)
    #[arg(long, value_name = "SEED")]
    seed: Option<u64>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
    command
        .current_dir(workspace_root())
        .args([
            "test",
            "--release",
            "--package",
            "stallcheck-lint",
            "--test",
            "mutations",
            "--",
            "--nocapture",
        ])
        .env("STALLCHECK_MUTANTS", args.mutants.to_string());
    if let Some(seed) = args.seed {
        command.env("STALLCHECK_MUTATION_SEED", seed.to_string());
    }
    let status = command
        .status()
        .map_err(|err| format!("cannot run cargo test: {err}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
