//! What the monitor costs: a fixed workload of many short tasks on a
//! two-worker runtime, with the monitor off, with the probes and metrics
//! (named, `TaskMonitor`-instrumented tasks, `RuntimeMonitor` sampling),
//! with the stall watchdog on top (poll hooks + watchdog thread), and with
//! the watchdog but without per-task `TaskMonitor`s (to show which part
//! costs what).
//!
//! ```text
//! cargo bench -p stallcheck-runtime --bench overhead
//! ```
//!
//! Targets: under 3% throughput cost for probe + metrics, under 5% with the
//! watchdog.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_runtime::{Monitor, MonitorGuard};
use tokio::runtime::Runtime;

const TASKS: u64 = 2_000;
const YIELDS_PER_TASK: u64 = 8;
const WORKERS: usize = 2;

/// Work per poll, in rounds of a dependent multiply-add (~1 ns each):
/// ~0.1 µs polls (a worst case: the executor's own cost dominates) and
/// ~4 µs polls (closer to a request handler's step).
const POLL_WORK: [(&str, u64); 2] = [("polls-0.1us", 64), ("polls-4us", 4_096)];

fn poll_work(seed: u64, rounds: u64) -> u64 {
    (0..rounds).fold(seed, |acc, i| {
        acc.wrapping_mul(6364136223846793005).wrapping_add(i)
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

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead/short-tasks");
    group.throughput(Throughput::Elements(TASKS * YIELDS_PER_TASK));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(6));

    for (work, rounds) in POLL_WORK {
        let expected = expected_total(rounds);
        let variants: [(&str, Option<Monitor>); 4] = [
            ("off", None),
            (
                "probe+metrics",
                Some(Monitor::builder().watchdog(false).build()),
            ),
            (
                "probe+metrics+watchdog",
                Some(Monitor::builder().watchdog(true).build()),
            ),
            // Where the cost lives: the same without per-task TaskMonitors.
            (
                "probe+runtime-metrics+watchdog",
                Some(Monitor::builder().task_metrics(false).build()),
            ),
        ];
        for (name, monitor) in variants {
            let setup = setup(monitor);
            let monitor = setup.monitor.as_ref().map(|(m, _)| m);
            group.bench_function(BenchmarkId::new(name, work), |b| {
                b.to_async(&setup.runtime).iter(|| async {
                    let total = run_workload(monitor, rounds).await;
                    assert_eq!(total, expected, "the workload computed the wrong result");
                    black_box(total)
                });
            });
            if let Some((monitor, guard)) = setup.monitor {
                let report = monitor.report();
                guard.stop();
                eprintln!(
                    "{name}/{work}: lag p99 {} µs, {} stalls, watchdog {}",
                    report.lag.p99_us, report.stall_count, report.watchdog
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
