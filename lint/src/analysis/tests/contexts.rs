//! Async contexts, test code, resolution, receiver types, what a finding says, modules, robustness.

use super::*;

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
