//! Runs the analysis over a target: discovers files, analyses them in
//! parallel (each file parsed and analysed on the thread that read it), and
//! collects plain results.
//!
//! CONTRACT: `run(path, &Options) -> Result<Report, FatalError>`.
//!
//! Invariants: target code is never executed (discovery is
//! `cargo metadata --no-deps`); no file outside a package's directory is read;
//! one bad file (unreadable, not UTF-8, unparsable, or even a panic in the
//! analyzer) becomes an entry in `Report::errors` and never aborts the run.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::analysis::summary::{FileSummary, GuardedFinding};
use crate::analysis::{
    self, AsyncRuntime, Edition, FileAnalysis, FileContext, ItemLines, ModuleDecl, ParseError,
};
use crate::callgraph::{self, Crates};
use crate::catalog::Catalog;
use crate::config::{self, Config, RuleLevel};
use crate::finding::{Confidence, Finding, InputError, Severity};
use crate::fix_safety;
use crate::input;
use crate::model::queries::{Answer, Query};
use crate::model::{Model, ModelUnit};
use crate::relevance::{self, Relevance};
use crate::rules;
use crate::suppress;
use crate::workspace::{self, ChildLocation, Discovery, Layout, ModuleFile};

/// Stack size of the worker threads: syn's parser and the analyzer recurse
/// per nesting level, and generated code nests thousands deep (a debug build
/// needs about 250 MiB for types nested 5,000 deep, a release build about
/// 170 MiB for 20,000). Only the pages actually touched are committed, so
/// the reservation costs no memory.
pub const WORKER_STACK_SIZE: usize = 512 * 1024 * 1024;

/// Edition assumed for files linted without a manifest.
const LOOSE_FILE_EDITION: Edition = Edition::E2021;

/// What to analyse and how, as given on the command line; [`run`] merges
/// the configuration in (these win over it).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also lint `#[cfg(test)]` code, `#[test]` functions and `tests/`, `benches/` targets.
    pub include_tests: bool,
    /// Do not, even when the configuration says `include-tests = true`
    /// (`--no-include-tests`; the flag wins).
    pub skip_tests: bool,
    /// Which packages of the workspace (`--package`, `--workspace`, `--exclude-package`).
    pub selection: workspace::Selection,
    /// Worker threads; `None` = one per core.
    pub jobs: Option<usize>,
    /// Only these rules (empty = all).
    pub only_rules: Vec<String>,
    /// Never these rules.
    pub skip_rules: Vec<String>,
    /// Globs (relative to the root) of files not to lint.
    pub exclude: Vec<String>,
    /// Explicit configuration file (`--config`); otherwise looked up at the root.
    pub config: Option<PathBuf>,
    /// Ignore every configuration file (used by tests that need the raw findings).
    pub no_config: bool,
    /// Texts read in place of files (by the path the walk reaches them
    /// at): `--fix` re-analyses its rewrites before writing them.
    pub source_overrides: std::collections::HashMap<PathBuf, String>,
}

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The analysed root (a directory).
    pub root: PathBuf,
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub files: usize,
    pub lines: usize,
    pub elapsed: Duration,
    /// The files read, relative to `root`, `/`-separated, sorted.
    pub paths: Vec<String>,
    /// Where the configuration came from, if any was used.
    pub config_source: Option<String>,
}

pub use crate::vocab::FatalError;

pub fn run(path: &Path, options: &Options) -> Result<Report, FatalError> {
    let started = Instant::now();
    let timings = Timings::from_env();
    let discovery = workspace::discover_selected(path, &options.selection)?;
    timings.phase("metadata", started);
    let config = load_config(&discovery, options)?;
    let settings = Settings::new(&discovery.root, options, config.as_ref())?;
    let walk_started = Instant::now();
    let outcome = analyse(&discovery, &settings, options, analysis::analyze_file)?;
    timings.phase("walk", walk_started);
    let mut report = settings.finish(
        discovery.root,
        outcome,
        config.map(|config| config.source),
        started,
        timings,
    );
    fix_safety::classify(&report.root, &mut report.findings);
    Ok(report)
}

/// The same discovery and parallel walk as [`run`] (module trees followed,
/// the same files read, the same pool), with each file only parsed: the
/// baseline of the speed target (`lint/examples/parse_only.rs`). Returns
/// (files, lines).
pub fn parse_workspace(path: &Path, options: &Options) -> Result<(usize, usize), FatalError> {
    let discovery = workspace::discover_selected(path, &options.selection)?;
    let config = load_config(&discovery, options)?;
    let settings = Settings::new(&discovery.root, options, config.as_ref())?;
    let outcome = analyse(&discovery, &settings, options, analysis::parse_only)?;
    let lines = outcome.files.iter().map(|(_, file)| file.lines).sum();
    Ok((outcome.files.len(), lines))
}

/// `STALLCHECK_TIMINGS=1`: each phase's wall time on stderr (metadata,
/// the parallel walk, then the serial model, call-graph and report phases).
#[derive(Clone, Copy, Debug)]
struct Timings {
    enabled: bool,
}

impl Timings {
    fn from_env() -> Timings {
        Timings {
            enabled: std::env::var_os("STALLCHECK_TIMINGS").is_some_and(|value| value != "0"),
        }
    }

    fn phase(self, name: &str, started: Instant) {
        if self.enabled {
            eprintln!(
                "stallcheck: timing: {name} {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}

/// `--config FILE`, else the nearest of the discovery's candidates
/// (`stallcheck.toml` files and manifest tables from the root up to the
/// workspace root).
fn load_config(discovery: &Discovery, options: &Options) -> Result<Option<Config>, FatalError> {
    if options.no_config {
        return Ok(None);
    }
    if let Some(file) = &options.config {
        return config::load_file(file).map(Some).map_err(FatalError);
    }
    let Some(nearest) = discovery.config_candidates.first() else {
        return Ok(None);
    };
    let (config, dir) = match nearest {
        workspace::ConfigCandidate::File(file) => (
            config::load_file(file).map_err(FatalError)?,
            file.parent().map(Path::to_path_buf),
        ),
        workspace::ConfigCandidate::Table { source, value, dir } => (
            config::from_metadata(value, source).map_err(FatalError)?,
            Some(dir.clone()),
        ),
    };
    Ok(Some(Config {
        base: dir.filter(|dir| *dir != discovery.root),
        ..config
    }))
}

/// Options and configuration merged: command-line flags win.
struct Settings {
    include_tests: bool,
    only_rules: Vec<&'static str>,
    skip_rules: Vec<&'static str>,
    rule_levels: Vec<(&'static str, RuleLevel)>,
    exclude: GlobSet,
    /// The configuration's `exclude` when its file is above the root: globs
    /// relative to that directory, matched with the root's path from it
    /// (`bench-harness/` + `src/x.rs`).
    exclude_above_root: Option<(String, GlobSet)>,
    catalog: Catalog,
    /// Larger files are not read (`max-file-size`).
    max_file_size: u64,
    /// The configured catalog paths (`blocking.extra`, `[context]`): their
    /// words make a file relevant (see [`Relevance`]).
    configured_paths: Vec<String>,
}

impl Settings {
    fn new(
        root: &Path,
        options: &Options,
        config: Option<&Config>,
    ) -> Result<Settings, FatalError> {
        let only_rules = rule_ids(&options.only_rules, "--rule")?;
        let skip_rules = rule_ids(&options.skip_rules, "--skip-rule")?;
        let mut catalog = Catalog::builtin();
        let mut globs: Vec<String> = options.exclude.clone();
        let mut include_tests = options.include_tests;
        let mut exclude_above_root = None;
        let mut rule_levels = Vec::new();
        let configured_paths: Vec<String> = config
            .map(|config| {
                let extra = config.blocking_extra.iter().map(|(path, _)| path);
                extra
                    .chain(&config.executor_callbacks)
                    .chain(&config.offload)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let max_file_size = config
            .and_then(|config| config.max_file_size)
            .unwrap_or(config::DEFAULT_MAX_FILE_SIZE);
        if let Some(config) = config {
            include_tests |= config.include_tests.unwrap_or(false);
            match config
                .base
                .as_deref()
                .and_then(|base| Some((base, root.strip_prefix(base).ok()?)))
            {
                Some((base, below)) => {
                    exclude_above_root = Some((
                        relative_path(Path::new(""), below),
                        exclude_set(&config.exclude, base)?,
                    ));
                }
                None => globs.extend(config.exclude.iter().cloned()),
            }
            rule_levels.extend(config.rule_levels.iter().map(|(id, level)| (*id, *level)));
            for (path, rule) in &config.blocking_extra {
                catalog.add(path, rule).map_err(|err| {
                    FatalError(format!(
                        "invalid configuration `{}`: blocking.extra: {err}",
                        config.source
                    ))
                })?;
            }
            for path in &config.blocking_allow {
                catalog.allow(path);
            }
            // Validated when the configuration was read.
            for path in &config.executor_callbacks {
                let _ = catalog.add_executor_callback(path);
            }
            for path in &config.offload {
                let _ = catalog.add_offload(path);
            }
        }
        let exclude = exclude_set(&globs, root)?;
        Ok(Settings {
            include_tests: include_tests && !options.skip_tests,
            exclude_above_root,
            only_rules,
            skip_rules,
            rule_levels,
            exclude,
            catalog,
            max_file_size,
            configured_paths,
        })
    }

    fn is_excluded(&self, rel_path: &str) -> bool {
        // A glob naming a directory (`fixtures`, `gen/*`) excludes what is under it.
        let mut prefix = rel_path;
        loop {
            if self.exclude.is_match(prefix) {
                return true;
            }
            if let Some((root_from_base, globs)) = &self.exclude_above_root
                && globs.is_match(format!("{root_from_base}/{prefix}"))
            {
                return true;
            }
            match prefix.rfind('/') {
                Some(cut) => prefix = &prefix[..cut],
                None => return false,
            }
        }
    }

    /// Applies rule selection and severity overrides; `None` = not reported.
    fn adjust(&self, mut finding: Finding) -> Option<Finding> {
        if self.skip_rules.contains(&finding.rule) {
            return None;
        }
        let selected = self.only_rules.contains(&finding.rule);
        if !self.only_rules.is_empty() && !selected {
            return None;
        }
        match self.rule_levels.iter().find(|(id, _)| *id == finding.rule) {
            // `--rule ID` names a rule explicitly, so it wins over `off`.
            Some((_, RuleLevel::Off)) if !selected => return None,
            Some((_, RuleLevel::Severity(severity))) => finding.severity = *severity,
            _ => {}
        }
        // A guess is never an error, whatever the catalog or configuration
        // says: a false error is what gets a linter turned off.
        if finding.confidence == Confidence::Inferred && finding.severity == Severity::Error {
            finding.severity = Severity::Warning;
            finding.notes.push(
                "a warning, not an error: the receiver's type is inferred from the method's name, not resolved"
                    .to_string(),
            );
        }
        Some(finding)
    }

    fn finish(
        self,
        root: PathBuf,
        outcome: Outcome,
        config_source: Option<String>,
        started: Instant,
        timings: Timings,
    ) -> Report {
        let Outcome {
            mut files,
            crates,
            mut errors,
            mut paths,
            catalogs,
        } = outcome;
        // The graph is solved in path order, whatever order workers finished in.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let model_started = Instant::now();
        ask_the_model(&mut files, &crates, &catalogs);
        timings.phase("model", model_started);
        let graph_started = Instant::now();
        let units: Vec<callgraph::Unit<'_>> = files
            .iter()
            .map(|(path, file)| callgraph::Unit {
                path,
                crate_id: file.crate_id,
                runtime: file.runtime,
                summary: &file.summary,
            })
            .collect();
        let solution = callgraph::solve(&units, &crates);
        drop(units);
        timings.phase("graph", graph_started);
        let report_started = Instant::now();
        // Findings in closures that an inferred offload wrapper runs off the
        // executor go before suppressions see them (an allow covering only
        // those is unused).
        if !solution.offloaded.is_empty() {
            for (index, (_, file)) in files.iter_mut().enumerate() {
                file.findings.retain(|finding| {
                    !solution
                        .offloaded
                        .contains(&(index, finding.rule, finding.span))
                });
            }
        }
        for (index, finding) in solution.findings {
            let file = &mut files[index].1;
            if !file.excluded {
                file.findings.push(finding);
            }
        }
        let mut findings = Vec::new();
        let mut lines = 0;
        for (path, file) in files {
            lines += file.lines;
            let file_findings = match &file.allows {
                Some((source, items)) => suppress::apply(source, &path, items, file.findings),
                None => file.findings,
            };
            findings.extend(
                file_findings
                    .into_iter()
                    .filter_map(|finding| self.adjust(finding)),
            );
        }
        findings.sort_by(|a, b| {
            (&a.path, a.span, a.rule, &a.message).cmp(&(&b.path, b.span, b.rule, &b.message))
        });
        // A file that is two modules (see `Walk::claimed`) is analysed twice.
        findings.dedup();
        errors.sort_by(|a, b| (&a.path, a.span, &a.message).cmp(&(&b.path, b.span, &b.message)));
        errors.dedup();
        paths.sort();
        paths.dedup();
        timings.phase("report", report_started);
        Report {
            root,
            findings,
            errors,
            files: paths.len(),
            lines,
            elapsed: started.elapsed(),
            paths,
            config_source,
        }
    }
}

/// The serial model phase: builds the semantic model over every file's
/// item index and applies its answers to the files' queries (new findings,
/// shape-fallback lock findings confirmed or dropped) before the call graph
/// and suppressions see the findings.
fn ask_the_model(files: &mut [(String, FileResult)], crates: &Crates, catalogs: &[Catalog]) {
    let Some(catalog) = catalogs.first() else {
        return;
    };
    let answers: Vec<(usize, usize, Answer)> = {
        let units: Vec<ModelUnit<'_>> = files
            .iter()
            .map(|(_, file)| ModelUnit {
                crate_id: file.crate_id,
                index: &file.summary.index,
            })
            .collect();
        let model = Model::build(
            &units,
            crates.names().to_vec(),
            crates.libs().clone(),
            catalog,
        )
        .expect("the builtin catalog's [model] tables are valid (checked by a test)");
        let mut answers = Vec::new();
        for (index, (path, file)) in files.iter().enumerate() {
            // An excluded file's items still feed the model; its questions
            // go unanswered, as its own findings go unreported.
            if file.excluded || file.summary.queries.is_empty() {
                continue;
            }
            let queries: Vec<Query> = file
                .summary
                .queries
                .iter()
                .map(|question| question.query.clone())
                .collect();
            for (query, answer) in model.answer(file.crate_id, file.runtime, path, &queries) {
                answers.push((index, query, answer));
            }
        }
        answers
    };
    for (index, query, answer) in answers {
        let file = &mut files[index].1;
        match answer {
            Answer::Finding(finding) => {
                let guards = file.summary.queries[query].guards.clone();
                if !guards.is_empty() {
                    file.summary.guarded.push(GuardedFinding {
                        rule: finding.rule,
                        span: finding.span,
                        guards,
                    });
                }
                file.findings.push(*finding);
            }
            Answer::Drop(span) => file.findings.retain(|finding| {
                !(finding.span == span && finding.confidence == Confidence::Inferred)
            }),
            Answer::Confirm(span) => {
                for finding in &mut file.findings {
                    if finding.span == span {
                        finding.confidence = Confidence::Resolved;
                    }
                }
            }
        }
    }
}

fn rule_ids(ids: &[String], flag: &str) -> Result<Vec<&'static str>, FatalError> {
    ids.iter()
        .map(|id| {
            rules::find(id).map(|rule| rule.id).ok_or_else(|| {
                FatalError(format!(
                    "unknown rule `{id}` in {flag} (`stallcheck rules` lists them)"
                ))
            })
        })
        .collect()
}

fn exclude_set(globs: &[String], root: &Path) -> Result<GlobSet, FatalError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        // Globs are relative to the root; `./x` and `x` mean the same.
        let pattern = glob.trim_start_matches("./");
        let compiled = Glob::new(pattern).map_err(|err| {
            FatalError(format!(
                "invalid exclude glob `{glob}` (relative to `{}`): {}",
                root.display(),
                err.kind()
            ))
        })?;
        builder.add(compiled);
    }
    builder
        .build()
        .map_err(|err| FatalError(format!("invalid exclude globs: {err}")))
}

/// What one file yields, as plain data.
struct FileResult {
    findings: Vec<Finding>,
    lines: usize,
    /// What the call graph needs (empty for a file that did not parse).
    summary: FileSummary,
    crate_id: usize,
    runtime: AsyncRuntime,
    /// Set by `record` for excluded files: nothing is reported for them.
    excluded: bool,
    /// A file with suppression comments keeps its text and item lines until
    /// the call graph's findings are in: `suppress::apply` runs once per file,
    /// over all of its findings, in `Settings::finish`.
    allows: Option<(String, Vec<ItemLines>)>,
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
struct Outcome {
    /// Paired with their paths (relative to the root).
    files: Vec<(String, FileResult)>,
    /// The crates the files belong to (see `callgraph::Crates`).
    crates: Crates,
    errors: Vec<InputError>,
    paths: Vec<String>,
    /// The walk's catalogs (index 0 is the shared one), for the model.
    catalogs: Vec<Catalog>,
}

/// One file to lint and what it needs to know about its target.
#[derive(Clone)]
struct FileJob {
    file: ModuleFile,
    edition: Edition,
    runtime: AsyncRuntime,
    /// See [`FileContext::tokio_features`].
    tokio_features: std::sync::Arc<[String]>,
    /// The package directory; `None` for loose files (whose `mod`s are not followed).
    package_dir: Option<PathBuf>,
    /// Index into `Walk::catalogs`.
    catalog: usize,
    /// The crate (index into `Outcome::crates`) and module path of the file.
    crate_id: usize,
    module_path: Vec<String>,
    /// For a target's root file, the manifest entry naming it (see
    /// [`workspace::TargetRoot::manifest_entry`]).
    target_entry: Option<std::sync::Arc<str>>,
}

/// The per-file pass; [`analysis::analyze_file`] except in tests that need
/// an analyzer that misbehaves.
type Analyzer = fn(&str, &FileContext<'_>) -> Result<FileAnalysis, ParseError>;

/// Shared state of one parallel walk.
struct Walk<'a> {
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

fn analyse(
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

/// The catalogs of a run, and which one each package uses. A user names
/// their own API as `my_crate::db::query`, but inside `my_crate` a call to it
/// resolves to `crate::db::query`; packages whose library a user entry
/// (`blocking.extra`, `[context]`) names get a catalog with those `crate::`
/// spellings added (index 0 is the shared one).
fn package_catalogs(discovery: &Discovery, settings: &Settings) -> (Vec<Catalog>, Vec<usize>) {
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
fn root_jobs(
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
                    });
                }
            }
            jobs
        }
    }
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
    record(walk, rel_path, result, errors);
    for child in children {
        scope.spawn_fifo(move |scope| visit(scope, walk, child));
    }
}

/// Adds one file's outcome to the walk's. Excluded files of a module tree
/// are still walked for their `mod` declarations (their children may not be
/// excluded), but nothing is reported for them.
fn record(
    walk: &Walk<'_>,
    rel_path: String,
    result: Option<FileResult>,
    mut errors: Vec<InputError>,
) {
    let excluded = walk.settings.is_excluded(&rel_path);
    let mut outcome = walk
        .outcome
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
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
                child_jobs(walk, job, package_dir, decl, &scan.cfg_attr_paths);
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

/// The files of one `mod` declaration to lint next, and the messages of
/// its problems: every location that leaves the package (a `#[path]`, a
/// `#[cfg_attr(.., path)]` alternative or a symbolic link) is named, even
/// when another location exists; a missing file only when none exists.
fn child_jobs(
    walk: &Walk<'_>,
    job: &FileJob,
    package_dir: &Path,
    decl: &ModuleDecl,
    cfg_attr_paths: &[(ModuleDecl, Vec<String>)],
) -> (Vec<FileJob>, Vec<String>) {
    let locations = module_locations(&job.file, decl, cfg_attr_paths);
    let mut children = Vec::new();
    let mut errors = Vec::new();
    for (location, via) in &locations {
        match resolve_child(location, via, package_dir, walk.root) {
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
            resolve_child(&every_candidate, "`#[path]`", package_dir, walk.root)
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

fn same_module(a: &ModuleDecl, b: &ModuleDecl) -> bool {
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

/// When `path` (lexically inside the package) is, or goes through, a
/// symbolic link to a place outside it: says so, naming link and target.
fn symlink_out_of(path: &Path, package_dir: &Path, root: &Path) -> Option<String> {
    if !workspace::normalize_lexically(path).starts_with(package_dir) {
        // Outside by its own spelling, not through a link.
        return None;
    }
    // Not there (or a link loop): reading it will report the problem.
    let real = path.canonicalize().ok()?;
    if real.starts_with(package_dir) {
        return None;
    }
    let link = relative_path(root, path);
    let target = real.display();
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    Some(if is_link {
        format!("`{link}` is a symbolic link to `{target}`, outside the package; not read")
    } else {
        format!(
            "`{link}` leads through a symbolic link to `{target}`, outside the package; not read"
        )
    })
}

/// `path` relative to `root`, `/`-separated; the full path when outside.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let Ok(relative) = path.strip_prefix(root) else {
        return path.display().to_string();
    };
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
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

/// What [`parse_only`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOnlyOutcome {
    pub files: usize,
    pub lines: usize,
    /// Files that could not be read or did not parse.
    pub failures: usize,
    /// Top-level items parsed (a plain result, so the parse is not optimised away).
    pub items: usize,
}

/// The speed baseline the analysis is measured against: reads and
/// syn-parses `files` with the same scheme as [`run`] (a [`worker_pool`],
/// one FIFO task per file, largest first, each file read and parsed on the
/// thread that runs the task, only plain counts come back) and no analysis.
pub fn parse_only(files: &[PathBuf], jobs: Option<usize>) -> Result<ParseOnlyOutcome, FatalError> {
    let total = Mutex::new(ParseOnlyOutcome::default());
    let ordered = largest_first(files);
    worker_pool(jobs)?.scope_fifo(|scope| {
        for path in &ordered {
            let total = &total;
            scope.spawn_fifo(move |_| {
                let one = parse_one(path);
                let mut total = total
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                total.files += 1;
                total.lines += one.lines;
                total.failures += one.failures;
                total.items += one.items;
            });
        }
    });
    Ok(total
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

fn parse_one(path: &Path) -> ParseOnlyOutcome {
    let Ok(source) = std::fs::read_to_string(path) else {
        return ParseOnlyOutcome {
            failures: 1,
            ..ParseOnlyOutcome::default()
        };
    };
    let lines = source.lines().count();
    match syn::parse_file(&source) {
        Ok(file) => ParseOnlyOutcome {
            lines,
            items: file.items.len(),
            ..ParseOnlyOutcome::default()
        },
        Err(_) => ParseOnlyOutcome {
            lines,
            failures: 1,
            ..ParseOnlyOutcome::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics_on_boom(source: &str, ctx: &FileContext<'_>) -> Result<FileAnalysis, ParseError> {
        assert!(
            !source.contains("boom"),
            "analyzer bug triggered by {}",
            ctx.rel_path
        );
        Ok(FileAnalysis::default())
    }

    #[test]
    fn a_panicking_analyzer_becomes_an_error_for_that_file_only() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("boom.rs"), "async fn boom() {}\n").unwrap();
        std::fs::write(dir.path().join("fine.rs"), "async fn fine() {}\n").unwrap();
        let discovery = workspace::discover(dir.path()).unwrap();
        let settings = Settings::new(&discovery.root, &Options::default(), None).unwrap();
        let options = Options {
            jobs: Some(2),
            ..Options::default()
        };
        let outcome = analyse(&discovery, &settings, &options, panics_on_boom).unwrap();
        assert_eq!(outcome.paths, ["fine.rs"]);
        let [error] = outcome.errors.as_slice() else {
            panic!("{:?}", outcome.errors)
        };
        assert_eq!(error.path, "boom.rs");
        assert!(
            error
                .message
                .starts_with("internal error: the analyzer panicked on this file"),
            "{}",
            error.message
        );
        assert!(
            error.message.contains("analyzer bug triggered by boom.rs"),
            "{}",
            error.message
        );
    }

    #[test]
    fn an_inferred_finding_is_never_an_error() {
        // `pollster::FutureExt` in scope, the receiver's type unknown: the
        // `block_on` is inferred from its name, so a warning with a note.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("lib.rs"),
            "use pollster::FutureExt;\n\
             async fn a() { make().block_on(); }\n\
             async fn b() { pollster::block_on(make()); }\n",
        )
        .unwrap();
        let report = run(dir.path(), &Options::default()).unwrap();
        let found: Vec<(usize, Severity, Confidence, usize)> = report
            .findings
            .iter()
            .map(|f| (f.span.line, f.severity, f.confidence, f.notes.len()))
            .collect();
        assert_eq!(
            found,
            [
                (2, Severity::Warning, Confidence::Inferred, 1),
                (3, Severity::Error, Confidence::Resolved, 0),
            ]
        );
        assert!(report.findings[0].notes[0].contains("not an error"));
    }
}
