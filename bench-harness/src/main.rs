//! `stallcheck-bench`: runs the reference workloads, blocking, fixed and
//! optimized side by side.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use stallcheck_bench::run::{
    self, DEFAULT_CALIBRATION, DEFAULT_RATE_FRACTION, LoadMode, RunOptions,
};
use stallcheck_bench::workload::DEFAULT_HOT_SHARE;

#[derive(Parser)]
#[command(
    name = "stallcheck-bench",
    version,
    about = "Reference memory-store workloads: blocking, fixed and optimized, measured side by side",
    long_about = "Runs five agent-memory workloads (vector-store, working-memory on a real Redis, \
repo-sync, memory-stream, session-store), each in three variants under the same seeded plan \
on monitored tokio runtimes: blocking (a common async anti-pattern), fixed (the one change a \
reviewer would ask for: the blocking call made async or moved off the executor, nothing else) \
and optimized (what a good async design adds: group commit, multiplexing, parallelism). \
Reports fixed/blocking (the price of blocking) and optimized/fixed (the price of the design). \
By default every variant is offered the same open-loop rate, a fraction of the fixed \
variant's capacity measured by a short calibration run, and latency is measured from each \
operation's intended start. Prints a table, writes harness.json and SVG charts.\n\n\
Exit status: 0 every variant correct; 1 a correctness check failed, the variants disagree, \
or a workload failed (or was skipped with --fail-on-skip); 2 bad arguments or set-up error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run workloads (blocking, fixed, optimized for each) and report
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
    /// Open loop at this total rate (ops/s) for every workload, instead of a calibrated one
    #[arg(long, value_name = "RATE", value_parser = positive_rate, conflicts_with = "closed_loop")]
    rate: Option<f64>,
    /// Open loop (default): offer every variant this fraction of the fixed variant's
    /// closed-loop throughput, measured by a calibration run
    #[arg(long, value_name = "FRACTION", default_value_t = DEFAULT_RATE_FRACTION, value_parser = fraction)]
    rate_fraction: f64,
    /// Length of the calibration run, seconds
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_CALIBRATION.as_secs_f64(), value_parser = positive_seconds)]
    calibrate: f64,
    /// Closed loop: each client issues its next operation when the previous one returns
    /// (latency from the actual start; a stalled executor slows the clients down)
    #[arg(long)]
    closed_loop: bool,
    /// Percentage of session-store operations that save one of a few sessions shared by
    /// every client, so that saves contend for their lock
    #[arg(long, value_name = "PCT", default_value_t = DEFAULT_HOT_SHARE, value_parser = clap::value_parser!(u8).range(0..=100))]
    hot_share: u8,
    /// Extra latency (ms) added inside every blocking-capable call, in every variant alike:
    /// after each fsync (a slower device) and to each Redis request (a loopback proxy in
    /// front of redis-server). Several values (`0,1,5,20`) rerun everything at each one and
    /// draw the price curve (price-curve.json, <workload>-price-curve.svg)
    #[arg(long, value_name = "MS[,MS...]", default_value = "0", value_delimiter = ',', value_parser = non_negative_ms)]
    io_latency: Vec<f64>,
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
    /// CPU-heavy jobs (embeddings, rankings) the optimized variants run at once on the blocking
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

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value <= 1.0 => Ok(value),
        _ => Err(format!("`{text}` is not a fraction in (0, 1]")),
    }
}

fn non_negative_ms(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=10_000.0).contains(&value) => Ok(value),
        _ => Err(format!(
            "`{text}` is not a latency in ms between 0 and 10000"
        )),
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
    if let Err(message) = stallcheck_bench::scratch::cleanup_on_signals() {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
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
        load: match (args.closed_loop, args.rate) {
            (true, _) => LoadMode::Closed,
            (false, Some(rate)) => LoadMode::Open { rate },
            (false, None) => LoadMode::Calibrated {
                fraction: args.rate_fraction,
                calibration: Duration::from_secs_f64(args.calibrate),
            },
        },
        hot_share: args.hot_share,
        io_latency: Duration::ZERO,
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
    let latencies: Vec<Duration> = args
        .io_latency
        .iter()
        .map(|ms| Duration::from_secs_f64(ms / 1000.0))
        .collect();
    if latencies.len() > 1 {
        let curve = stallcheck_bench::price_curve::run(&options, &latencies)?;
        for path in &curve.written {
            println!("wrote {}", path.display());
        }
        for failure in &curve.failures {
            eprintln!("error: {failure}");
        }
        return Ok(if curve.failures.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    let options = RunOptions {
        io_latency: latencies.first().copied().unwrap_or(Duration::ZERO),
        ..options
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
