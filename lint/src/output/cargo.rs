//! `--message-format json|short`: the shapes cargo and rustc print, so that
//! whatever reads `cargo check --message-format json` (rust-analyzer,
//! `cargo_metadata::Message`) or rustc's short lines (editors' error
//! formats) reads stallcheck too.
//!
//! json: one line per finding,
//! `{"reason":"compiler-message","package_id":..,"manifest_path":..,"target":{..},"message":DIAGNOSTIC}`,
//! where DIAGNOSTIC is rustc's JSON diagnostic (`message`, `code`
//! `{"code":"stallcheck::RULE"}`, `level`, `spans` with byte offsets and
//! 1-based line/character columns, `children` for help, fixes and notes,
//! `rendered`); input errors are `error` diagnostics without a code. The
//! caller ends the stream with [`build_finished`].
//!
//! A file linted without a manifest is named as cargo names a single-file
//! package (`cargo -Zscript file.rs`): the file is its own manifest
//! (`manifest_path`, `package_id` `path+file://FILE`), with one `bin`
//! target named after it in edition 2021, the edition such files are read in.

use serde_json::{Value, json};

use super::SourceLookup;
use super::human::{SourceCache, SourceText, render_finding, render_input_error};
use crate::driver::Report;
use crate::finding::{Finding, FixSafety, InputError, Severity, Span};

/// What a diagnostic's `rendered` holds (cargo's `--message-format`
/// variants `json`, `json-diagnostic-rendered-ansi`, `json-diagnostic-short`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rendered {
    /// The human rendering, without colours.
    Human,
    /// The human rendering with ANSI colours.
    HumanAnsi,
    /// The short line.
    Short,
}

/// `--message-format json`: one compiler message per input error and
/// finding, in that order (the human output's), each on one line.
pub fn render_json(report: &Report, rendered: Rendered, sources: SourceLookup<'_>) -> String {
    let mut cache = SourceCache::new(sources);
    let mut out = String::new();
    for error in &report.errors {
        let source = error.span.and_then(|_| cache.get(&error.path));
        let text = match rendered {
            Rendered::Short => short_error_line(error) + "\n",
            _ => render_input_error(error, source.as_deref(), rendered == Rendered::HumanAnsi),
        };
        let diagnostic = json!({
            "$message_type": "diagnostic",
            "message": error.message,
            "code": Value::Null,
            "level": "error",
            "spans": error.span.map_or_else(Vec::new, |span| {
                span_value(&error.path, span, source.as_deref(), true)
                    .into_iter()
                    .collect()
            }),
            "children": [],
            "rendered": text,
        });
        push_line(&mut out, &message(report, &error.path, diagnostic));
    }
    for finding in &report.findings {
        let source = cache.get(&finding.path);
        let diagnostic = diagnostic(finding, source.as_deref(), rendered);
        push_line(&mut out, &message(report, &finding.path, diagnostic));
    }
    out
}

/// The last line of a json stream: `success` is whether the run exits 0.
pub fn build_finished(success: bool) -> String {
    let mut line = json!({ "reason": "build-finished", "success": success }).to_string();
    line.push('\n');
    line
}

/// `--message-format short`: rustc's short lines,
/// `path:line:col: level[rule]: message`, input errors first, then the
/// human summary line (unless `quiet`).
pub fn render_short(report: &Report, quiet: bool) -> String {
    let mut out = String::new();
    for error in &report.errors {
        out.push_str(&short_error_line(error));
        out.push('\n');
    }
    for finding in &report.findings {
        out.push_str(&short_line(finding));
        out.push('\n');
    }
    if !quiet {
        out.push_str(&super::human::summary(report));
        out.push('\n');
    }
    out
}

fn short_line(finding: &Finding) -> String {
    format!(
        "{}:{}:{}: {}[{}]: {}",
        finding.path,
        finding.span.line,
        finding.span.column,
        finding.severity.as_str(),
        finding.rule,
        finding.message
    )
}

/// rustc names a file without a position as `path: level: message`.
fn short_error_line(error: &InputError) -> String {
    match error.span {
        Some(span) => format!(
            "{}:{}:{}: error: {}",
            error.path, span.line, span.column, error.message
        ),
        None => format!("{}: error: {}", error.path, error.message),
    }
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// The `compiler-message` line wrapping `diagnostic`, with the package and
/// target `path` was linted as. Written field by field so that `reason`
/// comes first, as in cargo's lines (serde_json would sort the keys), for
/// readers that look at the start of a line.
fn message(report: &Report, path: &str, diagnostic: Value) -> String {
    let (package_id, manifest_path, target) = match report.origins.get(path) {
        Some(origin) => (
            json!(origin.package_id),
            json!(origin.manifest_path.display().to_string()),
            serde_json::to_value(&origin.target).unwrap_or(Value::Null),
        ),
        None => single_file_package(report, path),
    };
    format!(
        "{{\"reason\":\"compiler-message\",\"package_id\":{package_id},\"manifest_path\":{manifest_path},\"target\":{target},\"message\":{diagnostic}}}"
    )
}

/// A file without a manifest, named as cargo names a single-file package
/// (see the module documentation).
fn single_file_package(report: &Report, path: &str) -> (Value, Value, Value) {
    let file = report.root.join(path);
    let name = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().replace('-', "_"))
        .unwrap_or_default();
    let file = file.display().to_string();
    (
        json!(format!("path+file://{file}")),
        json!(file),
        json!({
            "kind": ["bin"],
            "crate_types": ["bin"],
            "name": name,
            "src_path": file,
            "edition": "2021",
            "doc": false,
            "doctest": false,
            "test": false,
        }),
    )
}

fn diagnostic(finding: &Finding, source: Option<&SourceText>, rendered: Rendered) -> Value {
    let mut spans: Vec<Value> = span_value(&finding.path, finding.span, source, true)
        .into_iter()
        .collect();
    for label in &finding.labels {
        if let Some(mut span) = span_value(&finding.path, label.span, source, false) {
            span["label"] = json!(label.message);
            spans.push(span);
        }
    }
    let mut children = Vec::new();
    if !finding.help.is_empty() {
        children.push(child("help", &finding.help, Vec::new()));
    }
    if let Some(fix) = &finding.fix {
        // rustc's applicability: what `cargo fix` (and an editor's quick
        // fix) may apply without asking.
        let (applicability, message) = match &fix.safety {
            FixSafety::Safe => ("MachineApplicable", fix.description.clone()),
            FixSafety::Unsafe(reason) => (
                "MaybeIncorrect",
                format!("{} (unsafe: {reason})", fix.description),
            ),
        };
        let edits = fix
            .edits
            .iter()
            .filter_map(|edit| {
                let mut span = span_value(&finding.path, edit.span, source, true)?;
                span["suggested_replacement"] = json!(edit.replacement);
                span["suggestion_applicability"] = json!(applicability);
                Some(span)
            })
            .collect();
        children.push(child("help", &message, edits));
    }
    for note in &finding.notes {
        children.push(child("note", note, Vec::new()));
    }
    let text = match rendered {
        Rendered::Short => short_line(finding) + "\n",
        Rendered::Human | Rendered::HumanAnsi => {
            render_finding(finding, source, rendered == Rendered::HumanAnsi)
        }
    };
    json!({
        "$message_type": "diagnostic",
        "message": finding.message,
        "code": { "code": format!("stallcheck::{}", finding.rule), "explanation": Value::Null },
        "level": level(finding.severity),
        "spans": spans,
        "children": children,
        "rendered": text,
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({
        "message": message,
        "code": Value::Null,
        "level": level,
        "spans": spans,
        "children": [],
        "rendered": Value::Null,
    })
}

/// rustc's span: byte offsets into the file as it is on disk, 1-based lines
/// and character columns (end exclusive), and the text of each line with
/// the highlighted columns. `None` when the file is gone or no longer has
/// that place (it changed since it was analysed): no offsets are made up.
fn span_value(
    path: &str,
    span: Span,
    source: Option<&SourceText>,
    is_primary: bool,
) -> Option<Value> {
    let source = source?;
    let end_line = span.end_line.max(span.line);
    let byte_start = source.byte_offset(span.line, span.column)?;
    let byte_end = source
        .byte_offset(end_line, span.end_column)?
        .max(byte_start);
    let mut text = Vec::new();
    for line in span.line..=end_line {
        let line_text = source.line(line)?;
        let start = if line == span.line { span.column } else { 1 };
        let end = if line == end_line {
            span.end_column
        } else {
            line_text.chars().count() + 1
        };
        text.push(json!({ "text": line_text, "highlight_start": start, "highlight_end": end }));
    }
    Some(json!({
        // Made relative to the workspace root by the CLI, as cargo's are
        // (files without a manifest: to the current directory, else absolute).
        "file_name": path,
        "byte_start": byte_start,
        "byte_end": byte_end,
        "line_start": span.line,
        "line_end": end_line,
        "column_start": span.column,
        "column_end": span.end_column,
        "is_primary": is_primary,
        "text": text,
        "label": Value::Null,
        "suggested_replacement": Value::Null,
        "suggestion_applicability": Value::Null,
        "expansion": Value::Null,
    }))
}
