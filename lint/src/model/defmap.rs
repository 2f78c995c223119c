//! Name resolution over the whole workspace: one def map per crate, built
//! from every file's item index once all files are in. Each module's scope
//! holds its declared items and its imports; imports (globs and `pub use`
//! re-exports included) are resolved to a fixpoint, so cycles (`use
//! super::*` in both directions) end when nothing new appears.
//!
//! A path into another workspace member resolves through its crate name; a
//! path into an external crate stays a path (`rusqlite::Connection`),
//! canonicalised as the catalog writes it by `Model`.

use foldhash::HashMap;

use super::items::{DeclKind, ItemIndex, UseDecl};
use super::written::PathRef;

/// How many rounds of import resolution at most (each round resolves at
/// least one more import or ends the fixpoint; this bounds pathological
/// inputs).
const MAX_ROUNDS: usize = 64;

/// What a name or path resolves to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Res {
    /// A module of a workspace crate: (crate id, module path `a::b`, empty
    /// for the root).
    Module(usize, String),
    /// An item of a workspace crate: (crate id, item path `a::b::Item`).
    Item(usize, String, DeclKind),
    /// A path outside the workspace, as written after its crate name.
    External(String),
    /// `Type::name`: an associated item of a resolved item.
    Member(Box<Res>, String),
}

/// One module's scope.
#[derive(Debug, Default)]
struct Scope {
    names: HashMap<String, Res>,
    /// `use ext::*` of an external module: names not found otherwise may
    /// come from there.
    external_globs: Vec<String>,
    parent: Option<String>,
}

/// Where a module's items are: (unit index, module index in its item index).
pub type ModuleSource = (usize, usize);

/// The def maps of every crate of a run.
#[derive(Debug, Default)]
pub struct DefMap {
    /// Per crate id, per module path.
    scopes: Vec<HashMap<String, Scope>>,
    /// Library crates by name (how other members name them).
    libs: HashMap<String, usize>,
    /// Where each module's items are declared (several files for `#[cfg]`
    /// alternatives: all are kept).
    sources: Vec<HashMap<String, Vec<ModuleSource>>>,
}

/// The outcome of resolving a path while imports are still being resolved.
enum Lookup {
    Found(Res),
    /// Not known yet: an import or glob may still bring it.
    Pending,
}

impl DefMap {
    /// Builds the def maps of `crates` crates from the units' item indexes
    /// (`(crate id, index)` per unit); `libs` names the library crates.
    pub fn build(
        crates: usize,
        libs: std::collections::HashMap<String, usize>,
        units: &[(usize, &ItemIndex)],
    ) -> DefMap {
        let mut map = DefMap {
            scopes: (0..crates).map(|_| HashMap::default()).collect(),
            libs: libs.into_iter().collect(),
            sources: (0..crates).map(|_| HashMap::default()).collect(),
        };
        for (unit, (krate, index)) in units.iter().enumerate() {
            for (position, module) in index.modules.iter().enumerate() {
                let path = module.joined.clone();
                map.sources[*krate]
                    .entry(path.clone())
                    .or_default()
                    .push((unit, position));
                let parent = (!module.path.is_empty())
                    .then(|| module.path[..module.path.len() - 1].join("::"));
                let scope = map.scopes[*krate].entry(path.clone()).or_default();
                scope.parent = parent;
                for (name, kind) in &module.names {
                    let res = match kind {
                        DeclKind::Module => Res::Module(*krate, join(&path, name)),
                        kind => Res::Item(*krate, join(&path, name), *kind),
                    };
                    scope.names.entry(name.clone()).or_insert(res);
                }
            }
        }
        map.resolve_imports(units);
        map
    }

    /// Imports to a fixpoint: first only what resolves inside the
    /// workspace, then (once nothing more does) the rest as external paths,
    /// then again, until no import adds a name.
    fn resolve_imports(&mut self, units: &[(usize, &ItemIndex)]) {
        // Each import with its module; a named import is settled once its
        // name is bound (re-resolving it could only find the same), a glob
        // runs every round (the module it reads may have grown).
        let mut pending: Vec<(usize, &str, &UseDecl)> = units
            .iter()
            .flat_map(|(krate, index)| {
                index.modules.iter().flat_map(move |module| {
                    module
                        .uses
                        .iter()
                        .map(move |import| (*krate, module.joined.as_str(), import))
                })
            })
            .collect();
        let mut lenient = false;
        for _ in 0..MAX_ROUNDS {
            let mut changed = false;
            let mut unsettled = Vec::with_capacity(pending.len());
            for (krate, module_path, import) in pending {
                let found = match self.resolve_path(krate, module_path, &import.path, lenient) {
                    Lookup::Found(res) => res,
                    Lookup::Pending => {
                        unsettled.push((krate, module_path, import));
                        continue;
                    }
                };
                match &import.name {
                    Some(name) => {
                        let scope = self.scope_mut(krate, module_path);
                        if let std::collections::hash_map::Entry::Vacant(slot) =
                            scope.names.entry(name.clone())
                        {
                            slot.insert(found);
                            changed = true;
                        }
                    }
                    None => {
                        changed |= self.import_glob(krate, module_path, found);
                        unsettled.push((krate, module_path, import));
                    }
                }
            }
            pending = unsettled;
            if !changed {
                if lenient {
                    break;
                }
                lenient = true;
            }
        }
    }

    /// Copies the names of the module `from` into `module_path`'s scope;
    /// whether any was new.
    fn import_glob(&mut self, krate: usize, module_path: &str, from: Res) -> bool {
        match from {
            Res::Module(from_crate, from_path) => {
                if from_crate == krate && from_path == module_path {
                    return false;
                }
                let names: Vec<(String, Res)> = self.scopes[from_crate]
                    .get(&from_path)
                    .map(|scope| {
                        scope
                            .names
                            .iter()
                            .map(|(name, res)| (name.clone(), res.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let scope = self.scope_mut(krate, module_path);
                let mut changed = false;
                for (name, res) in names {
                    if let std::collections::hash_map::Entry::Vacant(slot) = scope.names.entry(name)
                    {
                        slot.insert(res);
                        changed = true;
                    }
                }
                changed
            }
            Res::External(path) => {
                let scope = self.scope_mut(krate, module_path);
                if scope.external_globs.contains(&path) {
                    false
                } else {
                    scope.external_globs.push(path);
                    true
                }
            }
            // `use Enum::*` (variants) and the like: nothing typed comes in.
            Res::Item(..) | Res::Member(..) => false,
        }
    }

    fn scope_mut(&mut self, krate: usize, module_path: &str) -> &mut Scope {
        self.scopes[krate]
            .entry(module_path.to_string())
            .or_default()
    }

    /// Resolves a written path in a module; `None` when it cannot be
    /// (a generic parameter, a name nothing declares or imports).
    pub fn resolve(&self, krate: usize, module_path: &str, path: &PathRef) -> Option<Res> {
        match self.resolve_path(krate, module_path, path, true) {
            Lookup::Found(res) => Some(res),
            Lookup::Pending => None,
        }
    }

    fn resolve_path(
        &self,
        krate: usize,
        module_path: &str,
        path: &PathRef,
        lenient: bool,
    ) -> Lookup {
        let Some((first, rest)) = path.segments.split_first() else {
            return Lookup::Pending;
        };
        let mut current = if path.absolute {
            match self.libs.get(first.as_str()) {
                Some(&lib) => Res::Module(lib, String::new()),
                None => Res::External(first.clone()),
            }
        } else {
            match first.as_str() {
                "crate" => Res::Module(krate, String::new()),
                "self" => Res::Module(krate, module_path.to_string()),
                "super" => match self.parent(krate, module_path) {
                    Some(parent) => Res::Module(krate, parent),
                    None => return Lookup::Pending,
                },
                name => match self.lookup(krate, module_path, name) {
                    Some(res) => res,
                    None => match self.libs.get(name) {
                        Some(&lib) => Res::Module(lib, String::new()),
                        // A single unresolved name is a generic parameter
                        // or not visible to the model: never guessed.
                        None if lenient && !rest.is_empty() => Res::External(name.to_string()),
                        None => return Lookup::Pending,
                    },
                },
            }
        };
        for segment in rest {
            current = match current {
                Res::Module(id, module) if segment == "super" => match self.parent(id, &module) {
                    Some(parent) => Res::Module(id, parent),
                    None => return Lookup::Pending,
                },
                Res::Module(id, module) => match self.lookup(id, &module, segment) {
                    Some(res) => res,
                    None => return Lookup::Pending,
                },
                Res::External(prefix) => Res::External(format!("{prefix}::{segment}")),
                res @ Res::Item(..) => Res::Member(Box::new(res), segment.clone()),
                Res::Member(..) => return Lookup::Pending,
            };
        }
        Lookup::Found(current)
    }

    fn parent(&self, krate: usize, module_path: &str) -> Option<String> {
        if module_path.is_empty() {
            return None;
        }
        match self.scopes[krate].get(module_path) {
            Some(Scope {
                parent: Some(parent),
                ..
            }) => Some(parent.clone()),
            _ => Some(
                module_path
                    .rsplit_once("::")
                    .map_or_else(String::new, |(parent, _)| parent.to_string()),
            ),
        }
    }

    /// A name in a module's scope (declared, imported, or from a glob).
    fn lookup(&self, krate: usize, module_path: &str, name: &str) -> Option<Res> {
        let scope = self.scopes.get(krate)?.get(module_path)?;
        if let Some(res) = scope.names.get(name) {
            return Some(res.clone());
        }
        None
    }

    /// External modules glob-imported into a module (`use std::sync::*`).
    pub fn external_globs(&self, krate: usize, module_path: &str) -> &[String] {
        self.scopes
            .get(krate)
            .and_then(|scopes| scopes.get(module_path))
            .map_or(&[], |scope| scope.external_globs.as_slice())
    }

    /// Where the items of a module are declared.
    pub fn sources(&self, krate: usize, module_path: &str) -> &[ModuleSource] {
        self.sources
            .get(krate)
            .and_then(|sources| sources.get(module_path))
            .map_or(&[], Vec::as_slice)
    }
}

/// `a::b` + `c`, with the crate root's empty path.
pub fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_string()
    } else {
        format!("{module}::{name}")
    }
}
