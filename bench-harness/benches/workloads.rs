//! Criterion benchmarks: one group per workload (`workload/vector-store` …),
//! the three variants at a small fixed load, throughput in operations (the
//! embedding alone is `benches/embed.rs`). `cargo xtask bench` gates on them.
//!
//! The runtime, the plan and a fresh workload state per iteration are built
//! outside the timed routine; each timed iteration opens the variant, drives
//! the plan, closes it and asserts its outcomes equal the reference outcomes,
//! which were verified once by the workload's full correctness check.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_bench::driver;
use stallcheck_bench::embed;
use stallcheck_bench::redis_server::RedisServer;
use stallcheck_bench::run::compare;
use stallcheck_bench::workload::{Completed, Plan, Settings, Variant, VariantKind, Workload};
use stallcheck_bench::workloads::{
    memory_stream, repo_sync, session_store, vector_store, working_memory,
};
use tokio::runtime::Runtime;

/// Concurrent clients per iteration.
const CLIENTS: usize = 8;
/// Operations per iteration (repo-sync: repositories).
const OPS: usize = 64;
const REPO_OPS: usize = 8;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("bench runtime")
}

/// A fresh state directory per prepared workload.
struct Fresh {
    root: tempfile::TempDir,
    next: AtomicUsize,
    redis_url: Option<String>,
    ops: usize,
}

impl Fresh {
    fn settings(&self) -> Settings {
        let index = self.next.fetch_add(1, Ordering::Relaxed);
        Settings {
            cpu_permits: embed::cpu_permits(),
            seed: 7,
            redis_url: self.redis_url.clone(),
            ..Settings::small(
                self.root.path().join(format!("state-{index}")),
                CLIENTS,
                self.ops,
            )
        }
    }

    fn prepare<W: Workload>(&self) -> W {
        W::prepare(&self.settings())
            .unwrap_or_else(|err| panic!("{}: cannot prepare: {err:?}", W::NAME))
    }
}

async fn execute<W: Workload, V: Variant<W>>(
    workload: &W,
    plan: &Plan<W::Op>,
) -> Completed<W::Outcome> {
    driver::run_to_completion::<W, V>(workload, plan, "bench")
        .await
        .unwrap_or_else(|err| panic!("{}: variant failed: {err}", W::NAME))
}

fn bench_workload<W: Workload>(
    criterion: &mut Criterion,
    runtime: &Runtime,
    ops: usize,
    redis_url: Option<String>,
) {
    let fresh = Fresh {
        root: tempfile::tempdir().expect("scratch directory"),
        next: AtomicUsize::new(0),
        redis_url,
        ops,
    };
    let reference_workload: W = fresh.prepare();
    let plan = reference_workload.plan(&fresh.settings());
    let reference = runtime.block_on(execute::<W, W::Fixed>(&reference_workload, &plan));
    if let Err(reason) = reference_workload.check(VariantKind::Fixed, &plan, &reference) {
        panic!("{}: the reference run is not correct: {reason}", W::NAME);
    }
    let expected = reference.clients;

    let mut group = criterion.benchmark_group(format!("workload/{}", W::NAME));
    group.throughput(Throughput::Elements(plan.total() as u64));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    bench_variant::<W, W::Blocking>(&mut group, runtime, &fresh, &plan, &expected, "blocking");
    bench_variant::<W, W::Fixed>(&mut group, runtime, &fresh, &plan, &expected, "fixed");
    bench_variant::<W, W::Optimized>(&mut group, runtime, &fresh, &plan, &expected, "optimized");
    group.finish();
}

type Expected<W> = Vec<Vec<Result<<W as Workload>::Outcome, String>>>;

fn bench_variant<W: Workload, V: Variant<W>>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    runtime: &Runtime,
    fresh: &Fresh,
    plan: &Plan<W::Op>,
    expected: &Expected<W>,
    name: &str,
) {
    group.bench_with_input(
        BenchmarkId::new(name, plan.total()),
        plan,
        |bencher, plan| {
            bencher.to_async(runtime).iter_batched(
                || (fresh.prepare::<W>(), plan.clone()),
                |(workload, plan)| async move {
                    let completed = execute::<W, V>(&workload, &plan).await;
                    let completed = Completed {
                        clients: completed.clients,
                    };
                    let reference = Completed {
                        clients: expected.clone(),
                    };
                    assert_eq!(
                        completed.total(),
                        reference.total(),
                        "{} {name}: operations lost",
                        W::NAME
                    );
                    if let Some(difference) = compare::<W>(&completed, &reference) {
                        panic!(
                            "{} {name}: differs from the reference (this run first, the reference second): {difference}",
                            W::NAME
                        );
                    }
                    workload
                },
                BatchSize::PerIteration,
            );
        },
    );
}

fn workloads(criterion: &mut Criterion) {
    let runtime = runtime();
    bench_workload::<vector_store::VectorStore>(criterion, &runtime, OPS, None);
    let redis_dir = tempfile::tempdir().expect("redis directory");
    match RedisServer::start(redis_dir.path()) {
        Ok(server) => {
            let url = Some(server.url().to_string());
            bench_workload::<working_memory::WorkingMemory>(criterion, &runtime, OPS, url);
        }
        Err(err) => eprintln!("workload/working-memory skipped: {err:?}"),
    }
    bench_workload::<repo_sync::RepoSync>(criterion, &runtime, REPO_OPS, None);
    bench_workload::<memory_stream::MemoryStream>(criterion, &runtime, OPS, None);
    bench_workload::<session_store::SessionStore>(criterion, &runtime, OPS, None);
}

criterion_group!(benches, workloads);
criterion_main!(benches);
