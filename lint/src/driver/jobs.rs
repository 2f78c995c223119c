//! One file to lint and what it needs to know about its target; the crate
//! root files a run starts from, largest first; the catalog each package uses.

use std::path::PathBuf;

use crate::analysis::{AsyncRuntime, Edition};
use crate::callgraph::Crates;
use crate::catalog::Catalog;
use crate::workspace::{CargoOrigin, Discovery, Layout, ModuleFile};

use super::settings::Settings;

/// Edition assumed for files linted without a manifest.
const LOOSE_FILE_EDITION: Edition = Edition::E2021;

/// One file to lint and what it needs to know about its target.
#[derive(Clone)]
pub(super) struct FileJob {
    pub(super) file: ModuleFile,
    pub(super) edition: Edition,
    pub(super) runtime: AsyncRuntime,
    /// See [`FileContext::tokio_features`].
    pub(super) tokio_features: std::sync::Arc<[String]>,
    /// The package directory; `None` for loose files (whose `mod`s are not followed).
    pub(super) package_dir: Option<PathBuf>,
    /// Index into `Walk::catalogs`.
    pub(super) catalog: usize,
    /// The crate (index into `Outcome::crates`) and module path of the file.
    pub(super) crate_id: usize,
    pub(super) module_path: Vec<String>,
    /// For a target's root file, the manifest entry naming it (see
    /// [`workspace::TargetRoot::manifest_entry`]).
    pub(super) target_entry: Option<std::sync::Arc<str>>,
    /// The package and target the file is reached from (`None` for loose files).
    pub(super) origin: Option<std::sync::Arc<CargoOrigin>>,
}

/// The catalogs of a run, and which one each package uses. A user names
/// their own API as `my_crate::db::query`, but inside `my_crate` a call to it
/// resolves to `crate::db::query`; packages whose library a user entry
/// (`blocking.extra`, `[context]`) names get a catalog with those `crate::`
/// spellings added (index 0 is the shared one).
pub(super) fn package_catalogs(
    discovery: &Discovery,
    settings: &Settings,
) -> (Vec<Catalog>, Vec<usize>) {
    let mut catalogs = vec![settings.catalog.clone()];
    let Layout::Manifest(manifest) = &discovery.layout else {
        return (catalogs, Vec::new());
    };
    let mut package_catalog = Vec::new();
    for package in &manifest.packages {
        let own = package
            .lib_name
            .as_deref()
            .and_then(|name| settings.catalog.for_crate(name));
        match own {
            Some(catalog) => {
                catalogs.push(catalog);
                package_catalog.push(catalogs.len() - 1);
            }
            None => package_catalog.push(0),
        }
    }
    (catalogs, package_catalog)
}

/// `files` ordered by size, largest first (unreadable ones last).
pub fn largest_first(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut sized: Vec<(u64, &PathBuf)> = files
        .iter()
        .map(|path| (std::fs::metadata(path).map_or(0, |meta| meta.len()), path))
        .collect();
    sized.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    sized.into_iter().map(|(_, path)| path.clone()).collect()
}

/// The crate root files to start from; registers their crates in `crates`
/// (a loose file is a crate of its own, a package's library one crate and
/// each other target one more).
pub(super) fn root_jobs(
    discovery: &Discovery,
    include_tests: bool,
    package_catalog: &[usize],
    crates: &mut Crates,
) -> Vec<FileJob> {
    match &discovery.layout {
        Layout::Loose(files) => largest_first(files)
            .into_iter()
            .map(|path| FileJob {
                file: ModuleFile::crate_root(path),
                edition: LOOSE_FILE_EDITION,
                runtime: AsyncRuntime::Unknown,
                tokio_features: std::sync::Arc::from([]),
                package_dir: None,
                catalog: 0,
                crate_id: crates.add("crate", false),
                module_path: Vec::new(),
                target_entry: None,
                origin: None,
            })
            .collect(),
        Layout::Manifest(manifest) => {
            let mut jobs = Vec::new();
            for (package, catalog) in manifest.packages.iter().zip(package_catalog) {
                for target in &package.targets {
                    let crate_id = crates.add(&target.crate_name, target.is_lib);
                    if !include_tests && target.is_test {
                        continue;
                    }
                    let origin = CargoOrigin {
                        package_id: package.id.clone(),
                        manifest_path: package.manifest_path.clone(),
                        target: target.cargo_target.clone(),
                        order: jobs.len(),
                    };
                    jobs.push(FileJob {
                        file: ModuleFile::crate_root(target.root_file.clone()),
                        edition: target.edition,
                        runtime: package.runtime,
                        tokio_features: std::sync::Arc::from(package.tokio_features.as_slice()),
                        package_dir: Some(package.dir.clone()),
                        catalog: *catalog,
                        crate_id,
                        module_path: Vec::new(),
                        target_entry: Some(std::sync::Arc::from(target.manifest_entry.as_str())),
                        origin: Some(std::sync::Arc::new(origin)),
                    });
                }
            }
            jobs
        }
    }
}
