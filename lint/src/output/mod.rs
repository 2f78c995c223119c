//! Rendering a [`Report`]: the only place that knows output formats.
//!
//! - `human`: rustc-shaped diagnostics (annotate-snippets) and a summary line;
//! - `json`: one object, schema documented in the README (version 1);
//! - `sarif`: SARIF 2.1.0 for GitHub code scanning;
//! - `github`: GitHub Actions workflow commands (`::warning file=..::..`);
//! - `--message-format json|short`: cargo's JSON messages and rustc's short
//!   lines (see `cargo.rs`).
//!
//! Every finding of every severity is rendered in every format; which ones
//! fail the run is decided by the caller (`--deny`), not here.

mod cargo;
mod github;
mod human;
mod json;
mod paths;
mod sarif;

use std::path::Path;

use crate::driver::Report;
use crate::finding::Severity;

pub use self::cargo::{Rendered, build_finished};
pub use self::paths::for_display;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    /// `--message-format short`: rustc's short lines.
    Short,
    /// `--message-format json`: cargo's JSON messages, one per line (the
    /// caller adds [`build_finished`]).
    CargoJson(Rendered),
}

impl Format {
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "human" => Some(Format::Human),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "github" => Some(Format::Github),
            _ => None,
        }
    }
}

/// How to render (only `human` looks at these).
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderOptions {
    /// ANSI colours in human output.
    pub color: bool,
    /// Leave out the summary line.
    pub quiet: bool,
}

/// Gives the text of a file by its report path (relative to the root), for
/// the source lines shown under human diagnostics.
pub type SourceLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Renders `report`; the returned text ends with a newline unless empty.
pub fn render(
    format: Format,
    report: &Report,
    options: RenderOptions,
    sources: SourceLookup<'_>,
) -> String {
    match format {
        Format::Human => human::render(report, options, sources),
        Format::Json => pretty(&json::to_value(report)),
        Format::Sarif => pretty(&sarif::to_value(report)),
        Format::Github => github::render(report),
        Format::Short => cargo::render_short(report, options.quiet),
        Format::CargoJson(rendered) => cargo::render_json(report, rendered, sources),
    }
}

/// Reads sources from disk under `root` (what the CLI uses); only regular
/// files, so that a FIFO reported as an input error is never opened for
/// reading (it would block).
pub fn disk_sources(root: &Path) -> impl Fn(&str) -> Option<String> + '_ {
    move |rel_path: &str| {
        let bytes =
            crate::input::read_regular_file(&root.join(rel_path), u64::MAX, "no limit").ok()?;
        String::from_utf8(bytes).ok()
    }
}

/// The JSON object of a report (what `--format json` prints).
pub fn json_value(report: &Report) -> serde_json::Value {
    json::to_value(report)
}

/// The SARIF 2.1.0 log of a report (what `--format sarif` prints).
pub fn sarif_value(report: &Report) -> serde_json::Value {
    sarif::to_value(report)
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}"));
    text.push('\n');
    text
}

/// Findings counted by severity: (errors, warnings, notes).
pub fn counts(report: &Report) -> (usize, usize, usize) {
    let count = |severity| {
        report
            .findings
            .iter()
            .filter(|finding| finding.severity == severity)
            .count()
    };
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    )
}

/// Whether the run fails at `deny`: a finding at or above it, or (for
/// `warning` and `note`) a file that could not be analysed, because a file
/// the linter could not read is a file nobody checked.
pub fn fails(report: &Report, deny: Severity) -> bool {
    let finding_fails = report
        .findings
        .iter()
        .any(|finding| finding.severity >= deny);
    let errors_fail = !report.errors.is_empty() && deny <= Severity::Warning;
    finding_fails || errors_fail
}
