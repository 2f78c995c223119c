//! What the analyzer reports: findings, their severity and where they are.
//!
//! These are plain data: they cross threads (rayon workers send them back to
//! the driver) and are rendered by `output`, which alone knows formats.

use std::fmt;

/// How serious a finding is. Ordered: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "note" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`
/// (clamped to its end), as messages show positions.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |tail| tail.chars().count())
        + 1;
    (line, column)
}

/// A source range. Lines and columns are 1-based; columns count characters
/// (Unicode scalar values), as `proc-macro2` reports them, plus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Span {
    /// Converts a `proc_macro2::Span` (1-based lines, 0-based columns).
    pub fn from_proc_macro2(span: proc_macro2::Span) -> Span {
        let start = span.start();
        let end = span.end();
        Span {
            line: start.line,
            column: start.column + 1,
            end_line: end.line,
            end_column: end.column + 1,
        }
    }
}

/// How sure the analyzer is that the flagged call is what the rule says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Confidence {
    /// The callee was resolved to a catalogued path (through `use`, types or
    /// constructors).
    Resolved,
    /// The receiver's type is unknown; the call matched a high-confidence
    /// shape such as `.lock().unwrap()`.
    Inferred,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Resolved => "resolved",
            Confidence::Inferred => "inferred",
        }
    }
}

/// A secondary location shown beside the primary span (for example the
/// `.await` a guard is held across).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One finding: a rule matched at a call inside async context.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable kebab-case rule id, e.g. `blocking-fs`.
    pub rule: &'static str,
    pub severity: Severity,
    /// Path relative to the analysed root, `/`-separated.
    pub path: String,
    pub span: Span,
    /// Lowercase, no trailing period, code in backticks (rustc style).
    pub message: String,
    /// What to do instead; names the async alternative of the target's runtime.
    pub help: String,
    /// The enclosing function (`fn` name, `Type::method`), if any.
    pub function: Option<String>,
    /// Extra `= note:` lines.
    pub notes: Vec<String>,
    /// Secondary labels.
    pub labels: Vec<Label>,
    pub confidence: Confidence,
    /// The callee as resolved, e.g. `std::fs::read` (used for fingerprints).
    pub callee: String,
    /// When the blocking call is reached through the crate's own functions:
    /// each step from the call site's callee down to the root cause, outermost
    /// first. Empty for a blocking call written directly in async code.
    pub chain: Vec<ChainStep>,
    /// A mechanically safe rewrite, when one exists (`--fix`).
    pub fix: Option<Fix>,
}

/// One step of a call chain: a function of the target crate and where it
/// makes the next call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainStep {
    /// `module::function` or `module::Type::method`.
    pub function: String,
    /// Path relative to the analysed root, `/`-separated.
    pub path: String,
    /// The line of the call this function makes (the next step, or the
    /// blocking call itself for the last step).
    pub line: usize,
}

/// Text edits that fix a finding. Spans are in the finding's file; the
/// edits never overlap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What the fix does, one line (`replace with `tokio::time::sleep(..).await``).
    pub description: String,
    pub edits: Vec<Edit>,
    /// Whether plain `--fix` applies it (decided by `fix_safety::classify`).
    pub safety: FixSafety,
}

/// ruff's applicability: a safe fix keeps the program's behaviour, an
/// unsafe one may change it (applied only with `--unsafe-fixes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixSafety {
    Safe,
    /// Why it may change behaviour, one lowercase line.
    Unsafe(String),
}

impl FixSafety {
    pub fn as_str(&self) -> &'static str {
        match self {
            FixSafety::Safe => "safe",
            FixSafety::Unsafe(_) => "unsafe",
        }
    }
}

/// Replace the text in `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

/// A problem with the input that is not a finding: a file that fails to
/// parse, a `mod` whose file is missing, a `#[path]` leaving the package.
/// Reported beside the findings; never aborts the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// Path relative to the analysed root, `/`-separated.
    pub path: String,
    /// Where in the file, when known.
    pub span: Option<Span>,
    pub message: String,
}
