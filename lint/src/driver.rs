//! Runs the analysis over a target: discovers files, analyses them in
//! parallel (each file parsed and analysed on the thread that read it), and
//! collects plain results.
//!
//! CONTRACT: `run(path, &Options) -> Result<Report, FatalError>`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::finding::{Finding, InputError};

/// What to analyse and how (after configuration is merged in).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Also lint `#[cfg(test)]` code, `#[test]` functions and `tests/`, `benches/` targets.
    pub include_tests: bool,
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
}

/// The run could not happen at all (exit code 2): bad path, no Rust source,
/// broken manifest, bad configuration. One line, names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalError(pub String);

pub fn run(path: &Path, options: &Options) -> Result<Report, FatalError> {
    let _ = (path, options);
    Err(FatalError("driver in progress".to_string()))
}
