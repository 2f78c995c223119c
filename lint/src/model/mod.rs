//! The semantic model: facts about the whole workspace, computed once after
//! every file is analysed, that the analyses ask instead of guessing.
//!
//! Layers, each plain data over the one below (rust-analyzer's item tree
//! and def map, ruff's semantic model):
//! - `written`: types and receiver expressions as the source writes them;
//!   `lower` builds them from syntax (the only part that sees `syn`);
//! - `items`: the item index, one per file, built in the file's own pass,
//!   in parallel, and kept after its syntax tree is dropped;
//! - `defmap`: name resolution per crate, imports and globs to a fixpoint,
//!   other members by crate name, external paths kept as paths;
//! - `ty` + `sigs` + `infer`: a small type language, the catalog's library
//!   signatures as data, and the inference rules over them;
//! - `queries`: what a file's pass could not answer alone (a method of a
//!   receiver typed by other files' items, a lock whose receiver only the
//!   model can type, the `.lock().unwrap()` shape fallback to confirm),
//!   resolved here into findings.
//!
//! CONTRACT: `Model::build(units, crates)` is serial and linear in the
//! item indexes' size (imports: a bounded fixpoint); every question is
//! bounded by `infer::MAX_STEPS`; nothing here holds a syntax tree.
//!
//! Invariant: when the model cannot know a type the answer is
//! `Type::Unknown`, never a guess by name.

pub mod defmap;
pub mod infer;
pub mod items;
pub mod lower;
pub mod queries;
pub mod sigs;
#[cfg(test)]
mod tests;
pub mod ty;
pub mod written;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use defmap::{DefMap, Res};
use items::{AliasDef, DeclKind, FnDef, ImplDef, ItemIndex, StaticDef, StructDef};
use sigs::Signatures;
use ty::{Def, Type};
use written::{PathRef, Recv, TypeRef};

use crate::catalog::Catalog;

fn declared<'a, T>((krate, module): (usize, &'a str), item: &'a T) -> Declared<'a, T> {
    Declared {
        krate,
        module,
        item,
    }
}

/// How deep aliases of aliases and nested types are lowered.
const MAX_LOWER_DEPTH: usize = 16;

/// An item with the module that declares it (where its types resolve).
#[derive(Clone, Copy, Debug)]
pub struct Declared<'a, T> {
    pub krate: usize,
    pub module: &'a str,
    pub item: &'a T,
}

/// One unit (file) as the model sees it.
#[derive(Clone, Copy, Debug)]
pub struct ModelUnit<'a> {
    pub crate_id: usize,
    pub index: &'a ItemIndex,
}

/// The workspace's items, resolved names and library signatures.
pub struct Model<'a> {
    pub defs: DefMap,
    pub catalog: &'a Catalog,
    pub sigs: Signatures,
    /// Crate names by id (for display).
    pub names: Vec<String>,
    structs: HashMap<(usize, String), Declared<'a, StructDef>>,
    aliases: HashMap<(usize, String), Declared<'a, AliasDef>>,
    fns: HashMap<(usize, String), Declared<'a, FnDef>>,
    statics: HashMap<(usize, String), Declared<'a, StaticDef>>,
    /// Inherent and trait impls by the self type's definition.
    impls: HashMap<Def, Vec<Declared<'a, ImplDef>>>,
    /// Types of shared receiver descriptions, by address (see
    /// `infer::eval_shared`).
    memo: RefCell<HashMap<usize, (Arc<Recv>, Type)>>,
}

impl<'a> Model<'a> {
    /// Builds the model. `names[id]` names crate `id`; `libs` maps library
    /// crate names to ids. Fails only on a broken `[model]` catalog table.
    pub fn build(
        units: &[ModelUnit<'a>],
        names: Vec<String>,
        libs: HashMap<String, usize>,
        catalog: &'a Catalog,
    ) -> Result<Model<'a>, String> {
        let indexed: Vec<(usize, &ItemIndex)> = units
            .iter()
            .map(|unit| (unit.crate_id, unit.index))
            .collect();
        let defs = DefMap::build(names.len(), libs, &indexed);
        let sigs = Signatures::from_catalog(catalog)?;
        let mut model = Model {
            defs,
            catalog,
            sigs,
            names,
            structs: HashMap::new(),
            aliases: HashMap::new(),
            fns: HashMap::new(),
            statics: HashMap::new(),
            impls: HashMap::new(),
            memo: RefCell::new(HashMap::new()),
        };
        let mut pending_impls = Vec::new();
        for unit in units {
            let krate = unit.crate_id;
            for module in &unit.index.modules {
                let module_path: &'a str = &module.joined;
                let at = (krate, module_path);
                for item in &module.structs {
                    let key = (krate, defmap::join(module_path, &item.name));
                    model.structs.entry(key).or_insert(declared(at, item));
                }
                for item in &module.aliases {
                    let key = (krate, defmap::join(module_path, &item.name));
                    model.aliases.entry(key).or_insert(declared(at, item));
                }
                for item in &module.fns {
                    let key = (krate, defmap::join(module_path, &item.name));
                    model.fns.entry(key).or_insert(declared(at, item));
                }
                for item in &module.statics {
                    let key = (krate, defmap::join(module_path, &item.name));
                    model.statics.entry(key).or_insert(declared(at, item));
                }
                for item in &module.impls {
                    pending_impls.push(declared(at, item));
                }
            }
        }
        for declared in pending_impls {
            let self_ty = model.lower(
                declared.krate,
                declared.module,
                &declared.item.self_ty,
                &HashMap::new(),
            );
            if let Type::Named(def, _) = self_ty {
                model.impls.entry(def).or_default().push(declared);
            }
        }
        Ok(model)
    }

    /// Lowers a written type in a module, aliases expanded with their
    /// generic arguments substituted; `subst` binds generic parameters.
    pub fn lower(
        &self,
        krate: usize,
        module: &str,
        written: &TypeRef,
        subst: &HashMap<String, Type>,
    ) -> Type {
        self.lower_at(krate, module, written, subst, 0)
    }

    fn lower_at(
        &self,
        krate: usize,
        module: &str,
        written: &TypeRef,
        subst: &HashMap<String, Type>,
        depth: usize,
    ) -> Type {
        if depth > MAX_LOWER_DEPTH {
            return Type::Unknown;
        }
        let recurse = |written: &TypeRef| self.lower_at(krate, module, written, subst, depth + 1);
        match written {
            TypeRef::Path(path) => {
                if let [single] = path.segments.as_slice()
                    && !path.absolute
                    && let Some(bound) = subst.get(single)
                {
                    return bound.clone();
                }
                let args: Vec<Type> = path.args.iter().map(recurse).collect();
                match self.resolve_type_path(krate, module, path) {
                    Some(Res::Item(id, item_path, DeclKind::Alias)) => {
                        let Some(alias) = self.aliases.get(&(id, item_path.clone())) else {
                            return Type::Unknown;
                        };
                        let bound: HashMap<String, Type> = alias
                            .item
                            .generics
                            .iter()
                            .cloned()
                            .zip(args.into_iter().chain(std::iter::repeat(Type::Unknown)))
                            .collect();
                        self.lower_at(alias.krate, alias.module, &alias.item.ty, &bound, depth + 1)
                    }
                    Some(Res::Item(id, item_path, _)) => {
                        Type::Named(Def::Local(id, item_path), args)
                    }
                    Some(Res::External(external)) => {
                        Type::Named(Def::External(self.catalog.canonical(&external)), args)
                    }
                    _ => Type::Unknown,
                }
            }
            TypeRef::Ref(inner) => Type::Ref(Box::new(recurse(inner))),
            TypeRef::Tuple(elems) => Type::Tuple(elems.iter().map(recurse).collect()),
            TypeRef::Slice(elem) => Type::Slice(Box::new(recurse(elem))),
            TypeRef::ImplTrait(traits) => Type::Impl(self.trait_defs(krate, module, traits)),
            TypeRef::DynTrait(traits) => Type::Dyn(self.trait_defs(krate, module, traits)),
            TypeRef::Unknown => Type::Unknown,
        }
    }

    fn trait_defs(&self, krate: usize, module: &str, traits: &[PathRef]) -> Vec<Def> {
        traits
            .iter()
            .filter_map(|path| match self.resolve_type_path(krate, module, path)? {
                Res::Item(id, path, _) => Some(Def::Local(id, path)),
                Res::External(path) => Some(Def::External(self.catalog.canonical(&path))),
                _ => None,
            })
            .collect()
    }

    /// A path in type or value position: the def map, then names every
    /// module sees (the prelude), then external globs the catalog knows
    /// the name under (`use std::sync::*;` then `Mutex`).
    pub fn resolve_type_path(&self, krate: usize, module: &str, path: &PathRef) -> Option<Res> {
        if let Some(res) = self.defs.resolve(krate, module, path) {
            return Some(res);
        }
        let (first, rest) = path.segments.split_first()?;
        if path.absolute {
            return None;
        }
        let base = if let Some(prelude) = self.catalog.prelude(first) {
            prelude.to_string()
        } else {
            self.defs
                .external_globs(krate, module)
                .iter()
                .map(|glob| format!("{glob}::{first}"))
                .find(|candidate| self.catalog.knows(candidate))?
        };
        let mut full = base;
        for segment in rest {
            full.push_str("::");
            full.push_str(segment);
        }
        Some(Res::External(full))
    }

    pub fn struct_def(&self, krate: usize, path: &str) -> Option<&Declared<'a, StructDef>> {
        self.structs.get(&(krate, path.to_string()))
    }

    pub fn fn_def(&self, krate: usize, path: &str) -> Option<&Declared<'a, FnDef>> {
        self.fns.get(&(krate, path.to_string()))
    }

    pub fn static_def(&self, krate: usize, path: &str) -> Option<&Declared<'a, StaticDef>> {
        self.statics.get(&(krate, path.to_string()))
    }

    pub fn impls_of(&self, def: &Def) -> &[Declared<'a, ImplDef>] {
        self.impls.get(def).map_or(&[], Vec::as_slice)
    }

    /// Renders a type for messages and spec tests.
    pub fn display(&self, ty: &Type) -> String {
        ty.display(&self.names)
    }
}
