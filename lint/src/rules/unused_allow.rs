//! ## What it does
//! Flags a `// stallcheck: allow(rule-id) reason` (or `allow-file`) comment
//! that silences nothing: no finding of that rule is reported where the
//! comment applies. Also flags an allow naming a rule id that does not
//! exist, an `allow-file` placed after the file's first item, and a
//! `// stallcheck:` comment that is not a well-formed allow.
//!
//! ## Why is this bad?
//! A suppression outlives the code it was written for: once the blocking
//! call is fixed or moved, the stale comment would silently hide the next
//! blocking call written on that line. A misspelt rule id silences nothing
//! while looking like it does.
//!
//! ## Example
//! ```text
//! async fn load(path: &Path) -> String {
//!     // stallcheck: allow(blocking-fs) small config file read once at startup
//!     tokio::fs::read_to_string(path).await.unwrap()
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn load(path: &Path) -> String {
//!     tokio::fs::read_to_string(path).await.unwrap()
//! }
//! ```
//!
//! ## Known problems
//! Allows are matched against every finding the analysis produced, before
//! `--rule`/`--skip-rule` and configured `off` levels are applied: an allow
//! for a rule that is switched off is still used when the rule would fire
//! there. `unused-allow` itself cannot be silenced by a comment; switch it
//! off with `--skip-rule unused-allow` or `unused-allow = "off"` under
//! `[rules]` in the configuration.

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "unused-allow",
    default_severity: Severity::Note,
    summary: "a suppression comment silences nothing",
    source: include_str!("unused_allow.rs"),
    message,
    help,
    propagates: false,
};

/// `callee` is the rule id the comment allows; an unused allow has no async
/// context, so `_context` is not used.
fn message(callee: &str, _context: &str) -> String {
    format!("unused allow: no `{callee}` finding is reported where this comment applies")
}

fn help(_runtime: AsyncRuntime, _callee: &str) -> String {
    "remove the rule id from the comment (or the whole comment)".to_string()
}

/// An allow naming a rule that does not exist.
pub fn unknown_rule_message(id: &str) -> String {
    format!("unknown rule id `{id}` in a `stallcheck: allow` comment")
}

pub fn unknown_rule_help() -> String {
    format!(
        "`{} rules` lists the rule ids",
        crate::invocation::command()
    )
}

/// An `allow-file` after the first item, where it is not read.
pub fn misplaced_file_allow_message(id: &str) -> String {
    format!("`allow-file({id})` comes after the file's first item and applies to nothing")
}

pub fn misplaced_file_allow_help() -> String {
    "move the comment above the first item of the file".to_string()
}

/// `allow(unused-allow)`: the rule is switched off in configuration, not by a comment.
pub fn self_allow_message() -> String {
    "`unused-allow` cannot be silenced by a comment".to_string()
}

pub fn self_allow_help() -> String {
    "use `--skip-rule unused-allow` or `unused-allow = \"off\"` under `[rules]` in the configuration"
        .to_string()
}

/// A `// stallcheck:` comment that is not `allow(..)` or `allow-file(..)`.
pub fn malformed_message(text: &str) -> String {
    format!("cannot read the suppression comment `{text}`")
}

pub fn malformed_help() -> String {
    "write `// stallcheck: allow(rule-id[, rule-id]) reason` or `// stallcheck: allow-file(rule-id)`"
        .to_string()
}
