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
//!
//! The modules, in the order a run goes through them: [`options`] (what
//! the command line asked), [`settings`] (options and configuration merged),
//! [`jobs`] (the crate root files to start from), [`walk`] (the parallel
//! per-file phase, following [`children`] module declarations), [`report`]
//! (the serial phase: model, call graph, suppressions, rule selection).
//! [`parse_only`] is the speed baseline.

mod children;
mod jobs;
mod options;
mod parse_only;
mod paths;
mod report;
mod settings;
#[cfg(test)]
mod tests;
mod timings;
mod walk;

use std::path::Path;
use std::time::Instant;

use crate::analysis;
use crate::config::{self, Config};
use crate::fix_safety;
use crate::workspace::{self, Discovery};

pub use self::jobs::largest_first;
pub use self::options::Options;
pub use self::parse_only::{ParseOnlyOutcome, parse_only};
pub use self::paths::relative_path;
pub use self::report::Report;
use self::settings::Settings;
use self::timings::Timings;
use self::walk::analyse;
pub use self::walk::{MAX_JOBS, WORKER_STACK_SIZE, worker_pool};

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
    let workspace_root = match &discovery.layout {
        workspace::Layout::Manifest(manifest) => Some(manifest.workspace_root.clone()),
        workspace::Layout::Loose(_) => None,
    };
    let mut report = settings.finish(
        discovery.root,
        workspace_root,
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
