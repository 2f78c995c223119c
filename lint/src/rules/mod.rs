//! The rule registry: one rule, one file; every rule is listed once in `ALL`.
//!
//! CONTRACT: `ALL`, `find(id)`, `Rule { id, default_severity, summary }`,
//! `Rule::doc()` (the rule file's leading `//!` comment: *What it does*,
//! *Why is this bad?*, *Example*, *Use instead*).

use crate::finding::Severity;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id.
    pub id: &'static str,
    pub default_severity: Severity,
    /// Lowercase one-line summary.
    pub summary: &'static str,
    /// The rule file's source (`include_str!`); `doc()` extracts its `//!` comment.
    pub source: &'static str,
}

impl Rule {
    /// The rule's documentation: the `//!` comment its file opens with.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .map(|line| line.trim_start_matches("//!").strip_prefix(' ').unwrap_or(line.trim_start_matches("//!")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Every rule, in the order `stallcheck rules` lists them.
pub static ALL: &[&Rule] = &[];

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}
