//! Project automation: `cargo xtask <task>` (alias in `.cargo/config.toml`).
//!
//! Each task lives in its own module; this file only dispatches.

mod audit;
mod bench;
mod ci;
mod docs;
mod evidence_loop;
mod harness;
mod mutate;
mod provision;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "stallcheck's project tasks", version)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Lint this workspace (or --manifest-path) with stallcheck; writes target/stallcheck/stallcheck.sarif
    Audit(audit::Args),
    /// Run the blocking-versus-fixed workloads and write target/stallcheck/harness.json;
    /// with --evidence, then lint bench-harness with the measured stall sites
    Harness(harness::Args),
    /// Run the criterion benchmarks; save or compare against a baseline
    Bench(bench::Args),
    /// Everything CI checks (formatting, clippy, fixtures, the test suite, the audit), after installing what the tests need (redis-server, rustfmt, clippy, rust-analyzer) where it may
    Ci(ci::Args),
    /// A long run of the linter's mutation property test (release mode)
    Mutate(mutate::Args),
    /// Generate docs/rules/<id>.md from the rules' documentation (--check: fail when stale)
    Docs(docs::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.task {
        Task::Audit(args) => audit::run(args),
        Task::Harness(args) => harness::run(args),
        Task::Bench(args) => bench::run(args),
        Task::Ci(args) => ci::run(args),
        Task::Mutate(args) => mutate::run(args),
        Task::Docs(args) => docs::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
