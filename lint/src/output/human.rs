//! rustc-shaped diagnostics through annotate-snippets:
//!
//! ```text
//! warning[blocking-fs]: `std::fs::read` blocks the executor thread
//!  --> src/lib.rs:3:5
//!   |
//! 3 |     std::fs::read("x");
//!   |     ^^^^^^^^^^^^^^^^^^
//!   |
//!   = help: use `tokio::fs::read(..).await`
//! ```

use std::collections::HashMap;
use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::{RenderOptions, SourceLookup, counts};
use crate::driver::Report;
use crate::finding::{Finding, FixSafety, InputError, Severity, Span};

pub fn render(report: &Report, options: RenderOptions, sources: SourceLookup<'_>) -> String {
    let renderer = renderer(options.color);
    let mut cache = SourceCache::new(sources);
    let mut out = String::new();
    for error in &report.errors {
        // Without a span no source line is shown: the file is not read
        // again (it may be the FIFO or oversized file the error is about).
        let source = error.span.and_then(|_| cache.get(&error.path));
        push_block(
            &mut out,
            &renderer.render(&[input_error_group(error, source.as_deref())]),
        );
    }
    for finding in &report.findings {
        let source = cache.get(&finding.path);
        push_block(
            &mut out,
            &renderer.render(&finding_groups(finding, source.as_deref())),
        );
    }
    if !options.quiet {
        out.push_str(&summary(report));
        out.push('\n');
    }
    out
}

fn renderer(color: bool) -> Renderer {
    if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
}

/// One finding as `render` shows it, ending with a newline (the
/// `rendered` field of `--message-format json`).
pub(super) fn render_finding(
    finding: &Finding,
    source: Option<&SourceText>,
    color: bool,
) -> String {
    let mut text = renderer(color).render(&finding_groups(finding, source));
    text.push('\n');
    text
}

/// One input error as `render` shows it, ending with a newline.
pub(super) fn render_input_error(
    error: &InputError,
    source: Option<&SourceText>,
    color: bool,
) -> String {
    let mut text = renderer(color).render(&[input_error_group(error, source)]);
    text.push('\n');
    text
}

fn push_block(out: &mut String, block: &str) {
    out.push_str(block);
    out.push_str("\n\n");
}

/// Reads each file at most once per render and indexes its lines once, so
/// rendering costs the findings plus the file sizes, never their product.
pub(super) struct SourceCache<'a> {
    lookup: SourceLookup<'a>,
    files: HashMap<String, Option<std::rc::Rc<SourceText>>>,
}

impl<'a> SourceCache<'a> {
    pub(super) fn new(lookup: SourceLookup<'a>) -> SourceCache<'a> {
        SourceCache {
            lookup,
            files: HashMap::new(),
        }
    }

    pub(super) fn get(&mut self, path: &str) -> Option<std::rc::Rc<SourceText>> {
        let lookup = self.lookup;
        self.files
            .entry(path.to_string())
            .or_insert_with(|| lookup(path).map(|text| std::rc::Rc::new(SourceText::new(text))))
            .clone()
    }
}

/// A file's text and where each of its lines starts.
pub(super) struct SourceText {
    text: String,
    /// Byte offsets of line starts; line 1 starts after a byte-order mark,
    /// which syn skips, so that columns on line 1 mean the same as elsewhere.
    line_starts: Vec<usize>,
}

impl SourceText {
    fn new(text: String) -> SourceText {
        let first = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let line_starts = std::iter::once(first)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .filter(|start| *start < text.len() || *start == first)
            .collect();
        SourceText { text, line_starts }
    }

    /// Line `line` (1-based) without its line ending.
    pub(super) fn line(&self, line: usize) -> Option<&str> {
        let lines = self.lines(line, line)?;
        Some(lines.first()?.trim_end_matches(['\n', '\r']))
    }

    /// The byte offset in the file of a 1-based line and 1-based character
    /// column; a column past the end of the line is its end (rustc's
    /// spans end there too). `None` when the line is not in the file.
    pub(super) fn byte_offset(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let text = self.line(line)?;
        let within = text
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(text.len(), |(at, _)| at);
        Some(start + within)
    }

    /// Lines `first..=last` (1-based), each with its line ending.
    fn lines(&self, first: usize, last: usize) -> Option<Vec<&str>> {
        let start = *self.line_starts.get(first.checked_sub(1)?)?;
        if last > self.line_starts.len() {
            return None;
        }
        let end = self
            .line_starts
            .get(last)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].split_inclusive('\n').collect())
    }
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

fn finding_groups<'a>(finding: &'a Finding, source: Option<&'a SourceText>) -> Vec<Group<'a>> {
    let title = level(finding.severity)
        .primary_title(finding.message.as_str())
        .id(finding.rule);
    let mut spans: Vec<(Span, Option<&str>)> = vec![(finding.span, None)];
    spans.extend(
        finding
            .labels
            .iter()
            .map(|label| (label.span, Some(label.message.as_str()))),
    );
    let mut group = match source.and_then(|source| excerpt(source, &finding.path, &spans)) {
        Some(snippet) => title.element(snippet),
        None => title.element(origin(&finding.path, finding.span)),
    };
    if !finding.help.is_empty() {
        group = group.element(Level::HELP.message(finding.help.as_str()));
    }
    match finding.fix.as_ref().map(|fix| &fix.safety) {
        Some(FixSafety::Safe) => {
            group = group.element(Level::HELP.message("fix available: run with `--fix`"));
        }
        Some(FixSafety::Unsafe(reason)) => {
            group = group.element(Level::HELP.message(format!(
                "unsafe fix available with `--fix --unsafe-fixes`: {reason}"
            )));
        }
        None => {}
    }
    for note in &finding.notes {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    vec![group]
}

fn input_error_group<'a>(error: &'a InputError, source: Option<&'a SourceText>) -> Group<'a> {
    let title = Level::ERROR.primary_title(error.message.as_str());
    match error.span {
        Some(span) => match source.and_then(|source| excerpt(source, &error.path, &[(span, None)]))
        {
            Some(snippet) => title.element(snippet),
            None => title.element(origin(&error.path, span)),
        },
        None => title.element(Origin::path(error.path.as_str())),
    }
}

fn origin(path: &str, span: Span) -> Origin<'_> {
    Origin::path(path).line(span.line).char_column(span.column)
}

/// The source lines covering every span, with the first span as the primary
/// annotation and the others as labelled context; `None` when a span does
/// not fit the text (the file changed since it was analysed).
fn excerpt<'a>(
    source: &'a SourceText,
    path: &'a str,
    spans: &[(Span, Option<&'a str>)],
) -> Option<Snippet<'a, annotate_snippets::Annotation<'a>>> {
    let first_line = spans.iter().map(|(span, _)| span.line).min()?;
    let last_line = spans
        .iter()
        .map(|(span, _)| span.end_line.max(span.line))
        .max()?;
    let lines = source.lines(first_line, last_line)?;
    if lines.len() != last_line - first_line + 1 {
        return None;
    }
    let text: String = lines.concat();
    let text = text.trim_end_matches(['\n', '\r']).to_string();
    let mut annotations = Vec::new();
    for (index, (span, label)) in spans.iter().enumerate() {
        let start = offset(&lines, span.line - first_line, span.column)?;
        let end = offset(
            &lines,
            span.end_line.max(span.line) - first_line,
            span.end_column,
        )?
        .max(start);
        let kind = if index == 0 {
            AnnotationKind::Primary
        } else {
            AnnotationKind::Context
        };
        let annotation = kind.span(start..end.min(text.len()).max(start));
        annotations.push(match label {
            Some(label) => annotation.label(*label),
            None => annotation,
        });
    }
    let snippet = Snippet::source(text)
        .line_start(first_line)
        .path(path)
        .fold(true)
        .annotations(annotations);
    Some(snippet)
}

/// Byte offset in the excerpt of a 1-based character column on a line of it.
fn offset(lines: &[&str], line_index: usize, column: usize) -> Option<usize> {
    let before: usize = lines.get(..line_index)?.iter().map(|line| line.len()).sum();
    let line = lines.get(line_index)?;
    let chars = column.saturating_sub(1);
    let within = line
        .char_indices()
        .nth(chars)
        .map_or(line.trim_end_matches(['\n', '\r']).len(), |(at, _)| at);
    Some(before + within)
}

/// `1 error, 2 warnings, 0 notes; 1 file not analysed; 12 files (3456 lines) in 0.05s`
pub fn summary(report: &Report) -> String {
    let (errors, warnings, notes) = counts(report);
    let mut line = String::from("stallcheck: ");
    if report.findings.is_empty() {
        line.push_str("no findings");
    } else {
        let _ = write!(
            line,
            "{}, {}, {}",
            plural(errors, "error"),
            plural(warnings, "warning"),
            plural(notes, "note")
        );
    }
    if !report.errors.is_empty() {
        let _ = write!(line, "; {}", plural(report.errors.len(), "input error"));
    }
    let _ = write!(
        line,
        "; {} ({}) read in {:.2}s",
        plural(report.files, "file"),
        plural(report.lines, "line"),
        report.elapsed.as_secs_f64()
    );
    line
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
