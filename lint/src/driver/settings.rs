//! Options and configuration merged into what the walk and the report
//! phase consult: rule selection and levels, excludes, the catalog,
//! `max-file-size`.

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::catalog::Catalog;
use crate::config::{self, Config, RuleLevel};
use crate::finding::{Confidence, Finding, Severity};
use crate::rules;

use super::options::Options;
use super::paths::relative_path;
use crate::vocab::FatalError;

/// Options and configuration merged: command-line flags win.
pub(super) struct Settings {
    pub(super) include_tests: bool,
    pub(super) only_rules: Vec<&'static str>,
    pub(super) skip_rules: Vec<&'static str>,
    pub(super) rule_levels: Vec<(&'static str, RuleLevel)>,
    pub(super) exclude: GlobSet,
    /// The configuration's `exclude` when its file is above the root: globs
    /// relative to that directory, matched with the root's path from it
    /// (`bench-harness/` + `src/x.rs`).
    pub(super) exclude_above_root: Option<(String, GlobSet)>,
    pub(super) catalog: Catalog,
    /// Larger files are not read (`max-file-size`).
    pub(super) max_file_size: u64,
    /// The configured catalog paths (`blocking.extra`, `[context]`): their
    /// words make a file relevant (see [`Relevance`]).
    pub(super) configured_paths: Vec<String>,
}

impl Settings {
    pub(super) fn new(
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
                    FatalError(config::invalid(
                        &config.source,
                        "",
                        format!("blocking.extra: {err}"),
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

    pub(super) fn is_excluded(&self, rel_path: &str) -> bool {
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
    pub(super) fn adjust(&self, mut finding: Finding) -> Option<Finding> {
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
}

fn rule_ids(ids: &[String], flag: &str) -> Result<Vec<&'static str>, FatalError> {
    ids.iter()
        .map(|id| {
            rules::find(id).map(|rule| rule.id).ok_or_else(|| {
                FatalError(format!(
                    "unknown rule `{id}` in {flag} ({})",
                    crate::invocation::rules_hint()
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
