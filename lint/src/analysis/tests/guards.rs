//! Guards held across `.await`, configured callbacks and wrappers, guards moved on some paths.

use super::*;

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
