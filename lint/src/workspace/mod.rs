//! Discovery: what to lint, found from PATH without executing anything.
//!
//! PATH is a crate or workspace directory, a `Cargo.toml`, a directory of `.rs`
//! files without a manifest, or one `.rs` file. A directory without a
//! `Cargo.toml` that lies inside a package is that package, as for cargo: the
//! nearest `Cargo.toml` above it is used (only its existence is checked on
//! the way up; nothing else is read there). With a manifest, packages and
//! targets come from `cargo metadata --no-deps` (which never runs build scripts
//! or proc macros), started from a neutral directory so that the target's
//! `rust-toolchain.toml` and `.cargo/config.toml` are not honoured, and each target's module tree is walked from its root file
//! by the driver, with [`child_module_location`] deciding where `mod a;` lives.
//! Which packages: the one whose manifest was found (a member directory), the
//! whole workspace (its root, or `--workspace`), or those `--package` names,
//! less `--exclude-package`. Without a manifest, every `.rs` file under PATH
//! is linted, honouring `.gitignore`.
//!
//! Configuration is looked for from the analysed root up to the workspace
//! root, nearest first ([`Discovery::config_candidates`]).

use std::path::{Path, PathBuf};

use cargo_metadata::{DependencyKind, Metadata, MetadataCommand, Package, TargetKind};

use crate::analysis::{AsyncRuntime, Edition};
use crate::input::io_reason;
use crate::vocab::FatalError;

mod module_tree;
pub use module_tree::*;

/// Where a target's files come from.
#[derive(Clone, Debug)]
pub struct Discovery {
    /// The analysed root: a canonical directory; finding paths are relative to it.
    pub root: PathBuf,
    pub layout: Layout,
    /// Where configuration may come from, nearest the root first; the
    /// first one is used (see [`ConfigCandidate`]).
    pub config_candidates: Vec<ConfigCandidate>,
}

/// Which packages of a workspace to lint (cargo's `-p`, `--workspace`,
/// `--exclude`). The default is cargo's: the package whose manifest PATH
/// names or lies in, or every member from the workspace root.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `--package SPEC`: `name` or `name@version`.
    pub packages: Vec<String>,
    /// `--workspace`: every member, wherever PATH is.
    pub workspace: bool,
    /// `--exclude-package SPEC`: members left out.
    pub exclude_packages: Vec<String>,
}

impl Selection {
    fn is_default(&self) -> bool {
        self.packages.is_empty() && !self.workspace && self.exclude_packages.is_empty()
    }
}

/// A place configuration may come from.
#[derive(Clone, Debug)]
pub enum ConfigCandidate {
    /// A `stallcheck.toml` that exists.
    File(PathBuf),
    /// `[workspace.metadata.stallcheck]` or `[package.metadata.stallcheck]`:
    /// `source` names manifest and table; relative globs in it are relative
    /// to `dir`, the manifest's directory.
    Table {
        source: String,
        value: serde_json::Value,
        dir: PathBuf,
    },
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
    /// The workspace root (canonical).
    pub workspace_root: PathBuf,
}

/// The cargo package and target a file was reached from: what cargo's
/// JSON messages (`--message-format json`) say about the code a diagnostic
/// is in. A file reached from several targets is linted once and named
/// with the first of them in manifest order (`order`).
#[derive(Clone, Debug)]
pub struct CargoOrigin {
    /// cargo's package id (`path+file:///..#name@1.0.0`).
    pub package_id: String,
    pub manifest_path: PathBuf,
    /// The target as `cargo metadata` describes it.
    pub target: cargo_metadata::Target,
    /// Position of the target in the run (packages, then targets, in
    /// manifest order): the smallest wins when several reach a file.
    pub order: usize,
}

/// One package and the root files of its targets.
#[derive(Clone, Debug)]
pub struct PackageTargets {
    pub name: String,
    /// cargo's package id (`path+file:///..#name@1.0.0`), as in its JSON messages.
    pub id: String,
    pub manifest_path: PathBuf,
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
    /// The target as `cargo metadata` describes it (for cargo-shaped JSON output).
    pub cargo_target: cargo_metadata::Target,
}

/// Finds what PATH designates, cargo's default selection. Errors are one
/// line and name the problem.
pub fn discover(path: &Path) -> Result<Discovery, FatalError> {
    discover_selected(path, &Selection::default())
}

/// Finds what PATH designates, with `selection` applied to its workspace.
pub fn discover_selected(path: &Path, selection: &Selection) -> Result<Discovery, FatalError> {
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
        // The directory itself, then its parents: the package it lies in.
        if let Some(manifest) = nearest_manifest(&canonical) {
            return discover_manifest(&manifest, selection);
        }
        refuse_selection(selection, path)?;
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
        return discover_manifest(&canonical, selection);
    }
    if canonical.extension().is_some_and(|ext| ext == "rs") {
        refuse_selection(selection, path)?;
        let root = canonical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        return Ok(Discovery {
            config_candidates: loose_config_candidates(&root),
            root,
            layout: Layout::Loose(vec![canonical]),
        });
    }
    Err(FatalError(format!(
        "`{}` is not a Rust file, a `Cargo.toml` or a directory",
        path.display()
    )))
}

/// The first `Cargo.toml` in `dir` or above it, as cargo finds the package
/// a directory is in. Only a regular file counts (a FIFO would hang cargo);
/// nothing is read on the way up.
fn nearest_manifest(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
}

/// `--package` and friends name packages: loose files have none.
fn refuse_selection(selection: &Selection, path: &Path) -> Result<(), FatalError> {
    if selection.is_default() {
        return Ok(());
    }
    Err(FatalError(format!(
        "--package, --workspace and --exclude-package need a Cargo.toml, and there is none in `{}` or above it",
        path.display()
    )))
}

/// Loose files: `stallcheck.toml` in their directory, then in each parent
/// up to the nearest directory with a `Cargo.toml` (the package they lie
/// in). With no package above them, only their own directory: a file in
/// `/tmp` does not take its configuration from whoever wrote `/tmp`'s.
fn loose_config_candidates(root: &Path) -> Vec<ConfigCandidate> {
    let mut dirs = Vec::new();
    for dir in root.ancestors() {
        dirs.push(dir);
        if dir.join("Cargo.toml").is_file() {
            break;
        }
    }
    if !dirs
        .last()
        .is_some_and(|dir| dir.join("Cargo.toml").is_file())
    {
        dirs.truncate(1);
    }
    dirs.into_iter()
        .map(|dir| dir.join(crate::config::FILE_NAME))
        .filter(|file| file.is_file())
        .map(ConfigCandidate::File)
        .collect()
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
        config_candidates: loose_config_candidates(dir),
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

fn discover_manifest(manifest: &Path, selection: &Selection) -> Result<Discovery, FatalError> {
    let metadata = neutral_metadata_command(manifest)?
        .exec()
        .map_err(|err| FatalError(metadata_error(manifest, err)))?;
    let manifest_dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
    let workspace_root = canonical_or_same(metadata.workspace_root.as_std_path());
    let selected = select_packages(
        &metadata,
        manifest,
        manifest_dir == workspace_root,
        selection,
    )?;
    // One package: paths relative to its directory (as `stallcheck crates/foo`
    // always gave); several: relative to the workspace root.
    let root = match selected.as_slice() {
        [package] => package_dir(package),
        _ => workspace_root.clone(),
    };
    let config_candidates =
        manifest_config_candidates(&metadata, &selected, &root, &workspace_root);
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
            workspace_root,
        }),
        config_candidates,
    })
}

/// cargo's rules: `--package` picks members by spec; otherwise the manifest's
/// own package, or every member from the workspace root or with
/// `--workspace`; then `--exclude-package` removes members. A spec that
/// matches nothing is an error (a typo must not lint less than asked).
fn select_packages<'m>(
    metadata: &'m Metadata,
    manifest: &Path,
    at_workspace_root: bool,
    selection: &Selection,
) -> Result<Vec<&'m Package>, FatalError> {
    let members = metadata.workspace_packages();
    let mut selected: Vec<&Package> = if !selection.packages.is_empty() {
        for spec in &selection.packages {
            if !members.iter().any(|package| spec_matches(spec, package)) {
                return Err(no_such_package(spec, &members, "--package"));
            }
        }
        members
            .iter()
            .copied()
            .filter(|package| {
                selection
                    .packages
                    .iter()
                    .any(|spec| spec_matches(spec, package))
            })
            .collect()
    } else if selection.workspace || at_workspace_root {
        members.clone()
    } else {
        metadata
            .packages
            .iter()
            .filter(|package| canonical_or_same(package.manifest_path.as_std_path()) == manifest)
            .collect()
    };
    for spec in &selection.exclude_packages {
        if !members.iter().any(|package| spec_matches(spec, package)) {
            return Err(no_such_package(spec, &members, "--exclude-package"));
        }
        selected.retain(|package| !spec_matches(spec, package));
    }
    if selected.is_empty() && !selection.exclude_packages.is_empty() {
        return Err(FatalError(format!(
            "no package left to lint in `{}` (--exclude-package removed them all)",
            manifest.display()
        )));
    }
    Ok(selected)
}

/// A package id specification as cargo's `-p` takes it in its common forms:
/// `name` or `name@version`.
fn spec_matches(spec: &str, package: &Package) -> bool {
    match spec.split_once('@') {
        Some((name, version)) => {
            package.name.as_str() == name && package.version.to_string() == version
        }
        None => package.name.as_str() == spec,
    }
}

fn no_such_package(spec: &str, members: &[&Package], flag: &str) -> FatalError {
    let mut names: Vec<&str> = members
        .iter()
        .map(|package| package.name.as_str())
        .collect();
    names.sort_unstable();
    FatalError(format!(
        "{flag} `{spec}` matches no package of the workspace (members: {})",
        names.join(", ")
    ))
}

fn package_dir(package: &Package) -> PathBuf {
    package
        .manifest_path
        .parent()
        .map(|dir| canonical_or_same(dir.as_std_path()))
        .unwrap_or_default()
}

/// From the analysed root up to the workspace root, nearest first: in each
/// directory its `stallcheck.toml`, then the package's
/// `[package.metadata.stallcheck]` (in the one linted package's directory)
/// and the `[workspace.metadata.stallcheck]` (at the workspace root). Never
/// above the workspace root, and only files named `stallcheck.toml`.
fn manifest_config_candidates(
    metadata: &Metadata,
    selected: &[&Package],
    root: &Path,
    workspace_root: &Path,
) -> Vec<ConfigCandidate> {
    let single = match selected {
        [package] => Some(*package),
        _ => None,
    };
    let mut candidates = Vec::new();
    for dir in root.ancestors() {
        let file = dir.join(crate::config::FILE_NAME);
        if file.is_file() {
            candidates.push(ConfigCandidate::File(file));
        }
        if let Some(package) = single
            && package_dir(package) == dir
            && let Some(table) = package.metadata.get("stallcheck")
        {
            candidates.push(ConfigCandidate::Table {
                source: format!("{} [package.metadata.stallcheck]", package.manifest_path),
                value: table.clone(),
                dir: dir.to_path_buf(),
            });
        }
        if dir == workspace_root {
            if let Some(table) = metadata.workspace_metadata.get("stallcheck") {
                candidates.push(ConfigCandidate::Table {
                    source: format!(
                        "{} [workspace.metadata.stallcheck]",
                        dir.join("Cargo.toml").display()
                    ),
                    value: table.clone(),
                    dir: dir.to_path_buf(),
                });
            }
            break;
        }
        if !dir.starts_with(workspace_root) {
            break;
        }
    }
    candidates
}

fn package_targets(package: &Package) -> PackageTargets {
    let dir = package_dir(package);
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
                cargo_target: target.clone(),
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
        id: package.id.repr.clone(),
        manifest_path: package.manifest_path.clone().into_std_path_buf(),
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
