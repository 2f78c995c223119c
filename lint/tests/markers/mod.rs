//! The `//~ rule-id` annotations of fixture files, shared by the suites that
//! hold the linter to them (`fixtures.rs`, `catalog_coverage.rs`): a trailing
//! `//~ rule-id` marks a finding that starts on its line (several ids,
//! space-separated, for several findings on one line).

use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const MARKER: &str = "//~";

/// (path relative to the analysed root, line, rule) -> how many times.
pub type Findings = BTreeMap<(String, usize, String), usize>;

/// Adds the markers of `text`, the file at `path`, to `expected`.
pub fn add_markers(expected: &mut Findings, path: &str, text: &str) {
    for (index, line) in text.lines().enumerate() {
        // Documentation that mentions the marker is not a marker.
        if line.trim_start().starts_with("//") {
            continue;
        }
        let Some((_, rules)) = line.split_once(MARKER) else {
            continue;
        };
        for rule in rules.split_whitespace() {
            *expected
                .entry((path.to_string(), index + 1, rule.to_string()))
                .or_default() += 1;
        }
    }
}

/// What `left` has more of than `right`, a `    path:line: rule` line each.
pub fn difference(left: &Findings, right: &Findings) -> String {
    let mut text = String::new();
    for (key @ (path, line, rule), &count) in left {
        for _ in right.get(key).copied().unwrap_or(0)..count {
            writeln!(text, "    {path}:{line}: {rule}").unwrap();
        }
    }
    text
}
