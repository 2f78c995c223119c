//! What to analyse and how, as given on the command line.

use std::path::PathBuf;

use crate::workspace;

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
