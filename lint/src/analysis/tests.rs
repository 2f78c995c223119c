//! Specs for the per-file analysis. `check(source, expected)` runs
//! `analyze_file` on a small file and compares its findings, written
//! `line:rule`, in order. The fixtures crate holds the larger, compiling
//! cases; these pin down one behaviour each.

use super::*;
use crate::catalog::Catalog;
use crate::finding::Confidence;

fn analyze_with(
    source: &str,
    catalog: &Catalog,
    runtime: AsyncRuntime,
    include_tests: bool,
) -> FileAnalysis {
    let ctx = FileContext {
        runtime,
        include_tests,
        ..FileContext::spec(catalog)
    };
    analyze_file(source, &ctx).expect("test source parses")
}

fn analyze(source: &str) -> FileAnalysis {
    analyze_with(source, &Catalog::builtin(), AsyncRuntime::Tokio, false)
}

fn lines_and_rules(analysis: &FileAnalysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .map(|finding| format!("{}:{}", finding.span.line, finding.rule))
        .collect()
}

/// Asserts the findings, as `line:rule` in source order, equal `expected`.
fn check(source: &str, expected: &[&str]) {
    assert_eq!(
        lines_and_rules(&analyze(source)),
        expected,
        "\nsource:\n{source}"
    );
}

fn only_finding(source: &str) -> Finding {
    let mut findings = analyze(source).findings;
    assert_eq!(findings.len(), 1, "expected one finding: {findings:#?}");
    findings.remove(0)
}

// Async context.

#[test]
fn thread_sleep_in_async_fn() {
    check(
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
        &["2:blocking-sleep"],
    );
}

#[test]
fn sync_fn_is_not_async_context() {
    check("fn f() { std::thread::sleep(d); }", &[]);
}

#[test]
fn async_block_in_sync_fn_is_async_context() {
    check(
        "fn f() {\n    let _ = async { std::fs::read(p) };\n}",
        &["2:blocking-fs"],
    );
}

#[test]
fn async_closure_is_async_context() {
    check(
        "fn f() {\n    let c = async || std::fs::read(p);\n}",
        &["2:blocking-fs"],
    );
}

#[test]
fn plain_closure_inherits_the_context_it_is_written_in() {
    check(
        "async fn f() {\n    v.iter().map(|p| std::fs::read(p));\n}\nfn g() { v.iter().map(|p| std::fs::read(p)); }",
        &["2:blocking-fs"],
    );
}

#[test]
fn nested_fn_item_is_not_async_context() {
    check(
        "async fn f() {\n    fn g() { std::thread::sleep(d); }\n    g();\n}",
        &[],
    );
}

#[test]
fn poll_methods_of_future_impls_are_async_context() {
    check(
        "impl Future for F {\n    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {\n        std::thread::sleep(d);\n    }\n    fn other(&self) { std::thread::sleep(d); }\n}\nimpl F {\n    fn poll(&self) { std::thread::sleep(d); }\n}",
        &["3:blocking-sleep"],
    );
}

#[test]
fn a_local_trait_named_future_is_not_the_future_trait() {
    check(
        "trait Future { fn poll(&self); }\nimpl Future for F {\n    fn poll(&self) { std::thread::sleep(d); }\n}",
        &[],
    );
}

#[test]
fn offloaded_closures_are_not_async_context() {
    check(
        "async fn f() {\n    tokio::task::spawn_blocking(|| std::thread::sleep(d));\n    std::thread::spawn(move || std::fs::read(p));\n}",
        &[],
    );
}

#[test]
fn async_block_inside_offloaded_closure_is_async_context_again() {
    check(
        "async fn f() {\n    tokio::task::spawn_blocking(|| block(async {\n        std::thread::sleep(d);\n    }));\n}",
        &["3:blocking-sleep"],
    );
}

#[test]
fn offloading_method_on_a_typed_receiver() {
    check(
        "async fn f() {\n    let handle = tokio::runtime::Handle::current();\n    handle.spawn_blocking(|| std::thread::sleep(d));\n}",
        &[],
    );
}

#[test]
fn thread_scope_spawns_are_offloaded_but_the_scope_waits() {
    check(
        "async fn f() {\n    std::thread::scope(|s| {\n        s.spawn(|| std::thread::sleep(d));\n        std::fs::read(p);\n    });\n}",
        &["2:blocking-wait", "4:blocking-fs"],
    );
}

// Test code.

#[test]
fn test_code_is_skipped_unless_included() {
    let source = "#[cfg(test)]\nmod tests {\n    async fn a() { std::thread::sleep(d); }\n}\n#[tokio::test]\nasync fn b() { std::thread::sleep(d); }\n#[cfg(all(test, unix))]\nasync fn c() { std::thread::sleep(d); }";
    assert_eq!(lines_and_rules(&analyze(source)), Vec::<String>::new());
    let included = analyze_with(source, &Catalog::builtin(), AsyncRuntime::Tokio, true);
    assert_eq!(
        lines_and_rules(&included),
        ["3:blocking-sleep", "6:blocking-sleep", "8:blocking-sleep"]
    );
}

// Resolution.

#[test]
fn use_with_rename_and_group() {
    check(
        "use std::{fs as f, thread::{self as t, sleep as nap}};\nasync fn g() {\n    f::read(p);\n    t::sleep(d);\n    nap(d);\n}",
        &["3:blocking-fs", "4:blocking-sleep", "5:blocking-sleep"],
    );
}

#[test]
fn glob_imports_of_external_modules_resolve_known_names() {
    check(
        "use std::fs::*;\nasync fn g() {\n    read(p);\n    frobnicate(p);\n}",
        &["3:blocking-fs"],
    );
}

#[test]
fn use_super_glob_sees_the_parents_imports() {
    check(
        "use std::thread::sleep;\nmod child {\n    use super::*;\n    async fn g() { sleep(d); }\n}",
        &["4:blocking-sleep"],
    );
}

#[test]
fn self_and_super_paths_resolve_through_inline_modules() {
    check(
        "mod a {\n    pub use std::fs::read;\n    mod b {\n        async fn g() { super::read(p); }\n    }\n    async fn h() { self::read(p); }\n}",
        &["4:blocking-fs", "6:blocking-fs"],
    );
}

#[test]
fn block_local_use_is_scoped_to_its_block() {
    check(
        "async fn g() {\n    { use std::thread::sleep; sleep(d); }\n    sleep(d);\n}",
        &["2:blocking-sleep"],
    );
}

#[test]
fn local_items_and_variables_shadow_imports() {
    check(
        "use std::thread::sleep;\nasync fn a() { fn sleep(_: u64) {} sleep(1); }\nasync fn b() { let sleep = |_: u64| (); sleep(1); }\nasync fn c(sleep: fn(u64)) { sleep(1); }\nasync fn d() { sleep(d); }",
        &["5:blocking-sleep"],
    );
}

#[test]
fn local_module_named_like_std_module() {
    check(
        "mod fs { pub fn read(_: &str) {} }\nasync fn g() { fs::read(p); }",
        &[],
    );
}

#[test]
fn a_local_fn_named_sleep_is_not_thread_sleep() {
    check("fn sleep(_: u64) {}\nasync fn g() { sleep(1); }", &[]);
}

#[test]
fn tokio_paths_are_not_blocking() {
    check(
        "use tokio::time::sleep;\nasync fn g() {\n    sleep(d).await;\n    tokio::fs::read(p).await;\n}",
        &[],
    );
}

#[test]
fn extern_crate_rename() {
    check(
        "extern crate futures as fut;\nasync fn g() { fut::executor::block_on(x); }",
        &["2:block-on-in-async"],
    );
}

// Receiver types.

#[test]
fn receivers_typed_by_constructor() {
    check(
        "use std::fs::File;\nuse std::io::Read;\nasync fn g() {\n    let mut file = File::open(p).unwrap();\n    file.read_to_string(&mut s);\n    let (tx, rx) = std::sync::mpsc::channel();\n    rx.recv();\n    tx.send(1);\n}",
        &["4:blocking-fs", "5:blocking-fs", "7:blocking-wait"],
    );
}

#[test]
fn receivers_typed_by_annotation_through_wrappers() {
    check(
        "use std::sync::{Arc, Mutex};\nasync fn g(m: &Arc<Mutex<u8>>) {\n    m.lock();\n    let n: Option<tokio::sync::Mutex<u8>> = None;\n    n.unwrap().lock().await;\n}",
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn receivers_of_unknown_type_are_not_matched_by_method_name() {
    check(
        "async fn g(x: Thing) {\n    x.recv();\n    y.join();\n}",
        &[],
    );
}

#[test]
fn lock_unwrap_shape_on_unknown_receiver_is_inferred() {
    let finding = only_finding("async fn g(&self) {\n    self.state.lock().unwrap().push(1);\n}");
    assert_eq!(finding.rule, "sync-lock-in-async");
    assert_eq!(finding.confidence, Confidence::Inferred);
    assert_eq!(finding.callee, "std::sync::Mutex::lock");
}

#[test]
fn own_lock_method_on_a_known_type_is_not_a_lock() {
    check("struct J;\nasync fn g(j: &J) { j.lock().unwrap(); }", &[]);
}

#[test]
fn trait_methods_need_their_trait_in_scope() {
    check(
        "mod other { async fn a() { \"h:1\".to_socket_addrs(); } }\nuse std::net::ToSocketAddrs;\nasync fn b() {\n    \"h:1\".to_socket_addrs();\n}",
        &["4:blocking-net"],
    );
}

#[test]
fn builder_chains_keep_their_type() {
    check(
        "async fn g() {\n    tokio::runtime::Builder::new_multi_thread()\n        .enable_all()\n        .build();\n}",
        &["4:nested-runtime"],
    );
}

#[test]
fn one_finding_per_rule_and_call_chain() {
    check(
        "async fn g() {\n    std::io::stdin().lock().lines();\n    tokio::runtime::Runtime::new().unwrap().block_on(f);\n}",
        &["2:blocking-io", "3:nested-runtime", "3:block-on-in-async"],
    );
}

// What a finding says.

#[test]
fn finding_fields() {
    let finding = only_finding(
        "impl S {\n    async fn load(&self) {\n        let x = std::fs::read(\"a\");\n    }\n}",
    );
    assert_eq!(finding.rule, "blocking-fs");
    assert_eq!(finding.severity, crate::finding::Severity::Warning);
    assert_eq!(finding.path, "src/lib.rs");
    assert_eq!(
        (
            finding.span.line,
            finding.span.column,
            finding.span.end_line,
            finding.span.end_column
        ),
        (3, 17, 3, 35)
    );
    assert_eq!(
        finding.message,
        "blocking filesystem call `std::fs::read` in async function `S::load`"
    );
    assert_eq!(
        finding.help,
        "use `tokio::fs::read(..).await`, or move the work into `tokio::task::spawn_blocking`"
    );
    assert_eq!(finding.function.as_deref(), Some("S::load"));
    assert_eq!(finding.callee, "std::fs::read");
    assert_eq!(finding.confidence, Confidence::Resolved);
}

#[test]
fn method_call_span_runs_from_the_method_name() {
    let finding =
        only_finding("async fn g(m: &std::sync::Mutex<u8>) {\n    m\n        .lock();\n}");
    assert_eq!(
        (
            finding.span.line,
            finding.span.column,
            finding.span.end_line,
            finding.span.end_column
        ),
        (3, 10, 3, 16)
    );
}

#[test]
fn context_descriptions() {
    let message = |source: &str| only_finding(source).message;
    assert!(
        message("fn f() { async { std::thread::sleep(d) }; }").ends_with("in async block in `f`")
    );
    assert!(
        message("fn f() { async || std::thread::sleep(d); }").ends_with("in async closure in `f`")
    );
    assert!(
        message("impl Future for F { fn poll(&mut self) { std::thread::sleep(d); } }")
            .ends_with("in poll method `F::poll`")
    );
}

#[test]
fn help_names_the_targets_runtime() {
    let help = |runtime| {
        analyze_with(
            "async fn f() { std::thread::sleep(d); }",
            &Catalog::builtin(),
            runtime,
            false,
        )
        .findings[0]
            .help
            .clone()
    };
    assert_eq!(
        help(AsyncRuntime::Tokio),
        "use `tokio::time::sleep(..).await`"
    );
    assert_eq!(
        help(AsyncRuntime::AsyncStd),
        "use `async_std::task::sleep(..).await`"
    );
    assert_eq!(
        help(AsyncRuntime::Smol),
        "use `smol::Timer::after(..).await`"
    );
}

#[test]
fn tokio_blocking_methods_are_errors() {
    let finding = only_finding("async fn g(m: &tokio::sync::Mutex<u8>) { m.blocking_lock(); }");
    assert_eq!(
        (finding.rule, finding.severity),
        ("blocking-wait", crate::finding::Severity::Error)
    );
    assert_eq!(
        finding.help,
        "`blocking_lock` panics inside a runtime: `.await` `lock` instead"
    );
}

#[test]
fn user_catalog_entries_and_allows_apply() {
    let mut catalog = Catalog::builtin();
    catalog.add("mydb::query", "blocking-client").unwrap();
    catalog.allow("std::thread::sleep");
    let analysis = analyze_with(
        "use mydb::query;\nasync fn g() {\n    query(q);\n    std::thread::sleep(d);\n}",
        &catalog,
        AsyncRuntime::Tokio,
        false,
    );
    assert_eq!(lines_and_rules(&analysis), ["3:blocking-client"]);
}

// Modules.

#[test]
fn out_of_line_modules_with_their_inline_parents() {
    let analysis = analyze(
        "mod a;\n#[cfg(feature = \"x\")]\nmod b;\n#[cfg(test)]\nmod tests;\nmod inline {\n    #[path = \"c_impl.rs\"]\n    mod c;\n}\n",
    );
    let modules: Vec<_> = analysis
        .modules
        .iter()
        .map(|module| {
            (
                module.name.as_str(),
                module.path_attr.as_deref(),
                module.inline_parents.clone(),
                module.span.line,
            )
        })
        .collect();
    assert_eq!(
        modules,
        [
            ("a", None, vec![], 1),
            ("b", None, vec![], 2),
            (
                "c",
                Some("c_impl.rs"),
                vec![("inline".to_string(), None)],
                7
            ),
        ]
    );
    let with_tests = analyze_with(
        "#[cfg(test)]\nmod tests;",
        &Catalog::builtin(),
        AsyncRuntime::Tokio,
        true,
    );
    assert_eq!(with_tests.modules.len(), 1);
}

// Robustness.

#[test]
fn parse_errors_carry_syns_message_and_position() {
    let ctx_catalog = Catalog::builtin();
    let ctx = FileContext::spec(&ctx_catalog);
    let error = analyze_file("fn f() {\n    let = ;\n}", &ctx).unwrap_err();
    assert!(error.message.starts_with("expected"), "{}", error.message);
    assert_eq!(error.span.map(|span| span.line), Some(2));
}

#[test]
fn empty_file() {
    let mut expected = FileAnalysis::default();
    // The item index always has the file's root module, empty here.
    expected.summary.index.modules.push(Default::default());
    assert_eq!(analyze(""), expected);
}

#[test]
fn deeply_nested_expressions_fit_the_drivers_stack() {
    // The driver runs the analysis on threads with a large stack; syn's own
    // parser needs it for 5,000 levels, the walker must not need much more.
    let depth = 5_000;
    let nested = format!(
        "async fn f() {{ let x = {}std::fs::read(p){}; }}\nasync fn g(m: &std::sync::Mutex<u8>) {{ m{}; }}\nasync fn h() {{ {}std::thread::sleep(d){} }}\nfn i() {{ let c = {}async {{ std::thread::sleep(d) }}; }}",
        "(".repeat(depth),
        ")".repeat(depth),
        ".lock()".repeat(depth),
        "{ let x = 1; ".repeat(depth),
        " }".repeat(depth),
        "|| ".repeat(depth),
    );
    let findings = std::thread::Builder::new()
        .stack_size(crate::driver::WORKER_STACK_SIZE)
        .spawn(move || lines_and_rules(&analyze(&nested)))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(
        findings,
        [
            "1:blocking-fs",
            "2:sync-lock-in-async",
            "3:blocking-sleep",
            "4:blocking-sleep"
        ]
    );
}

#[test]
fn struct_field_types_type_their_receivers() {
    check(
        "struct S { m: parking_lot::Mutex<u8>, j: J }\nstruct J;\nimpl S {\n    async fn f(&self) {\n        self.m.lock();\n        self.j.lock().unwrap();\n    }\n}",
        &["5:sync-lock-in-async"],
    );
}

#[test]
fn closures_bound_to_locals_count_where_they_run() {
    check(
        "async fn offloaded() {\n    let work = || std::fs::read(p);\n    tokio::task::spawn_blocking(work);\n}\nasync fn called_off_the_executor() {\n    let work = || std::fs::read(p);\n    tokio::task::spawn_blocking(move || work());\n}\nasync fn called_here() {\n    let work = || std::fs::read(p);\n    work();\n}\nasync fn both() {\n    let work = || std::fs::read(p);\n    std::thread::spawn(work);\n    work();\n}",
        &["10:blocking-fs", "14:blocking-fs"],
    );
}

#[test]
fn macro_bodies_in_async_context() {
    check(
        "async fn f() {\n    println!(\"{:?}\", std::fs::read(p));\n    tracing::info!(?x, \"{:?}\", std::fs::read(p));\n    my_macro!(std::fs::read(p));\n}\nfn g() { println!(\"{:?}\", std::fs::read(p)); }",
        &["2:blocking-fs"],
    );
}

#[test]
fn scopes_with_many_names_resolve_like_small_ones() {
    let items: String = (0..40).map(|i| format!("fn f{i}() {{}}\n")).collect();
    let lets: String = (0..40).map(|i| format!("    let v{i} = {i};\n")).collect();
    let source = format!(
        "{items}use std::fs::read;\nasync fn g() {{\n{lets}    read(p);\n    let read = |p: u8| p;\n    read(1);\n    let read = std::fs::read;\n}}"
    );
    assert_eq!(lines_and_rules(&analyze(&source)), ["83:blocking-fs"]);
}

#[test]
fn aliases_and_return_types_of_the_files_own_items() {
    check(
        "use std::sync::{Arc, Mutex};\ntype Shared = Arc<Inner>;\ntype Inner = Mutex<u8>;\nfn open_db() -> rusqlite::Result<rusqlite::Connection> { todo() }\nstruct Pool;\nimpl Pool {\n    fn get(&self) -> Shared { todo() }\n}\nasync fn g(shared: Shared, pool: &Pool) {\n    shared.lock();\n    let conn = open_db().unwrap();\n    conn.execute(q, []);\n    pool.get().lock();\n}",
        &[
            "10:sync-lock-in-async",
            "12:blocking-client",
            "13:sync-lock-in-async",
        ],
    );
}

#[test]
fn stacked_glob_imports_resolve_without_blowing_up() {
    // Generated bindings open every file with globs of globs; each lookup
    // through them is memoized per module, not re-explored per path.
    let globs: String = (0..8).map(|i| format!("use dep{i}::*;\n")).collect();
    let fields: String = (0..200).map(|i| format!("    f{i}: Ty{i},\n")).collect();
    let source = format!(
        "{globs}use crate::*;\nuse std::fs::*;\nstruct S {{\n{fields}}}\nasync fn g(a: A, b: B) {{\n    read(p);\n}}"
    );
    let line = 8 + 2 + 1 + 200 + 3;
    assert_eq!(
        lines_and_rules(&analyze(&source)),
        [format!("{line}:blocking-fs")]
    );
}

// Guards held across `.await` (`lock-held-across-await`).

fn analyze_edition(source: &str, edition: Edition) -> FileAnalysis {
    let catalog = Catalog::builtin();
    let ctx = FileContext {
        edition,
        ..FileContext::spec(&catalog)
    };
    analyze_file(source, &ctx).expect("test source parses")
}

/// A file with `use std::sync::Mutex;` and `body` as the body of
/// `async fn f(m: &Mutex<u32>)`: the body starts on line 3.
fn in_locking_fn(body: &str) -> String {
    format!("use std::sync::Mutex;\nasync fn f(m: &Mutex<u32>) {{\n{body}\n}}\n")
}

#[test]
fn named_guard_across_await_replaces_the_lock_note() {
    check(
        &in_locking_fn("    let g = m.lock().unwrap();\n    tick().await;"),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn held_guard_is_labelled_at_its_first_await() {
    let finding = only_finding(&in_locking_fn(
        "    let g = m.lock().unwrap();\n    a().await;\n    b().await;",
    ));
    assert_eq!(finding.rule, "lock-held-across-await");
    assert_eq!((finding.span.line, finding.span.column), (3, 15));
    assert_eq!(finding.labels.len(), 1);
    let label = finding.labels[0].span;
    assert_eq!((label.line, label.column, label.end_column), (4, 8, 14));
}

#[test]
fn an_await_before_the_lock_is_not_spanned() {
    check(
        &in_locking_fn("    tick().await;\n    let g = m.lock().unwrap();"),
        &["4:sync-lock-in-async"],
    );
}

#[test]
fn dropped_or_moved_guards_are_not_held() {
    for release in [
        "drop(g);",
        "std::mem::drop(g);",
        "release(g);",
        "sink.push(g);",
    ] {
        check(
            &in_locking_fn(&format!(
                "    let g = m.lock().unwrap();\n    {release}\n    tick().await;"
            )),
            &["3:sync-lock-in-async"],
        );
    }
}

#[test]
fn a_reference_to_a_guard_does_not_move_it() {
    check(
        &in_locking_fn("    let g = m.lock().unwrap();\n    show(&g);\n    tick().await;"),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn shadowing_does_not_drop_the_guard() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let g = 1;\n    drop(g);\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn a_guard_moved_to_another_name_lives_on_under_it() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let h = g;\n    tick().await;\n    drop(h);",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let h = g;\n    drop(h);\n    tick().await;",
        ),
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn temporaries_die_at_the_end_of_their_statement() {
    check(
        &in_locking_fn(
            "    let _ = m.lock().unwrap();\n    *m.lock().unwrap() += 1;\n    let n = m.lock().unwrap().clone();\n    tick().await;",
        ),
        &[
            "3:sync-lock-in-async",
            "4:sync-lock-in-async",
            "5:sync-lock-in-async",
        ],
    );
}

#[test]
fn a_statement_that_awaits_holds_its_temporaries() {
    check(
        &in_locking_fn(
            "    send(*m.lock().unwrap()).await;\n    let _ = (m.lock(), tick().await);",
        ),
        &["3:lock-held-across-await", "4:lock-held-across-await"],
    );
}

#[test]
fn a_guard_in_an_inner_block_ends_with_the_block() {
    check(
        &in_locking_fn("    {\n        let g = m.lock().unwrap();\n    }\n    tick().await;"),
        &["4:sync-lock-in-async"],
    );
}

#[test]
fn match_scrutinee_lives_through_every_arm() {
    check(
        &in_locking_fn(
            "    match *m.lock().unwrap() {\n        0 => {}\n        _ => tick().await,\n    }",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn match_guard_and_if_condition_are_their_own_scopes() {
    check(
        &in_locking_fn(
            "    match x {\n        Some(_) if *m.lock().unwrap() > 0 => tick().await,\n        _ => {}\n    }\n    if *m.lock().unwrap() > 0 {\n        tick().await;\n    }\n    while *m.lock().unwrap() > 0 {\n        tick().await;\n    }",
        ),
        &[
            "4:sync-lock-in-async",
            "7:sync-lock-in-async",
            "10:sync-lock-in-async",
        ],
    );
}

#[test]
fn if_let_scrutinee_lives_through_the_body() {
    check(
        &in_locking_fn(
            "    if let Some(v) = m.lock().unwrap().checked_add(1) {\n        tick().await;\n    }",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    while let Some(v) = m.lock().unwrap().checked_add(1) {\n        tick().await;\n    }",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn if_let_else_branch_follows_the_edition() {
    let source = in_locking_fn(
        "    if let Some(v) = m.lock().unwrap().checked_add(1) {\n    } else {\n        tick().await;\n    }",
    );
    let rules = |edition| {
        analyze_edition(&source, edition)
            .findings
            .iter()
            .map(|finding| finding.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(rules(Edition::E2024), ["sync-lock-in-async"]);
    assert_eq!(rules(Edition::E2021), ["lock-held-across-await"]);
}

#[test]
fn async_blocks_and_closures_are_bodies_of_their_own() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let later = async { tick().await };\n    drop(g);\n    later.await;",
        ),
        &["3:sync-lock-in-async"],
    );
    check(
        &in_locking_fn(
            "    let task = async move {\n        let g = m.lock().unwrap();\n        tick().await;\n    };",
        ),
        &["4:lock-held-across-await"],
    );
}

#[test]
fn refcell_borrows_are_guards() {
    check(
        "use std::cell::RefCell;\nasync fn f(c: &RefCell<u8>, other: &Other) {\n    let r = c.borrow_mut();\n    let o = other.borrow();\n    tick().await;\n}",
        &["3:lock-held-across-await"],
    );
}

#[test]
fn parking_lot_and_spin_guards() {
    check(
        "async fn f(p: &parking_lot::RwLock<u8>, s: &spin::Mutex<u8>) {\n    let r = p.read();\n    let g = s.lock();\n    tick().await;\n}",
        &["2:lock-held-across-await", "3:lock-held-across-await"],
    );
}

#[test]
fn unknown_receivers_need_the_lock_unwrap_shape() {
    let finding = only_finding(
        "async fn f(s: &S) {\n    let g = s.state.lock().unwrap();\n    tick().await;\n}",
    );
    assert_eq!(finding.rule, "lock-held-across-await");
    assert_eq!(finding.confidence, Confidence::Inferred);
    check(
        "async fn f(s: &S) {\n    let g = s.state.lock();\n    let r = s.cell.borrow();\n    tick().await;\n}",
        &[],
    );
}

#[test]
fn own_lock_method_is_not_a_guard() {
    check(
        "struct Journal;\nimpl Journal {\n    fn lock(&self) -> Result<u8, ()> { Ok(1) }\n}\nasync fn f(j: &Journal) {\n    let e = j.lock().unwrap();\n    tick().await;\n}",
        &[],
    );
}

#[test]
fn clippy_allows_silence_the_rule_for_their_item() {
    check(
        "use std::sync::Mutex;\n#[allow(clippy::await_holding_lock)]\nasync fn f(m: &Mutex<u8>) {\n    let g = m.lock().unwrap();\n    tick().await;\n}\nasync fn g(m: &Mutex<u8>) {\n    let g = m.lock().unwrap();\n    tick().await;\n}",
        &["4:sync-lock-in-async", "8:lock-held-across-await"],
    );
    check(
        "#![allow(clippy::await_holding_refcell_ref)]\nuse std::cell::RefCell;\nasync fn f(c: &RefCell<u8>) {\n    let r = c.borrow();\n    tick().await;\n}",
        &[],
    );
    check(
        "use std::sync::Mutex;\nstruct S;\n#[allow(clippy::await_holding_lock)]\nimpl S {\n    async fn f(m: &Mutex<u8>) {\n        let g = m.lock().unwrap();\n        tick().await;\n    }\n}",
        &["6:sync-lock-in-async"],
    );
}

#[test]
fn guards_in_sync_code_are_not_tracked() {
    check(
        "use std::sync::Mutex;\nfn f(m: &Mutex<u32>) {\n    let g = m.lock().unwrap();\n    let fut = async { tick().await };\n}\n",
        &[],
    );
}

#[test]
fn select_and_join_await_their_futures() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    tokio::select! {\n        _ = a() => {}\n    }",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn("    let g = m.lock().unwrap();\n    drop(g);\n    tokio::join!(a(), b());"),
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn a_guard_assigned_away_is_moved() {
    check(
        &in_locking_fn("    let g = m.lock().unwrap();\n    slot = g;\n    tick().await;"),
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn own_functions_returning_a_guard_type() {
    check(
        "use std::sync::{Mutex, MutexGuard};\nstruct S { m: Mutex<u8> }\nimpl S {\n    fn state(&self) -> MutexGuard<'_, u8> { self.m.lock().unwrap() }\n}\nfn borrow_it(c: &std::cell::RefCell<u8>) -> std::cell::Ref<'_, u8> { c.borrow() }\nasync fn f(s: &S, c: &std::cell::RefCell<u8>) {\n    let g = s.state();\n    let r = borrow_it(c);\n    tick().await;\n}\nasync fn g(s: &S) {\n    let g = s.state();\n    drop(g);\n    let n = *s.state();\n    tick().await;\n}",
        &["8:lock-held-across-await", "9:lock-held-across-await"],
    );
}

#[test]
fn a_match_arm_body_is_its_own_temporary_scope() {
    check(
        &in_locking_fn(
            "    match x {\n        Some(_) => *m.lock().unwrap() += 1,\n        None => tick().await,\n    }",
        ),
        &["4:sync-lock-in-async"],
    );
}

#[test]
fn the_second_operand_of_a_lazy_boolean_is_its_own_temporary_scope() {
    check(
        &in_locking_fn(
            "    if let Some(v) = x && *m.lock().unwrap() > 0 {\n        tick().await;\n    }\n    if let Some(v) = x && let Some(w) = m.lock().unwrap().checked_add(1) {\n        tick().await;\n    }",
        ),
        &["3:sync-lock-in-async", "6:lock-held-across-await"],
    );
}

#[test]
fn an_underscore_prefixed_name_still_holds_the_guard() {
    check(
        &in_locking_fn("    let _guard = m.lock().unwrap();\n    tick().await;"),
        &["3:lock-held-across-await"],
    );
}

// Configured executor callbacks and offloading wrappers (`[context]`).

/// The builtin catalog extended by a `stallcheck.toml` `[context]` table, as
/// the driver extends it.
fn catalog_with_context(toml: &str) -> Catalog {
    let config = crate::config::parse_toml(toml, "stallcheck.toml").expect("valid configuration");
    let mut catalog = Catalog::builtin();
    for path in &config.executor_callbacks {
        catalog.add_executor_callback(path).unwrap();
    }
    for path in &config.offload {
        catalog.add_offload(path).unwrap();
    }
    catalog
}

const CONTEXT_CONFIG: &str = "[context]\nexecutor-callbacks = [\"myrt::spawn_local_fn\", \"mystream::Stream::from_producer\"]\noffload = [\"myrt::run_offloaded\", \"myrt::Pool::run\"]\n";

fn check_with_context(source: &str, expected: &[&str]) -> FileAnalysis {
    let catalog = catalog_with_context(CONTEXT_CONFIG);
    let analysis = analyze_with(source, &catalog, AsyncRuntime::Tokio, false);
    assert_eq!(lines_and_rules(&analysis), expected, "\nsource:\n{source}");
    analysis
}

#[test]
fn closure_passed_to_an_executor_callback_is_async_context() {
    let analysis = check_with_context(
        "use myrt::spawn_local_fn;\nfn start(p: &str) {\n    spawn_local_fn(move || {\n        std::fs::read(p);\n    });\n    std::fs::read(p);\n}",
        &["4:blocking-fs"],
    );
    assert!(
        analysis.findings[0]
            .message
            .contains("closure passed to `myrt::spawn_local_fn`"),
        "{}",
        analysis.findings[0].message
    );
}

#[test]
fn executor_callbacks_resolve_through_paths_and_receiver_types() {
    check_with_context(
        "use mystream::Stream;\nfn a() {\n    Stream::from_producer(|tx| std::thread::sleep(d));\n}\nfn b(stream: mystream::Stream) {\n    stream.from_producer(|tx| std::thread::sleep(d));\n}\nfn c(stream: Other) {\n    stream.from_producer(|tx| std::thread::sleep(d));\n    myrt::spawn_local(|| std::thread::sleep(d));\n}",
        &["3:blocking-sleep", "6:blocking-sleep"],
    );
}

#[test]
fn only_the_closure_arguments_of_an_executor_callback_are_async_context() {
    check_with_context(
        "fn start(p: &str) {\n    myrt::spawn_local_fn(make(|| std::fs::read(p)));\n    let work = || std::fs::read(p);\n    myrt::spawn_local_fn(|| {\n        let inner = || std::fs::read(p);\n        fn helper(p: &str) { std::fs::read(p); }\n    });\n}",
        &["5:blocking-fs"],
    );
}

#[test]
fn closure_passed_to_a_configured_offload_is_not_async_context() {
    check_with_context(
        "async fn f(p: &str, pool: &myrt::Pool) {\n    myrt::run_offloaded(|| std::fs::read(p));\n    pool.run(|| std::fs::read(p));\n    let work = || std::fs::read(p);\n    myrt::run_offloaded(work);\n    myrt::spawn_local_fn(|| myrt::run_offloaded(|| std::fs::read(p)));\n    other::run_offloaded(|| std::fs::read(p));\n}",
        &["7:blocking-fs"],
    );
}

#[test]
fn without_configuration_these_calls_are_ordinary() {
    check(
        "fn start(p: &str) {\n    myrt::spawn_local_fn(|| std::fs::read(p));\n}\nasync fn f(p: &str) {\n    myrt::run_offloaded(|| std::fs::read(p));\n}",
        &["5:blocking-fs"],
    );
}

#[test]
fn crate_spelling_of_an_executor_callback_matches_inside_its_crate() {
    let catalog =
        catalog_with_context("[context]\nexecutor-callbacks = [\"myrt::rt::spawn_local_fn\"]\n")
            .for_crate("myrt")
            .expect("an entry names the crate");
    let analysis = analyze_with(
        "mod rt {\n    pub fn spawn_local_fn(f: impl FnOnce() + 'static) {}\n}\nfn start() {\n    rt::spawn_local_fn(|| std::thread::sleep(d));\n    crate::rt::spawn_local_fn(|| std::thread::sleep(d));\n}",
        &catalog,
        AsyncRuntime::Tokio,
        false,
    );
    assert_eq!(
        lines_and_rules(&analysis),
        ["5:blocking-sleep", "6:blocking-sleep"]
    );
}

// Guards moved on some paths only, and moved into aggregates.

#[test]
fn a_guard_moved_in_one_branch_only_is_still_held_after_it() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        drop(g);\n    }\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    match x {\n        Some(_) => drop(g),\n        None => {}\n    }\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        let h = g;\n        drop(h);\n    } else {\n        log();\n    }\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn a_guard_is_dead_in_the_arm_that_moved_it() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        drop(g);\n        tick().await;\n    }",
        ),
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn a_guard_moved_in_every_arm_that_falls_through_is_moved() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        drop(g);\n    } else {\n        release(g);\n    }\n    tick().await;",
        ),
        &["3:sync-lock-in-async"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    match x {\n        Some(_) => drop(g),\n        None => return,\n    }\n    tick().await;",
        ),
        &["3:sync-lock-in-async"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if a() {\n        if b() { drop(g) } else { release(g) }\n    } else if c() {\n        drop(g);\n    } else {\n        panic!(\"no\");\n    }\n    tick().await;",
        ),
        &["3:sync-lock-in-async"],
    );
}

#[test]
fn an_arm_that_diverges_after_moving_leaves_the_guard_alive() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        drop(g);\n        return;\n    }\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let Some(v) = x else {\n        drop(g);\n        return;\n    };\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        return g;\n    }\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn a_guard_renamed_in_one_arm_is_held_by_its_new_name_there() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    if ready() {\n        let h = g;\n        tick().await;\n    }",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn move_closures_and_async_move_blocks_take_the_guard() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    run(move || *g + 1);\n    tick().await;\n    let h = m.lock().unwrap();\n    spawn(async move { println!(\"{}\", *h) });\n    tick().await;",
        ),
        &["3:sync-lock-in-async", "6:sync-lock-in-async"],
    );
}

#[test]
fn a_move_closure_parameter_of_the_same_name_captures_nothing() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    each(move |g: u32| g + 1);\n    tick().await;",
        ),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn a_closure_borrowing_the_guard_leaves_it_held() {
    check(
        &in_locking_fn("    let g = m.lock().unwrap();\n    run(|| *g + 1);\n    tick().await;"),
        &["3:lock-held-across-await"],
    );
}

#[test]
fn a_guard_bound_inside_a_closure_or_future_lives_in_that_binding() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let read = move || *g;\n    tick().await;\n    let h = m.lock().unwrap();\n    let fut = async move { *h };\n    fut.await;",
        ),
        &["3:lock-held-across-await", "6:lock-held-across-await"],
    );
}

#[test]
fn struct_tuple_and_vec_literals_take_the_guard() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    store(Held { g });\n    let h = m.lock().unwrap();\n    keep((h, 1));\n    let i = m.lock().unwrap();\n    keep(vec![i]);\n    let j = m.lock().unwrap();\n    keep([j]);\n    tick().await;",
        ),
        &[
            "3:sync-lock-in-async",
            "5:sync-lock-in-async",
            "7:sync-lock-in-async",
            "9:sync-lock-in-async",
        ],
    );
}

#[test]
fn a_let_bound_literal_holds_the_guard_it_takes() {
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let held = Held { guard: g };\n    let h = m.lock().unwrap();\n    let pair = (h, 1);\n    let i = m.lock().unwrap();\n    let all = vec![i];\n    tick().await;",
        ),
        &[
            "3:lock-held-across-await",
            "5:lock-held-across-await",
            "7:lock-held-across-await",
        ],
    );
    check(
        &in_locking_fn(
            "    let g = m.lock().unwrap();\n    let held = Held { g };\n    drop(held);\n    let h = m.lock().unwrap();\n    let _ = (h, 1);\n    tick().await;",
        ),
        &["3:sync-lock-in-async", "6:sync-lock-in-async"],
    );
}

// Call-graph summaries (the solver's specs are in `crate::callgraph`).

/// The file's summary when it is module `store::disk` of its crate, with
/// `util` another library of the workspace.
fn summary_of(source: &str) -> summary::FileSummary {
    let catalog = Catalog::builtin();
    let module_path = ["store".to_string(), "disk".to_string()];
    let workspace_crates = ["util".to_string()];
    let ctx = FileContext {
        rel_path: "src/store/disk.rs",
        module_path: &module_path,
        workspace_crates: &workspace_crates,
        ..FileContext::spec(&catalog)
    };
    analyze_file(source, &ctx)
        .expect("test source parses")
        .summary
}

/// `key: callee@line` for each call of each function.
fn summary_calls(summary: &summary::FileSummary) -> Vec<String> {
    let mut calls = Vec::new();
    for function in &summary.functions {
        for call in &function.calls {
            let callee = match &call.callee {
                summary::Callee::Path(path) => path.clone(),
                summary::Callee::Method { receiver, method } => format!("{receiver:?}.{method}"),
                summary::Callee::Dispatch { traits, method } => {
                    format!("<{}>.{method}", traits.join(" + "))
                }
            };
            calls.push(format!("{}: {callee}@{}", function.key, call.span.line));
        }
    }
    calls
}

#[test]
fn summary_keys_and_calls_are_named_under_the_files_module_path() {
    let summary = summary_of(
        "struct Disk;\nimpl Disk {\n    fn flush(&self) {\n        sync();\n        super::index::rebuild();\n        util::io::load();\n        self.size();\n    }\n    fn size(&self) {}\n}\nfn sync() {}\n",
    );
    let keys: Vec<&str> = summary.functions.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "crate::store::disk::Disk::flush",
            "crate::store::disk::Disk::size",
            "crate::store::disk::sync"
        ]
    );
    assert_eq!(
        summary_calls(&summary),
        [
            "crate::store::disk::Disk::flush: crate::store::disk::sync@4",
            "crate::store::disk::Disk::flush: crate::store::index::rebuild@5",
            "crate::store::disk::Disk::flush: util::io::load@6",
            "crate::store::disk::Disk::flush: crate::store::disk::Disk::size@7",
        ]
    );
}

#[test]
fn summary_blocking_calls_are_sync_code_of_propagated_rules_only() {
    let summary = summary_of(
        "fn f(m: &std::sync::Mutex<u8>) {\n    std::fs::read(p);\n    m.lock();\n    std::thread::spawn(|| std::thread::sleep(d));\n    let _ = async { std::fs::read(p) };\n}\n",
    );
    let [function] = summary.functions.as_slice() else {
        panic!("{summary:?}")
    };
    let blocking: Vec<(usize, &str)> = function
        .blocking
        .iter()
        .map(|call| (call.span.line, call.rule))
        .collect();
    assert_eq!(blocking, [(2, "blocking-fs")]);
}

#[test]
fn summary_keeps_calls_outside_the_crate_out() {
    let summary = summary_of(
        "fn f(v: Vec<u8>) {\n    v.len();\n    std::mem::drop(v);\n    other::g();\n}\n",
    );
    assert_eq!(summary_calls(&summary), Vec::<String>::new());
}

// Addresses that need no name resolution (`blocks = "on-name-resolution"`).

/// The `blocking-net` findings of `body`, written in an async fn that
/// imports the `std::net` types, as `line:callee` (line 1 is the body's).
fn net_findings(body: &str) -> Vec<String> {
    let source = format!(
        "use std::net::{{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket}};\nasync fn f(host: &str, name: String, port: u16, ip: IpAddr, sock: UdpSocket) {{\n{body}\n}}\n"
    );
    analyze(&source)
        .findings
        .iter()
        .filter(|finding| finding.rule == "blocking-net")
        .map(|finding| format!("{}:{}", finding.span.line - 2, finding.callee))
        .collect()
}

#[test]
fn bind_on_a_literal_ip_socket_address_resolves_no_name_and_is_not_reported() {
    let body = "TcpListener::bind(\"127.0.0.1:0\");\nUdpSocket::bind(\"[::1]:8080\");\nsock.connect(\"10.0.0.1:53\");\nstd::net::TcpListener::bind(&\"0.0.0.0:80\");";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn bind_on_a_host_name_or_an_unknown_string_is_reported() {
    let body = "TcpListener::bind(\"localhost:80\");\nUdpSocket::bind(host);\nsock.connect(name);\nTcpListener::bind(\"127.0.0.1\");";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpListener::bind",
            "2:std::net::UdpSocket::bind",
            "3:std::net::UdpSocket::connect",
            "4:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn format_with_placeholders_only_in_the_port_is_an_ip_socket_address() {
    let body = "TcpListener::bind(format!(\"[::1]:{port}\"));\nTcpListener::bind(format!(\"127.0.0.1:{}\", port));\nTcpListener::bind(&format!(\"0.0.0.0:80{}\", 8));\nUdpSocket::bind(concat!(\"127.0.0.1:\", 9000));";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn format_with_a_placeholder_in_the_host_or_a_format_spec_is_reported() {
    let body = "TcpListener::bind(format!(\"{host}:80\"));\nTcpListener::bind(format!(\"{}:{}\", ip, port));\nTcpListener::bind(format!(\"[::1]:{port:?}\"));\nTcpListener::bind(format!(\"127.0.0.1:{{port}}\"));\nUdpSocket::bind(concat!(\"localhost:\", 9000));\nTcpListener::bind(format!(\"{}\", \"127.0.0.1:0\"));";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpListener::bind",
            "2:std::net::TcpListener::bind",
            "3:std::net::TcpListener::bind",
            "4:std::net::TcpListener::bind",
            "5:std::net::UdpSocket::bind",
            "6:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn socket_address_values_and_constructors_resolve_no_name() {
    let body = "let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));\nlet v4: SocketAddrV4 = make();\nUdpSocket::bind(any);\nsock.connect(&any);\nTcpListener::bind(v4);\nTcpListener::bind(SocketAddr::new(ip, port));\nTcpListener::bind(\"[::1]:0\".parse::<SocketAddr>().unwrap());\nUdpSocket::connect(&sock, any);\nTcpListener::bind(&[any, any][..]);";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn ip_and_port_tuples_resolve_no_name_unless_the_host_is_a_name() {
    let body = "TcpListener::bind((Ipv4Addr::LOCALHOST, 0));\nTcpListener::bind((ip, port));\nTcpListener::bind((Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 0));\nTcpListener::bind((\"127.0.0.1\", port));\nTcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));\nTcpListener::bind((\"localhost\", 80));\nTcpListener::bind((host, 80));";
    assert_eq!(
        net_findings(body),
        [
            "6:std::net::TcpListener::bind",
            "7:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn calls_that_wait_whatever_the_address_are_still_reported() {
    let body = "TcpStream::connect(\"127.0.0.1:80\");\nlet any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));\nTcpStream::connect(any);\nsock.send_to(b\"x\", any);\nTcpListener::bind(any).unwrap().accept();";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpStream::connect",
            "3:std::net::TcpStream::connect",
            "4:std::net::UdpSocket::send_to",
            "5:std::net::TcpListener::accept",
        ]
    );
}

#[test]
fn a_sync_helper_binding_an_ip_socket_address_blocks_no_caller() {
    let summary = summary_of(
        "fn listen() {\n    std::net::TcpListener::bind(\"127.0.0.1:0\");\n}\nfn resolve(host: &str) {\n    std::net::TcpListener::bind(host);\n}\n",
    );
    let blocking: Vec<(String, usize)> = summary
        .functions
        .iter()
        .flat_map(|function| {
            function
                .blocking
                .iter()
                .map(|call| (function.key.clone(), call.span.line))
        })
        .collect();
    assert_eq!(blocking, [("crate::store::disk::resolve".to_string(), 5)]);
}

// Closures handed on: block-tail and parenthesised closures, and the
// parameters a function forwards (offload wrappers, see `crate::callgraph`).

#[test]
fn a_closure_at_the_tail_of_a_block_argument_runs_off_the_executor() {
    // The block's leading statements run in the async function.
    check(
        "use std::sync::{Arc, Barrier};\n\
         async fn run(barrier: Arc<Barrier>) {\n\
         \x20   tokio::task::spawn_blocking({\n\
         \x20       std::thread::sleep(d);\n\
         \x20       let barrier = barrier.clone();\n\
         \x20       move || {\n\
         \x20           barrier.wait();\n\
         \x20       }\n\
         \x20   });\n\
         \x20   tokio::task::spawn_blocking((move || std::fs::read(p)));\n\
         \x20   barrier.wait();\n\
         }\n",
        &["4:blocking-sleep", "11:blocking-wait"],
    );
}

#[test]
fn a_block_argument_without_a_closure_tail_stays_on_the_executor() {
    check(
        "async fn run() {\n\
         \x20   tokio::task::spawn_blocking({ std::thread::sleep(d); work });\n\
         \x20   consume({ move || std::fs::read(p) });\n\
         }\n",
        &["2:blocking-sleep", "3:blocking-fs"],
    );
}

/// `key: param -> target` for each forwarded parameter of each function.
fn summary_forwarded(source: &str) -> Vec<String> {
    let summary = summary_of(source);
    let mut forwarded = Vec::new();
    for function in &summary.functions {
        for param in &function.forwarded {
            let to = match &param.to {
                summary::HandedTo::Offload => "offload".to_string(),
                summary::HandedTo::Stored => "stored".to_string(),
                summary::HandedTo::Arg(summary::Callee::Path(path), arg) => format!("{path}#{arg}"),
                summary::HandedTo::Arg(summary::Callee::Method { receiver, method }, arg) => {
                    format!("{receiver:?}.{method}#{arg}")
                }
                summary::HandedTo::Arg(summary::Callee::Dispatch { traits, method }, arg) => {
                    format!("<{}>.{method}#{arg}", traits.join(" + "))
                }
            };
            forwarded.push(format!("{}: {} -> {to}", function.key, param.param));
        }
    }
    forwarded
}

#[test]
fn summary_forwarded_parameters_are_those_only_handed_on_bare() {
    assert_eq!(
        summary_forwarded(
            "struct Pool;\n\
             impl Pool {\n\
             \x20   fn run<F: FnOnce()>(&self, f: F) { tokio::task::spawn_blocking(f); }\n\
             \x20   fn via(&self, n: u8, f: impl FnOnce()) { self.run(f) }\n\
             }\n\
             fn outer<F: FnOnce()>(f: F) { inner(f) }\n\
             fn inner<F: FnOnce()>(f: F) { f() }\n\
             fn called<F: FnOnce()>(f: F) { f() }\n\
             fn captured<F: FnOnce()>(f: F) { tokio::task::spawn_blocking(move || f()); }\n\
             fn both<F: FnOnce() + Clone>(f: F) { tokio::task::spawn_blocking(f.clone()); inner(f) }\n\
             fn shadowed<F: FnOnce()>(f: F) { let f = wrap(f); tokio::task::spawn_blocking(f); }\n\
             fn elsewhere<F: FnOnce()>(f: F) { std::mem::drop(f) }\n",
        ),
        [
            "crate::store::disk::Pool::run: 1 -> offload",
            "crate::store::disk::Pool::via: 2 -> crate::store::disk::Pool::run#1",
            "crate::store::disk::outer: 0 -> crate::store::disk::inner#0",
        ]
    );
}

#[test]
fn summary_parameters_kept_in_a_struct_are_stored_not_run() {
    assert_eq!(
        summary_forwarded(
            "struct P(std::sync::Arc<dyn Fn()>);\n\
             struct Q { f: Box<dyn Fn()>, n: u8 }\n\
             impl P { fn new(read: impl Fn() + 'static) -> Self { Self(std::sync::Arc::new(read)) } }\n\
             fn q(f: impl Fn() + 'static, n: u8) -> Q { Q { f: Box::new(f), n } }\n\
             fn kept_and_called(f: impl Fn() + Clone + 'static) -> P { f(); P::new(f) }\n",
        ),
        [
            "crate::store::disk::P::new: 0 -> stored",
            "crate::store::disk::q: 0 -> stored",
            "crate::store::disk::q: 1 -> stored",
        ]
    );
}

#[test]
fn summary_closures_kept_in_a_struct_are_not_run_where_written() {
    let analysis = analyze(
        "struct Q { f: Box<dyn Fn()> }\n\
         struct P(Box<dyn Fn()>);\n\
         async fn run() {\n\
         \x20   let q = Q { f: Box::new(|| std::thread::sleep(d)) };\n\
         \x20   let p = P(Box::new(|| std::thread::sleep(d)));\n\
         \x20   (|| std::thread::sleep(d))();\n\
         }\n",
    );
    assert_eq!(lines_and_rules(&analysis), ["6:blocking-sleep"]);
}

#[test]
fn summary_findings_in_a_closure_handed_to_a_crate_function_are_guarded() {
    let analysis = analyze(
        "fn wrap<F: FnOnce()>(f: F) { f() }\n\
         async fn run() {\n\
         \x20   wrap(|| std::thread::sleep(d));\n\
         \x20   wrap(async || std::thread::sleep(d));\n\
         \x20   std::thread::sleep(d);\n\
         }\n",
    );
    assert_eq!(
        lines_and_rules(&analysis),
        ["3:blocking-sleep", "4:blocking-sleep", "5:blocking-sleep"]
    );
    let guarded: Vec<(usize, &str, String)> = analysis
        .summary
        .guarded
        .iter()
        .map(|finding| {
            let guards: Vec<String> = finding
                .guards
                .iter()
                .map(|guard| format!("{:?}#{}", guard.callee, guard.arg))
                .collect();
            (finding.span.line, finding.rule, guards.join(","))
        })
        .collect();
    assert_eq!(
        guarded,
        [(3, "blocking-sleep", "Path(\"crate::wrap\")#0".to_string())]
    );
}

#[test]
fn an_address_bound_by_an_address_enum_pattern_has_its_variants_type() {
    let body = "match ip {\n    IpAddr::V4(v4) if TcpListener::bind((v4, 0)).is_ok() => {}\n    IpAddr::V6(v6) => { UdpSocket::bind(SocketAddr::from((v6, port))); }\n}\nif let Ok(host) = name.parse::<String>() { TcpListener::bind((host, 0)); }";
    assert_eq!(net_findings(body), ["5:std::net::TcpListener::bind"]);
}

#[test]
fn a_cfg_test_import_is_not_in_scope_when_tests_are_not_linted() {
    // tokio's `src/fs/mod.rs`: the mock is imported for tests only.
    let source = "#[cfg(not(test))]\nuse std::thread::sleep;\n#[cfg(test)]\nuse mocks::sleep;\n\
                  async fn run() {\n    sleep(d);\n}\n";
    check(source, &["6:blocking-sleep"]);
}
