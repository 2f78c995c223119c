//! Criterion benchmarks of the embedding alone, the CPU work every workload
//! stands on: group `embed` in wall time, group `embed-cpu` in the thread's
//! CPU time. A target of its own so that running it (the regression gate's
//! own test does, `xtask/tests/gate.rs`) does not pay the workload benches'
//! set-up: their reference runs and a redis-server.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_bench::embed;
use stallcheck_bench::seed::{self, Rng};
use stallcheck_bench::slowdown::thread_cpu_time;

/// The CPU work every workload stands on: one embedding of a memory-sized text.
fn embedding(criterion: &mut Criterion) {
    embedding_in(criterion, "embed");
}

/// The same, timed in the thread's CPU time: what the embedding costs in
/// work, which other processes' load on a shared machine does not inflate
/// (wall time moved by ±30% between runs there). The regression gate's own
/// test gates on this group.
fn embedding_cpu(criterion: &mut Criterion<ThreadCpuTime>) {
    embedding_in(criterion, "embed-cpu");
}

fn embedding_in<M: Measurement>(criterion: &mut Criterion<M>, name: &str) {
    let mut rng = Rng::new(7);
    let text = seed::text(&mut rng, 320);
    let mut group = criterion.benchmark_group(name);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(
        BenchmarkId::new("feature-hashing", text.len()),
        &text,
        |bencher, text| {
            bencher.iter(|| {
                let vector = embed::embed(std::hint::black_box(text));
                assert_eq!(vector.len(), embed::DIM);
                vector
            });
        },
    );
    group.finish();
}

/// CPU time of the calling thread (`CLOCK_THREAD_CPUTIME_ID`); the embedding
/// bench runs on one thread.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, started: Duration) -> Duration {
        thread_cpu_time().saturating_sub(started)
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

criterion_group!(benches, embedding);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = embedding_cpu
}
criterion_main!(benches, cpu_benches);
