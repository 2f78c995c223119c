//! `stallcheck-bench`: runs the reference workloads, blocking versus fixed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use stallcheck_bench::run::{self, RunOptions};

#[derive(Parser)]
#[command(
    name = "stallcheck-bench",
    version,
    about = "Reference memory-store workloads, blocking versus fixed, measured side by side",
    long_about = "Runs five agent-memory workloads (vector-store, working-memory on a real Redis, \
repo-sync, memory-stream, session-store), each in a blocking variant that reproduces a common \
async anti-pattern and a fixed variant that applies the standard cure, under the same seeded \
load on monitored tokio runtimes. Prints a table, writes harness.json and SVG charts.\n\n\
Exit status: 0 every variant correct; 1 a correctness check failed, the variants disagree, \
or a workload failed (or was skipped with --fail-on-skip); 2 bad arguments or set-up error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run workloads (blocking then fixed for each) and report
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// `all`, or one of: vector-store, working-memory, repo-sync, memory-stream, session-store
    #[arg(long, default_value = "all", value_name = "all|NAME")]
    workload: String,
    /// Concurrent clients, each issuing its own sequence of operations
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    clients: u64,
    /// Operations per variant, spread over the clients (rounded up to a whole number per
    /// client); default: each workload's own (vector-store 12800, working-memory 51200,
    /// repo-sync 128 repository syncs, memory-stream 6400, session-store 25600)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    ops: Option<u64>,
    /// Stop issuing new operations after this many seconds per variant
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    duration: Option<f64>,
    /// Seed of the operation mix and generated data
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Open loop: issue operations at this total rate (ops/s) and measure latency from
    /// their intended start; closed loop (each client back to back) when absent
    #[arg(long, value_name = "RATE", value_parser = positive_rate)]
    open_loop: Option<f64>,
    /// Use this Redis instead of starting a private redis-server
    #[arg(long, value_name = "URL")]
    redis_url: Option<String>,
    /// Serve tokio-console on loopback (default 127.0.0.1:6669) with named tasks
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:6669")]
    console: Option<SocketAddr>,
    /// Where harness.json and the charts go
    #[arg(long, default_value = "target/stallcheck", value_name = "DIR")]
    out: PathBuf,
    /// Worker threads of each measured runtime
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=256))]
    workers: u64,
    /// CPU-heavy jobs (embeddings, rankings) the fixed variants run at once on the blocking
    /// pool [default: one per core]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    cpu_permits: Option<u64>,
    /// Poll length in milliseconds above which the monitor reports a stall
    /// (shorter blocking is still attributed by the sampler)
    #[arg(long, default_value_t = 10.0, value_name = "MS", value_parser = positive_ms)]
    stall_threshold: f64,
    /// Treat a skipped workload (no redis-server) as a failure
    #[arg(long)]
    fail_on_skip: bool,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

fn positive_ms(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("`{text}` is not a positive number of milliseconds")),
    }
}

fn positive_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!(
            "`{text}` is not a positive rate in operations per second"
        )),
    }
}

fn main() -> ExitCode {
    let Command::Run(args) = Cli::parse().command;
    match execute(args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn execute(args: RunArgs) -> Result<ExitCode, String> {
    if let Some(console) = args.console
        && !console.ip().is_loopback()
    {
        eprintln!("warning: tokio-console listens on {console}, which is not loopback");
    }
    let options = RunOptions {
        workloads: run::select(&args.workload)?,
        clients: args.clients as usize,
        ops: args.ops.map(|ops| ops as usize),
        duration: args.duration.map(Duration::from_secs_f64),
        seed: args.seed,
        open_loop: args.open_loop,
        redis_url: args.redis_url,
        console: args.console,
        out: args.out,
        workers: args.workers as usize,
        cpu_permits: args
            .cpu_permits
            .map_or_else(stallcheck_bench::embed::cpu_permits, |n| n as usize),
        print: true,
        stall_threshold: Duration::from_secs_f64(args.stall_threshold / 1e3),
    };
    let result = run::run(&options)?;
    for path in &result.written {
        println!("wrote {}", path.display());
    }
    let skipped: Vec<_> = result
        .report
        .workloads
        .iter()
        .filter_map(|w| w.skipped.as_ref().map(|r| (&w.name, r)))
        .collect();
    let mut failed = !result.failures.is_empty();
    if args.fail_on_skip && !skipped.is_empty() {
        for (name, reason) in &skipped {
            eprintln!("error: {name} was skipped: {reason}");
        }
        failed = true;
    }
    for failure in &result.failures {
        eprintln!("error: {failure}");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
