//! Name resolution without a compiler: what a path written in this file
//! refers to, through `use` declarations (aliases, groups, globs, renames,
//! `self`/`super`/`crate`, block-local `use`), local items and local
//! variables (which shadow functions of the same name).
//!
//! Resolved paths are plain `::`-joined strings. Paths into the file's own
//! items start with `crate` and the file's module path (given by the driver,
//! which walks the module tree: `crate::store::load` in `src/store.rs`), so
//! they never match an external catalog entry (a local `fn sleep` is not
//! `std::thread::sleep`) and name the same item from every file of the crate,
//! which the call graph relies on.
//!
//! The module table is built once per file by a cheap pre-pass over items
//! (no expressions); block scopes are pushed and popped by the walker.

use foldhash::{HashMap, HashSet};
use std::cell::RefCell;
use std::sync::Arc;

use syn::Item;

use super::attrs;
use crate::catalog::Catalog;
use crate::model::written::Recv;

/// Rust's namespaces, as far as resolution here needs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ns {
    /// Types, traits and modules.
    Type,
    /// Functions, constants, statics and local variables.
    Value,
}

pub use crate::vocab::Ty;
pub use item_types::owned_as_written;

mod declarations;
mod item_types;

#[derive(Clone, Debug)]
enum Binding {
    /// `use a::b::c;` (or `as name`): the path as written, resolved on demand.
    Import {
        segments: Vec<String>,
        absolute: bool,
    },
    /// An item declared in this scope; `module` when it is an inline module.
    Item { ns: Ns, module: Option<usize> },
    /// A generic type parameter of the enclosing `impl` or `fn`, with the
    /// traits its bounds name (resolved paths).
    Generic(Vec<String>),
    /// A local variable, parameter or pattern binding: its type as the
    /// file knows it, and its description for the model (`crate::model`).
    Local(Option<Ty>, Option<Arc<Recv>>),
}

#[derive(Clone, Debug)]
struct Name {
    ident: String,
    binding: Binding,
}

#[derive(Clone, Debug)]
struct Glob {
    segments: Vec<String>,
    absolute: bool,
}

/// One lexical scope: a module's items, or a block's locals and items.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    names: Vec<Name>,
    /// Positions in `names` by identifier, once a scope holds more than
    /// `INDEX_THRESHOLD` names (generated modules hold tens of thousands:
    /// lookups must not scan them).
    index: HashMap<String, Vec<usize>>,
    globs: Vec<Glob>,
    /// A function boundary: local variables of enclosing scopes are not
    /// visible past it (items and imports are).
    barrier: bool,
}

#[derive(Debug)]
struct ModuleScope {
    path: String,
    parent: Option<usize>,
    scope: Scope,
}

/// What a path resolved to.
#[derive(Clone, Debug)]
pub enum Target {
    /// An external or local path (local ones start with `crate`).
    Path(String),
    /// An inline module of this file.
    Module(usize),
    /// A local variable.
    Local(Option<Ty>),
}

const INDEX_THRESHOLD: usize = 24;

/// Guards against `use` cycles (`use a::b as c; use c as b;`).
const MAX_RESOLUTION_DEPTH: usize = 12;

/// The file's modules plus the stack of block scopes of the walk.
pub struct Resolver<'c> {
    catalog: &'c Catalog,
    modules: Vec<ModuleScope>,
    /// Inline `mod` items by address, to re-enter their scope while walking.
    module_ids: HashMap<*const syn::ItemMod, usize>,
    blocks: Vec<Scope>,
    current_module: usize,
    /// The resolved self type of the enclosing `impl`, for `Self::..`.
    self_ty: Option<String>,
    /// Field types of the file's structs, by struct path (tuple-struct
    /// fields are named `0`, `1`, ..).
    fields: HashMap<String, Vec<(String, Option<Ty>)>>,
    /// Memoized module-level lookups: module bindings never change during
    /// the walk, and generated code stacks globs that would otherwise make
    /// resolution exponential (`use crate::*; use other::*;` in every file).
    module_lookups: RefCell<HashMap<(usize, Ns, String), Option<Target>>>,
    /// The file's type aliases (`type Shared = Arc<Mutex<State>>;`).
    aliases: HashMap<String, Ty>,
    /// Return types of the file's functions and methods (`Type::method`).
    returns: HashMap<String, Ty>,
    /// The functions and methods among `returns` that return their type
    /// by value (`-> Journal`, `-> io::Result<Self>`), not behind a shared
    /// pointer or a reference (`-> Arc<Journal>`, `-> &Journal`): what the
    /// caller drops is then that type.
    owned_returns: HashSet<String>,
    /// The file's module path in its crate (`super` above the file's root
    /// module climbs it).
    file_module: Vec<String>,
}

/// The two passes of `collect_item_types`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemTypes {
    Aliases,
    FieldsAndReturns,
}

impl<'c> Resolver<'c> {
    /// `module_path` is the file's module path in its crate (empty for a
    /// crate root): the file's items resolve to `crate::<module_path>::..`.
    pub fn new(
        file: &syn::File,
        catalog: &'c Catalog,
        include_tests: bool,
        module_path: &[String],
    ) -> Resolver<'c> {
        let mut resolver = Resolver {
            catalog,
            modules: Vec::new(),
            module_ids: HashMap::default(),
            blocks: Vec::new(),
            current_module: 0,
            self_ty: None,
            fields: HashMap::default(),
            module_lookups: RefCell::new(HashMap::default()),
            aliases: HashMap::default(),
            returns: HashMap::default(),
            owned_returns: HashSet::default(),
            file_module: module_path.to_vec(),
        };
        let root = std::iter::once("crate")
            .chain(module_path.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("::");
        resolver.add_module(root, None, &file.items, include_tests);
        resolver.collect_item_types(&file.items, 0, ItemTypes::Aliases);
        resolver.collect_item_types(&file.items, 0, ItemTypes::FieldsAndReturns);
        resolver.current_module = 0;
        resolver
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    fn add_module(
        &mut self,
        path: String,
        parent: Option<usize>,
        items: &[Item],
        include_tests: bool,
    ) -> usize {
        let id = self.modules.len();
        self.modules.push(ModuleScope {
            path,
            parent,
            scope: Scope::default(),
        });
        let mut scope = Scope::default();
        for item in items {
            // `#[cfg(test)] use mocks::f;` beside `#[cfg(not(test))] use real::f;`:
            // only the latter is compiled when tests are not linted.
            if let Item::Use(item_use) = item
                && !include_tests
                && attrs::is_cfg_test(&item_use.attrs)
            {
                continue;
            }
            if let Item::Mod(module) = item {
                if !include_tests && attrs::is_cfg_test(&module.attrs) {
                    continue;
                }
                let child = module.content.as_ref().map(|(_, inner)| {
                    let child_path = format!("{}::{}", self.modules[id].path, module.ident);
                    let child = self.add_module(child_path, Some(id), inner, include_tests);
                    self.module_ids.insert(module as *const _, child);
                    child
                });
                scope.add(Name {
                    ident: module.ident.to_string(),
                    binding: Binding::Item {
                        ns: Ns::Type,
                        module: child,
                    },
                });
            } else {
                scope.declare_item(item);
            }
        }
        self.modules[id].scope = scope;
        id
    }

    /// Enters an inline module seen by the pre-pass; `None` for modules the
    /// pre-pass did not see (a `mod` inside a function body).
    pub fn enter_module(&mut self, module: &syn::ItemMod) -> Option<usize> {
        let id = *self.module_ids.get(&(module as *const _))?;
        let previous = self.current_module;
        self.current_module = id;
        Some(previous)
    }

    pub fn leave_module(&mut self, previous: usize) {
        self.current_module = previous;
    }

    /// Blocks are lexically inside the module they were pushed in; a module
    /// entered from inside a function sees no enclosing blocks. The walker
    /// only enters modules at item level, where the block stack is empty or
    /// belongs to a function body, whose locals a nested module cannot see:
    /// the barrier keeps them out.
    pub fn push_scope(&mut self, barrier: bool) {
        self.blocks.push(Scope {
            barrier,
            ..Scope::default()
        });
    }

    pub fn pop_scope(&mut self) {
        self.blocks.pop();
    }

    /// Declares the items and `use`s of a block (they are visible in the
    /// whole block, before and after their position).
    pub fn declare_items<'a>(&mut self, items: impl Iterator<Item = &'a Item>) {
        if let Some(scope) = self.blocks.last_mut() {
            for item in items {
                scope.declare_item(item);
            }
        }
    }

    pub fn bind_local(&mut self, ident: String, ty: Option<Ty>) {
        self.bind_described(ident, ty, None);
    }

    /// Binds a local with the model's description of its value (a written
    /// type, or the expression it was bound to).
    pub fn bind_described(&mut self, ident: String, ty: Option<Ty>, described: Option<Arc<Recv>>) {
        if let Some(scope) = self.blocks.last_mut() {
            scope.add(Name {
                ident,
                binding: Binding::Local(ty, described),
            });
        }
    }

    /// `Some(description)` when `ident` names a visible local variable
    /// (the description `None` when nothing describes it); `None` when it
    /// is no local (a static, a const, a unit struct).
    pub fn local_description(&self, ident: &str) -> Option<Option<Arc<Recv>>> {
        let mut past_barrier = false;
        for scope in self.blocks.iter().rev() {
            for name in scope.named(ident) {
                match &name.binding {
                    Binding::Local(_, described) if !past_barrier => {
                        return Some(described.clone());
                    }
                    Binding::Local(..) | Binding::Generic(_) => {}
                    Binding::Item { ns: Ns::Value, .. } | Binding::Import { .. } => return None,
                    Binding::Item { .. } => {}
                }
            }
            past_barrier |= scope.barrier;
        }
        None
    }

    /// The path of the module being walked (`crate::store`).
    pub fn module_path(&self) -> &str {
        &self.modules[self.current_module].path
    }

    pub fn self_ty(&self) -> Option<&str> {
        self.self_ty.as_deref()
    }

    pub fn set_self_ty(&mut self, self_ty: Option<String>) -> Option<String> {
        std::mem::replace(&mut self.self_ty, self_ty)
    }

    /// Resolves a path in the value namespace if it has one segment (a call
    /// `f()` or a variable `x`), else in the type namespace for its prefix.
    pub fn resolve(&self, path: &syn::Path, ns: Ns) -> Option<Target> {
        let segments: Vec<String> = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string())
            .collect();
        self.resolve_segments(
            self.current_module,
            &segments,
            path.leading_colon.is_some(),
            ns,
            true,
            0,
        )
    }

    /// Resolves a path to a canonical path string (aliases applied); `None`
    /// for local variables and inline modules.
    pub fn resolve_to_path(&self, path: &syn::Path, ns: Ns) -> Option<String> {
        match self.resolve(path, ns)? {
            Target::Path(resolved) => Some(self.catalog.canonical(&resolved)),
            Target::Module(_) | Target::Local(_) => None,
        }
    }

    fn resolve_segments(
        &self,
        module: usize,
        segments: &[String],
        absolute: bool,
        ns: Ns,
        use_blocks: bool,
        depth: usize,
    ) -> Option<Target> {
        if depth > MAX_RESOLUTION_DEPTH {
            return None;
        }
        let (first, rest) = segments.split_first()?;
        if absolute || first == "crate" {
            return Some(Target::Path(segments.join("::")));
        }
        let mut target;
        let mut rest = rest;
        if first == "self" && rest.is_empty() && ns == Ns::Value {
            // The method receiver `self`, a local.
            return self.lookup_blocks(first, ns, depth);
        } else if first == "self" {
            target = Target::Module(module);
        } else if first == "super" {
            let mut current = module;
            let mut remaining = segments;
            while let Some((head, tail)) = remaining.split_first() {
                if head != "super" {
                    break;
                }
                match self.modules[current].parent {
                    Some(parent) => current = parent,
                    // Above this file: up the file's module path.
                    None => return self.above_file(remaining),
                }
                remaining = tail;
            }
            target = Target::Module(current);
            rest = remaining;
        } else if first == "Self" {
            target = Target::Path(self.self_ty.clone().unwrap_or_else(|| "Self".to_string()));
        } else {
            let first_ns = if rest.is_empty() { ns } else { Ns::Type };
            let found = if use_blocks {
                self.lookup_blocks(first, first_ns, depth)
            } else {
                None
            };
            target = found
                .or_else(|| self.lookup_module(module, first, first_ns, depth))
                .unwrap_or_else(|| {
                    Target::Path(
                        self.catalog
                            .prelude(first)
                            .map_or_else(|| first.clone(), str::to_string),
                    )
                });
        }
        for segment in rest {
            target = match target {
                Target::Path(prefix) => Target::Path(format!("{prefix}::{segment}")),
                Target::Module(id) => self
                    .lookup_module(id, segment, ns, depth + 1)
                    .unwrap_or_else(|| {
                        Target::Path(format!("{}::{segment}", self.modules[id].path))
                    }),
                Target::Local(_) => return None,
            };
        }
        Some(target)
    }

    /// `super::..` (`segments` starting with the `super`s left) resolved
    /// above the file's root module, through the file's module path;
    /// written as is when it climbs past the crate root.
    fn above_file(&self, segments: &[String]) -> Option<Target> {
        let supers = segments
            .iter()
            .take_while(|segment| *segment == "super")
            .count();
        let Some(kept) = self.file_module.len().checked_sub(supers) else {
            return Some(Target::Path(segments.join("::")));
        };
        let path = std::iter::once("crate")
            .chain(self.file_module[..kept].iter().map(String::as_str))
            .chain(segments[supers..].iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("::");
        Some(Target::Path(path))
    }

    fn lookup_blocks(&self, ident: &str, ns: Ns, depth: usize) -> Option<Target> {
        let mut past_barrier = false;
        for scope in self.blocks.iter().rev() {
            for name in scope.named(ident) {
                match &name.binding {
                    Binding::Local(ty, _) if ns == Ns::Value && !past_barrier => {
                        return Some(Target::Local(ty.clone()));
                    }
                    Binding::Local(..) | Binding::Generic(_) => {}
                    Binding::Import { segments, absolute } => {
                        return self.resolve_segments(
                            self.current_module,
                            segments,
                            *absolute,
                            ns,
                            false,
                            depth + 1,
                        );
                    }
                    Binding::Item { ns: item_ns, .. } if *item_ns == ns => {
                        let module_path = &self.modules[self.current_module].path;
                        return Some(Target::Path(format!("{module_path}::{{block}}::{ident}")));
                    }
                    Binding::Item { .. } => {}
                }
            }
            if let Some(found) =
                self.lookup_globs(self.current_module, &scope.globs, ident, ns, depth)
            {
                return Some(found);
            }
            past_barrier |= scope.barrier;
        }
        None
    }

    fn lookup_module(&self, module: usize, ident: &str, ns: Ns, depth: usize) -> Option<Target> {
        if depth > MAX_RESOLUTION_DEPTH {
            return None;
        }
        let key = (module, ns, ident.to_string());
        if let Some(cached) = self.module_lookups.borrow().get(&key) {
            return cached.clone();
        }
        // In progress: a cycle through this lookup resolves to nothing.
        self.module_lookups.borrow_mut().insert(key.clone(), None);
        let found = self.lookup_module_uncached(module, ident, ns, depth);
        self.module_lookups.borrow_mut().insert(key, found.clone());
        found
    }

    fn lookup_module_uncached(
        &self,
        module: usize,
        ident: &str,
        ns: Ns,
        depth: usize,
    ) -> Option<Target> {
        let scope = &self.modules[module].scope;
        for name in scope.named(ident) {
            match &name.binding {
                Binding::Import { segments, absolute } => {
                    return self.resolve_segments(
                        module,
                        segments,
                        *absolute,
                        ns,
                        false,
                        depth + 1,
                    );
                }
                Binding::Item {
                    module: Some(child),
                    ..
                } => return Some(Target::Module(*child)),
                Binding::Item { ns: item_ns, .. } if *item_ns == ns => {
                    return Some(Target::Path(format!(
                        "{}::{ident}",
                        self.modules[module].path
                    )));
                }
                Binding::Item { .. } | Binding::Local(..) | Binding::Generic(_) => {}
            }
        }
        self.lookup_globs(module, &scope.globs, ident, ns, depth)
    }

    /// A name brought in by a glob: from an inline module of this file, its
    /// bindings (a child's `use super::*` sees the parent's imports too);
    /// from an external module, `module::name` when the catalog knows it
    /// (nothing else can be known about an external module's contents).
    fn lookup_globs(
        &self,
        module: usize,
        globs: &[Glob],
        ident: &str,
        ns: Ns,
        depth: usize,
    ) -> Option<Target> {
        for glob in globs {
            match self.resolve_segments(
                module,
                &glob.segments,
                glob.absolute,
                Ns::Type,
                false,
                depth + 1,
            ) {
                Some(Target::Module(id)) if id != module => {
                    if let Some(found) = self.lookup_module(id, ident, ns, depth + 1) {
                        return Some(found);
                    }
                }
                Some(Target::Path(prefix)) => {
                    let candidate = format!("{prefix}::{ident}");
                    if self.catalog.knows(&candidate) {
                        return Some(Target::Path(candidate));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether the trait at canonical path `trait_path` is in scope (its
    /// methods can only be called where it is imported, by name, `as _` or
    /// through a glob).
    pub fn trait_in_scope(&self, trait_path: &str) -> bool {
        let trait_name = trait_path.rsplit("::").next().unwrap_or(trait_path);
        let imports_trait = |module: usize, scope: &Scope| {
            scope.names.iter().any(|name| match &name.binding {
                Binding::Import { segments, absolute } => {
                    segments.last().is_some_and(|last| last == trait_name)
                        && matches!(
                            self.resolve_segments(module, segments, *absolute, Ns::Type, false, 0),
                            Some(Target::Path(path)) if self.catalog.canonical(&path) == trait_path
                        )
                }
                _ => false,
            }) || matches!(
                self.lookup_globs(module, &scope.globs, trait_name, Ns::Type, 0),
                Some(Target::Path(path)) if self.catalog.canonical(&path) == trait_path
            )
        };
        self.blocks
            .iter()
            .any(|scope| imports_trait(self.current_module, scope))
            || imports_trait(
                self.current_module,
                &self.modules[self.current_module].scope,
            )
    }
}
