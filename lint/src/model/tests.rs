//! Spec tests for the model, one per resolution or inference rule: a small
//! workspace (files as `(crate, module path, source)`), a receiver written
//! in one of its modules, and the type or path the model gives it.

use std::collections::HashMap;
use std::sync::Arc;

use super::infer::At;
use super::items::{ItemIndex, index_file};
use super::lower::{self, Locals};
use super::written::{Recv, TypeRef};
use super::{Model, ModelUnit};
use crate::catalog::Catalog;

/// Crate 0 is `app`, crate 1 the library `util`.
const CRATES: [&str; 2] = ["app", "util"];

struct SpecLocals {
    locals: HashMap<String, Arc<Recv>>,
}

impl Locals for SpecLocals {
    fn local(&self, name: &str) -> Option<Option<Arc<Recv>>> {
        self.locals.get(name).map(|recv| Some(recv.clone()))
    }

    fn self_ty(&self) -> Option<&TypeRef> {
        None
    }
}

fn indexes(files: &[(usize, &str, &str)]) -> Vec<(usize, ItemIndex)> {
    files
        .iter()
        .map(|(krate, module, source)| {
            let file = syn::parse_file(source).expect("spec source parses");
            let module_path: Vec<String> = module
                .split("::")
                .filter(|segment| !segment.is_empty())
                .map(str::to_string)
                .collect();
            (*krate, index_file(&file.items, &module_path, &|_| false))
        })
        .collect()
}

/// The type of `expr` written in module `module` of crate 0, with `locals`
/// (`name: Type` pairs written in that module).
fn type_of(
    files: &[(usize, &str, &str)],
    module: &str,
    locals: &[(&str, &str)],
    expr: &str,
) -> String {
    let catalog = Catalog::builtin();
    let indexes = indexes(files);
    let units: Vec<ModelUnit<'_>> = indexes
        .iter()
        .map(|(krate, index)| ModelUnit {
            crate_id: *krate,
            index,
        })
        .collect();
    let libs = HashMap::from([("util".to_string(), 1)]);
    let names = CRATES.iter().map(|name| name.to_string()).collect();
    let model = Model::build(&units, names, libs, &catalog)
        .expect("the builtin catalog's signatures parse");
    let locals = SpecLocals {
        locals: locals
            .iter()
            .map(|(name, ty)| {
                let ty: syn::Type = syn::parse_str(ty).expect("local type parses");
                (
                    name.to_string(),
                    Arc::new(Recv::Typed(lower::type_ref(&ty, None))),
                )
            })
            .collect(),
    };
    let expr: syn::Expr = syn::parse_str(expr).expect("expression parses");
    let recv = lower::recv(&expr, &locals);
    let ty = model.type_of(At { krate: 0, module }, &recv);
    model.display(&ty)
}

fn check(
    files: &[(usize, &str, &str)],
    module: &str,
    locals: &[(&str, &str)],
    expr: &str,
    expected: &str,
) {
    assert_eq!(
        type_of(files, module, locals, expr),
        expected,
        "type of `{expr}`"
    );
}

#[test]
fn field_types_come_from_the_file_that_declares_the_struct() {
    let files = [
        (0, "", "mod types; mod service;"),
        (
            0,
            "types",
            "pub struct Db { pub conn: rusqlite::Connection }",
        ),
        (0, "service", "use crate::types::Db;"),
    ];
    check(
        &files,
        "service",
        &[("db", "&Db")],
        "db.conn",
        "rusqlite::Connection",
    );
}

#[test]
fn a_guard_derefs_to_the_data_behind_the_lock() {
    let files = [(
        0,
        "",
        "use std::sync::{Arc, Mutex}; pub struct Store { conn: Arc<Mutex<rusqlite::Connection>> }",
    )];
    check(
        &files,
        "",
        &[("s", "Store")],
        "s.conn.lock()",
        "std::sync::MutexGuard<rusqlite::Connection>",
    );
    check(
        &files,
        "",
        &[("s", "Store")],
        "s.conn.lock().unwrap()",
        "std::sync::MutexGuard<rusqlite::Connection>",
    );
}

#[test]
fn statics_in_once_locks_and_lazies_deref_to_their_value() {
    let files = [(
        0,
        "",
        "use std::sync::{OnceLock, LazyLock, mpsc::Receiver};
         static RX: OnceLock<std::sync::Mutex<Receiver<u8>>> = OnceLock::new();
         static CLIENT: LazyLock<redis::Client> = LazyLock::new(|| todo());",
    )];
    check(
        &files,
        "",
        &[],
        "RX.get_or_init(f)",
        "&std::sync::Mutex<std::sync::mpsc::Receiver<?>>",
    );
    check(
        &files,
        "",
        &[],
        "CLIENT",
        "std::sync::LazyLock<redis::Client>",
    );
}

#[test]
fn generic_aliases_substitute_their_arguments() {
    let files = [
        (0, "", "mod shared; mod app;"),
        (
            0,
            "shared",
            "pub type Shared<T> = std::sync::Arc<parking_lot::Mutex<T>>;",
        ),
        (
            0,
            "app",
            "use crate::shared::Shared; pub struct Inner; pub struct App { state: Shared<Inner> }",
        ),
    ];
    check(
        &files,
        "app",
        &[("a", "App")],
        "a.state",
        "std::sync::Arc<parking_lot::Mutex<app::app::Inner>>",
    );
    check(
        &files,
        "app",
        &[("a", "App")],
        "a.state.lock()",
        "parking_lot::MutexGuard<app::app::Inner>",
    );
}

#[test]
fn generic_structs_substitute_field_types() {
    let files = [(
        0,
        "",
        "pub struct Inner; pub struct HttpClient<S> { state: S }
         pub type Client = HttpClient<std::sync::Arc<parking_lot::Mutex<Inner>>>;",
    )];
    check(
        &files,
        "",
        &[("c", "Client")],
        "c.state.lock()",
        "parking_lot::MutexGuard<app::Inner>",
    );
}

#[test]
fn pub_use_reexports_rename_external_modules() {
    let files = [
        (0, "", "mod io; mod jobs;"),
        (0, "io", "pub use std::fs as disk;"),
        (0, "jobs", "use crate::io::disk;"),
    ];
    check(&files, "jobs", &[], "disk::File::open(p)", "std::fs::File");
}

#[test]
fn glob_imports_from_the_parent_module_bring_its_imports() {
    let files = [
        (0, "", "mod net; use reqwest::blocking::Client;"),
        (
            0,
            "net",
            "use super::*; pub fn make() -> Client { todo!() }",
        ),
    ];
    check(&files, "net", &[], "make()", "reqwest::blocking::Client");
    check(
        &files,
        "net",
        &[],
        "Client::new()",
        "reqwest::blocking::Client",
    );
}

#[test]
fn glob_cycles_end_at_a_fixpoint() {
    let files = [
        (0, "", "mod a; mod b;"),
        (0, "a", "pub use super::b::*; pub struct A;"),
        (
            0,
            "b",
            "pub use super::a::*; pub struct B { pub file: std::fs::File }",
        ),
    ];
    check(&files, "a", &[("x", "B")], "x.file", "std::fs::File");
    check(&files, "b", &[], "A", "app::a::A");
}

#[test]
fn other_members_resolve_through_their_crate_name() {
    let files = [
        (0, "", "use util::db::Pool;"),
        (1, "", "pub mod db;"),
        (
            1,
            "db",
            "pub struct Pool { pub conn: postgres::Client } impl Pool { pub fn get(&self) -> &postgres::Client { &self.conn } }",
        ),
    ];
    check(&files, "", &[("p", "Pool")], "p.conn", "postgres::Client");
    check(&files, "", &[("p", "Pool")], "p.get()", "&postgres::Client");
}

#[test]
fn crate_functions_and_methods_return_their_declared_types() {
    let files = [
        (0, "", "mod store; use store::open;"),
        (0, "store", "pub struct Store; pub fn open() -> std::io::Result<Store> { todo!() }
                      impl Store { pub fn file(&self) -> std::fs::File { todo!() } pub fn new() -> Self { Store } }"),
    ];
    check(&files, "", &[], "open()?.file()", "std::fs::File");
    check(
        &files,
        "",
        &[],
        "store::Store::new().file()",
        "std::fs::File",
    );
}

#[test]
fn impl_generics_bind_from_the_receiver() {
    let files = [(
        0,
        "",
        "pub struct Wrapper<T> { inner: T } impl<T> Wrapper<T> { pub fn get(&self) -> &T { &self.inner } }",
    )];
    check(
        &files,
        "",
        &[("w", "Wrapper<std::fs::File>")],
        "w.get()",
        "&std::fs::File",
    );
}

#[test]
fn io_wrappers_keep_the_wrapped_type() {
    let files = [(0, "", "use std::fs::File; use std::io::BufReader;")];
    check(
        &files,
        "",
        &[],
        "BufReader::new(File::open(p)?)",
        "std::io::BufReader<std::fs::File>",
    );
    check(
        &files,
        "",
        &[],
        "BufReader::new(File::open(p)?).lines()",
        "std::io::Lines<std::io::BufReader<std::fs::File>>",
    );
}

#[test]
fn elements_of_collections_and_iterator_adapters() {
    let files = [(0, "", "use std::path::PathBuf;")];
    let paths = [("paths", "Vec<PathBuf>")];
    let element = |expr: &str| {
        let catalog = Catalog::builtin();
        let indexes = indexes(&files);
        let units: Vec<ModelUnit<'_>> = indexes
            .iter()
            .map(|(krate, index)| ModelUnit {
                crate_id: *krate,
                index,
            })
            .collect();
        let model = Model::build(&units, vec!["app".into()], HashMap::new(), &catalog).unwrap();
        let locals = SpecLocals {
            locals: paths
                .iter()
                .map(|(name, ty)| {
                    let ty: syn::Type = syn::parse_str(ty).unwrap();
                    (
                        name.to_string(),
                        Arc::new(Recv::Typed(lower::type_ref(&ty, None))),
                    )
                })
                .collect(),
        };
        let expr: syn::Expr = syn::parse_str(expr).unwrap();
        let recv = Recv::Element(lower::recv(&expr, &locals));
        model.display(&model.type_of(
            At {
                krate: 0,
                module: "",
            },
            &recv,
        ))
    };
    assert_eq!(element("paths"), "std::path::PathBuf");
    assert_eq!(element("paths.iter().filter(f)"), "std::path::PathBuf");
    assert_eq!(element("&paths"), "std::path::PathBuf");
}

#[test]
fn branches_that_agree_give_their_type() {
    let files = [(0, "", "use std::fs::File;")];
    check(
        &files,
        "",
        &[],
        "if c { File::open(a)? } else { File::create(b)? }",
        "std::fs::File",
    );
    check(
        &files,
        "",
        &[],
        "match c { Some(p) => File::open(p)?, None => return }",
        "std::fs::File",
    );
    check(
        &files,
        "",
        &[],
        "if c { File::open(a)? } else { other() }",
        "?",
    );
}

#[test]
fn unknown_names_are_unknown_never_guessed() {
    let files = [(0, "", "pub struct S<T> { t: T }")];
    check(&files, "", &[("s", "S<T>")], "s.t", "?");
    check(&files, "", &[], "mystery().lock()", "?");
}

#[test]
fn the_builtin_catalogs_signatures_parse() {
    let catalog = Catalog::builtin();
    super::sigs::Signatures::from_catalog(&catalog).expect("lint/catalog.toml [model] parses");
}

#[test]
fn a_broken_signature_is_an_error_naming_it() {
    let text = include_str!("../../catalog.toml").replace(
        "\"std::sync::Mutex<T>::lock\" = \"std::sync::MutexGuard<T>\"",
        "\"std::sync::Mutex<T>::lock\" = \"std::sync::MutexGuard<\"",
    );
    let catalog = Catalog::from_toml(&text).expect("the rest of the catalog loads");
    let error = super::sigs::Signatures::from_catalog(&catalog).unwrap_err();
    assert!(error.contains("std::sync::Mutex<T>::lock"), "{error}");
}

#[test]
fn struct_literals_type_their_binding() {
    let files = [(
        0,
        "",
        "pub struct Store { file: std::fs::File } impl Store { fn open() -> Self { todo!() } }",
    )];
    check(&files, "", &[], "Store { file: f }", "app::Store");
    check(&files, "", &[], "Store::open().file", "std::fs::File");
}
