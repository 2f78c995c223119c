//! From a `mod` declaration to the child files to lint next, refusing
//! every location that leaves the package.

use std::path::Path;

use crate::analysis::ModuleDecl;
use crate::workspace::{self, ChildLocation, ModuleFile};

use super::jobs::FileJob;
use super::paths::{relative_path, symlink_out_of};

/// The files of one `mod` declaration to lint next, and the messages of
/// its problems: every location that leaves the package (a `#[path]`, a
/// `#[cfg_attr(.., path)]` alternative or a symbolic link) is named, even
/// when another location exists; a missing file only when none exists.
pub(super) fn child_jobs(
    root: &Path,
    job: &FileJob,
    package_dir: &Path,
    decl: &ModuleDecl,
    cfg_attr_paths: &[(ModuleDecl, Vec<String>)],
) -> (Vec<FileJob>, Vec<String>) {
    let locations = module_locations(&job.file, decl, cfg_attr_paths);
    let mut children = Vec::new();
    let mut errors = Vec::new();
    for (location, via) in &locations {
        match resolve_child(location, via, package_dir, root) {
            Ok(file) => children.push(FileJob {
                file,
                package_dir: Some(package_dir.to_path_buf()),
                module_path: child_module_path(&job.module_path, decl),
                target_entry: None,
                ..job.clone()
            }),
            Err(ChildError::Outside(message)) => errors.push(message(&decl.name)),
            Err(ChildError::Missing(_)) => {}
        }
    }
    if children.is_empty() && errors.is_empty() {
        let every_candidate = ChildLocation {
            candidates: locations
                .into_iter()
                .flat_map(|(location, _)| location.candidates)
                .collect(),
        };
        if let Err(ChildError::Missing(message) | ChildError::Outside(message)) =
            resolve_child(&every_candidate, "`#[path]`", package_dir, root)
        {
            errors.push(message(&decl.name));
        }
    }
    (children, errors)
}

/// Where a declaration's file may be, each with the attribute that put it
/// there: for a module without `#[path]` that has `#[cfg_attr(.., path =
/// "..")]`, each of those paths, then its own location. Every one that
/// exists is read: each configuration loads one.
fn module_locations(
    parent: &ModuleFile,
    decl: &ModuleDecl,
    cfg_attr_paths: &[(ModuleDecl, Vec<String>)],
) -> Vec<(ChildLocation, &'static str)> {
    let alternatives = cfg_attr_paths
        .iter()
        .filter(|_| decl.path_attr.is_none())
        .find(|(known, _)| known.name == decl.name && known.inline_parents == decl.inline_parents)
        .map_or(&[][..], |(_, paths)| paths.as_slice());
    let mut locations: Vec<(ChildLocation, &'static str)> = alternatives
        .iter()
        .map(|path| {
            let with_path = ModuleDecl {
                path_attr: Some(path.clone()),
                ..decl.clone()
            };
            (
                workspace::child_module_location(parent, &with_path),
                "`#[cfg_attr(.., path)]`",
            )
        })
        .collect();
    // The plain location too: it is what configurations without a matching
    // `cfg_attr` load (a missing one is an error only if nothing else exists).
    locations.push((workspace::child_module_location(parent, decl), "`#[path]`"));
    locations
}

/// The module path of a declared child: the parent's, the enclosing inline
/// modules, the declared name.
fn child_module_path(parent: &[String], decl: &ModuleDecl) -> Vec<String> {
    let mut path = parent.to_vec();
    path.extend(decl.inline_parents.iter().map(|(name, _)| name.clone()));
    path.push(decl.name.clone());
    path
}

pub(super) fn same_module(a: &ModuleDecl, b: &ModuleDecl) -> bool {
    a.name == b.name && a.path_attr == b.path_attr && a.inline_parents == b.inline_parents
}

/// A message about module `name`, given the name.
type ModuleError = Box<dyn Fn(&str) -> String>;

enum ChildError {
    /// A candidate leaves the package: never read.
    Outside(ModuleError),
    /// No candidate exists.
    Missing(ModuleError),
}

/// Picks the first candidate that exists, refusing any that leaves the
/// package; `via` names the attribute that chose the location.
fn resolve_child(
    location: &ChildLocation,
    via: &'static str,
    package_dir: &Path,
    root: &Path,
) -> Result<ModuleFile, ChildError> {
    for candidate in &location.candidates {
        if !workspace::normalize_lexically(&candidate.path).starts_with(package_dir) {
            let shown = relative_path(root, &candidate.path);
            return Err(ChildError::Outside(Box::new(move |name| {
                format!("{via} of module `{name}` points outside the package (`{shown}`); not read")
            })));
        }
        if let Some(reason) = symlink_out_of(&candidate.path, package_dir, root) {
            return Err(ChildError::Outside(Box::new(move |name| {
                format!("module `{name}`: {reason}")
            })));
        }
        if candidate.path.exists() {
            return Ok(candidate.clone());
        }
    }
    let tried: Vec<String> = location
        .candidates
        .iter()
        .map(|candidate| format!("`{}`", relative_path(root, &candidate.path)))
        .collect();
    let tried = tried.join(" or ");
    Err(ChildError::Missing(Box::new(move |name| {
        format!("file not found for module `{name}`: looked for {tried}")
    })))
}
