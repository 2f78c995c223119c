//! The parse-only baseline of the speed measurement: syn-parses the files
//! `stallcheck PATH` would read, with the same worker pool, and no analysis.
//! For a directory without a manifest, every `.rs` file under it; for a
//! crate or workspace, the same `cargo metadata` discovery and module-tree
//! walk as the linter (`--include-tests` as the linter's flag).
//!
//! ```sh
//! cargo build --release -p stallcheck-lint --bin stallcheck --example parse_only
//! target/release/examples/parse_only ~/.cargo/registry/src/*/tokio-1.*/src --jobs 2
//! target/release/examples/parse_only . --include-tests --jobs 2
//! ```
//!
//! Compare with `target/release/stallcheck --format json --jobs 2 PATH`
//! (`STALLCHECK_TIMINGS=1` prints its phases on stderr).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use stallcheck_lint::driver::{self, Options};
use stallcheck_lint::workspace::{self, Layout};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let (dir, jobs, include_tests) = parse_args()?;
    let discovery = workspace::discover(&dir).map_err(|err| err.0)?;
    let started = Instant::now();
    let (files, lines, items, failures) = match discovery.layout {
        Layout::Loose(files) => {
            let outcome = driver::parse_only(&files, jobs).map_err(|err| err.0)?;
            (
                outcome.files,
                outcome.lines,
                outcome.items,
                outcome.failures,
            )
        }
        // The linter's own discovery and walk, each file only parsed.
        _ => {
            let options = Options {
                include_tests,
                jobs,
                ..Options::default()
            };
            let (files, lines) = driver::parse_workspace(&dir, &options).map_err(|err| err.0)?;
            (files, lines, 0, 0)
        }
    };
    println!(
        "{{\"files\":{files},\"lines\":{lines},\"items\":{items},\"failures\":{failures},\"elapsed_ms\":{:.3}}}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn parse_args() -> Result<(PathBuf, Option<usize>, bool), String> {
    let usage = "usage: parse_only PATH [--jobs N] [--include-tests]";
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut jobs = None;
    let mut include_tests = false;
    while let Some(arg) = args.next() {
        if arg == "--jobs" || arg == "-j" {
            let value = args.next().ok_or(usage)?;
            jobs = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("--jobs: `{value}` is not a number"))?,
            );
        } else if arg == "--include-tests" {
            include_tests = true;
        } else if dir.is_none() {
            dir = Some(PathBuf::from(arg));
        } else {
            return Err(usage.to_string());
        }
    }
    Ok((dir.ok_or(usage)?, jobs, include_tests))
}
