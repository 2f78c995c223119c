//! The rule registry: one rule, one file; every rule is listed once in `ALL`.
//!
//! CONTRACT: `ALL`, `find(id)`, `Rule { id, default_severity, summary }`,
//! `Rule::doc()` (the rule file's leading `//!` comment: *What it does*,
//! *Why is this bad?*, *Example*, *Use instead*).
//!
//! Adding a rule: a file here (doc comment, `RULE`, `message`, `help`,
//! whether it propagates through helpers), one line in `ALL`, catalog
//! entries naming its id, and a fixture module; nothing else lists rule ids
//! (`lint/tests/registry.rs` holds it).

use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

mod block_on_in_async;
mod blocking_client;
mod blocking_fs;
mod blocking_io;
mod blocking_net;
mod blocking_process;
mod blocking_sleep;
mod blocking_wait;
mod lock_held_across_await;
mod nested_runtime;
mod sync_lock_in_async;
pub(crate) mod unused_allow;

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
    /// The finding's message from the resolved callee and a description of
    /// the async context (``async function `load` ``): lowercase, code in
    /// backticks, no trailing period.
    pub message: fn(callee: &str, context: &str) -> String,
    /// What to do instead, for the target's runtime.
    pub help: fn(runtime: AsyncRuntime, callee: &str) -> String,
    /// Whether a call of this rule makes the sync function that makes it
    /// blocking for its async callers (`crate::callgraph`). Not the lock
    /// rules: a std mutex briefly held in a helper is what a helper is for.
    pub propagates: bool,
}

impl Rule {
    /// The rule's documentation: the `//!` comment its file opens with.
    pub fn doc(&self) -> String {
        self.source
            .lines()
            .take_while(|line| line.starts_with("//!"))
            .map(|line| {
                let text = line.trim_start_matches("//!");
                text.strip_prefix(' ').unwrap_or(text)
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Every rule, in the order `stallcheck rules` lists them.
pub static ALL: &[&Rule] = &[
    &block_on_in_async::RULE,
    &nested_runtime::RULE,
    &blocking_sleep::RULE,
    &blocking_fs::RULE,
    &blocking_net::RULE,
    &blocking_process::RULE,
    &blocking_io::RULE,
    &blocking_wait::RULE,
    &sync_lock_in_async::RULE,
    &lock_held_across_await::RULE,
    &blocking_client::RULE,
    &unused_allow::RULE,
];

/// `lock-held-across-await`, which the walker reports itself (it is about
/// drop scopes, not a catalogued call), with its `.await` label text.
pub use lock_held_across_await::{
    AWAIT_LABEL as LOCK_HELD_AWAIT_LABEL, RULE as LOCK_HELD_ACROSS_AWAIT,
};

/// `sync-lock-in-async`, whose note a lock reported as held replaces.
pub use sync_lock_in_async::RULE as SYNC_LOCK_IN_ASYNC;

/// Looks a rule up by id.
pub fn find(id: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|rule| rule.id == id)
}

/// The runtime's way to run blocking code off the executor threads.
pub(crate) fn offload_call(runtime: AsyncRuntime) -> &'static str {
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::task::spawn_blocking",
        AsyncRuntime::AsyncStd => "async_std::task::spawn_blocking",
        AsyncRuntime::Smol => "smol::unblock",
    }
}

/// The last segment of a path (`read` for `std::fs::read`).
fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut ids: Vec<_> = ALL.iter().map(|rule| rule.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len(), "duplicate rule id");
        for id in ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "`{id}` is not kebab-case"
            );
        }
    }

    #[test]
    fn every_rule_documents_the_ruff_sections() {
        for rule in ALL {
            let doc = rule.doc();
            for section in [
                "## What it does",
                "## Why is this bad?",
                "## Example",
                "## Use instead",
            ] {
                assert!(doc.contains(section), "`{}` lacks `{section}`", rule.id);
            }
        }
    }

    #[test]
    fn summaries_and_messages_follow_the_rustc_style() {
        for rule in ALL {
            let message = (rule.message)("std::fs::read", "async function `load`");
            for text in [rule.summary, message.as_str()] {
                assert!(
                    !text.ends_with('.'),
                    "`{}`: `{text}` ends with a period",
                    rule.id
                );
                assert!(
                    text.chars().next().is_some_and(|c| !c.is_uppercase()),
                    "`{}`: `{text}` starts upper-case",
                    rule.id
                );
            }
            assert!(
                message.contains("`std::fs::read`"),
                "`{}`: {message}",
                rule.id
            );
        }
    }

    #[test]
    fn help_names_the_targets_runtime() {
        for rule in ALL {
            let callee = "std::fs::read";
            assert!(
                !(rule.help)(AsyncRuntime::Tokio, callee).contains("async_std"),
                "`{}`",
                rule.id
            );
            let smol = (rule.help)(AsyncRuntime::Smol, callee);
            assert!(!smol.contains("tokio"), "`{}`: {smol}", rule.id);
            let async_std = (rule.help)(AsyncRuntime::AsyncStd, callee);
            assert!(!async_std.contains("tokio"), "`{}`: {async_std}", rule.id);
        }
    }
}
