//! Discovery: what to lint, found from PATH without executing anything.
//!
//! PATH is a crate or workspace directory, a `Cargo.toml`, a directory of `.rs`
//! files without a manifest, or one `.rs` file. With a manifest, packages and
//! targets come from `cargo metadata --no-deps` (which never runs build scripts
//! or proc macros), started from a neutral directory so that the target's
//! `rust-toolchain.toml` and `.cargo/config.toml` are not honoured, and each target's module tree is walked from its root file
//! by the driver, with [`child_module_location`] deciding where `mod a;` lives.
//! Without a manifest, every `.rs` file under PATH is linted, honouring
//! `.gitignore`.

use std::path::{Component, Path, PathBuf};

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, TargetKind};

use crate::analysis::{AsyncRuntime, Edition, ModuleDecl};
use crate::vocab::FatalError;

/// Where a target's files come from.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The analysed root: a canonical directory; finding paths are relative to it.
    pub root: PathBuf,
    pub layout: Layout,
}

#[derive(Clone, Debug)]
pub enum Layout {
    /// A crate or workspace: module trees walked from each target's root file.
    Manifest(ManifestLayout),
    /// Loose `.rs` files (no manifest, or a single file): each file on its own.
    Loose(Vec<PathBuf>),
}

#[derive(Clone, Debug)]
pub struct ManifestLayout {
    /// The `Cargo.toml` PATH named (or found in PATH).
    pub manifest_path: PathBuf,
    pub packages: Vec<PackageTargets>,
    /// `[workspace.metadata.stallcheck]` or `[package.metadata.stallcheck]`
    /// of the manifest PATH named, with the table's name, when present.
    pub metadata_config: Option<(String, serde_json::Value)>,
}

/// One package and the root files of its targets.
#[derive(Clone, Debug)]
pub struct PackageTargets {
    pub name: String,
    /// The library target's crate name (`my_crate` for package `my-crate`):
    /// inside the package, its own paths are spelled `crate::..`.
    pub lib_name: Option<String>,
    /// The package directory (canonical); no file outside it is read.
    pub dir: PathBuf,
    pub runtime: AsyncRuntime,
    /// See [`crate::analysis::FileContext::tokio_features`].
    pub tokio_features: Vec<String>,
    pub targets: Vec<TargetRoot>,
}

#[derive(Clone, Debug)]
pub struct TargetRoot {
    pub root_file: PathBuf,
    pub edition: Edition,
    /// `tests/` and `benches/` targets: linted only with `--include-tests`.
    pub is_test: bool,
    /// The library target (whose crate is `PackageTargets::lib_name`); each
    /// other target is a crate of its own (the call graph keeps them apart).
    pub is_lib: bool,
    /// The target's crate name (`-` replaced by `_`).
    pub crate_name: String,
    /// The manifest entry the target comes from (``the `[[example]]` named
    /// `demo` in the Cargo.toml of package `app` ``), to name it when its
    /// file is missing.
    pub manifest_entry: String,
}

/// Finds what PATH designates. Errors are one line and name the problem.
pub fn discover(path: &Path) -> Result<Discovery, FatalError> {
    let metadata = std::fs::metadata(path).map_err(|err| {
        FatalError(format!(
            "cannot read `{}`: {}",
            path.display(),
            io_reason(&err)
        ))
    })?;
    let canonical = path.canonicalize().map_err(|err| {
        FatalError(format!(
            "cannot resolve `{}`: {}",
            path.display(),
            io_reason(&err)
        ))
    })?;
    if metadata.is_dir() {
        let manifest = canonical.join("Cargo.toml");
        if manifest.is_file() {
            return discover_manifest(&manifest);
        }
        return discover_loose_dir(path, &canonical);
    }
    if canonical
        .file_name()
        .is_some_and(|name| name == "Cargo.toml")
    {
        // cargo would wait forever on a FIFO named `Cargo.toml`.
        if !metadata.is_file() {
            return Err(FatalError(format!(
                "`{}` is not a regular file",
                path.display()
            )));
        }
        return discover_manifest(&canonical);
    }
    if canonical.extension().is_some_and(|ext| ext == "rs") {
        let root = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        return Ok(Discovery {
            root,
            layout: Layout::Loose(vec![canonical]),
        });
    }
    Err(FatalError(format!(
        "`{}` is not a Rust file, a `Cargo.toml` or a directory",
        path.display()
    )))
}

fn discover_loose_dir(shown: &Path, dir: &Path) -> Result<Discovery, FatalError> {
    let mut files = Vec::new();
    // `require_git(false)`: honour `.gitignore` even outside a git checkout.
    // Symbolic links are not followed, so link loops cannot trap the walk.
    for entry in ignore::WalkBuilder::new(dir)
        .require_git(false)
        .build()
        .flatten()
    {
        let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
        if is_file && entry.path().extension().is_some_and(|ext| ext == "rs") {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        // The same walk with only the git ignore rules off.
        let ignored = ignore::WalkBuilder::new(dir)
            .require_git(false)
            .git_ignore(false)
            .git_global(false)
            .git_exclude(false)
            .build()
            .flatten()
            .any(|entry| {
                entry.file_type().is_some_and(|kind| kind.is_file())
                    && entry.path().extension().is_some_and(|ext| ext == "rs")
            });
        let why = if ignored {
            "no Cargo.toml, and every .rs file is ignored by .gitignore"
        } else {
            "no Cargo.toml and no .rs file"
        };
        return Err(FatalError(format!(
            "no Rust source found in `{}` ({why})",
            shown.display()
        )));
    }
    files.sort();
    Ok(Discovery {
        root: dir.to_path_buf(),
        layout: Layout::Loose(files),
    })
}

impl Discovery {
    /// How many `.rs` files the run may read, counted up to `limit` (a
    /// bound for the worker count: idle rayon workers keep searching each
    /// other's queues, so threads beyond the files cost time for nothing).
    /// A manifest's module trees are only known while they are walked, so
    /// its packages' `.rs` files stand in for them, `.gitignore` honoured.
    pub fn rust_files_at_most(&self, limit: usize) -> usize {
        let dirs: Vec<&Path> = match &self.layout {
            Layout::Loose(files) => return files.len().min(limit),
            Layout::Manifest(manifest) => manifest
                .packages
                .iter()
                .map(|package| package.dir.as_path())
                .collect(),
        };
        let mut count = 0;
        for dir in dirs {
            let entries = ignore::WalkBuilder::new(dir).require_git(false).build();
            for entry in entries.flatten() {
                let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
                if is_file && entry.path().extension().is_some_and(|ext| ext == "rs") {
                    count += 1;
                    if count >= limit {
                        return limit;
                    }
                }
            }
        }
        count.max(1)
    }
}

fn discover_manifest(manifest: &Path) -> Result<Discovery, FatalError> {
    let metadata = neutral_metadata_command(manifest)?
        .exec()
        .map_err(|err| FatalError(metadata_error(manifest, err)))?;
    let root = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let is_workspace_root = canonical_or_same(metadata.workspace_root.as_std_path()) == root;
    let selected: Vec<&Package> = if is_workspace_root {
        metadata.workspace_packages()
    } else {
        metadata
            .packages
            .iter()
            .filter(|package| canonical_or_same(package.manifest_path.as_std_path()) == manifest)
            .collect()
    };
    let metadata_config = metadata_config(&metadata, &selected, is_workspace_root);
    let packages: Vec<PackageTargets> = selected.into_iter().map(package_targets).collect();
    if packages.iter().all(|package| package.targets.is_empty()) {
        return Err(FatalError(format!(
            "no Rust source found: `{}` has no package with a library, binary, example, test or bench target",
            manifest.display()
        )));
    }
    Ok(Discovery {
        root,
        layout: Layout::Manifest(ManifestLayout {
            manifest_path: manifest.to_path_buf(),
            packages,
            metadata_config,
        }),
    })
}

fn metadata_config(
    metadata: &Metadata,
    selected: &[&Package],
    is_workspace_root: bool,
) -> Option<(String, serde_json::Value)> {
    if is_workspace_root && let Some(table) = metadata.workspace_metadata.get("stallcheck") {
        return Some(("[workspace.metadata.stallcheck]".to_string(), table.clone()));
    }
    let [package] = selected else { return None };
    let table = package.metadata.get("stallcheck")?;
    Some(("[package.metadata.stallcheck]".to_string(), table.clone()))
}

fn package_targets(package: &Package) -> PackageTargets {
    let dir = package
        .manifest_path
        .parent()
        .map(|dir| canonical_or_same(dir.as_std_path()))
        .unwrap_or_default();
    let targets = package
        .targets
        .iter()
        .filter_map(|target| {
            let is_test = target
                .kind
                .iter()
                .any(|kind| matches!(kind, TargetKind::Test | TargetKind::Bench));
            let is_code = target.kind.iter().any(is_linted_kind);
            (is_code || is_test).then(|| TargetRoot {
                // As the manifest names it, links not followed: a root
                // file that is a symbolic link out of the package is then
                // named as one (the driver resolves links when it checks).
                root_file: normalize_lexically(target.src_path.as_std_path()),
                edition: Edition::parse(target.edition.as_str()).unwrap_or(Edition::E2024),
                is_test,
                is_lib: target.kind.iter().any(is_lib_kind),
                crate_name: target.name.replace('-', "_"),
                manifest_entry: format!(
                    "the `{}` named `{}` in the Cargo.toml of package `{}`",
                    manifest_table(&target.kind),
                    target.name,
                    package.name
                ),
            })
        })
        .collect();
    let lib_name = package
        .targets
        .iter()
        .find(|target| target.kind.iter().any(is_lib_kind))
        .map(|target| target.name.replace('-', "_"));
    PackageTargets {
        name: package.name.to_string(),
        lib_name,
        dir,
        runtime: runtime_of(package),
        tokio_features: tokio_features(package),
        targets,
    }
}

/// The manifest table that declares a target of these kinds.
fn manifest_table(kinds: &[TargetKind]) -> &'static str {
    match kinds.first() {
        Some(TargetKind::Bin) => "[[bin]]",
        Some(TargetKind::Example) => "[[example]]",
        Some(TargetKind::Test) => "[[test]]",
        Some(TargetKind::Bench) => "[[bench]]",
        _ => "[lib]",
    }
}

/// The kinds that make a package's library, which other crates name.
fn is_lib_kind(kind: &TargetKind) -> bool {
    matches!(
        kind,
        TargetKind::Lib | TargetKind::RLib | TargetKind::ProcMacro
    )
}

/// Libraries, binaries and examples; never build scripts.
fn is_linted_kind(kind: &TargetKind) -> bool {
    matches!(
        kind,
        TargetKind::Lib
            | TargetKind::RLib
            | TargetKind::DyLib
            | TargetKind::CDyLib
            | TargetKind::StaticLib
            | TargetKind::ProcMacro
            | TargetKind::Bin
            | TargetKind::Example
    )
}

/// The async runtime a package depends on; tokio wins when several are present
/// because its help text is the most common alternative.
pub fn runtime_of(package: &Package) -> AsyncRuntime {
    let depends_on = |name: &str| {
        package
            .dependencies
            .iter()
            .any(|dep| dep.name == name && dep.kind != DependencyKind::Build)
    };
    if depends_on("tokio") {
        AsyncRuntime::Tokio
    } else if depends_on("async-std") {
        AsyncRuntime::AsyncStd
    } else if depends_on("smol") {
        AsyncRuntime::Smol
    } else {
        AsyncRuntime::Unknown
    }
}

/// The features of the package's own `tokio` dependency, merged by cargo
/// with `workspace = true` inheritance. None when it is renamed (the code
/// spells it otherwise), optional, a dev or build dependency, or only for
/// some platforms: `tokio::` paths might not compile there.
pub fn tokio_features(package: &Package) -> Vec<String> {
    let mut features: Vec<String> = package
        .dependencies
        .iter()
        .filter(|dep| {
            dep.name == "tokio"
                && dep.rename.is_none()
                && !dep.optional
                && dep.target.is_none()
                && dep.kind == DependencyKind::Normal
        })
        .flat_map(|dep| dep.features.iter().cloned())
        .collect();
    features.sort();
    features.dedup();
    features
}

/// The directory cargo is started in. rustup picks the toolchain from
/// `rust-toolchain(.toml)` in the working directory and its parents, and
/// cargo reads `.cargo/config.toml` (`[build] rustc`, `rustc-wrapper`,
/// `[env]`, runners...) from the same places, never from the manifest's
/// directory: starting cargo in the target would let the target choose
/// what runs. The filesystem root is writable by its owner only, so
/// neither a target nor another local user can put such files there.
#[cfg(unix)]
const NEUTRAL_DIR: &str = "/";
#[cfg(not(unix))]
const NEUTRAL_DIR: &str = "\\";

/// `cargo metadata --no-deps` for `manifest`, set up so that nothing the
/// target chose can run (see ARCHITECTURE.md, "never executes target code").
fn neutral_metadata_command(manifest: &Path) -> Result<MetadataCommand, FatalError> {
    let mut command = MetadataCommand::new();
    command
        .cargo_path(trusted_cargo()?)
        .current_dir(NEUTRAL_DIR)
        .manifest_path(manifest)
        .no_deps()
        // rustup and cargo print a stack trace under `RUST_BACKTRACE`; the
        // error is summarised in one line anyway.
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0");
    Ok(command)
}

/// The cargo the user would run from a neutral place: `$CARGO` when it is
/// an absolute path (cargo sets it for `cargo stallcheck`), else the first
/// `cargo` on the absolute entries of `PATH`. A relative entry (`.`) is
/// skipped: it would name a program inside whatever directory the user
/// happens to stand in, which may be the target.
fn trusted_cargo() -> Result<PathBuf, FatalError> {
    if let Some(cargo) = std::env::var_os("CARGO").map(PathBuf::from)
        && cargo.is_absolute()
    {
        return Ok(cargo);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(format!("cargo{}", std::env::consts::EXE_SUFFIX)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            FatalError(
                "cannot find `cargo` on the absolute entries of PATH (needed for `cargo metadata`; install it with rustup)"
                    .to_string(),
            )
        })
}

/// Turns `cargo metadata`'s (or rustup's) multi-line stderr into one line
/// naming the problem; stack traces and their frames are dropped.
fn metadata_error(manifest: &Path, err: cargo_metadata::Error) -> String {
    match err {
        cargo_metadata::Error::CargoMetadata { stderr } => {
            let lines: Vec<&str> = stderr
                .lines()
                .map(str::trim)
                .take_while(|line| !line.starts_with("Stack backtrace"))
                .filter(|line| !line.is_empty() && *line != "Caused by:")
                .collect();
            let first = lines
                .first()
                .map(|line| line.trim_start_matches("error: "))
                .unwrap_or("unknown error");
            // rustup's own failures (a toolchain that is not installed) are
            // not about the manifest.
            let what = if first.contains("toolchain") {
                "cannot run `cargo metadata` for"
            } else {
                "cannot read the manifest"
            };
            match lines.get(1) {
                Some(cause) => format!("{what} `{}`: {first}: {cause}", manifest.display()),
                None => format!("{what} `{}`: {first}", manifest.display()),
            }
        }
        cargo_metadata::Error::Io(io) => {
            format!(
                "cannot run `cargo metadata` for `{}` (is cargo installed?): {io}",
                manifest.display()
            )
        }
        other => format!("cannot read the manifest `{}`: {other}", manifest.display()),
    }
}

fn canonical_or_same(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

/// The OS error text without the "(os error N)" suffix.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_lowercase(),
        None => text,
    }
}

/// A module file being walked: its path and the directory where its
/// `mod child;` declarations are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: PathBuf,
    /// For crate roots, `mod.rs` files and files loaded through `#[path]`: the
    /// file's own directory. For `a.rs`: the sibling directory `a/`.
    pub child_dir: PathBuf,
}

impl ModuleFile {
    /// A target's root file (`lib.rs`, `main.rs`, `src/bin/x.rs`, ...).
    pub fn crate_root(path: PathBuf) -> ModuleFile {
        let child_dir = parent_dir(&path);
        ModuleFile { path, child_dir }
    }
}

/// Where rustc looks for the file of a `mod name;` declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildLocation {
    /// Tried in order; the first that exists is the module's file.
    pub candidates: Vec<ModuleFile>,
}

/// Applies rustc's rules for out-of-line modules:
/// - `mod a;` in a file whose children live in `D` (see [`ModuleFile`]) is
///   `D/a.rs` or `D/a/mod.rs`; enclosing inline modules add one directory
///   each (their `#[path]` value instead of their name when they have one);
/// - `#[path = "p"] mod a;` outside inline modules is relative to the
///   declaring file's own directory, inside inline modules to `D` plus the
///   inline components;
/// - a file loaded through `#[path]` owns its directory, like a `mod.rs`.
pub fn child_module_location(parent: &ModuleFile, decl: &ModuleDecl) -> ChildLocation {
    if let Some(path_attr) = &decl.path_attr
        && decl.inline_parents.is_empty()
    {
        return ChildLocation {
            candidates: vec![path_loaded(parent_dir(&parent.path).join(path_attr))],
        };
    }
    let mut base = parent.child_dir.clone();
    for (name, path_attr) in &decl.inline_parents {
        base.push(path_attr.as_deref().unwrap_or(unraw(name)));
    }
    if let Some(path_attr) = &decl.path_attr {
        return ChildLocation {
            candidates: vec![path_loaded(base.join(path_attr))],
        };
    }
    let name = unraw(&decl.name);
    let own_dir = base.join(name);
    ChildLocation {
        candidates: vec![
            ModuleFile {
                path: base.join(format!("{name}.rs")),
                child_dir: own_dir.clone(),
            },
            ModuleFile {
                path: own_dir.join("mod.rs"),
                child_dir: own_dir,
            },
        ],
    }
}

/// `r#ref` is the module `ref`, in `ref.rs`.
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn path_loaded(path: PathBuf) -> ModuleFile {
    let path = normalize_lexically(&path);
    let child_dir = parent_dir(&path);
    ModuleFile { path, child_dir }
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Removes `.` and folds `..` without touching the filesystem, so that a
/// `#[path = "../../x.rs"]` is judged by where it points, not by its text.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `/..` is `/`, as the OS has it; a relative path keeps
                // its leading `..`s.
                let at_root = out.has_root() && out.parent().is_none();
                if !at_root && !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// What the token scan of a file finds that the per-file analysis does not
/// report (see [`scan_module_decls`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleScan {
    /// `mod name;` inside item-position macro invocations, such as tokio's
    /// `cfg_rt! { pub mod runtime; }`: rustc expands the macro and loads the
    /// module, but syn leaves the body as tokens.
    pub in_macros: Vec<ModuleDecl>,
    /// `#[cfg_attr(pred, path = "x.rs")] mod name;` (anywhere): the paths one
    /// configuration or another loads; like modules behind `#[cfg]`, all of
    /// them are read.
    pub cfg_attr_paths: Vec<(ModuleDecl, Vec<String>)>,
}

/// Scans a file's tokens (no parse) for the module declarations of
/// [`ModuleScan`]. `macro_rules!` definitions are templates, not expansions,
/// and are skipped; `#[cfg(test)]` modules are left out unless tests are
/// included.
pub fn scan_module_decls(source: &str, include_tests: bool) -> ModuleScan {
    let Ok(tokens) = source.parse::<proc_macro2::TokenStream>() else {
        return ModuleScan::default();
    };
    let mut scan = MacroModuleScan {
        include_tests,
        parents: Vec::new(),
        found: ModuleScan::default(),
    };
    scan.walk(tokens, false);
    scan.found
}

/// Whether a file may declare modules its analysis did not return or did
/// not return fully: it spells `mod <name>;` more often than `reported`, or
/// it has a `cfg_attr` that may carry a `path` (a cheap byte scan that
/// decides whether the token scan of [`scan_module_decls`] is worth running).
pub fn may_hide_module_decls(source: &str, reported: usize) -> bool {
    if source.contains("cfg_attr") && source.contains("path") {
        return true;
    }
    let bytes = source.as_bytes();
    let mut spelled = 0;
    let mut from = 0;
    while let Some(at) = source[from..].find("mod ") {
        let start = from + at;
        from = start + 4;
        let preceded_by_ident = start > 0 && is_ident_byte(bytes[start - 1]);
        let name_end = from
            + bytes[from..]
                .iter()
                .take_while(|byte| is_ident_byte(**byte))
                .count();
        let rest = source[name_end..].trim_start();
        if !preceded_by_ident && name_end > from && rest.starts_with(';') {
            spelled += 1;
            if spelled > reported {
                return true;
            }
        }
    }
    false
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

struct MacroModuleScan {
    include_tests: bool,
    parents: Vec<(String, Option<String>)>,
    found: ModuleScan,
}

/// The attributes seen since the last item.
#[derive(Default)]
struct PendingAttrs {
    path: Option<String>,
    cfg_attr_paths: Vec<String>,
    cfg_test: bool,
}

impl MacroModuleScan {
    fn walk(&mut self, tokens: proc_macro2::TokenStream, in_macro: bool) {
        use proc_macro2::{Delimiter, TokenTree};
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut attrs = PendingAttrs::default();
        let mut index = 0;
        while index < trees.len() {
            match (&trees[index], trees.get(index + 1), trees.get(index + 2)) {
                (TokenTree::Punct(hash), Some(TokenTree::Group(attr)), _)
                    if hash.as_char() == '#' && attr.delimiter() == Delimiter::Bracket =>
                {
                    let text = attr.stream().to_string();
                    if let Some(value) = path_attribute_value(&text) {
                        attrs.path = Some(value);
                    }
                    if let Some(value) = cfg_attr_path_value(&text) {
                        attrs.cfg_attr_paths.push(value);
                    }
                    attrs.cfg_test |= text.replace(' ', "") == "cfg(test)";
                    index += 2;
                }
                (TokenTree::Ident(word), Some(TokenTree::Punct(bang)), _)
                    if word == "macro_rules" && bang.as_char() == '!' =>
                {
                    // A definition, not an expansion: its `mod`s are templates.
                    index += 4;
                }
                (
                    TokenTree::Ident(word),
                    Some(TokenTree::Punct(bang)),
                    Some(TokenTree::Group(body)),
                ) if bang.as_char() == '!' && word != "mod" => {
                    self.walk(body.stream(), true);
                    index += 3;
                }
                (TokenTree::Ident(word), Some(TokenTree::Ident(name)), Some(next))
                    if word == "mod" =>
                {
                    let attrs = std::mem::take(&mut attrs);
                    if !attrs.cfg_test || self.include_tests {
                        self.module(name.to_string(), word.span(), next, attrs, in_macro);
                    }
                    index += 3;
                }
                (TokenTree::Punct(punct), _, _) if punct.as_char() == ';' => {
                    attrs = PendingAttrs::default();
                    index += 1;
                }
                (TokenTree::Group(group), _, _) if group.delimiter() == Delimiter::Brace => {
                    attrs = PendingAttrs::default();
                    index += 1;
                }
                _ => index += 1,
            }
        }
    }

    /// `mod name` followed by `next` (`;` or a `{ .. }` body).
    fn module(
        &mut self,
        name: String,
        start: proc_macro2::Span,
        next: &proc_macro2::TokenTree,
        attrs: PendingAttrs,
        in_macro: bool,
    ) {
        use proc_macro2::{Delimiter, TokenTree};
        match next {
            TokenTree::Punct(semi) if semi.as_char() == ';' => {
                let decl = ModuleDecl {
                    name,
                    path_attr: attrs.path,
                    inline_parents: self.parents.clone(),
                    span: token_span(start, semi.span()),
                };
                if !attrs.cfg_attr_paths.is_empty() {
                    self.found
                        .cfg_attr_paths
                        .push((decl.clone(), attrs.cfg_attr_paths));
                }
                if in_macro {
                    self.found.in_macros.push(decl);
                }
            }
            TokenTree::Group(body) if body.delimiter() == Delimiter::Brace => {
                self.parents.push((name, attrs.path));
                self.walk(body.stream(), in_macro);
                self.parents.pop();
            }
            _ => {}
        }
    }
}

/// `cfg_attr(pred, path = "x.rs")` (as tokens print) to `x.rs`.
fn cfg_attr_path_value(attr: &str) -> Option<String> {
    let inner = attr.trim().strip_prefix("cfg_attr")?.trim_start();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
    let at = inner.match_indices("path").find(|(at, _)| {
        let before = inner[..*at].trim_end();
        before.ends_with(',')
    })?;
    let attr = &inner[at.0..];
    let end = attr.find(',').unwrap_or(attr.len());
    path_attribute_value(&attr[..end])
}

/// `path = "x.rs"` (as tokens print) to `x.rs`.
fn path_attribute_value(attr: &str) -> Option<String> {
    let rest = attr
        .trim()
        .strip_prefix("path")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let literal = rest.strip_prefix('"')?.strip_suffix('"')?;
    Some(literal.replace("\\\\", "\\"))
}

fn token_span(start: proc_macro2::Span, end: proc_macro2::Span) -> crate::finding::Span {
    let (start, end) = (start.start(), end.end());
    crate::finding::Span {
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn decl(name: &str, path_attr: Option<&str>, parents: &[(&str, Option<&str>)]) -> ModuleDecl {
        ModuleDecl {
            name: name.to_string(),
            path_attr: path_attr.map(str::to_string),
            inline_parents: parents
                .iter()
                .map(|(name, attr)| (name.to_string(), attr.map(str::to_string)))
                .collect(),
            span: Span {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            },
        }
    }

    fn check(parent: &ModuleFile, decl: ModuleDecl, expected: &[(&str, &str)]) {
        let location = child_module_location(parent, &decl);
        let actual: Vec<(String, String)> = location
            .candidates
            .iter()
            .map(|file| {
                (
                    file.path.display().to_string(),
                    file.child_dir.display().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(path, dir)| (path.to_string(), dir.to_string()))
            .collect();
        assert_eq!(actual, expected);
    }

    fn non_mod_rs(path: &str, child_dir: &str) -> ModuleFile {
        ModuleFile {
            path: PathBuf::from(path),
            child_dir: PathBuf::from(child_dir),
        }
    }

    #[test]
    fn plain_mod_in_crate_root_is_sibling_file_or_mod_rs() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("a", None, &[]),
            &[("/p/src/a.rs", "/p/src/a"), ("/p/src/a/mod.rs", "/p/src/a")],
        );
    }

    #[test]
    fn mod_in_non_mod_rs_file_lives_in_its_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("b", None, &[]),
            &[
                ("/p/src/a/b.rs", "/p/src/a/b"),
                ("/p/src/a/b/mod.rs", "/p/src/a/b"),
            ],
        );
    }

    #[test]
    fn inline_parents_add_directories() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("c", None, &[("outer", None), ("inner", Some("renamed"))]),
            &[
                ("/p/src/outer/renamed/c.rs", "/p/src/outer/renamed/c"),
                ("/p/src/outer/renamed/c/mod.rs", "/p/src/outer/renamed/c"),
            ],
        );
    }

    #[test]
    fn path_attribute_is_relative_to_the_declaring_files_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("other/x_impl.rs"), &[]),
            &[("/p/src/other/x_impl.rs", "/p/src/other")],
        );
    }

    #[test]
    fn path_attribute_inside_inline_module_of_non_mod_rs_file_starts_at_its_module_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("x_impl.rs"), &[("inline", None)]),
            &[("/p/src/a/inline/x_impl.rs", "/p/src/a/inline")],
        );
    }

    /// (name, `#[path]`, inline parents) of each declaration found in macros.
    type FoundDecl = (String, Option<String>, Vec<(String, Option<String>)>);

    fn macro_decls(source: &str) -> Vec<FoundDecl> {
        scan_module_decls(source, false)
            .in_macros
            .into_iter()
            .map(|decl| (decl.name, decl.path_attr, decl.inline_parents))
            .collect()
    }

    #[test]
    fn modules_declared_inside_item_macros_are_found() {
        let source = "mod plain;\ncfg_rt! {\n    pub(crate) mod runtime;\n    #[path = \"x/imp.rs\"]\n    mod imp;\n}\nmod outer {\n    cfg_io! { mod io; }\n}\n";
        assert_eq!(
            macro_decls(source),
            vec![
                ("runtime".to_string(), None, vec![]),
                ("imp".to_string(), Some("x/imp.rs".to_string()), vec![]),
                ("io".to_string(), None, vec![("outer".to_string(), None)]),
            ]
        );
    }

    #[test]
    fn macro_definitions_and_test_modules_are_not_expansions() {
        let source = "macro_rules! m { () => { mod template; } }\ncfg_x! {\n    #[cfg(test)]\n    mod tests;\n}\n";
        assert_eq!(macro_decls(source), vec![]);
    }

    #[test]
    fn every_cfg_attr_path_of_a_module_is_found() {
        let source = "#[cfg_attr(\n    any(unix, target_os = \"wasi\"),\n    path = \"sys/unix.rs\"\n)]\n#[cfg_attr(windows, path = \"sys/windows.rs\", allow(dead_code))]\nmod sys;\n#[cfg_attr(feature = \"path\", derive(Debug))]\nstruct NotAModule;\n";
        let scan = scan_module_decls(source, false);
        let found: Vec<(String, Vec<String>)> = scan
            .cfg_attr_paths
            .into_iter()
            .map(|(decl, paths)| (decl.name, paths))
            .collect();
        assert_eq!(
            found,
            vec![(
                "sys".to_string(),
                vec!["sys/unix.rs".to_string(), "sys/windows.rs".to_string()]
            )]
        );
        assert!(may_hide_module_decls(source, 1));
    }

    #[test]
    fn byte_scan_counts_spelled_module_declarations() {
        assert!(may_hide_module_decls("cfg_rt! { mod a; }", 0));
        assert!(!may_hide_module_decls(
            "mod a;\nmod b { }\nlet model = 1;",
            1
        ));
        assert!(!may_hide_module_decls("fn f() { let x = y % mod_; }", 0));
    }

    #[test]
    fn raw_identifiers_name_plain_files() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("r#ref", None, &[("r#type", None)]),
            &[
                ("/p/src/type/ref.rs", "/p/src/type/ref"),
                ("/p/src/type/ref/mod.rs", "/p/src/type/ref"),
            ],
        );
    }

    #[test]
    fn parent_directories_past_the_root_stay_at_the_root() {
        assert_eq!(
            normalize_lexically(Path::new("/p/src/../../../../../etc/passwd")),
            PathBuf::from("/etc/passwd")
        );
        assert_eq!(
            normalize_lexically(Path::new("a/../../b")),
            PathBuf::from("../b")
        );
    }

    #[test]
    fn path_attribute_is_normalized() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("x", Some("../../outside.rs"), &[]),
            &[("/outside.rs", "/")],
        );
    }
}
