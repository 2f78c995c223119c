//! `Drop` impls that block, run where async code drops the value.

use super::*;

/// A type whose `Drop` flushes to disk, and one whose `Drop` does not block.
const TYPES: &str = "pub struct Journal;\n\
    impl Journal { pub fn open() -> Journal { Journal } pub fn append(&self) {} }\n\
    impl Drop for Journal { fn drop(&mut self) { std::fs::write(\"j\", b\"\").unwrap(); } }\n\
    pub struct Counter;\n\
    impl Counter { pub fn new() -> Counter { Counter } }\n\
    impl Drop for Counter { fn drop(&mut self) {} }\n";

fn check_drops(body: &str, expected: &[&str]) {
    let source = format!("{TYPES}async fn run() {{\n{body}}}\n");
    let found: Vec<String> = findings(&[("src/lib.rs", &[], &source)])
        .iter()
        .map(|f| format!("{}:{}:{:?}", f.span.line, f.rule, f.confidence))
        .collect();
    assert_eq!(found, expected, "\nsource:\n{source}");
}

#[test]
fn an_explicit_drop_of_a_blocking_type_is_reported_at_the_drop() {
    check_drops(
        "    let journal = Journal::open();\n    drop(journal);\n",
        &["9:blocking-fs:Resolved"],
    );
}

#[test]
fn let_underscore_drops_at_once() {
    check_drops(
        "    let _ = Journal::open();\n",
        &["8:blocking-fs:Resolved"],
    );
}

#[test]
fn the_end_of_scope_of_a_binding_is_an_inferred_drop() {
    check_drops(
        "    let journal = Journal::open();\n    journal.append();\n",
        &["10:blocking-fs:Inferred"],
    );
}

#[test]
fn a_moved_or_returned_binding_is_not_dropped_at_the_end_of_its_scope() {
    check_drops(
        "    let a = Journal::open();\n    keep(a);\n\
         let b = Journal::open();\n    let c = b;\n    std::mem::forget(c);\n\
         let d = Journal::open();\n    d.close();\n",
        &[],
    );
}

#[test]
fn shared_or_borrowed_values_are_not_dropped_as_the_type() {
    // Dropping an `Arc` runs `Journal::drop` only with the last reference;
    // dropping a reference runs nothing.
    let source = format!(
        "{TYPES}fn shared() -> std::sync::Arc<Journal> {{ std::sync::Arc::new(Journal::open()) }}\n\
         fn borrowed(j: &Journal) -> &Journal {{ j }}\n\
         async fn run(keep: &Journal) {{\n\
             let a = shared();\n    drop(a.clone());\n\
             let b = std::sync::Arc::new(Journal::open());\n    drop(b);\n\
             let c = borrowed(keep);\n    c.append();\n\
             let _ = std::rc::Rc::new(Journal::open());\n\
         }}\n"
    );
    check(&[("src/lib.rs", &[], &source)], &[]);
}

#[test]
fn an_async_fn_drops_the_parameters_it_owns_at_the_end_of_its_body() {
    let source = format!(
        "{TYPES}async fn consume(journal: Journal, borrowed: &Journal) {{\n    journal.append();\n    borrowed.append();\n}}\n"
    );
    let found: Vec<String> = findings(&[("src/lib.rs", &[], &source)])
        .iter()
        .map(|f| format!("{}:{}", f.span.line, f.message))
        .collect();
    assert_eq!(
        found,
        [
            "10:dropping `journal` (a `Journal`) at the end of its scope blocks the executor in async function `consume`: its `Drop` impl calls `std::fs::write`"
        ]
    );
}

#[test]
fn a_type_whose_drop_does_not_block_is_not_reported() {
    check_drops(
        "    let counter = Counter::new();\n    drop(Counter::new());\n    let _ = counter;\n",
        &[],
    );
}

#[test]
fn the_finding_names_the_type_and_its_drop_impl() {
    let source = format!("{TYPES}async fn run() {{\n    drop(Journal::open());\n}}\n");
    let [finding] = findings(&[("src/lib.rs", &[], &source)])
        .try_into()
        .expect("one finding");
    assert_eq!(
        finding.message,
        "dropping a `Journal` blocks the executor in async function `run`: its `Drop` impl calls `std::fs::write`"
    );
    assert_eq!(
        finding.notes[0],
        "`Journal` implements `Drop` (src/lib.rs:3); its `drop` runs where a `Journal` is dropped"
    );
}

#[test]
fn a_sync_helper_that_drops_a_blocking_value_blocks() {
    check_one(
        &format!(
            "{TYPES}fn finish(j: Journal) {{ drop(j) }}\nasync fn run() {{\n    finish(Journal::open());\n}}\n"
        ),
        &["src/lib.rs:9:blocking-fs"],
    );
}
