//! Criterion benchmarks of the embedding alone, the CPU work every workload
//! stands on: group `embed` in wall time, group `embed-cpu` in the thread's
//! CPU time, group `embed-vs-control` in thread CPU time relative to a
//! frozen control computation timed around every sample (the regression
//! gate's own test gates on it; see [`ControlRelativeCpuTime`]). A target of its own so that running it (the regression gate's
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
/// work, which other processes' load on a shared machine inflates less than
/// wall time (wall time moved by ±30% between runs there, CPU time by ±15%).
fn embedding_cpu(criterion: &mut Criterion<ThreadCpuTime>) {
    embedding_in(criterion, "embed-cpu");
}

/// The same in thread CPU time relative to the control computation: the
/// group the regression gate's own test gates on.
fn embedding_vs_control(criterion: &mut Criterion<ControlRelativeCpuTime>) {
    embedding_in(criterion, "embed-vs-control");
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

/// Thread CPU time divided by the thread CPU time of a control computation
/// run right before and right after each sample, times the control's nominal
/// cost, so values read as nanoseconds on a quiet machine.
///
/// Why: on the shared 2-core VM the *CPU time* of the same code moved by
/// ±15% between runs a minute apart with the other vCPU's load (a unchanged
/// rerun read −14%, a 20% slower one +3% against the same baseline). The
/// control is the embedding's hashing loop frozen here (it never changes
/// with the code under test), so it slows down with the machine and not with
/// a regression; the ratio cancels the machine's drift, sample by sample.
struct ControlRelativeCpuTime;

/// What one control run costs on a quiet machine, per build profile (the
/// gate's own test uses `dev`): only for criterion's iteration planning,
/// which reads values as nanoseconds. Comparisons are within one profile.
const CONTROL_NOMINAL_NS: f64 = if cfg!(debug_assertions) {
    6_000_000.0
} else {
    340_000.0
};

/// The frozen control: 3- to 5-gram FNV-1a + SplitMix64 hashing of a fixed
/// 2.5 KB text into a 384-slot vector, as `embed` did when this was written.
fn control_cpu_time() -> Duration {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = TEXT.get_or_init(|| seed::text(&mut Rng::new(11), 320));
    let started = thread_cpu_time();
    let mut vector = [0f32; 384];
    for n in 3..=5 {
        for window in std::hint::black_box(text.as_bytes()).windows(n) {
            let base = window.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
            });
            for round in 0..12_u64 {
                let mut x = base ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                x ^= x >> 31;
                vector[(x % 384) as usize] += if x >> 63 == 1 { -1.0 } else { 1.0 };
            }
        }
    }
    std::hint::black_box(vector);
    thread_cpu_time().saturating_sub(started)
}

impl Measurement for ControlRelativeCpuTime {
    /// The control's CPU time before the sample, and the sample's start.
    type Intermediate = (Duration, Duration);
    type Value = f64;

    fn start(&self) -> (Duration, Duration) {
        (control_cpu_time(), thread_cpu_time())
    }

    fn end(&self, (control_before, started): (Duration, Duration)) -> f64 {
        let spent = thread_cpu_time().saturating_sub(started);
        let control = (control_before + control_cpu_time()).as_nanos() as f64 / 2.0;
        spent.as_nanos() as f64 * CONTROL_NOMINAL_NS / control.max(1.0)
    }

    fn add(&self, a: &f64, b: &f64) -> f64 {
        a + b
    }

    fn zero(&self) -> f64 {
        0.0
    }

    fn to_f64(&self, value: &f64) -> f64 {
        *value
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
criterion_group! {
    name = control_relative_benches;
    config = Criterion::default().with_measurement(ControlRelativeCpuTime);
    targets = embedding_vs_control
}
criterion_main!(benches, cpu_benches, control_relative_benches);
