//! Suppression comments: `// stallcheck: allow(rule-id[, rule-id]) reason`
//! and `// stallcheck: allow-file(rule-id)`.
//!
//! CONTRACT: `apply(source, path, items, findings) -> findings`: drops the
//! findings an allow covers and adds an `unused-allow` finding for each
//! allowed id that covers nothing (or names no rule, or is misplaced).
//!
//! Where an allow applies:
//! - `allow(..)` covers findings that start on its own line or the next one;
//!   a comment on a line of its own also covers the whole item that follows
//!   it (comment lines, such as the reason continued, may come between; the
//!   item's attributes and doc comments count as the item);
//! - `allow-file(..)` before the file's first item covers the whole file.
//!
//! Comments are not in syn's tree, so a small lexer finds the `//`
//! comments that are outside string, raw string and character literals and
//! block comments (an allow written inside a block comment is not read).
//! Doc comments (`///`, `//!`) are documentation, never allows. Allows are
//! matched against every finding the analysis produced, before rule
//! selection (`--rule`, `--skip-rule`, `off`), so switching a rule off never
//! turns its allows into `unused-allow` findings. Comments inside test
//! code the analysis skipped report nothing.

use crate::finding::{Confidence, Finding, Span};
use crate::rules::{self, unused_allow};
use crate::vocab::{AsyncRuntime, ItemLines};

/// What every suppression comment starts with (after `//`).
pub const PREFIX: &str = "stallcheck:";

/// Filters one file's findings through its allow comments.
pub fn apply(
    source: &str,
    path: &str,
    items: &[ItemLines],
    findings: Vec<Finding>,
) -> Vec<Finding> {
    if !source.contains(PREFIX) {
        return findings;
    }
    let lines: Vec<&str> = source.lines().collect();
    let comments = scan(source, &lines);
    if comments.is_empty() {
        return findings;
    }
    let first_item = items.iter().map(|item| item.first).min();
    let mut allows = Vec::new();
    let mut problems = Vec::new();
    for comment in comments {
        place(
            comment,
            &lines,
            items,
            first_item,
            &mut allows,
            &mut problems,
        );
    }
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings {
        let mut covered = false;
        for allow in allows.iter_mut().filter(|allow| allow.covers(&finding)) {
            allow.used = true;
            covered = true;
        }
        if !covered {
            kept.push(finding);
        }
    }
    for allow in allows.iter().filter(|allow| !allow.used && allow.analysed) {
        problems.push(Problem {
            at: allow.at,
            message: (unused_allow::RULE.message)(allow.rule, ""),
            help: (unused_allow::RULE.help)(AsyncRuntime::Unknown, allow.rule),
            callee: allow.rule.to_string(),
        });
    }
    kept.extend(
        problems
            .into_iter()
            .map(|problem| problem.into_finding(path)),
    );
    kept
}

/// A `// stallcheck:` comment as written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Comment {
    at: Span,
    /// Nothing but whitespace before the `//`.
    own_line: bool,
    directive: Directive,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Directive {
    Allow(Vec<String>),
    AllowFile(Vec<String>),
    /// The comment's text after `//`, trimmed.
    Malformed(String),
}

/// One rule id of one comment, and the lines it covers.
struct Allow {
    rule: &'static str,
    at: Span,
    /// Inclusive line ranges.
    ranges: Vec<(usize, usize)>,
    analysed: bool,
    used: bool,
}

impl Allow {
    fn covers(&self, finding: &Finding) -> bool {
        finding.rule == self.rule
            && self
                .ranges
                .iter()
                .any(|(first, last)| (*first..=*last).contains(&finding.span.line))
    }
}

/// An `unused-allow` finding to be.
struct Problem {
    at: Span,
    message: String,
    help: String,
    callee: String,
}

impl Problem {
    fn into_finding(self, path: &str) -> Finding {
        Finding {
            rule: unused_allow::RULE.id,
            severity: unused_allow::RULE.default_severity,
            path: path.to_string(),
            span: self.at,
            message: self.message,
            help: self.help,
            function: None,
            notes: Vec::new(),
            labels: Vec::new(),
            confidence: Confidence::Resolved,
            callee: self.callee,
            chain: Vec::new(),
            fix: None,
        }
    }
}

/// Turns one comment into allows (one per known rule id) or problems.
fn place(
    comment: Comment,
    lines: &[&str],
    items: &[ItemLines],
    first_item: Option<usize>,
    allows: &mut Vec<Allow>,
    problems: &mut Vec<Problem>,
) {
    let line = comment.at.line;
    // Skipped test code reports nothing, its comments included.
    let analysed = !items
        .iter()
        .any(|item| !item.analysed && (item.first..=item.last).contains(&line));
    let mut report = |problem: Problem| {
        if analysed {
            problems.push(problem);
        }
    };
    let problem = |message: String, help: String, callee: &str| Problem {
        at: comment.at,
        message,
        help,
        callee: callee.to_string(),
    };
    let (ids, ranges) = match comment.directive {
        Directive::Malformed(text) => {
            report(problem(
                unused_allow::malformed_message(&text),
                unused_allow::malformed_help(),
                "",
            ));
            return;
        }
        Directive::AllowFile(ids) => {
            if first_item.is_some_and(|first| first <= line) {
                for id in &ids {
                    report(problem(
                        unused_allow::misplaced_file_allow_message(id),
                        unused_allow::misplaced_file_allow_help(),
                        id,
                    ));
                }
                return;
            }
            (ids, vec![(1, usize::MAX)])
        }
        Directive::Allow(ids) => {
            let mut ranges = vec![(line, line + 1)];
            if comment.own_line
                && let Some(item) = item_below(line, lines, items)
            {
                ranges.push((item.first, item.last));
            }
            (ids, ranges)
        }
    };
    for id in ids {
        if id == unused_allow::RULE.id {
            report(problem(
                unused_allow::self_allow_message(),
                unused_allow::self_allow_help(),
                &id,
            ));
            continue;
        }
        let Some(rule) = rules::find(&id) else {
            report(problem(
                unused_allow::unknown_rule_message(&id),
                unused_allow::unknown_rule_help(),
                &id,
            ));
            continue;
        };
        allows.push(Allow {
            rule: rule.id,
            at: comment.at,
            ranges: ranges.clone(),
            analysed,
            used: false,
        });
    }
}

/// The outermost item that starts on the first line after `line` that is
/// not a comment line.
fn item_below(line: usize, lines: &[&str], items: &[ItemLines]) -> Option<ItemLines> {
    // `line` is 1-based, so `lines[line..]` starts on the line below.
    let offset = lines
        .get(line..)?
        .iter()
        .position(|text| !text.trim_start().starts_with("//"))?;
    let start = line + offset + 1;
    items
        .iter()
        .filter(|item| item.first == start)
        .max_by_key(|item| item.last)
        .copied()
}

/// Every `// stallcheck:` comment of the file, in order.
fn scan(source: &str, lines: &[&str]) -> Vec<Comment> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    line_comment_offsets(source)
        .into_iter()
        .filter_map(|offset| {
            // The line holding `offset`: the last line that starts at or before it.
            let index = line_starts.partition_point(|start| *start <= offset) - 1;
            let text = lines.get(index)?;
            comment_on(index + 1, text, offset - line_starts[index])
        })
        .collect()
}

/// The comment starting at byte `start` of line `line` (1-based), if it is
/// a `// stallcheck:` comment.
fn comment_on(line: usize, text: &str, start: usize) -> Option<Comment> {
    let body = text.get(start + 2..)?;
    // Doc comments (`///`, `//!`) document code; they may show an allow as an example.
    if body.starts_with('/') || body.starts_with('!') {
        return None;
    }
    let directive = body.trim_start().strip_prefix(PREFIX)?;
    let column = text[..start].chars().count() + 1;
    Some(Comment {
        at: Span {
            line,
            column,
            end_line: line,
            end_column: text.trim_end().chars().count() + 1,
        },
        own_line: text[..start].trim().is_empty(),
        directive: parse_directive(directive.trim()),
    })
}

/// Byte offsets of every `//` comment, found by a small lexer that skips
/// string, raw string, byte and character literals and (nested) block
/// comments, so that a `//` inside a literal is not a comment.
fn line_comment_offsets(source: &str) -> Vec<usize> {
    let bytes = source.as_bytes();
    let mut offsets = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        index = match bytes[index] {
            b'/' if bytes.get(index + 1) == Some(&b'/') => {
                offsets.push(index);
                end_of_line(bytes, index)
            }
            b'/' if bytes.get(index + 1) == Some(&b'*') => end_of_block_comment(bytes, index),
            b'"' => end_of_string(bytes, index + 1),
            b'\'' => end_of_char_or_lifetime(source, index),
            byte if is_ident_byte(byte) => end_of_ident_or_raw_string(bytes, index),
            _ => index + 1,
        };
    }
    offsets
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii()
}

fn end_of_line(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|byte| *byte == b'\n')
        .map_or(bytes.len(), |at| from + at + 1)
}

/// Past the `*/` closing the block comment opened at `from` (they nest).
pub(crate) fn end_of_block_comment(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut index = from;
    while index + 1 < bytes.len() {
        match (bytes[index], bytes[index + 1]) {
            (b'/', b'*') => {
                depth += 1;
                index += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                index += 2;
                if depth == 0 {
                    return index;
                }
            }
            _ => index += 1,
        }
    }
    bytes.len()
}

/// Past the `"` closing a string whose contents start at `from`.
fn end_of_string(bytes: &[u8], from: usize) -> usize {
    let mut index = from;
    while index < bytes.len() {
        match bytes[index] {
            b'\\' => index += 2,
            b'"' => return index + 1,
            _ => index += 1,
        }
    }
    bytes.len()
}

/// Past a character literal (`'a'`, `'\''`, `'"'`) or a lifetime's quote.
fn end_of_char_or_lifetime(source: &str, from: usize) -> usize {
    let bytes = source.as_bytes();
    if bytes.get(from + 1) == Some(&b'\\') {
        // An escape: the literal ends at the first `'` after the escaped character.
        return bytes[from + 3.min(bytes.len() - from)..]
            .iter()
            .position(|byte| *byte == b'\'')
            .map_or(bytes.len(), |at| from + 3 + at + 1);
    }
    let Some(next) = source.get(from + 1..).and_then(|rest| rest.chars().next()) else {
        return bytes.len();
    };
    let after = from + 1 + next.len_utf8();
    if bytes.get(after) == Some(&b'\'') {
        after + 1
    } else {
        // A lifetime or label: the identifier is ordinary code.
        from + 1
    }
}

/// Past an identifier, or past the raw string it opens (`r"..."`,
/// `br#"..."#`, `cr"..."`); `r#ident` is a raw identifier.
fn end_of_ident_or_raw_string(bytes: &[u8], from: usize) -> usize {
    let end = from
        + bytes[from..]
            .iter()
            .position(|byte| !is_ident_byte(*byte))
            .unwrap_or(bytes.len() - from);
    if !matches!(&bytes[from..end], b"r" | b"br" | b"cr") {
        return end;
    }
    let hashes = bytes[end..]
        .iter()
        .take_while(|byte| **byte == b'#')
        .count();
    let quote = end + hashes;
    if bytes.get(quote) != Some(&b'"') {
        return end;
    }
    let mut index = quote + 1;
    while index < bytes.len() {
        if bytes[index] == b'"'
            && bytes[index + 1..]
                .iter()
                .take(hashes)
                .filter(|byte| **byte == b'#')
                .count()
                == hashes
        {
            return index + 1 + hashes;
        }
        index += 1;
    }
    bytes.len()
}

/// `allow(a, b) reason` / `allow-file(a)`; anything else is malformed.
fn parse_directive(text: &str) -> Directive {
    let malformed = || Directive::Malformed(format!("{PREFIX} {text}"));
    let (wrap, rest): (fn(Vec<String>) -> Directive, &str) =
        if let Some(rest) = text.strip_prefix("allow-file") {
            (Directive::AllowFile, rest)
        } else if let Some(rest) = text.strip_prefix("allow") {
            (Directive::Allow, rest)
        } else {
            return malformed();
        };
    let Some(inside) = rest
        .trim_start()
        .strip_prefix('(')
        .and_then(|rest| rest.split_once(')'))
        .map(|(inside, _reason)| inside)
    else {
        return malformed();
    };
    let ids: Vec<String> = inside
        .split(',')
        .map(|id| id.trim().to_string())
        .filter(|id| !id.is_empty())
        .collect();
    if ids.is_empty() {
        return malformed();
    }
    wrap(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comments(source: &str) -> Vec<Comment> {
        let lines: Vec<&str> = source.lines().collect();
        scan(source, &lines)
    }

    fn directive(source: &str) -> Option<Directive> {
        let [comment] = comments(source).try_into().ok()?;
        Some(comment.directive)
    }

    #[test]
    fn allow_lists_rule_ids_and_ignores_the_reason() {
        assert_eq!(
            directive("    // stallcheck: allow(blocking-fs, blocking-sleep) read once (at start)"),
            Some(Directive::Allow(vec![
                "blocking-fs".to_string(),
                "blocking-sleep".to_string()
            ]))
        );
        assert_eq!(
            directive("//stallcheck:allow-file(blocking-io)"),
            Some(Directive::AllowFile(vec!["blocking-io".to_string()]))
        );
    }

    #[test]
    fn a_trailing_comment_is_found_after_code_and_literals() {
        let source =
            "fn f() {}\nlet x = f(\"a // b\", '\"', '\\'', b'/'); // stallcheck: allow(x)\n";
        let [comment] = comments(source).try_into().expect("one comment");
        assert!(!comment.own_line);
        assert_eq!((comment.at.line, comment.at.column), (2, 39));
        assert_eq!(comment.directive, Directive::Allow(vec!["x".to_string()]));
    }

    #[test]
    fn comments_inside_literals_and_block_comments_are_not_allows() {
        for source in [
            "let s = \"\n// stallcheck: allow(x)\n\";",
            "let s = r#\"\n// stallcheck: allow(x)\n\"#;",
            "let s = br\"// stallcheck: allow(x)\";",
            "/* outer /* inner */\n// stallcheck: allow(x)\n*/",
            "let s = \"\\\"\n// stallcheck: allow(x)\n\";",
        ] {
            assert_eq!(comments(source), [], "{source}");
        }
    }

    #[test]
    fn lifetimes_and_raw_identifiers_are_code() {
        for source in [
            "fn f<'a>(x: &'a str) {} // stallcheck: allow(x)",
            "let r#type = 1; // stallcheck: allow(x)",
            "let c = '\\u{1F600}'; // stallcheck: allow(x)",
        ] {
            assert_eq!(
                directive(source),
                Some(Directive::Allow(vec!["x".to_string()])),
                "{source}"
            );
        }
    }

    #[test]
    fn doc_comments_and_other_comments_are_not_allows() {
        assert_eq!(directive("/// // stallcheck: allow(blocking-fs)"), None);
        assert_eq!(directive("//! stallcheck: allow(blocking-fs)"), None);
        assert_eq!(directive("// see stallcheck: allow(blocking-fs)"), None);
    }

    #[test]
    fn a_stallcheck_comment_that_is_not_an_allow_is_malformed() {
        for text in [
            "// stallcheck: alow(blocking-fs)",
            "// stallcheck: allow blocking-fs",
            "// stallcheck: allow()",
        ] {
            assert!(
                matches!(directive(text), Some(Directive::Malformed(_))),
                "{text}"
            );
        }
    }
}
