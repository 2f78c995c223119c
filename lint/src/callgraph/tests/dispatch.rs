//! Calls on values known only by their traits (`B: Store`, `impl Store`,
//! `dyn Store`) dispatch over the workspace's implementations; trait
//! default methods are followed.

use super::*;
use crate::finding::Confidence;

/// A trait in one module, two implementations in two others: `disk`
/// always blocks; `memory` blocks only if `MEMORY_BLOCKS`.
fn store_files(memory_blocks: bool) -> [(&'static str, &'static [&'static str], String); 3] {
    let memory_get = if memory_blocks {
        "std::fs::read(\"m\").unwrap()"
    } else {
        "Vec::new()"
    };
    [
        (
            "src/store.rs",
            &["store"],
            "pub trait Store {\n    fn get(&self) -> Vec<u8>;\n    fn load(&self) -> Vec<u8> {\n        std::fs::read(\"default\").unwrap()\n    }\n    fn get_twice(&self) -> Vec<u8> {\n        self.get()\n    }\n}\n"
                .to_string(),
        ),
        (
            "src/disk.rs",
            &["disk"],
            "use crate::store::Store;\npub struct Disk;\nimpl Store for Disk {\n    fn get(&self) -> Vec<u8> {\n        std::fs::read(\"d\").unwrap()\n    }\n}\n"
                .to_string(),
        ),
        (
            "src/memory.rs",
            &["memory"],
            format!(
                "use crate::store::Store;\npub struct Memory;\nimpl Store for Memory {{\n    fn get(&self) -> Vec<u8> {{\n        {memory_get}\n    }}\n    fn load(&self) -> Vec<u8> {{\n        Vec::new()\n    }}\n}}\n"
            ),
        ),
    ]
}

/// The graph's findings for the store files plus `app` (as `src/app.rs`),
/// as `path:line:rule:severity`.
fn dispatched(memory_blocks: bool, app: &str) -> Vec<String> {
    let files = store_files(memory_blocks);
    let mut specs: Vec<SpecFile<'_>> = files
        .iter()
        .map(|(path, module, source)| (*path, *module, source.as_str()))
        .collect();
    specs.push(("src/app.rs", &["app"], app));
    findings(&specs)
        .iter()
        .map(|f| format!("{}:{}:{}:{:?}", f.path, f.span.line, f.rule, f.severity))
        .collect()
}

#[test]
fn a_generic_call_is_reported_at_the_call_when_every_implementation_blocks() {
    let app = "use crate::store::Store;\n\
               pub async fn by_bound<S: Store>(store: &S) {\n    store.get();\n}\n\
               pub async fn by_where<S>(store: S) where S: Store + Send {\n    store.get();\n}\n\
               pub async fn by_impl(store: &impl Store) {\n    store.get();\n}\n\
               pub async fn by_dyn(store: std::sync::Arc<dyn Store>) {\n    store.get();\n}\n";
    assert_eq!(
        dispatched(true, app),
        [
            "src/app.rs:3:blocking-fs:Warning",
            "src/app.rs:6:blocking-fs:Warning",
            "src/app.rs:9:blocking-fs:Warning",
            "src/app.rs:12:blocking-fs:Warning",
        ]
    );
    let files = store_files(true);
    let mut specs: Vec<SpecFile<'_>> = files
        .iter()
        .map(|(path, module, source)| (*path, *module, source.as_str()))
        .collect();
    specs.push(("src/app.rs", &["app"], app));
    let found = findings(&specs);
    assert_eq!(found[0].confidence, Confidence::Resolved);
    assert_eq!(
        found[0].notes[0],
        "called on a value known only by its traits: all 2 implementations of `get` in the workspace block"
    );
}

#[test]
fn when_only_some_implementations_block_the_one_that_does_is_reported_with_the_caller() {
    let app = "use crate::store::Store;\n\
               pub async fn serve<S: Store>(store: &S) {\n    store.get();\n}\n";
    let files = store_files(false);
    let mut specs: Vec<SpecFile<'_>> = files
        .iter()
        .map(|(path, module, source)| (*path, *module, source.as_str()))
        .collect();
    specs.push(("src/app.rs", &["app"], app));
    let [finding] = findings(&specs).try_into().expect("one finding");
    assert_eq!(
        (finding.path.as_str(), finding.span.line, finding.rule),
        ("src/disk.rs", 5, "blocking-fs")
    );
    assert_eq!(finding.confidence, Confidence::Inferred);
    assert!(finding.severity <= Severity::Warning);
    assert_eq!(finding.function.as_deref(), Some("Disk::get"));
    assert_eq!(
        finding.notes[0],
        "`serve` (src/app.rs:3) calls it through a value known only by its traits, which may be any of 2 implementations in the workspace"
    );
}

#[test]
fn only_the_implementations_that_block_are_reported() {
    let app = "use crate::store::Store;\n\
               pub struct Quiet;\n\
               impl Store for Quiet {\n    fn get(&self) -> Vec<u8> { Vec::new() }\n    fn load(&self) -> Vec<u8> { Vec::new() }\n}\n\
               pub async fn serve(store: &dyn Store) {\n    store.load();\n}\n";
    // `Disk` inherits the blocking default `load`; `Memory` and `Quiet`
    // override it: only `Disk`'s (the default body) is reported.
    assert_eq!(
        dispatched(false, app),
        ["src/store.rs:4:blocking-fs:Warning"]
    );
}

#[test]
fn a_default_method_a_type_inherits_is_followed() {
    let app = "use crate::store::Store;\nuse crate::disk::Disk;\nuse crate::memory::Memory;\n\
               pub async fn concrete(disk: Disk, memory: Memory) {\n    disk.load();\n    memory.load();\n}\n";
    // `Disk::load` is the trait's default body, which reads a file;
    // `Memory` overrides it.
    assert_eq!(dispatched(false, app), ["src/app.rs:5:blocking-fs:Warning"]);
}

#[test]
fn a_default_body_calling_self_dispatches_over_the_implementations() {
    let app = "use crate::disk::Disk;\nuse crate::store::Store;\n\
               pub async fn twice(disk: Disk) {\n    disk.get_twice();\n}\n";
    // `get_twice` calls `self.get()`: blocking when every `get` blocks.
    assert_eq!(dispatched(true, app), ["src/app.rs:4:blocking-fs:Warning"]);
    assert_eq!(dispatched(false, app), Vec::<String>::new());
}

#[test]
fn a_sync_generic_helper_blocks_only_when_every_implementation_does() {
    let app = "use crate::store::Store;\n\
               fn fetch<S: Store>(store: &S) -> Vec<u8> {\n    store.get()\n}\n\
               pub async fn serve<S: Store>(store: &S) {\n    fetch(store);\n}\n";
    assert_eq!(dispatched(true, app), ["src/app.rs:6:blocking-fs:Warning"]);
    assert_eq!(dispatched(false, app), Vec::<String>::new());
}

#[test]
fn a_struct_field_known_by_its_bound_dispatches() {
    let app = "use crate::store::Store;\n\
               pub struct Service<S: Store> {\n    store: S,\n}\n\
               impl<S: Store> Service<S> {\n    pub async fn serve(&self) {\n        self.store.get();\n    }\n}\n";
    assert_eq!(dispatched(true, app), ["src/app.rs:7:blocking-fs:Warning"]);
}

#[test]
fn an_offloaded_generic_call_is_not_reported() {
    let app = "use crate::store::Store;\n\
               pub async fn serve<S: Store + Send + 'static>(store: S) {\n    tokio::task::spawn_blocking(move || store.get());\n}\n";
    assert_eq!(dispatched(true, app), Vec::<String>::new());
}
