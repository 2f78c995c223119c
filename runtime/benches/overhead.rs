//! What the monitor costs: a fixed workload of many short tasks on a
//! two-worker runtime, with the monitor off, with the probes and runtime
//! metrics, with the probes and metrics (named tasks, the default sample of
//! them instrumented by `TaskMonitor`s, `RuntimeMonitor` sampling), with the
//! stall watchdog on top (poll hooks + watchdog thread: the default
//! monitor), and the default with a `TaskMonitor` on every task (to show
//! what sampling saves).
//!
//! ```text
//! cargo bench -p stallcheck-runtime --bench overhead
//! ```
//!
//! Two groups: `overhead/short-tasks` measures wall time (the throughput a
//! user sees), `overhead-cpu/short-tasks` measures the process's CPU time
//! across all its threads, which stays meaningful on a shared, loaded
//! machine where wall time mostly measures the neighbours.
//!
//! Targets: under 3% throughput cost for probe + metrics, under 5% with the
//! watchdog.
//!
//! `STALLCHECK_BENCH_SLOWDOWN_PCT=20` (the regression gate's own test knob,
//! as in `stallcheck-bench`) makes every iteration burn 20% more process CPU
//! time than its workload took, after it, on the bench's thread.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_runtime::{Monitor, MonitorGuard};
use tokio::runtime::Runtime;

const TASKS: u64 = 2_000;
const YIELDS_PER_TASK: u64 = 8;
const WORKERS: usize = 2;

/// Work per poll, in rounds of a dependent multiply-add that the compiler
/// cannot reassociate (`black_box` on every step). With the executor's own
/// cost, a poll takes ~0.2 µs of CPU at 128 rounds (a worst case: the
/// executor dominates) and ~2 µs at 2,048 rounds (closer to a request
/// handler's step), as measured by the `off` variants.
const POLL_WORK: [(&str, u64); 2] = [("polls-0.2us", 128), ("polls-2us", 2_048)];

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

fn expected_total(rounds: u64) -> u64 {
    (0..TASKS)
        .map(|seed| (0..YIELDS_PER_TASK).fold(seed, |acc, _| poll_work(acc, rounds)))
        .fold(0, u64::wrapping_add)
}

/// The runtime and, when monitored, the monitor and its guard.
struct Setup {
    runtime: Runtime,
    monitor: Option<(Monitor, MonitorGuard)>,
}

fn setup(monitor: Option<Monitor>) -> Setup {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(WORKERS).enable_all();
    if let Some(monitor) = &monitor {
        monitor.install(&mut builder);
    }
    let runtime = builder.build().expect("build the runtime");
    let monitor = monitor.map(|m| {
        let guard = m.start(runtime.handle());
        (m, guard)
    });
    Setup { runtime, monitor }
}

async fn run_workload(monitor: Option<&Monitor>, rounds: u64) -> u64 {
    let handles: Vec<_> = (0..TASKS)
        .map(|seed| match monitor {
            Some(monitor) => monitor.spawn_named("bench/short-task", short_task(seed, rounds)),
            None => tokio::spawn(short_task(seed, rounds)),
        })
        .collect();
    let mut total = 0_u64;
    for handle in handles {
        total = total.wrapping_add(handle.await.expect("task"));
    }
    total
}

fn variants() -> [(&'static str, Option<Monitor>); 5] {
    [
        ("off", None),
        // The parts priced separately: probes + RuntimeMonitor sampling...
        (
            "probe+runtime-metrics",
            Some(
                Monitor::builder()
                    .watchdog(false)
                    .task_metrics(false)
                    .build(),
            ),
        ),
        // ... plus TaskMonitors on the default sample of named tasks ...
        (
            "probe+metrics",
            Some(Monitor::builder().watchdog(false).build()),
        ),
        // ... plus the poll hooks and the watchdog thread (the default).
        ("probe+metrics+watchdog", Some(Monitor::builder().build())),
        // The default with a TaskMonitor on every task: what sampling saves.
        (
            "probe+metrics-every-task+watchdog",
            Some(Monitor::builder().task_sample_every(1).build()),
        ),
    ]
}

fn bench_variants<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Elements(TASKS * YIELDS_PER_TASK));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));

    for (work, rounds) in POLL_WORK {
        let expected = expected_total(rounds);
        for (name, monitor) in variants() {
            let setup = setup(monitor);
            let monitor = setup.monitor.as_ref().map(|(m, _)| m);
            group.bench_function(BenchmarkId::new(name, work), |b| {
                b.to_async(&setup.runtime).iter(|| async {
                    let started = process_cpu_time();
                    let total = run_workload(monitor, rounds).await;
                    burn_slowdown(process_cpu_time().saturating_sub(started));
                    assert_eq!(total, expected, "the workload computed the wrong result");
                    black_box(total)
                });
            });
            if let Some((monitor, guard)) = setup.monitor {
                let report = monitor.report();
                guard.stop();
                // On a loaded machine, stalls here are the OS not running a
                // worker (the workload never blocks): the `cpu` verdict says so.
                let preempted = report
                    .stalls
                    .iter()
                    .filter(|s| s.cpu.as_ref().is_some_and(|c| c.verdict == "preempted"))
                    .count();
                eprintln!(
                    "{name}/{work}: lag p99 {} µs, {} stalls ({preempted} of the {} kept: preempted), watchdog {}",
                    report.lag.p99_us,
                    report.stall_count,
                    report.stalls.len(),
                    report.watchdog
                );
            }
        }
    }
    group.finish();
}

/// Wall time: the usual throughput, but on a shared machine it moves with
/// everyone else's load.
fn overhead_wall_time(c: &mut Criterion) {
    bench_variants(c, "overhead/short-tasks");
}

/// Process CPU time (all threads: workers, watchdog, symboliser): what the
/// monitor adds in work, which other processes' load does not inflate.
fn overhead_cpu_time(c: &mut Criterion<ProcessCpuTime>) {
    bench_variants(c, "overhead-cpu/short-tasks");
}

/// The gate's deliberate slowdown: spins until the process has used
/// `STALLCHECK_BENCH_SLOWDOWN_PCT` percent of `spent` more CPU time.
fn burn_slowdown(spent: Duration) {
    static PCT: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    let pct = *PCT.get_or_init(|| {
        std::env::var("STALLCHECK_BENCH_SLOWDOWN_PCT")
            .ok()
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0)
    });
    if pct == 0 {
        return;
    }
    let until = process_cpu_time() + spent * pct / 100;
    let mut acc = 1_u64;
    while process_cpu_time() < until {
        acc = poll_work(acc, 64);
    }
    black_box(acc);
}

/// CPU time consumed by every thread of this process
/// (`CLOCK_PROCESS_CPUTIME_ID`).
struct ProcessCpuTime;

fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: plain clock_gettime into a stack timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

impl Measurement for ProcessCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        process_cpu_time()
    }
    fn end(&self, start: Duration) -> Duration {
        process_cpu_time().saturating_sub(start)
    }
    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuTimeFormatter
    }
}

/// Values are CPU nanoseconds; throughput is elements per CPU second.
struct CpuTimeFormatter;

impl ValueFormatter for CpuTimeFormatter {
    fn scale_values(&self, typical_ns: f64, values: &mut [f64]) -> &'static str {
        let (divisor, unit) = if typical_ns >= 1e6 {
            (1e6, "ms cpu")
        } else if typical_ns >= 1e3 {
            (1e3, "µs cpu")
        } else {
            (1.0, "ns cpu")
        };
        values.iter_mut().for_each(|v| *v /= divisor);
        unit
    }

    fn scale_throughputs(
        &self,
        _typical_ns: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let elements = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                *n as f64
            }
            Throughput::Bits(n) => *n as f64,
            Throughput::ElementsAndBytes { elements, .. } => *elements as f64,
        };
        values
            .iter_mut()
            .for_each(|v| *v = elements * 1e9 / *v / 1e6);
        "Melem/cpu-s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

criterion_group!(wall_time, overhead_wall_time);
criterion_group! {
    name = cpu_time;
    config = Criterion::default().with_measurement(ProcessCpuTime);
    targets = overhead_cpu_time
}
criterion_main!(wall_time, cpu_time);
