//! What the monitor adds to one poll, measured on a fixed single-threaded
//! workload so an instruction counter gives the same answer on a loaded
//! machine as on a quiet one.
//!
//! ```text
//! cargo build --release -p stallcheck-runtime --example poll_cost
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.hooks \
//!     target/release/examples/poll_cost hooks [ROUNDS]
//! ```
//!
//! Every variant polls the same tasks the same number of times on a
//! current-thread runtime, each poll doing `ROUNDS` (default 0) rounds of the
//! overhead benchmark's work (128 ≈ its 0.2 µs polls, 2048 ≈ its 2 µs polls);
//! the difference in instructions between two variants, divided by the
//! printed poll count, is what the extra part costs per poll. Variants:
//!
//! - `bare`: `tokio::spawn`, no monitor.
//! - `named`: `spawn_named` with probes and runtime metrics, no poll hooks,
//!   no `TaskMonitor` (the baseline for the two below).
//! - `hooks`: `named` plus the watchdog's poll hooks (and its sampler).
//! - `task-metrics`: `named` plus a `TaskMonitor` on every task
//!   (`task_sample_every(1)`).
//! - `default`: the default monitor (hooks, the stack sampler and sampled
//!   `TaskMonitor`s).
//! - `no-sampler`: `default` without the stack sampler
//!   (`sample_interval(None)`): the sampler's own cost is the difference.
//!
//! Without valgrind, the printed wall time per poll is a rough figure.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use stallcheck_runtime::{Monitor, MonitorBuilder, MonitorGuard};

const TASKS: u64 = 2_000;
const YIELDS_PER_TASK: u64 = 8;

const VARIANTS: [&str; 7] = [
    "bare",
    "named",
    "metrics",
    "hooks",
    "no-sampler",
    "default",
    "task-metrics",
];

fn variant(name: &str, stall_threshold: Duration) -> Option<Option<MonitorBuilder>> {
    let builder = Monitor::builder().stall_threshold(stall_threshold);
    match name {
        "bare" => Some(None),
        "named" => Some(Some(builder.watchdog(false).task_metrics(false))),
        "metrics" => Some(Some(builder.watchdog(false))),
        "hooks" => Some(Some(builder.task_metrics(false))),
        // The default monitor without the stack sampler: the sampler's own
        // cost is `default` against this.
        "no-sampler" => Some(Some(builder.sample_interval(None))),
        "default" => Some(Some(builder)),
        "task-metrics" => Some(Some(builder.watchdog(false).task_sample_every(1))),
        _ => None,
    }
}

/// The overhead benchmark's work: a dependent multiply-add per round.
fn poll_work(seed: u64, rounds: u64) -> u64 {
    (0..rounds).fold(seed, |acc, i| {
        black_box(acc.wrapping_mul(6364136223846793005).wrapping_add(i))
    })
}

async fn short_task(seed: u64, rounds: u64) -> u64 {
    let mut acc = seed;
    for _ in 0..YIELDS_PER_TASK {
        acc = poll_work(black_box(acc), rounds);
        tokio::task::yield_now().await;
    }
    acc
}

/// A runtime with the variant's monitor installed and started.
struct Setup {
    runtime: tokio::runtime::Runtime,
    monitor: Option<Monitor>,
    _guard: Option<MonitorGuard>,
}

fn setup(builder: Option<MonitorBuilder>, workers: usize) -> std::io::Result<Setup> {
    let monitor = builder.map(MonitorBuilder::build);
    let mut runtime = if workers == 0 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(workers);
        builder
    };
    runtime.enable_all();
    if let Some(monitor) = &monitor {
        monitor.install(&mut runtime);
    }
    let runtime = runtime.build()?;
    let guard = monitor.as_ref().map(|m| m.start(runtime.handle()));
    Ok(Setup {
        runtime,
        monitor,
        _guard: guard,
    })
}

/// Runs the workload once; returns its checksum.
fn run(setup: &Setup, rounds: u64) -> u64 {
    setup.runtime.block_on(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|seed| match &setup.monitor {
                Some(monitor) => monitor.spawn_named("poll-cost", short_task(seed, rounds)),
                None => tokio::spawn(short_task(seed, rounds)),
            })
            .collect();
        let mut total = 0_u64;
        for handle in handles {
            total = total.wrapping_add(handle.await.unwrap_or(0));
        }
        total
    })
}

fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: plain clock_gettime into a stack timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// All variants on two-worker runtimes, run round-robin so that the load
/// of other processes drifts over every variant alike; prints the median
/// wall and process CPU time per run and the change against `bare`. All
/// variants live in this one process, so the monitors' background threads
/// load every variant alike: this measures the per-poll part well and
/// understates the rest (`--separate` does not).
fn interleaved(rounds: u64, repeats: usize) -> std::io::Result<()> {
    let setups = VARIANTS
        .iter()
        .map(|name| {
            let builder = variant(name, monitor_default_threshold()).flatten();
            setup(builder, 2).map(|s| (*name, s))
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut wall = vec![Vec::new(); setups.len()];
    let mut cpu = vec![Vec::new(); setups.len()];
    for _ in 0..repeats {
        for (i, (_, setup)) in setups.iter().enumerate() {
            let (cpu_start, wall_start) = (process_cpu_time(), Instant::now());
            black_box(run(setup, rounds));
            wall[i].push(wall_start.elapsed().as_secs_f64() * 1e3);
            cpu[i].push((process_cpu_time() - cpu_start).as_secs_f64() * 1e3);
        }
    }
    println!("{rounds} rounds per poll, {repeats} runs per variant (medians):");
    print_against_bare(&mut wall, &mut cpu);
    Ok(())
}

/// One line per variant: the median wall and CPU milliseconds and their
/// change against the first variant (`bare`).
fn print_against_bare(wall: &mut [Vec<f64>], cpu: &mut [Vec<f64>]) {
    let base_wall = median(&mut wall[0].clone());
    let base_cpu = median(&mut cpu[0].clone());
    for (i, name) in VARIANTS.iter().enumerate() {
        let (w, c) = (median(&mut wall[i]), median(&mut cpu[i]));
        println!(
            "{name:<13} wall {w:8.3} ms ({:+6.1}%)   cpu {c:8.3} ms ({:+6.1}%)",
            (w / base_wall - 1.0) * 100.0,
            (c / base_cpu - 1.0) * 100.0
        );
    }
}

/// Runs per child process in `--separate` mode.
const RUNS_PER_PROCESS: usize = 100;

/// Every variant in processes of its own, alternating, `processes` times:
/// in `--interleaved` mode all variants share one process, so each one's
/// process CPU time also counts the other monitors' background threads
/// (probes, samplers, watchdogs), which hides part of their cost. Here a
/// child runs one variant alone; the parent prints the median over the
/// children of their median run, against `bare`.
fn separate(rounds: u64, processes: u64) -> std::io::Result<()> {
    let exe = std::env::current_exe()?;
    let mut wall = vec![Vec::new(); VARIANTS.len()];
    let mut cpu = vec![Vec::new(); VARIANTS.len()];
    for _ in 0..processes {
        for (i, name) in VARIANTS.iter().enumerate() {
            let out = std::process::Command::new(&exe)
                .args(["--one", name, &rounds.to_string()])
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let mut fields = text.split_whitespace().map(str::parse::<f64>);
            let (Some(Ok(w)), Some(Ok(c))) = (fields.next(), fields.next()) else {
                return Err(std::io::Error::other(format!(
                    "child for `{name}` failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            };
            wall[i].push(w);
            cpu[i].push(c);
        }
    }
    println!("{rounds} rounds per poll, {processes} processes per variant (medians of medians):");
    print_against_bare(&mut wall, &mut cpu);
    Ok(())
}

/// A `--separate` child: one variant, `RUNS_PER_PROCESS` runs; prints the
/// median wall and process CPU milliseconds.
fn one_process(name: &str, rounds: u64) -> std::io::Result<()> {
    let builder = variant(name, monitor_default_threshold())
        .ok_or_else(|| std::io::Error::other(format!("unknown variant `{name}`")))?;
    let setup = setup(builder, 2)?;
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..RUNS_PER_PROCESS {
        let (cpu_start, wall_start) = (process_cpu_time(), Instant::now());
        black_box(run(&setup, rounds));
        wall.push(wall_start.elapsed().as_secs_f64() * 1e3);
        cpu.push((process_cpu_time() - cpu_start).as_secs_f64() * 1e3);
    }
    println!("{} {}", median(&mut wall), median(&mut cpu));
    Ok(())
}

fn report(result: std::io::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("poll_cost: {error}");
            ExitCode::FAILURE
        }
    }
}

fn monitor_default_threshold() -> Duration {
    stallcheck_runtime::DEFAULT_STALL_THRESHOLD
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| args.get(i).map_or(Ok(default), |r| r.parse::<u64>());
    if args.first().map(String::as_str) == Some("--interleaved") {
        let (Ok(rounds), Ok(repeats)) = (number(1, 128), number(2, 50)) else {
            eprintln!("usage: poll_cost --interleaved [ROUNDS] [REPEATS]");
            return ExitCode::FAILURE;
        };
        return match interleaved(rounds, usize::try_from(repeats).unwrap_or(1).max(1)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("poll_cost: {error}");
                ExitCode::FAILURE
            }
        };
    }
    if args.first().map(String::as_str) == Some("--separate") {
        let (Ok(rounds), Ok(processes)) = (number(1, 128), number(2, 10)) else {
            eprintln!("usage: poll_cost --separate [ROUNDS] [PROCESSES]");
            return ExitCode::FAILURE;
        };
        return report(separate(rounds, processes));
    }
    if args.first().map(String::as_str) == Some("--one") {
        let (Some(name), Ok(rounds)) = (args.get(1), number(2, 128)) else {
            eprintln!("usage: poll_cost --one VARIANT ROUNDS");
            return ExitCode::FAILURE;
        };
        return report(one_process(name, rounds));
    }
    let name = args.first().cloned().unwrap_or_default();
    // A long threshold keeps the watchdog thread's scans rare (every 50 ms),
    // so its own instructions barely show in the count.
    let (Some(builder), Ok(rounds)) = (variant(&name, Duration::from_secs(1)), number(1, 0)) else {
        eprintln!(
            "usage: poll_cost bare|named|metrics|hooks|default|task-metrics [ROUNDS]\n       \
             poll_cost --interleaved [ROUNDS] [REPEATS]\n       \
             poll_cost --separate [ROUNDS] [PROCESSES]"
        );
        return ExitCode::FAILURE;
    };
    let setup = match setup(builder, 0) {
        Ok(setup) => setup,
        Err(error) => {
            eprintln!("poll_cost: cannot build the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let total = run(&setup, rounds);
    let elapsed = started.elapsed();
    drop(setup);
    let polls = TASKS * (YIELDS_PER_TASK + 1);
    println!(
        "{name}: {polls} polls, {:.1} ns/poll wall (checksum {total:x})",
        elapsed.as_nanos() as f64 / polls as f64
    );
    ExitCode::SUCCESS
}
