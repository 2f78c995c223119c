//! The catalog of blocking APIs: data, not code. `lint/catalog.toml` is
//! embedded with `include_str!` and extended by user configuration.
//!
//! Every path in the catalog is canonical: re-exports are listed once under
//! `[aliases]` and applied to resolved paths before any lookup, so an entry
//! for `futures_lite::future::block_on` also covers `smol::future::block_on`.
//!
//! CONTRACT: `Catalog::builtin()`, `Catalog::add(path, rule_id)` (user
//! `blocking.extra`; error text names the problem), `Catalog::allow(path)`
//! (user `blocking.allow`: the path and everything under it is not reported),
//! `Catalog::add_executor_callback(path)` / `Catalog::add_offload(path)` (user
//! `context.executor-callbacks` / `context.offload`), `Catalog::for_crate(name)`
//! (the user entries in the `crate::` spelling a crate's own files resolve to).

use foldhash::{HashMap, HashSet};

use serde::Deserialize;

use crate::finding::Severity;
use crate::rules::{self, Rule};
use crate::vocab::Ty;

const BUILTIN: &str = include_str!("../../catalog.toml");

/// What the catalog says about one blocking path.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// When a call of the path waits (`blocks` in `lint/catalog.toml`).
    pub blocks: Blocks,
}

/// When a call of a blocking path waits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Blocks {
    /// Every call may wait.
    #[default]
    Always,
    /// Only while resolving a host name: the call takes a `ToSocketAddrs`
    /// address as its last argument and otherwise returns at once (a
    /// `bind(2)`, a UDP `connect(2)` that only records the peer). A call
    /// whose address is already an IP socket address never waits.
    OnNameResolution,
}

/// A mechanically safe rewrite of a blocking call (`[fixes]`, `--fix`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixEntry {
    /// The async twin, called with the same arguments and `.await`ed.
    pub with: String,
    /// The tokio feature `with` needs (`time`, `fs`); `full` enables them all.
    pub feature: String,
}

/// The catalog of blocking APIs.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Exact paths: functions, associated functions, methods (`Type::method`).
    blocking: HashMap<String, Entry>,
    /// The last segments of `blocking`'s paths (`clone` for git2's
    /// `RepoBuilder::clone`): a method of that name may be catalogued.
    exact_names: HashSet<String>,
    /// `prefix::*` entries: everything under the prefix.
    wildcards: Vec<(String, Entry)>,
    /// The same by prefix (a later entry for a prefix wins, as in the list).
    wildcard_prefixes: HashMap<String, Entry>,
    /// `blocking.allow`: never reported, with everything under them.
    allowed: Vec<String>,
    /// Calls whose closure arguments run off the executor thread.
    offload: HashSet<String>,
    /// `offload`'s paths without their crate name (`task::spawn_blocking`),
    /// for a crate's own spelling of them (`crate::task::spawn_blocking`).
    offload_tails: HashSet<String>,
    /// Names of a crate's own functions that offload (`crate::..::spawn_blocking`).
    local_offload_names: HashSet<String>,
    /// Calls whose closure argument's first parameter has a known type
    /// (`std::thread::scope(|s| ..)`: `s` is a `std::thread::Scope`).
    scoped: HashMap<String, String>,
    /// What known functions and methods return.
    returns: HashMap<String, Ty>,
    /// Types whose methods return the type itself unless `returns` says otherwise.
    builders: HashSet<String>,
    /// Wrappers looked through when typing a receiver (`Arc<T>` is `T`).
    transparent: HashSet<String>,
    /// `Deref` targets tried when `Type::method` is not catalogued.
    deref: HashMap<String, String>,
    /// Traits whose methods are catalogued; a method of one applies to a
    /// receiver of unknown type when the trait is in scope.
    trait_methods: HashMap<String, Vec<String>>,
    /// Calls whose result holds a lock guard or a `RefCell` borrow until it
    /// is dropped (`lock-held-across-await`).
    guards: HashSet<String>,
    /// The method names of `guards` (`lock`, `borrow_mut`, ...): a cheap
    /// filter before typing a receiver.
    guard_methods: HashSet<String>,
    /// The guard types those calls return (`std::sync::MutexGuard`).
    guard_types: HashSet<String>,
    /// Re-export prefix to canonical prefix.
    aliases: Vec<(String, String)>,
    /// The first segments of `aliases`' paths.
    alias_crates: HashSet<String>,
    /// Blocking paths with a mechanically safe async rewrite.
    fixes: HashMap<String, FixEntry>,
    /// Names in scope everywhere (`Box`, `Option`, `drop`, ...).
    prelude: HashMap<String, String>,
    /// `[model]`: library signatures for the semantic model.
    model: ModelData,
    /// Every path the catalog mentions, and all their prefixes: what a glob
    /// import of an external module can be known to bring in.
    known: HashSet<String>,
    /// Calls whose closure arguments run on the executor (user
    /// `context.executor-callbacks`: a stream's producer callback, a
    /// crate's own task spawner).
    executor_callbacks: HashSet<String>,
    /// What user configuration added, as written, for [`Catalog::for_crate`].
    user_entries: Vec<UserEntry>,
}

/// An entry added by user configuration.
#[derive(Clone, Debug)]
enum UserEntry {
    Blocking { path: String, rule: &'static str },
    ExecutorCallback(String),
    Offload(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    aliases: HashMap<String, String>,
    prelude: HashMap<String, String>,
    blocking: HashMap<String, EntryFile>,
    offload: OffloadFile,
    scoped: HashMap<String, String>,
    returns: HashMap<String, ReturnFile>,
    types: TypesFile,
    guards: GuardsFile,
    fixes: HashMap<String, FixEntry>,
    model: ModelData,
    /// Paths under a `Type::*` wildcard that do not block: accessors of
    /// state the value already holds in memory.
    #[serde(rename = "not-blocking", default)]
    not_blocking: NotBlockingFile,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotBlockingFile {
    paths: Vec<String>,
}

/// `[model]`: library signatures for the semantic model (`crate::model`),
/// as written Rust types (parsed by the model, which owns the type language).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelData {
    /// `Owner<T>::method` -> returned type.
    pub methods: HashMap<String, String>,
    /// Function path -> returned type, `$0`.. naming argument types.
    pub functions: HashMap<String, String>,
    /// `Type<T>` -> what it derefs to.
    pub deref: HashMap<String, String>,
    /// `Collection<T>` -> its element type.
    pub elements: HashMap<String, String>,
    pub io: IoData,
}

/// `[model.io]`: std::io wrappers and the methods that reach their inner value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IoData {
    /// `Wrapper<R>` -> the generic parameter naming the wrapped value.
    pub wrappers: HashMap<String, String>,
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    /// Iterator methods that keep the element type.
    pub adapters: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GuardsFile {
    paths: Vec<String>,
    types: Vec<String>,
}

/// A `[blocking]` value: a rule id, or a table with the rule and more.
#[derive(Deserialize)]
#[serde(untagged)]
enum EntryFile {
    Rule(String),
    Table(toml::Table),
}

/// The table form of a `[blocking]` value; parsed on its own (not as an
/// untagged variant) so an unknown key is an error that names it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryTable {
    rule: String,
    severity: Option<String>,
    #[serde(default)]
    blocks: Blocks,
}

impl EntryFile {
    fn into_table(self, path: &str) -> Result<EntryTable, String> {
        match self {
            EntryFile::Rule(rule) => Ok(EntryTable {
                rule,
                severity: None,
                blocks: Blocks::Always,
            }),
            EntryFile::Table(table) => EntryTable::deserialize(table)
                .map_err(|error| format!("[blocking] `{path}`: {error}")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OffloadFile {
    paths: Vec<String>,
    local_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ReturnFile {
    Named(String),
    Tuple(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TypesFile {
    transparent: Vec<String>,
    builders: Vec<String>,
    traits: Vec<String>,
    deref: HashMap<String, String>,
}

impl Catalog {
    /// The catalog shipped with stallcheck (`lint/catalog.toml`).
    pub fn builtin() -> Catalog {
        // The embedded file is checked by `builtin_catalog_loads`; a broken
        // one cannot ship.
        Catalog::from_toml(BUILTIN).expect("lint/catalog.toml is valid")
    }

    /// Parses a catalog in the format of `lint/catalog.toml`.
    pub fn from_toml(text: &str) -> Result<Catalog, String> {
        let file: CatalogFile = toml::from_str(text).map_err(|error| error.to_string())?;
        let mut catalog = Catalog {
            offload_tails: file
                .offload
                .paths
                .iter()
                .filter_map(|path| Some(path.split_once("::")?.1.to_string()))
                .collect(),
            offload: file.offload.paths.into_iter().collect(),
            local_offload_names: file.offload.local_names.into_iter().collect(),
            scoped: file.scoped,
            builders: file.types.builders.into_iter().collect(),
            transparent: file.types.transparent.into_iter().collect(),
            deref: file.types.deref,
            prelude: file.prelude,
            model: file.model,
            guard_methods: file
                .guards
                .paths
                .iter()
                .filter_map(|path| path.rsplit_once("::").map(|(_, method)| method.to_string()))
                .collect(),
            guards: file.guards.paths.into_iter().collect(),
            guard_types: file.guards.types.into_iter().collect(),
            allowed: file.not_blocking.paths,
            ..Catalog::default()
        };
        catalog.aliases = file.aliases.into_iter().collect();
        // Longest prefix first, so the most specific alias wins.
        catalog
            .aliases
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        catalog.alias_crates = catalog
            .aliases
            .iter()
            .map(|(from, _)| from.split("::").next().unwrap_or(from).to_string())
            .collect();
        for (path, ty) in file.returns {
            let ty = match ty {
                ReturnFile::Named(name) => Ty::Named(name),
                ReturnFile::Tuple(names) => Ty::Tuple(
                    names
                        .into_iter()
                        .map(|name| Some(Ty::Named(name)))
                        .collect(),
                ),
            };
            catalog.returns.insert(path, ty);
        }
        let traits: HashSet<String> = file.types.traits.into_iter().collect();
        let mut entries: Vec<_> = file.blocking.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, entry) in entries {
            let entry = entry.into_table(&path)?;
            let severity = entry
                .severity
                .map(|text| {
                    Severity::parse(&text)
                        .ok_or_else(|| format!("`{path}`: unknown severity `{text}`"))
                })
                .transpose()?;
            catalog.insert(&path, &entry.rule, severity, entry.blocks)?;
            if let Some((owner, method)) = path.rsplit_once("::")
                && traits.contains(owner)
            {
                catalog
                    .trait_methods
                    .entry(method.to_string())
                    .or_default()
                    .push(path.clone());
            }
        }
        let mentioned: Vec<String> = catalog
            .offload
            .iter()
            .chain(catalog.scoped.keys())
            .chain(catalog.scoped.values())
            .chain(catalog.returns.keys())
            .chain(catalog.builders.iter())
            .chain(catalog.transparent.iter())
            .chain(catalog.aliases.iter().map(|(from, _)| from))
            .chain(traits.iter())
            .cloned()
            .collect();
        for path in mentioned {
            catalog.remember(&path);
        }
        catalog.fixes = checked_fixes(&catalog, file.fixes)?;
        Ok(catalog)
    }

    /// Adds a blocking path (user `blocking.extra`). `path` is a full path
    /// such as `mycrate::db::query`, or `prefix::*` for everything under it.
    pub fn add(&mut self, path: &str, rule_id: &str) -> Result<(), String> {
        self.insert(path, rule_id, None, Blocks::Always)?;
        if let Some(rule) = rules::find(rule_id) {
            self.user_entries.push(UserEntry::Blocking {
                path: path.to_string(),
                rule: rule.id,
            });
        }
        Ok(())
    }

    /// Closures handed to `path` run on the executor: they are async
    /// context (user `context.executor-callbacks`). `path` is a full path
    /// such as `mystream::Stream::from_producer`; wildcards are refused (a
    /// callback API is one function, not a module).
    pub fn add_executor_callback(&mut self, path: &str) -> Result<(), String> {
        let path = self.user_call_path(path)?;
        self.executor_callbacks.insert(path.clone());
        self.user_entries.push(UserEntry::ExecutorCallback(path));
        Ok(())
    }

    /// Closures handed to `path` run off the executor, like
    /// `spawn_blocking`'s (user `context.offload`).
    pub fn add_offload(&mut self, path: &str) -> Result<(), String> {
        let path = self.user_call_path(path)?;
        if let Some((_, tail)) = path.split_once("::") {
            self.offload_tails.insert(tail.to_string());
        }
        self.offload.insert(path.clone());
        self.user_entries.push(UserEntry::Offload(path));
        Ok(())
    }

    /// A user-configured call path, validated and made canonical.
    fn user_call_path(&mut self, path: &str) -> Result<String, String> {
        if path.ends_with("::*") {
            return Err(format!(
                "`{path}`: a wildcard names no function (expected a path like `mycrate::rt::spawn_local`)"
            ));
        }
        validate_path(path).map_err(|_| {
            format!(
                "`{path}` is not a path (expected segments joined by `::`, like `mycrate::rt::spawn_local`)"
            )
        })?;
        let path = self.canonical(path);
        self.remember(&path);
        Ok(path)
    }

    /// This catalog with the user entries that name crate `name`
    /// (`my_crate::db::query`) also spelled as the crate's own files resolve
    /// them (`crate::db::query`); `None` when no user entry names it.
    pub fn for_crate(&self, name: &str) -> Option<Catalog> {
        let prefix = format!("{name}::");
        let local = |path: &String| {
            path.strip_prefix(&prefix)
                .map(|rest| format!("crate::{rest}"))
        };
        let own: Vec<UserEntry> = self
            .user_entries
            .iter()
            .filter_map(|entry| match entry {
                UserEntry::Blocking { path, rule } => {
                    local(path).map(|path| UserEntry::Blocking { path, rule })
                }
                UserEntry::ExecutorCallback(path) => local(path).map(UserEntry::ExecutorCallback),
                UserEntry::Offload(path) => local(path).map(UserEntry::Offload),
            })
            .collect();
        if own.is_empty() {
            return None;
        }
        let mut catalog = self.clone();
        for entry in own {
            // Validated already in their `my_crate::` spelling.
            let _ = match entry {
                UserEntry::Blocking { path, rule } => catalog.add(&path, rule),
                UserEntry::ExecutorCallback(path) => catalog.add_executor_callback(&path),
                UserEntry::Offload(path) => catalog.add_offload(&path),
            };
        }
        Some(catalog)
    }

    /// Never report `path` or anything under it (user `blocking.allow`).
    pub fn allow(&mut self, path: &str) {
        let path = path.trim().trim_end_matches("::*");
        self.allowed.push(self.canonical(path));
    }

    fn insert(
        &mut self,
        path: &str,
        rule_id: &str,
        severity: Option<Severity>,
        blocks: Blocks,
    ) -> Result<(), String> {
        let rule = rules::find(rule_id).ok_or_else(|| {
            format!(
                "`{path}`: unknown rule `{rule_id}` ({})",
                crate::invocation::rules_hint()
            )
        })?;
        validate_path(path)?;
        if blocks == Blocks::OnNameResolution && path.ends_with("::*") {
            return Err(format!(
                "`{path}`: `blocks = \"on-name-resolution\"` needs one function, not a wildcard"
            ));
        }
        let entry = Entry {
            rule,
            severity: severity.unwrap_or(rule.default_severity),
            blocks,
        };
        match path.strip_suffix("::*") {
            Some(prefix) => {
                let prefix = self.canonical(prefix);
                self.remember(&prefix);
                self.wildcard_prefixes.insert(prefix.clone(), entry);
                self.wildcards.push((prefix, entry));
            }
            None => {
                let path = self.canonical(path);
                self.remember(&path);
                if let Some((_, name)) = path.rsplit_once("::") {
                    self.exact_names.insert(name.to_string());
                }
                self.blocking.insert(path, entry);
            }
        }
        Ok(())
    }

    fn remember(&mut self, path: &str) {
        let mut end = 0;
        while let Some(offset) = path[end..].find("::") {
            self.known.insert(path[..end + offset].to_string());
            end += offset + 2;
        }
        self.known.insert(path.to_string());
    }

    /// The blocking entry for a canonical path, if any (and not allowed).
    pub fn lookup(&self, path: &str) -> Option<Entry> {
        if self.allowed.iter().any(|allowed| is_under(path, allowed)) {
            return None;
        }
        self.blocking.get(path).copied().or_else(|| {
            proper_prefixes(path).find_map(|prefix| self.wildcard_prefixes.get(prefix).copied())
        })
    }

    /// The entry written for exactly this path, never a `Type::*` wildcard
    /// above it (and not allowed).
    pub fn lookup_exact(&self, path: &str) -> Option<Entry> {
        if self.allowed.iter().any(|allowed| is_under(path, allowed)) {
            return None;
        }
        self.blocking.get(path).copied()
    }

    /// Whether some path is catalogued exactly with this last segment.
    pub fn has_exact_name(&self, name: &str) -> bool {
        self.exact_names.contains(name)
    }

    /// Every `[blocking]` entry as written, canonical and sorted: exact
    /// paths and `prefix::*` wildcards (what the fixture coverage test
    /// checks, `lint/tests/catalog_coverage.rs`).
    pub fn blocking_entries(&self) -> Vec<String> {
        let mut entries: Vec<String> = self
            .blocking
            .keys()
            .cloned()
            .chain(
                self.wildcards
                    .iter()
                    .map(|(prefix, _)| format!("{prefix}::*")),
            )
            .collect();
        entries.sort();
        entries.dedup();
        entries
    }

    /// The `[blocking]` entry a canonical path matches, as
    /// [`Catalog::blocking_entries`] spells it: the path itself, or the
    /// longest wildcard above it.
    pub fn entry_for(&self, path: &str) -> Option<String> {
        if self.blocking.contains_key(path) {
            return Some(path.to_string());
        }
        proper_prefixes(path)
            .find(|prefix| self.wildcard_prefixes.contains_key(*prefix))
            .map(|prefix| format!("{prefix}::*"))
    }

    /// Whether a call of the canonical path returns a lock guard or a
    /// `RefCell` borrow (`std::sync::Mutex::lock`, `std::cell::RefCell::borrow`).
    pub fn is_guard(&self, path: &str) -> bool {
        self.guards.contains(path)
    }

    /// Whether a (canonical) type is a lock guard or a `RefCell` borrow.
    pub fn is_guard_type(&self, ty: &str) -> bool {
        self.guard_types.contains(ty)
    }

    /// Whether some guard-returning call has this method name.
    pub fn is_guard_method(&self, method: &str) -> bool {
        self.guard_methods.contains(method)
    }

    /// Rewrites a re-exported path to its canonical one
    /// (`smol::future::block_on` to `futures_lite::future::block_on`).
    pub fn canonical(&self, path: &str) -> String {
        // Every alias names a crate's path: skip the list for the crate's
        // own paths (`crate::..`) and for crates no alias names.
        let first = path.split(':').next().unwrap_or(path);
        if !self.alias_crates.contains(first) {
            return path.to_string();
        }
        for (from, to) in &self.aliases {
            if is_under(path, from) {
                return format!("{to}{}", &path[from.len()..]);
            }
        }
        path.to_string()
    }

    /// Whether the catalog mentions `path` or anything under it.
    pub fn knows(&self, path: &str) -> bool {
        self.known.contains(path) || self.known.contains(&self.canonical(path))
    }

    pub fn prelude(&self, name: &str) -> Option<&str> {
        self.prelude.get(name).map(String::as_str)
    }

    /// Whether closures handed to `path` run off the executor. A crate's
    /// own (`crate::`) function counts when it is named like an offloading
    /// call (`offload.local_names`) or is one seen from inside its crate
    /// (async-std's `crate::task::spawn_blocking`): the file's crate name is
    /// unknown here, and erring this way only hides findings.
    pub fn is_offload(&self, path: &str) -> bool {
        if self.offload.contains(path) {
            return true;
        }
        path.strip_prefix("crate::").is_some_and(|local| {
            let name = local.rsplit("::").next().unwrap_or(local);
            self.local_offload_names.contains(name) || self.offload_tails.contains(local)
        })
    }

    /// Whether closures handed to `path` run on the executor although the
    /// code around them may not be async (user `context.executor-callbacks`).
    pub fn is_executor_callback(&self, path: &str) -> bool {
        self.executor_callbacks.contains(path)
    }

    pub fn scoped_param(&self, path: &str) -> Option<&str> {
        self.scoped.get(path).map(String::as_str)
    }

    pub fn returns(&self, path: &str) -> Option<&Ty> {
        self.returns.get(path)
    }

    pub fn is_builder(&self, ty: &str) -> bool {
        self.builders.contains(ty)
    }

    /// Wrappers looked through when typing a receiver; besides the listed
    /// ones, every crate's `Result` alias (`io::Result<T>`,
    /// `rusqlite::Result<T>`, `anyhow::Result<T>`): their first argument is
    /// the success type.
    pub fn is_transparent(&self, ty: &str) -> bool {
        self.transparent.contains(ty) || ty == "Result" || ty.ends_with("::Result")
    }

    pub fn deref_target(&self, ty: &str) -> Option<&str> {
        self.deref.get(ty).map(String::as_str)
    }

    /// The async rewrite of a (canonical) blocking path, if it has one.
    pub fn fix(&self, path: &str) -> Option<&FixEntry> {
        self.fixes.get(path)
    }

    /// The `[model]` signatures.
    pub fn model_data(&self) -> &ModelData {
        &self.model
    }

    /// Catalogued trait methods named `method` (full paths `Trait::method`).
    pub fn trait_methods(&self, method: &str) -> &[String] {
        self.trait_methods.get(method).map_or(&[], Vec::as_slice)
    }
}

/// `[fixes]` entries, each for a catalogued blocking path, naming a path
/// and a tokio feature.
fn checked_fixes(
    catalog: &Catalog,
    fixes: HashMap<String, FixEntry>,
) -> Result<HashMap<String, FixEntry>, String> {
    for (path, fix) in &fixes {
        validate_path(path)?;
        validate_path(&fix.with)?;
        if !catalog.blocking.contains_key(path) {
            return Err(format!(
                "[fixes] `{path}`: not a blocking path of the catalog"
            ));
        }
        if !fix.with.starts_with("tokio::") || !is_feature_name(&fix.feature) {
            return Err(format!(
                "[fixes] `{path}`: expected a `tokio::` path and a tokio feature name"
            ));
        }
    }
    Ok(fixes)
}

fn is_feature_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `path` is `prefix` or below it.
/// `a::b::c`'s `a::b` then `a`: the paths a `prefix::*` entry covering it
/// may name, longest first.
fn proper_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let bytes = path.as_bytes();
    (1..bytes.len())
        .rev()
        .filter(move |&at| bytes[at] == b':' && bytes[at - 1] == b':')
        .map(move |at| &path[..at - 1])
}

fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

fn validate_path(path: &str) -> Result<(), String> {
    let body = path.strip_suffix("::*").unwrap_or(path);
    let valid_segment = |segment: &str| {
        let mut chars = segment.chars();
        chars
            .next()
            .is_some_and(|first| first == '_' || first.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    };
    if body.split("::").all(valid_segment) {
        Ok(())
    } else {
        Err(format!(
            "`{path}` is not a path (expected segments joined by `::`, like `mycrate::db::query` or `mycrate::db::*`)"
        ))
    }
}

#[cfg(test)]
mod tests;
