//! Cost against input size: one generated file of 1, 2, 4 and 8 MB, linted
//! (`analysis`) and rendered (`render/human`, `render/json`):
//! `cargo bench -p stallcheck-lint --bench large_inputs`.
//!
//! Linear growth shows as a flat time per byte across the sizes (criterion
//! prints it as throughput). Human rendering indexes each file's lines
//! once, so it grows with findings plus file size, like JSON, instead of
//! their product (issue 14: it took 3.7, 12.5 and 37.6 s for 1, 2 and 4 MB).
//!
//! `no-async` is a file of sync helpers whose identifiers and strings spell
//! `block_on`, `lock` and `async`: only the relevance pre-scan runs over
//! it (the words are not code words), so it stays at the cost of reading.

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use stallcheck_lint::driver::{self, Options, Report};
use stallcheck_lint::output::{self, Format, RenderOptions};

const SIZES_MB: [usize; 4] = [1, 2, 4, 8];

/// About `bytes` of code: an async handler with one blocking call (one
/// finding) and a sync helper, repeated with fresh names.
fn generated_source(bytes: usize) -> String {
    let mut source = String::with_capacity(bytes + 256);
    let mut index = 0;
    while source.len() < bytes {
        source.push_str(&format!(
            "pub async fn handler_{index}(path: &str) -> usize {{\n    \
             let data = std::fs::read(path).unwrap_or_default();\n    \
             data.len() + {index}\n}}\n\
             pub fn helper_{index}(x: u64) -> u64 {{\n    \
             x.wrapping_mul({index}).rotate_left(3)\n}}\n"
        ));
        index += 1;
    }
    source
}

/// About `bytes` of sync helpers with no async code and no code word
/// that reaches async code, another file or the catalog, though their
/// names and strings say `block_on`, `lock` and `async`.
fn generated_no_async_source(bytes: usize) -> String {
    let mut source = String::with_capacity(bytes + 256);
    let mut index = 0;
    while source.len() < bytes {
        source.push_str(&format!(
            "pub fn block_on_lock_{index}(x: u64) -> u64 {{\n    \
             let label = \"async lock block_on {index}\";\n    \
             x.wrapping_mul(label.len() as u64 + {index}).rotate_left(3)\n}}\n"
        ));
        index += 1;
    }
    source
}

fn lint(file: &Path) -> Report {
    let options = Options {
        jobs: Some(1),
        no_config: true,
        ..Options::default()
    };
    driver::run(file, &options).expect("the generated file lints")
}

fn large_inputs(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut group = c.benchmark_group("lint/large-input");
    group.sample_size(10);
    for mb in SIZES_MB {
        let source = generated_source(mb * 1_000_000);
        let file = dir.path().join(format!("generated_{mb}mb.rs"));
        std::fs::write(&file, &source).expect("write the generated file");
        group.throughput(Throughput::Bytes(source.len() as u64));
        group.bench_with_input(BenchmarkId::new("analysis", mb), &file, |b, file| {
            b.iter(|| {
                let report = lint(file);
                assert!(report.errors.is_empty(), "{:?}", report.errors);
                report.findings.len()
            });
        });
        let quiet_source = generated_no_async_source(mb * 1_000_000);
        let quiet = dir.path().join(format!("no_async_{mb}mb.rs"));
        std::fs::write(&quiet, &quiet_source).expect("write the generated file");
        group.throughput(Throughput::Bytes(quiet_source.len() as u64));
        group.bench_with_input(BenchmarkId::new("no-async", mb), &quiet, |b, file| {
            b.iter(|| {
                let report = lint(file);
                assert!(report.errors.is_empty(), "{:?}", report.errors);
                report.lines
            });
        });
        group.throughput(Throughput::Bytes(source.len() as u64));
        let report = lint(&file);
        let sources = output::disk_sources(&report.root);
        for (name, format) in [
            ("render/human", Format::Human),
            ("render/json", Format::Json),
        ] {
            group.bench_with_input(BenchmarkId::new(name, mb), &report, |b, report| {
                b.iter(|| output::render(format, report, RenderOptions::default(), &sources).len());
            });
        }
    }
    group.finish();
}

criterion_group!(benches, large_inputs);
criterion_main!(benches);
