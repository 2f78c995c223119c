//! Type inference for receivers, without a compiler. Each rule is one arm
//! here, over the model's data:
//! - field types across files, generic structs substituted;
//! - aliases with generic substitution (in `Model::lower`);
//! - return types of crate functions and methods across files and members,
//!   the impl's generic parameters bound from the receiver;
//! - struct literals (`Self { .. }`), `if`/`match` whose branches agree
//!   (described by `lower::recv`);
//! - `?`, `.await`, `&`, `*` (looked through), `unwrap`/`expect`/`ok`/
//!   `clone`/`as_ref`/`map_err`.. (self-preserving methods);
//! - auto-deref through `&`, the transparent wrappers (`Arc`, `Box`, `Rc`,
//!   `Pin`, `Option`, `Result`), and the catalog's `[model.deref]`
//!   (guards to their data, `LazyLock<T>` to `T`);
//! - library methods and functions from the catalog's `[model.methods]` /
//!   `[model.functions]` (`Mutex<T>::lock`, `OnceLock<T>::get_or_init`,
//!   `BufReader::new($0)`), then its `[returns]`, builders and
//!   constructor-shaped names (`Type::new` is a `Type`);
//! - elements of collections and iterators (`for` loops, closures handed to
//!   iterator adapters), from `[model.elements]`.

use std::collections::HashMap;
use std::sync::Arc;

use super::Model;
use super::defmap::Res;
use super::items::DeclKind;
use super::sigs::{Signature, instantiate};
use super::ty::{Def, Type};
use super::written::{PathRef, Recv, TypeRef};
use crate::vocab::Ty;

/// How many inference steps one question may take (receiver chains,
/// derefs, alias expansions); beyond it the answer is `Unknown`.
pub const MAX_STEPS: usize = 64;

/// How many derefs method lookup follows.
const MAX_DEREFS: usize = 8;

/// Methods that return their receiver's type whatever it is.
const SELF_PRESERVING: &[&str] = &[
    "clone",
    "to_owned",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "by_ref",
    "map_err",
    "inspect_err",
    "context",
    "with_context",
];

/// Methods that give the success value of a `Result`/`Option` (any
/// transparent wrapper), and are the identity on other types.
const UNWRAPPING: &[&str] = &["unwrap", "expect", "unwrap_or_default", "ok"];

/// Where a receiver is written: its crate and module.
#[derive(Clone, Copy, Debug)]
pub struct At<'m> {
    pub krate: usize,
    pub module: &'m str,
}

impl Model<'_> {
    /// The type of a receiver written at `at`.
    pub fn type_of(&self, at: At<'_>, recv: &Recv) -> Type {
        self.eval(at, recv, 0)
    }

    fn eval(&self, at: At<'_>, recv: &Recv, depth: usize) -> Type {
        if depth > MAX_STEPS {
            return Type::Unknown;
        }
        match recv {
            Recv::Typed(written) => self.lower(at.krate, at.module, written, &HashMap::new()),
            Recv::Path(path) => self.value_path(at, path),
            Recv::Struct(path) => {
                match self.lower(
                    at.krate,
                    at.module,
                    &TypeRef::Path(path.clone()),
                    &HashMap::new(),
                ) {
                    // A literal's generic arguments are not written: unknown.
                    Type::Named(def, args) => {
                        let unknown = vec![Type::Unknown; args.len()];
                        Type::Named(def, unknown)
                    }
                    other => other,
                }
            }
            Recv::Field(base, field) => {
                let base = self.eval_shared(at, base, depth + 1);
                self.field(&base, field)
            }
            Recv::Call(path, args) => {
                let args: Vec<Type> = args
                    .iter()
                    .map(|arg| self.eval(at, arg, depth + 1))
                    .collect();
                self.call(at, path, &args)
            }
            Recv::Method(base, method, args) => {
                let base = self.eval_shared(at, base, depth + 1);
                let args: Vec<Type> = args
                    .iter()
                    .map(|arg| self.eval(at, arg, depth + 1))
                    .collect();
                self.method_return(&base, method, &args)
            }
            Recv::Element(base) => {
                let base = self.eval_shared(at, base, depth + 1);
                self.element(&base)
            }
            Recv::Agree(branches) => {
                let mut types = branches
                    .iter()
                    .map(|branch| self.eval(at, branch, depth + 1));
                let Some(first) = types.next() else {
                    return Type::Unknown;
                };
                if types.all(|ty| ty == first) {
                    first
                } else {
                    Type::Unknown
                }
            }
            Recv::Unknown => Type::Unknown,
        }
    }

    /// A shared description (a local's value, a chain's base) is typed
    /// once: chains of locals stay linear. The memo keeps the `Arc` alive,
    /// so its address names it for the model's lifetime.
    fn eval_shared(&self, at: At<'_>, recv: &Arc<Recv>, depth: usize) -> Type {
        let key = Arc::as_ptr(recv) as usize;
        if let Some((_, ty)) = self.memo.borrow().get(&key) {
            return ty.clone();
        }
        let ty = self.eval(at, recv, depth);
        self.memo
            .borrow_mut()
            .insert(key, (Arc::clone(recv), ty.clone()));
        ty
    }

    /// A static, const or unit struct named in value position.
    fn value_path(&self, at: At<'_>, path: &PathRef) -> Type {
        match self.resolve_type_path(at.krate, at.module, path) {
            Some(Res::Item(krate, item, DeclKind::Static)) => match self.static_def(krate, &item) {
                Some(declared) => self.lower(
                    declared.krate,
                    declared.module,
                    &declared.item.ty,
                    &HashMap::new(),
                ),
                None => Type::Unknown,
            },
            Some(Res::Item(krate, item, DeclKind::Struct)) => {
                Type::Named(Def::Local(krate, item), Vec::new())
            }
            _ => Type::Unknown,
        }
    }

    /// The type of `base.field`, auto-derefing `base` to a workspace struct.
    pub fn field(&self, base: &Type, field: &str) -> Type {
        let mut current = base.clone();
        for _ in 0..MAX_DEREFS {
            if let Type::Named(Def::Local(krate, path), args) = &current {
                let Some(declared) = self.struct_def(*krate, path) else {
                    return Type::Unknown;
                };
                let Some((_, written)) =
                    declared.item.fields.iter().find(|(name, _)| name == field)
                else {
                    return Type::Unknown;
                };
                let subst = bind(&declared.item.generics, args);
                return self.lower(declared.krate, declared.module, written, &subst);
            }
            if let Type::Tuple(elems) = &current
                && let Ok(index) = field.parse::<usize>()
            {
                return elems.get(index).cloned().unwrap_or(Type::Unknown);
            }
            match self.deref(&current) {
                Some(next) => current = next,
                None => return Type::Unknown,
            }
        }
        Type::Unknown
    }

    /// `path(args)`: a crate function, an associated function of a type
    /// (the workspace's, or the catalog's), or a constructor-shaped name.
    fn call(&self, at: At<'_>, path: &PathRef, args: &[Type]) -> Type {
        match self.resolve_type_path(at.krate, at.module, path) {
            Some(Res::Item(krate, item, DeclKind::Fn)) => match self.fn_def(krate, &item) {
                Some(declared) => match &declared.item.ret {
                    Some(ret) => self.lower(declared.krate, declared.module, ret, &HashMap::new()),
                    None => Type::Unknown,
                },
                None => Type::Unknown,
            },
            Some(Res::Item(krate, item, DeclKind::Struct)) => {
                // A tuple struct's constructor.
                Type::Named(Def::Local(krate, item), Vec::new())
            }
            Some(Res::Member(_, function)) => {
                // Lowered again as a type, so that an alias owner expands.
                let owner_path = PathRef {
                    absolute: path.absolute,
                    segments: path.segments[..path.segments.len() - 1].to_vec(),
                    args: Vec::new(),
                };
                let owner_ty = self.lower(
                    at.krate,
                    at.module,
                    &TypeRef::Path(owner_path),
                    &HashMap::new(),
                );
                self.associated(&owner_ty, &function, args)
            }
            Some(Res::External(full)) => {
                let full = self.catalog.canonical(&full);
                if let Some(signature) = self.sigs.function(&full) {
                    return self.instantiate(signature, &[], args);
                }
                if let Some(ty) = self.catalog.returns(&full) {
                    return from_catalog_ty(ty);
                }
                match full.rsplit_once("::") {
                    Some((owner, function)) if is_type_name(owner) => {
                        let owner_ty = Type::external(owner, Vec::new());
                        self.associated(&owner_ty, function, args)
                    }
                    _ => Type::Unknown,
                }
            }
            _ => Type::Unknown,
        }
    }

    /// `Owner::function(args)`.
    fn associated(&self, owner: &Type, function: &str, args: &[Type]) -> Type {
        if let Type::Named(Def::External(path), _) = owner {
            let full = format!("{path}::{function}");
            if let Some(signature) = self.sigs.function(&full) {
                return self.instantiate(signature, &[], args);
            }
            if let Some(ty) = self.catalog.returns(&full) {
                return from_catalog_ty(ty);
            }
            if self.catalog.is_transparent(path) && function == "new" {
                return args.first().cloned().unwrap_or(Type::Unknown);
            }
        }
        if let Some(ret) = self.impl_method_return(owner, function) {
            return ret;
        }
        match owner {
            Type::Named(def, args) if is_constructor_name(function) => {
                Type::Named(def.clone(), vec![Type::Unknown; args.len()])
            }
            _ => Type::Unknown,
        }
    }

    /// What `base.method(args)` returns.
    pub fn method_return(&self, base: &Type, method: &str, args: &[Type]) -> Type {
        let mut current = base.clone();
        for _ in 0..MAX_DEREFS {
            if let Type::Named(Def::External(path), type_args) = &current {
                if let Some(signature) = self.sigs.method(path, method) {
                    return self.instantiate(signature, type_args, args);
                }
                if let Some(ty) = self.catalog.returns(&format!("{path}::{method}")) {
                    return from_catalog_ty(ty);
                }
                if self.catalog.is_builder(path) {
                    return current;
                }
            }
            if let Some(ret) = self.impl_method_return(&current, method) {
                return ret;
            }
            // `paths.iter().filter(..)`: still an iterator over the elements.
            if self.sigs.is_adapter(method) && !self.element(&current).is_unknown() {
                return current;
            }
            if SELF_PRESERVING.contains(&method) {
                return current;
            }
            if UNWRAPPING.contains(&method) {
                return match &current {
                    Type::Named(Def::External(path), args) if is_success_wrapper(path) => {
                        args.first().cloned().unwrap_or(Type::Unknown)
                    }
                    _ => current,
                };
            }
            match self.deref(&current) {
                Some(next) => current = next,
                None => return Type::Unknown,
            }
        }
        Type::Unknown
    }

    /// The return type of a workspace impl's method on `owner`, its impl's
    /// generic parameters bound from `owner`'s arguments.
    fn impl_method_return(&self, owner: &Type, method: &str) -> Option<Type> {
        let Type::Named(def, args) = owner else {
            return None;
        };
        for declared in self.impls_of(def) {
            let Some(function) = declared.item.methods.iter().find(|f| f.name == method) else {
                continue;
            };
            let Some(ret) = &function.ret else {
                return Some(Type::Unknown);
            };
            // `impl<T> Wrapper<T>`: bind each parameter written bare in the
            // self type to the receiver's argument in that position.
            let mut subst = HashMap::new();
            if let TypeRef::Path(self_path) = &declared.item.self_ty {
                for (written, actual) in self_path.args.iter().zip(args) {
                    if let TypeRef::Path(param) = written
                        && let [name] = param.segments.as_slice()
                        && declared.item.generics.contains(name)
                    {
                        subst.insert(name.clone(), actual.clone());
                    }
                }
            }
            return Some(self.lower(declared.krate, declared.module, ret, &subst));
        }
        None
    }

    /// One step of auto-deref: `&T`, a transparent wrapper's first
    /// argument, or the catalog's deref target.
    pub fn deref(&self, ty: &Type) -> Option<Type> {
        match ty {
            Type::Ref(inner) => Some((**inner).clone()),
            Type::Named(Def::External(path), args) => {
                if let Some(signature) = self.sigs.deref(path) {
                    return Some(self.instantiate(signature, args, &[]));
                }
                // `Arc`, `Box`, `Rc`, `Pin`: not `Option`/`Result`, which
                // only `?` and the unwrapping methods look into.
                if self.catalog.is_transparent(path) && !is_success_wrapper(path) {
                    return args.first().cloned();
                }
                self.catalog
                    .deref_target(path)
                    .map(|target| Type::external(target, Vec::new()))
            }
            _ => None,
        }
    }

    /// The element type of a collection or iterator (`Unknown` if none).
    pub fn element(&self, ty: &Type) -> Type {
        let mut current = ty.clone();
        for _ in 0..MAX_DEREFS {
            match &current {
                Type::Slice(elem) => return (**elem).clone(),
                Type::Named(Def::External(path), args) => {
                    if let Some(signature) = self.sigs.element(path) {
                        return self.instantiate(signature, args, &[]);
                    }
                }
                _ => {}
            }
            match self.deref(&current) {
                Some(next) => current = next,
                None => return Type::Unknown,
            }
        }
        Type::Unknown
    }

    fn instantiate(&self, signature: &Signature, type_args: &[Type], args: &[Type]) -> Type {
        instantiate(signature, type_args, args, &|path| {
            self.catalog.canonical(path)
        })
    }
}

/// Generic parameters bound positionally to arguments (missing ones unknown).
fn bind(generics: &[String], args: &[Type]) -> HashMap<String, Type> {
    generics
        .iter()
        .cloned()
        .zip(args.iter().cloned().chain(std::iter::repeat(Type::Unknown)))
        .collect()
}

/// `Option`, `Result` and every crate's `Result` alias: what `?` and
/// `unwrap` open.
fn is_success_wrapper(path: &str) -> bool {
    path == "std::option::Option" || path == "Result" || path.ends_with("::Result")
}

/// A `[returns]` entry of the catalog (untyped arguments).
fn from_catalog_ty(ty: &Ty) -> Type {
    match ty {
        Ty::Named(path) => Type::external(path, Vec::new()),
        Ty::Tuple(elems) => Type::Tuple(
            elems
                .iter()
                .map(|elem| elem.as_ref().map_or(Type::Unknown, from_catalog_ty))
                .collect(),
        ),
        // The catalog writes named types only.
        Ty::Bounded(_) => Type::Unknown,
    }
}

/// Whether the last segment of a path names a type (`File`, not `fs`).
fn is_type_name(path: &str) -> bool {
    path.rsplit("::")
        .next()
        .and_then(|name| name.chars().next())
        .is_some_and(char::is_uppercase)
}

/// `new`, `open`, `connect`, `new_*`, ...: names that, on a type, return
/// that type (possibly in a `Result`).
fn is_constructor_name(function: &str) -> bool {
    matches!(
        function,
        "new" | "open" | "create" | "create_new" | "connect" | "bind" | "default" | "from"
    ) || ["new_", "with_", "from_", "open_", "connect_"]
        .iter()
        .any(|prefix| function.starts_with(prefix))
}
