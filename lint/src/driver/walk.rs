//! The parallel per-file phase: each file read, parsed and analysed on the
//! worker thread that reached it, its child modules scheduled as found,
//! plain results collected.

use std::collections::{BTreeMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::analysis::summary::FileSummary;
use crate::analysis::{AsyncRuntime, FileAnalysis, FileContext, ItemLines, ParseError};
use crate::callgraph::Crates;
use crate::catalog::Catalog;
use crate::finding::{Finding, InputError};
use crate::input;
use crate::relevance::{self, Relevance};
use crate::suppress;
use crate::vocab::FatalError;
use crate::workspace::{self, CargoOrigin, Discovery};

use super::children::{child_jobs, same_module};
use super::jobs::{FileJob, package_catalogs, root_jobs};
use super::options::Options;
use super::paths::{relative_path, symlink_out_of};
use super::settings::Settings;

/// Stack size of the worker threads: syn's parser and the analyzer recurse
/// per nesting level, and generated code nests thousands deep (a debug build
/// needs about 250 MiB for types nested 5,000 deep, a release build about
/// 170 MiB for 20,000). Only the pages actually touched are committed, so
/// the reservation costs no memory.
pub const WORKER_STACK_SIZE: usize = 512 * 1024 * 1024;

/// What one file yields, as plain data.
pub(super) struct FileResult {
    pub(super) findings: Vec<Finding>,
    pub(super) lines: usize,
    /// What the call graph needs (empty for a file that did not parse).
    pub(super) summary: FileSummary,
    pub(super) crate_id: usize,
    pub(super) runtime: AsyncRuntime,
    /// Set by `record` for excluded files: nothing is reported for them.
    pub(super) excluded: bool,
    /// A file with suppression comments keeps its text and item lines until
    /// the call graph's findings are in: `suppress::apply` runs once per file,
    /// over all of its findings, in `Settings::finish`.
    pub(super) allows: Option<(String, Vec<ItemLines>)>,
}

impl FileResult {
    /// A file read but not analysed (not UTF-8, unparsable).
    fn unanalysed(lines: usize, job: &FileJob) -> FileResult {
        FileResult {
            findings: Vec::new(),
            lines,
            summary: FileSummary::default(),
            crate_id: job.crate_id,
            runtime: job.runtime,
            excluded: false,
            allows: None,
        }
    }
}

#[derive(Default)]
pub(super) struct Outcome {
    /// Paired with their paths (relative to the root).
    pub(super) files: Vec<(String, FileResult)>,
    /// The crates the files belong to (see `callgraph::Crates`).
    pub(super) crates: Crates,
    pub(super) errors: Vec<InputError>,
    pub(super) paths: Vec<String>,
    /// Each reached file's package and target (manifest layouts only).
    pub(super) origins: BTreeMap<String, Arc<CargoOrigin>>,
    /// The walk's catalogs (index 0 is the shared one), for the model.
    pub(super) catalogs: Vec<Catalog>,
}

/// The per-file pass; [`analysis::analyze_file`] except in tests that need
/// an analyzer that misbehaves.
pub(super) type Analyzer = fn(&str, &FileContext<'_>) -> Result<FileAnalysis, ParseError>;

/// Shared state of one parallel walk.
pub(super) struct Walk<'a> {
    root: &'a Path,
    settings: &'a Settings,
    /// Indexed by `FileJob::catalog`; see [`package_catalogs`].
    catalogs: Vec<Catalog>,
    analyzer: Analyzer,
    /// (canonical path, child directory) pairs already claimed: a file
    /// reachable from several targets is linted once. The child directory is
    /// part of the key because a file loaded through `#[path]` by one target
    /// and as `a.rs` by another is two modules with different children.
    claimed: Mutex<HashSet<(PathBuf, PathBuf)>>,
    /// See [`Options::source_overrides`].
    source_overrides: &'a std::collections::HashMap<PathBuf, String>,
    /// Decides which files are not worth parsing.
    relevance: Relevance,
    /// See [`FileContext::workspace_crates`].
    workspace_crates: Vec<String>,
    outcome: Mutex<Outcome>,
}

/// The most worker threads a run starts (`--jobs` above it is a usage
/// error). Files are the unit of work and the pool is CPU-bound, so more
/// threads than this buys nothing on any machine stallcheck runs on, while
/// each thread costs start-up time and a stack reservation.
pub const MAX_JOBS: usize = 256;

/// Builds the worker pool: `jobs` threads (one per core by default, at most
/// [`MAX_JOBS`]), each with a [`WORKER_STACK_SIZE`] stack.
pub fn worker_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, FatalError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.map_or(0, |jobs| jobs.min(MAX_JOBS)))
        .stack_size(WORKER_STACK_SIZE)
        .thread_name(|index| format!("stallcheck-worker-{index}"))
        .build()
        .map_err(|err| FatalError(format!("cannot start worker threads: {err}")))
}

pub(super) fn analyse(
    discovery: &Discovery,
    settings: &Settings,
    options: &Options,
    analyzer: Analyzer,
) -> Result<Outcome, FatalError> {
    let jobs = options.jobs;
    let (catalogs, package_catalog) = package_catalogs(discovery, settings);
    let mut crates = Crates::default();
    let roots = root_jobs(
        discovery,
        settings.include_tests,
        &package_catalog,
        &mut crates,
    );
    let walk = Walk {
        root: &discovery.root,
        settings,
        catalogs,
        analyzer,
        claimed: Mutex::new(HashSet::new()),
        source_overrides: &options.source_overrides,
        relevance: Relevance::new(
            settings.configured_paths.iter().map(String::as_str),
            crates.lib_names().iter().map(String::as_str),
        ),
        workspace_crates: crates.lib_names(),
        outcome: Mutex::new(Outcome {
            crates,
            ..Outcome::default()
        }),
    };
    // No more threads than files: `--jobs 256` on one file starts one.
    let jobs = jobs.map(|jobs| discovery.rust_files_at_most(jobs.min(MAX_JOBS)));
    // FIFO scheduling with the largest files first: each idle worker takes
    // the largest file left, so one big file does not finish alone at the end.
    worker_pool(jobs)?.scope_fifo(|scope| {
        for job in roots {
            let walk = &walk;
            scope.spawn_fifo(move |scope| visit(scope, walk, job));
        }
    });
    let mut outcome = walk
        .outcome
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    outcome.catalogs = walk.catalogs;
    Ok(outcome)
}

/// Lints one file on this worker and schedules its child modules as they are found.
fn visit<'scope>(scope: &rayon::ScopeFifo<'scope>, walk: &'scope Walk<'scope>, job: FileJob) {
    let rel_path = relative_path(walk.root, &job.file.path);
    if job.package_dir.is_none() && walk.settings.is_excluded(&rel_path) {
        // Loose files have no children, so an excluded one need not be read.
        return;
    }
    let canonical = job
        .file
        .path
        .canonicalize()
        .unwrap_or_else(|_| job.file.path.clone());
    if let Some(package_dir) = &job.package_dir
        && !canonical.starts_with(package_dir)
    {
        // A target whose root file cargo was told is elsewhere (`[lib] path = "../x.rs"`),
        // or a root file that is a symbolic link out of the package.
        let message = symlink_out_of(&job.file.path, package_dir, walk.root)
            .unwrap_or_else(|| "file is outside its package's directory; not read".to_string());
        record(
            walk,
            &job,
            rel_path.clone(),
            None,
            vec![InputError {
                path: rel_path,
                span: None,
                message,
            }],
        );
        return;
    }
    let key = (canonical, job.file.child_dir.clone());
    if !walk
        .claimed
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key)
    {
        let mut outcome = walk
            .outcome
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        note_origin(&mut outcome, &job, &rel_path);
        return;
    }
    let processed = catch_unwind(AssertUnwindSafe(|| lint_file(walk, &job, &rel_path)));
    let (result, errors, children) = processed.unwrap_or_else(|payload| {
        let error = InputError {
            path: rel_path.clone(),
            span: None,
            message: format!(
                "internal error: the analyzer panicked on this file ({}); please report it",
                panic_text(&payload)
            ),
        };
        (None, vec![error], Vec::new())
    });
    record(walk, &job, rel_path, result, errors);
    for child in children {
        scope.spawn_fifo(move |scope| visit(scope, walk, child));
    }
}

/// Adds one file's outcome to the walk's. Excluded files of a module tree
/// are still walked for their `mod` declarations (their children may not be
/// excluded), but nothing is reported for them.
fn record(
    walk: &Walk<'_>,
    job: &FileJob,
    rel_path: String,
    result: Option<FileResult>,
    mut errors: Vec<InputError>,
) {
    let excluded = walk.settings.is_excluded(&rel_path);
    let mut outcome = walk
        .outcome
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    note_origin(&mut outcome, job, &rel_path);
    if let Some(mut result) = result {
        if excluded {
            // Its functions still belong to the call graph.
            result.findings.clear();
            result.allows = None;
            result.excluded = true;
        }
        outcome.files.push((rel_path.clone(), result));
        outcome.paths.push(rel_path);
    }
    if !excluded {
        outcome.errors.append(&mut errors);
    }
}

/// Records which package and target reach `rel_path`. Workers finish in
/// any order, and a file reached from several targets is linted by
/// whichever got there first: the first target in manifest order names it.
fn note_origin(outcome: &mut Outcome, job: &FileJob, rel_path: &str) {
    let Some(origin) = &job.origin else {
        return;
    };
    let known = outcome
        .origins
        .entry(rel_path.to_string())
        .or_insert_with(|| origin.clone());
    if origin.order < known.order {
        *known = origin.clone();
    }
}

/// Reads, parses and analyses one file; returns its result (if it was read),
/// its input errors, and the child module files to lint next.
fn lint_file(
    walk: &Walk<'_>,
    job: &FileJob,
    rel_path: &str,
) -> (Option<FileResult>, Vec<InputError>, Vec<FileJob>) {
    let error = |message: String, span| InputError {
        path: rel_path.to_string(),
        span,
        message,
    };
    if let Some(entry) = &job.target_entry
        && !job.file.path.exists()
    {
        let message = format!("file not found for {entry}");
        return (None, vec![error(message, None)], Vec::new());
    }
    let read = match walk.source_overrides.get(&job.file.path) {
        Some(text) => Ok(text.clone().into_bytes()),
        None => read_source(&job.file.path, walk.settings.max_file_size),
    };
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(message) => return (None, vec![error(message, None)], Vec::new()),
    };
    let lines = bytes.iter().filter(|byte| **byte == b'\n').count()
        + usize::from(!bytes.ends_with(b"\n") && !bytes.is_empty());
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(err) => {
            let message = format!(
                "file is not valid UTF-8 (invalid byte at offset {})",
                err.utf8_error().valid_up_to()
            );
            return (
                Some(FileResult::unanalysed(lines, job)),
                vec![error(message, None)],
                Vec::new(),
            );
        }
    };
    // A large file none of whose words can reach async code, another file
    // or the catalog is counted and not parsed (a 10 MB generated table
    // would otherwise cost 1.4 GB); see `relevance.rs` for why it cannot
    // matter. Smaller files are parsed anyway: cheap, and a syntax error
    // in them is still reported.
    if source.len() >= relevance::MIN_SIZE && !walk.relevance.may_matter(&source) {
        return (
            Some(FileResult::unanalysed(lines, job)),
            Vec::new(),
            Vec::new(),
        );
    }
    let ctx = FileContext {
        rel_path,
        edition: job.edition,
        runtime: job.runtime,
        tokio_features: &job.tokio_features,
        include_tests: walk.settings.include_tests,
        catalog: &walk.catalogs[job.catalog],
        module_path: &job.module_path,
        workspace_crates: &walk.workspace_crates,
    };
    let analysis = match (walk.analyzer)(&source, &ctx) {
        Ok(analysis) => analysis,
        Err(parse) => {
            let message = format!("cannot parse file: {}", parse.message);
            return (
                Some(FileResult::unanalysed(lines, job)),
                vec![error(message, parse.span)],
                Vec::new(),
            );
        }
    };
    let mut errors = Vec::new();
    let mut children = Vec::new();
    if let Some(package_dir) = &job.package_dir {
        let scan = if workspace::may_hide_module_decls(&source, analysis.modules.len()) {
            workspace::scan_module_decls(&source, walk.settings.include_tests)
        } else {
            workspace::ModuleScan::default()
        };
        let mut decls = analysis.modules;
        for decl in scan.in_macros {
            if !decls.iter().any(|known| same_module(known, &decl)) {
                decls.push(decl);
            }
        }
        for decl in &decls {
            let (decl_children, decl_errors) =
                child_jobs(walk.root, job, package_dir, decl, &scan.cfg_attr_paths);
            children.extend(decl_children);
            errors.extend(
                decl_errors
                    .into_iter()
                    .map(|message| error(message, Some(decl.span))),
            );
        }
    }
    // Most files have no suppression comment: their text goes now.
    let allows = source
        .contains(suppress::PREFIX)
        .then_some((source, analysis.items));
    (
        Some(FileResult {
            findings: analysis.findings,
            lines,
            summary: analysis.summary,
            crate_id: job.crate_id,
            runtime: job.runtime,
            excluded: false,
            allows,
        }),
        errors,
        children,
    )
}

/// A file's bytes, if it is a regular file within `max-file-size`; else
/// the one-line reason it was not read (a FIFO would block forever).
fn read_source(path: &Path, max_file_size: u64) -> Result<Vec<u8>, String> {
    input::read_regular_file(path, max_file_size, "max-file-size").map_err(|not_read| not_read.0)
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_string()
    }
}
