use super::*;
use crate::analysis::{FileContext, analyze_file};
use crate::catalog::Catalog;
use crate::finding::Severity;

/// One file of a spec: its path, module path and source.
type SpecFile<'a> = (&'a str, &'a [&'a str], &'a str);

/// Analyses the files as one crate `app` and solves the graph; the
/// graph's findings, sorted.
fn findings(files: &[SpecFile<'_>]) -> Vec<Finding> {
    pipeline(files).1
}

/// The walker's findings (what the solution does not take off the
/// executor) and the graph's, each sorted: what the driver reports.
fn pipeline(files: &[SpecFile<'_>]) -> (Vec<Finding>, Vec<Finding>) {
    let catalog = Catalog::builtin();
    let mut crates = Crates::default();
    let app = crates.add("app", true);
    let analyses: Vec<crate::analysis::FileAnalysis> = files
        .iter()
        .map(|(path, module_path, source)| {
            let module_path: Vec<String> = module_path.iter().map(|s| s.to_string()).collect();
            let ctx = FileContext {
                rel_path: path,
                module_path: &module_path,
                ..FileContext::spec(&catalog)
            };
            analyze_file(source, &ctx).expect("spec source parses")
        })
        .collect();
    let summaries: Vec<FileSummary> = analyses
        .iter()
        .map(|analysis| analysis.summary.clone())
        .collect();
    let units: Vec<Unit<'_>> = files
        .iter()
        .zip(&summaries)
        .map(|((path, _, _), summary)| Unit {
            path,
            crate_id: app,
            runtime: AsyncRuntime::Tokio,
            summary,
        })
        .collect();
    let solution = solve(&units, &crates);
    let mut walked: Vec<Finding> = analyses
        .into_iter()
        .enumerate()
        .flat_map(|(index, analysis)| {
            let offloaded = &solution.offloaded;
            analysis
                .findings
                .into_iter()
                .filter(move |finding| !offloaded.contains(&(index, finding.rule, finding.span)))
        })
        .collect();
    let mut graph: Vec<Finding> = solution
        .findings
        .into_iter()
        .map(|(_, finding)| finding)
        .collect();
    for findings in [&mut walked, &mut graph] {
        findings.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
    }
    (walked, graph)
}

/// Asserts every reported finding, the walker's and the graph's, as
/// `path:line:rule` sorted by position.
fn check_reported(source: &str, expected: &[&str]) {
    let (walked, graph) = pipeline(&[("src/lib.rs", &[], source)]);
    let mut found: Vec<&Finding> = walked.iter().chain(&graph).collect();
    found.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
    let found: Vec<String> = found
        .iter()
        .map(|finding| format!("{}:{}:{}", finding.path, finding.span.line, finding.rule))
        .collect();
    assert_eq!(found, expected, "\nsource:\n{source}");
}

fn check(files: &[SpecFile<'_>], expected: &[&str]) {
    let found: Vec<String> = findings(files)
        .iter()
        .map(|finding| format!("{}:{}:{}", finding.path, finding.span.line, finding.rule))
        .collect();
    assert_eq!(found, expected);
}

fn check_one(source: &str, expected: &[&str]) {
    check(&[("src/lib.rs", &[], source)], expected);
}

#[test]
fn a_helper_that_reads_a_file_is_reported_at_the_async_call() {
    check_one(
        "fn load() -> Vec<u8> { std::fs::read(\"a\").unwrap() }\n\
         async fn run() {\n    load();\n}\n",
        &["src/lib.rs:3:blocking-fs"],
    );
}

#[test]
fn a_helper_is_as_serious_as_its_most_serious_blocking_call() {
    // `seek` is a note; the write after it is not.
    let found = findings(&[(
        "src/lib.rs",
        &[],
        "use std::io::{Seek, Write};\n\
         fn save(file: &mut std::fs::File) { file.seek(std::io::SeekFrom::Start(0)).unwrap(); file.write_all(b\"x\").unwrap(); }\n\
         async fn run(file: &mut std::fs::File) {\n    save(file);\n}\n",
    )]);
    let found: Vec<(usize, &str, Severity, bool)> = found
        .iter()
        .map(|f| {
            (
                f.span.line,
                f.rule,
                f.severity,
                f.message.contains("write_all"),
            )
        })
        .collect();
    assert_eq!(found, [(4, "blocking-fs", Severity::Warning, true)]);
}

#[test]
fn a_chain_three_deep_is_reported_with_every_step() {
    let [finding] = findings(&[(
        "src/lib.rs",
        &[],
        "fn a() { b() }\nfn b() { c() }\nfn c() { std::thread::sleep(d) }\n\
         async fn run() {\n    a();\n}\n",
    )])
    .try_into()
    .expect("one finding");
    assert_eq!(finding.rule, "blocking-sleep");
    assert_eq!(finding.callee, "app::a");
    assert_eq!(
        finding.message,
        "`a` blocks the executor in async function `run`: it ends up calling `std::thread::sleep`"
    );
    let steps: Vec<(String, usize)> = finding
        .chain
        .iter()
        .map(|step| (step.function.clone(), step.line))
        .collect();
    assert_eq!(
        steps,
        [
            ("app::a".to_string(), 1),
            ("app::b".to_string(), 2),
            ("app::c".to_string(), 3)
        ]
    );
    assert_eq!(
        finding.notes,
        [
            "`a` (src/lib.rs:1) calls `b`",
            "`b` (src/lib.rs:2) calls `c`",
            "`c` (src/lib.rs:3) calls `std::thread::sleep`",
        ]
    );
}

#[test]
fn cycles_terminate_and_block_when_any_member_blocks() {
    check_one(
        "fn ping(n: u32) { pong(n) }\n\
         fn pong(n: u32) { if n > 0 { ping(n - 1) } else { std::thread::sleep(d) } }\n\
         fn spin(n: u32) { spin(n) }\n\
         async fn run() {\n    ping(3);\n    spin(1);\n}\n",
        &["src/lib.rs:5:blocking-sleep"],
    );
}

#[test]
fn the_shortest_chain_is_kept() {
    let [finding] = findings(&[(
        "src/lib.rs",
        &[],
        "fn a() { b(); c() }\nfn b() { c() }\nfn c() { std::fs::read(p); }\n\
         async fn run() {\n    a();\n}\n",
    )])
    .try_into()
    .expect("one finding");
    assert_eq!(finding.chain.len(), 2, "{:?}", finding.chain);
}

#[test]
fn offloaded_helpers_are_not_reported() {
    check_one(
        "fn load() { std::fs::read(p); }\n\
         async fn run() {\n\
             tokio::task::spawn_blocking(load);\n\
             tokio::task::spawn_blocking(move || load());\n\
             let work = || load();\n\
             tokio::task::spawn_blocking(work);\n\
         }\n",
        &[],
    );
}

#[test]
fn a_helper_that_blocks_only_in_its_own_spawn_blocking_does_not_block() {
    check_one(
        "fn start() { tokio::task::spawn_blocking(|| std::fs::read(p)); }\n\
         async fn run() {\n    start();\n}\n",
        &[],
    );
}

#[test]
fn async_helpers_do_not_propagate() {
    check_one(
        "async fn fetch() { std::fs::read(p); }\n\
         fn sync_caller() { let _ = fetch(); }\n\
         async fn run() {\n    fetch().await;\n    sync_caller();\n}\n",
        &[],
    );
}

#[test]
fn an_unknown_receiver_is_no_edge() {
    check_one(
        "struct Disk;\nimpl Disk { fn flush(&self) { std::fs::write(p, b); } }\n\
         async fn run(x: impl Flush) {\n    x.flush();\n}\n",
        &[],
    );
}

#[test]
fn methods_resolve_through_self_self_type_paths_and_fields() {
    check_one(
        "use std::sync::Arc;\n\
         struct Disk;\nimpl Disk { fn flush(&self) { std::fs::write(p, b); } }\n\
         struct Store { disk: Arc<Disk> }\n\
         impl Store {\n\
             fn save(&self) { self.disk.flush() }\n\
             async fn run(&self) {\n\
                 self.save();\n\
                 Self::save(self);\n\
                 Store::save(self);\n\
                 self.disk.flush();\n\
             }\n\
         }\n",
        &[
            "src/lib.rs:8:blocking-fs",
            "src/lib.rs:9:blocking-fs",
            "src/lib.rs:10:blocking-fs",
            "src/lib.rs:11:blocking-fs",
        ],
    );
}

#[test]
fn the_crates_own_lock_method_is_not_a_finding() {
    check_one(
        "struct Db { m: std::sync::Mutex<u32> }\n\
         impl Db { fn lock(&self) -> std::sync::MutexGuard<'_, u32> { self.m.lock().unwrap() } }\n\
         async fn run(db: &Db) {\n    db.lock();\n}\n",
        &[],
    );
}

#[test]
fn helpers_in_other_files_join_through_use_and_super() {
    check(
        &[
            (
                "src/lib.rs",
                &[],
                "mod config;\nuse crate::config::load;\nasync fn run() {\n    load();\n}\n",
            ),
            (
                "src/config.rs",
                &["config"],
                "pub fn load() { super::disk::read_all() }\n",
            ),
            (
                "src/disk.rs",
                &["disk"],
                "pub fn read_all() { std::fs::read(p); }\n",
            ),
        ],
        &["src/lib.rs:4:blocking-fs"],
    );
}

/// `Disk` and its blocking method, declared in `src/disk.rs`.
const DISK: SpecFile<'static> = (
    "src/disk.rs",
    &["disk"],
    "pub struct Disk;\nimpl Disk { pub fn flush(&self) { std::fs::write(p, b); } }\n\
     pub struct Store { pub disk: Disk }\n\
     pub type Shared = std::sync::Arc<Store>;\n\
     pub fn open() -> Store { Store { disk: Disk } }\n\
     impl Store { pub fn disk(&self) -> &Disk { &self.disk } }\n",
);

#[test]
fn receivers_are_typed_by_other_files_fields_aliases_and_return_types() {
    check(
        &[
            (
                "src/lib.rs",
                &[],
                "mod disk;\nuse crate::disk::{open, Shared, Store};\n\
                 impl Store {\n    async fn save(&self) {\n        self.disk.flush();\n    }\n}\n\
                 async fn run(shared: Shared) {\n\
                     shared.disk.flush();\n\
                     open().disk.flush();\n\
                     open().disk().flush();\n\
                 }\n",
            ),
            DISK,
        ],
        &[
            "src/lib.rs:5:blocking-fs",
            "src/lib.rs:9:blocking-fs",
            "src/lib.rs:10:blocking-fs",
            "src/lib.rs:11:blocking-fs",
        ],
    );
}

#[test]
fn an_unknown_field_is_no_edge() {
    check(
        &[
            (
                "src/lib.rs",
                &[],
                "mod disk;\nuse crate::disk::Store;\n\
                 impl Store {\n    async fn save(&self) {\n        self.cache.flush();\n    }\n}\n",
            ),
            DISK,
        ],
        &[],
    );
}

#[test]
fn a_local_function_shadowing_a_blocking_name_is_the_crates() {
    check_one(
        "mod util { pub fn sleep(_: u64) {} }\nuse util::sleep;\n\
         async fn run() {\n    sleep(1);\n}\n",
        &[],
    );
}

// Offload wrappers, inferred.

/// tokio's `asyncify` (src/fs/mod.rs): every `tokio::fs` function hands
/// its `std::fs` call to it in a closure.
const ASYNCIFY: &str = "use std::io;\n\
    async fn asyncify<F, T>(f: F) -> io::Result<T>\n\
    where\n    F: FnOnce() -> io::Result<T> + Send + 'static,\n    T: Send + 'static,\n\
    {\n    match tokio::task::spawn_blocking(f).await {\n        Ok(res) => res,\n        \
    Err(_) => Err(io::Error::other(\"background task failed\")),\n    }\n}\n";

#[test]
fn a_closure_handed_to_an_asyncify_wrapper_runs_off_the_executor() {
    check_reported(
        &format!(
            "{ASYNCIFY}\
             pub async fn read(path: String) -> io::Result<Vec<u8>> {{\n\
             \x20   asyncify(move || std::fs::read(path)).await\n}}\n\
             fn load() -> io::Result<Vec<u8>> {{ std::fs::read(\"a\") }}\n\
             pub async fn load_async() -> io::Result<Vec<u8>> {{\n\
             \x20   asyncify(move || load()).await\n}}\n"
        ),
        &[],
    );
}

#[test]
fn a_wrapper_of_a_wrapper_offloads_through_paths_and_methods() {
    check_reported(
        "fn offload<F: FnOnce() + Send + 'static>(f: F) { tokio::task::spawn_blocking(f); }\n\
         fn outer<F: FnOnce() + Send + 'static>(f: F) { offload(f) }\n\
         struct Pool;\n\
         impl Pool { fn run<F: FnOnce() + Send + 'static>(&self, f: F) { outer(f) } }\n\
         async fn go(pool: &Pool) {\n\
             outer(|| std::thread::sleep(d));\n\
             pool.run(move || { std::fs::read(p); });\n\
             Pool::run(pool, move || { std::fs::read(p); });\n\
         }\n",
        &[],
    );
}

#[test]
fn a_method_on_a_receiver_typed_by_another_file_offloads_too() {
    let (walked, graph) = pipeline(&[
        (
            "src/lib.rs",
            &[],
            "mod pool;\n\
             impl pool::Server {\n\
             \x20   async fn handle(&self) {\n\
             \x20       self.pool.run(move || { std::fs::read(p); });\n\
             \x20       self.pool.run_here(move || { std::fs::read(p); });\n\
             \x20   }\n}\n",
        ),
        (
            "src/pool.rs",
            &["pool"],
            "pub struct Server { pub pool: Pool }\npub struct Pool;\n\
             impl Pool {\n\
             \x20   pub fn run<F: FnOnce() + Send + 'static>(&self, f: F) { tokio::task::spawn_blocking(f); }\n\
             \x20   pub fn run_here<F: FnOnce()>(&self, f: F) { f() }\n}\n",
        ),
    ]);
    let lines: Vec<usize> = walked.iter().map(|finding| finding.span.line).collect();
    assert_eq!(lines, [5], "{walked:#?}");
    assert!(graph.is_empty(), "{graph:#?}");
}

#[test]
fn a_function_that_calls_its_closure_runs_it_on_the_executor() {
    check_reported(
        "fn run<F: FnOnce()>(f: F) { f() }\n\
         fn either<F: FnOnce() + Send + 'static>(f: F, inline: bool) {\n\
             if inline { f() } else { tokio::task::spawn_blocking(f); }\n\
         }\n\
         async fn go() {\n\
             run(|| std::thread::sleep(d));\n\
             either(|| std::thread::sleep(d), false);\n\
         }\n",
        &["src/lib.rs:6:blocking-sleep", "src/lib.rs:7:blocking-sleep"],
    );
}

#[test]
fn a_wrapper_offloads_only_the_parameter_it_hands_on() {
    check_reported(
        "fn second<F: FnOnce(), G: FnOnce() + Send + 'static>(first: F, second: G) {\n\
             first();\n    tokio::task::spawn_blocking(second);\n}\n\
         async fn go() {\n\
             second(\n\
                 || std::thread::sleep(d),\n\
                 || std::thread::sleep(d),\n\
             );\n\
         }\n",
        &["src/lib.rs:7:blocking-sleep"],
    );
}

#[test]
fn forwards_in_a_cycle_and_shadowed_parameters_offload_nothing() {
    check_reported(
        "fn ping<F: FnOnce()>(f: F) { pong(f) }\n\
         fn pong<F: FnOnce()>(f: F) { ping(f) }\n\
         fn shadowed<F: FnOnce() + Send + 'static>(f: F) {\n\
             let f = move || f();\n    tokio::task::spawn_blocking(f);\n}\n\
         async fn go() {\n\
             ping(|| std::thread::sleep(d));\n\
             shadowed(|| std::thread::sleep(d));\n\
         }\n",
        &["src/lib.rs:8:blocking-sleep", "src/lib.rs:9:blocking-sleep"],
    );
}

#[test]
fn a_sync_helper_that_offloads_through_a_wrapper_does_not_block() {
    check_reported(
        "fn offload<F: FnOnce() + Send + 'static>(f: F) { std::thread::spawn(f); }\n\
         fn run<F: FnOnce()>(f: F) { f() }\n\
         fn save_later() { offload(|| { std::fs::write(p, b); }) }\n\
         fn save_now() { run(|| { std::fs::write(p, b); }) }\n\
         async fn go() {\n    save_later();\n    save_now();\n}\n",
        &["src/lib.rs:7:blocking-fs"],
    );
}

#[test]
fn an_async_block_made_in_a_wrapped_closure_runs_on_the_executor() {
    check_reported(
        "fn offload<F: FnOnce() -> R + Send + 'static, R: Send + 'static>(f: F) {\n\
         \x20   tokio::task::spawn_blocking(f);\n}\n\
         async fn go() {\n\
         \x20   offload(|| async { std::thread::sleep(d) });\n\
         \x20   offload(|| std::thread::sleep(d));\n}\n",
        &["src/lib.rs:5:blocking-sleep"],
    );
}

mod dispatch;
mod drops;
mod roots;
