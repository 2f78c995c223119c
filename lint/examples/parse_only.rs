//! The parse-only baseline of the speed measurement: syn-parses every `.rs`
//! file under a directory (the same walk as `stallcheck DIR` for a directory
//! without a manifest, and the same worker pool), with no analysis.
//!
//! ```sh
//! cargo build --release -p stallcheck-lint --example parse_only
//! target/release/examples/parse_only ~/.cargo/registry/src/*/tokio-1.*/src --jobs 2
//! ```
//!
//! Compare with `target/release/stallcheck --format json --jobs 2 DIR`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use stallcheck_lint::driver;
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
    let (dir, jobs) = parse_args()?;
    let discovery = workspace::discover(&dir).map_err(|err| err.0)?;
    let Layout::Loose(files) = discovery.layout else {
        return Err(format!(
            "`{}` has a Cargo.toml; give a directory without one (e.g. the crate's src/) so the file set is plain",
            dir.display()
        ));
    };
    let started = Instant::now();
    let outcome = driver::parse_only(&files, jobs).map_err(|err| err.0)?;
    println!(
        "{{\"files\":{},\"lines\":{},\"items\":{},\"failures\":{},\"elapsed_ms\":{:.3}}}",
        outcome.files,
        outcome.lines,
        outcome.items,
        outcome.failures,
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

fn parse_args() -> Result<(PathBuf, Option<usize>), String> {
    let usage = "usage: parse_only DIR [--jobs N]";
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut jobs = None;
    while let Some(arg) = args.next() {
        if arg == "--jobs" || arg == "-j" {
            let value = args.next().ok_or(usage)?;
            jobs = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| format!("--jobs: `{value}` is not a number"))?,
            );
        } else if dir.is_none() {
            dir = Some(PathBuf::from(arg));
        } else {
            return Err(usage.to_string());
        }
    }
    Ok((dir.ok_or(usage)?, jobs))
}
