//! Analysis versus a bare parse of the same files, with 1 and 2 worker
//! threads: `cargo bench -p stallcheck-lint --bench analysis`.
//!
//! The input is tokio's `src/` from the cargo registry when a build has put
//! it there (a large, real async crate), else this repository's fixtures.
//! Targets (issue 2): analysis at most 1.5x parse-only; 2 jobs at least 1.7x
//! faster than 1.

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_lint::driver::{self, Options};
use stallcheck_lint::workspace::{self, Layout};

fn registry_tokio_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))?;
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("tokio-1."))
        })
        .map(|path| path.join("src"))
        .filter(|src| src.is_dir())
        .collect();
    candidates.sort();
    candidates.pop()
}

fn input() -> (String, PathBuf) {
    match registry_tokio_src() {
        Some(src) => ("tokio-src".to_string(), src),
        None => (
            "fixtures".to_string(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/src"),
        ),
    }
}

fn analysis_versus_parse(c: &mut Criterion) {
    let (name, dir) = input();
    let discovery = workspace::discover(&dir).expect("benchmark input is readable");
    let Layout::Loose(files) = discovery.layout else {
        panic!("{} has no Cargo.toml", dir.display())
    };
    let mut group = c.benchmark_group(format!("lint/{name}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(files.len() as u64));
    for jobs in [1, 2] {
        group.bench_with_input(BenchmarkId::new("parse-only", jobs), &jobs, |b, &jobs| {
            b.iter(|| {
                let outcome = driver::parse_only(&files, Some(jobs)).expect("pool starts");
                assert_eq!(outcome.files, files.len());
                outcome
            });
        });
        group.bench_with_input(BenchmarkId::new("analysis", jobs), &jobs, |b, &jobs| {
            let options = Options {
                jobs: Some(jobs),
                no_config: true,
                ..Options::default()
            };
            b.iter(|| {
                let report = driver::run(&dir, &options).expect("the input lints");
                assert_eq!(report.files, files.len());
                report.findings.len()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, analysis_versus_parse);
criterion_main!(benches);
