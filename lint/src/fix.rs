//! `--fix` and `--fix --diff`: applies the findings' [`Fix`]es to their files.
//!
//! A fix is a set of text edits found by the analysis (see the catalog's
//! `[fixes]`); this module only places them. Per file, fixes are taken in
//! report order and a fix whose edits overlap one already taken is left for
//! a later run (its finding stays reported). The fixed text must parse, or
//! the file is left untouched and an input error names it. Nothing is
//! written for `--diff`: the change is shown as a git-style unified diff.
//!
//! Fixes are safe or unsafe, as ruff has them (`fix_safety::classify`):
//! plain `--fix` applies the safe ones, `--unsafe-fixes` the others too.
//! Before anything is written the caller re-analyses the fixed text (the
//! driver reads it in place of the file) and `fix_safety::refuse_new_hazards`
//! drops a file whose rewrite would create a new hazard.
//!
//! CONTRACT: `plan(root, findings, unsafe_fixes) -> Plan` reads files
//! (relative to `root`) and writes nothing; `FileFix::write` and
//! `FileFix::diff` are the two ways to use its outcome.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Fix, FixSafety, InputError, Span};
use crate::input::io_reason;

/// The fixed text of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFix {
    /// Path relative to the analysed root, as in findings.
    pub path: String,
    /// Where the file is on disk.
    pub file: PathBuf,
    pub original: String,
    pub fixed: String,
    /// How many findings the fixed text fixes.
    pub fixes: usize,
}

/// What applying a report's fixes gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Files whose text changes, by path.
    pub files: Vec<FileFix>,
    /// Files left untouched: unreadable, or their fixed text does not parse.
    pub errors: Vec<InputError>,
}

impl Plan {
    /// How many findings the plan fixes.
    pub fn fixes(&self) -> usize {
        self.files.iter().map(|file| file.fixes).sum()
    }
}

/// Reads each file that has findings with a fix and computes its fixed
/// text; unsafe fixes only when `unsafe_fixes`.
pub fn plan(root: &Path, findings: &[Finding], unsafe_fixes: bool) -> Plan {
    let mut by_path: BTreeMap<&str, Vec<&Fix>> = BTreeMap::new();
    for finding in findings {
        if let Some(fix) = &finding.fix
            && (unsafe_fixes || fix.safety == FixSafety::Safe)
        {
            by_path.entry(&finding.path).or_default().push(fix);
        }
    }
    let mut plan = Plan::default();
    for (path, fixes) in by_path {
        let file = root.join(path);
        let error = |message: String| InputError {
            path: path.to_string(),
            span: None,
            message,
        };
        let original = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(err) => {
                plan.errors.push(error(format!(
                    "not fixed: cannot read file: {}",
                    io_reason(&err)
                )));
                continue;
            }
        };
        match fix_text(&original, &fixes) {
            Ok((fixed, count)) if count > 0 => plan.files.push(FileFix {
                path: path.to_string(),
                file,
                original,
                fixed,
                fixes: count,
            }),
            Ok(_) => {}
            Err(message) => plan.errors.push(error(format!("not fixed: {message}"))),
        }
    }
    plan
}

impl FileFix {
    /// Writes the fixed text in place (keeping the file's permissions).
    pub fn write(&self) -> Result<(), InputError> {
        std::fs::write(&self.file, &self.fixed).map_err(|err| InputError {
            path: self.path.clone(),
            span: None,
            message: format!("not fixed: cannot write file: {}", io_reason(&err)),
        })
    }

    /// The change as a unified diff with git's `a/PATH` `b/PATH` headers.
    pub fn diff(&self) -> String {
        similar::TextDiff::from_lines(&self.original, &self.fixed)
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", self.path), &format!("b/{}", self.path))
            .to_string()
    }
}

/// Applies every fix that does not overlap an earlier one; returns the text
/// and how many fixes it holds. Errors when a span does not fit the text
/// (the file changed since it was analysed) or the result does not parse.
fn fix_text(source: &str, fixes: &[&Fix]) -> Result<(String, usize), String> {
    let mut taken: Vec<(Range<usize>, &str)> = Vec::new();
    let mut count = 0;
    for fix in fixes {
        let edits = fix
            .edits
            .iter()
            .map(|edit| Ok((byte_range(source, edit.span)?, edit.replacement.as_str())))
            .collect::<Result<Vec<_>, String>>()?;
        let clashes = edits
            .iter()
            .any(|(range, _)| taken.iter().any(|(other, _)| overlaps(range, other)));
        if !clashes {
            taken.extend(edits);
            count += 1;
        }
    }
    let fixed = apply(source, &mut taken);
    if let Err(err) = syn::parse_file(&fixed) {
        let at = err.span().start();
        return Err(format!(
            "the fixed file would not parse ({err} at {}:{}); left unchanged",
            at.line,
            at.column + 1
        ));
    }
    Ok((fixed, count))
}

/// Applies non-overlapping edits, given as byte ranges of `source`.
fn apply(source: &str, edits: &mut [(Range<usize>, &str)]) -> String {
    edits.sort_by_key(|(range, _)| (range.start, range.end));
    let mut out = String::with_capacity(source.len() + 64);
    let mut at = 0;
    for (range, replacement) in edits.iter() {
        out.push_str(&source[at..range.start]);
        out.push_str(replacement);
        at = range.end;
    }
    out.push_str(&source[at..]);
    out
}

/// Two edits clash when they share text, or insert at the same place (their
/// order would be a guess). Touching ends are fine.
fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    (a.start < b.end && b.start < a.end) || (a.is_empty() && b.is_empty() && a.start == b.start)
}

/// The byte range of a span (1-based lines, 1-based character columns).
/// syn skips a leading byte-order mark, so its columns on line 1 do too.
fn byte_range(source: &str, span: Span) -> Result<Range<usize>, String> {
    let bom = if source.starts_with('\u{feff}') { 3 } else { 0 };
    let text = &source[bom..];
    let start = byte_offset(text, span.line, span.column);
    let end = byte_offset(text, span.end_line, span.end_column);
    match (start, end) {
        (Some(start), Some(end)) if start <= end => Ok(start + bom..end + bom),
        _ => Err(format!(
            "the file changed since it was analysed (no text at {}:{}); left unchanged",
            span.line, span.column
        )),
    }
}

fn byte_offset(text: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = if line == 1 {
        0
    } else {
        text.match_indices('\n').nth(line.checked_sub(2)?)?.0 + 1
    };
    let line_text = &text[line_start..];
    let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
    let chars = column.checked_sub(1)?;
    let within = match line_text.char_indices().nth(chars) {
        Some((at, _)) => at,
        // One past the last character: the end of the line.
        None if line_text.chars().count() == chars => line_text.len(),
        None => return None,
    };
    Some(line_start + within)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Edit;

    fn span(line: usize, column: usize, end_line: usize, end_column: usize) -> Span {
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }

    fn edit(span: Span, replacement: &str) -> Edit {
        Edit {
            span,
            replacement: replacement.to_string(),
        }
    }

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix {
            description: String::new(),
            edits,
            safety: FixSafety::Safe,
        }
    }

    /// `std::thread::sleep(d)` at `line`, starting at character `column`.
    fn sleep_fix(line: usize, column: usize) -> Fix {
        let path_end = column + "std::thread::sleep".chars().count();
        let close = path_end + "(d)".len();
        fix(vec![
            edit(span(line, column, line, path_end), "tokio::time::sleep"),
            edit(span(line, close, line, close), ".await"),
        ])
    }

    fn fixed(source: &str, fixes: &[Fix]) -> (String, usize) {
        let fixes: Vec<&Fix> = fixes.iter().collect();
        fix_text(source, &fixes).unwrap()
    }

    #[test]
    fn a_call_becomes_an_awaited_call() {
        let source = "async fn f(d: u64) {\n    std::thread::sleep(d);\n}\n";
        assert_eq!(
            fixed(source, &[sleep_fix(2, 5)]),
            (
                "async fn f(d: u64) {\n    tokio::time::sleep(d).await;\n}\n".to_string(),
                1
            )
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` and `→` are 2 and 3 bytes but one column each.
        let source = "async fn f(d: u64) {\n    let é = \"→\"; std::thread::sleep(d);\n}\n";
        let column = "    let é = \"→\"; ".chars().count() + 1;
        assert_eq!(
            fixed(source, &[sleep_fix(2, column)]).0,
            "async fn f(d: u64) {\n    let é = \"→\"; tokio::time::sleep(d).await;\n}\n"
        );
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_line_one() {
        let source = "\u{feff}async fn f(d: u64) { std::thread::sleep(d); }\n";
        let column = "async fn f(d: u64) { ".len() + 1;
        assert_eq!(
            fixed(source, &[sleep_fix(1, column)]).0,
            "\u{feff}async fn f(d: u64) { tokio::time::sleep(d).await; }\n"
        );
    }

    #[test]
    fn fixes_on_one_line_use_the_original_columns() {
        let source =
            "async fn f(d: u64) {\n    (std::thread::sleep(d), std::thread::sleep(d));\n}\n";
        let second = "    (std::thread::sleep(d), ".len() + 1;
        assert_eq!(
            fixed(source, &[sleep_fix(2, 6), sleep_fix(2, second)]),
            (
                "async fn f(d: u64) {\n    (tokio::time::sleep(d).await, tokio::time::sleep(d).await);\n}\n"
                    .to_string(),
                2
            )
        );
    }

    #[test]
    fn adjacent_edits_both_apply() {
        // An insertion right where a replacement starts, and one right where
        // it ends.
        let source = "fn f() { ab(); }\n";
        let fixes = [
            fix(vec![edit(span(1, 10, 1, 11), "x")]),
            fix(vec![edit(span(1, 11, 1, 11), "y")]),
            fix(vec![edit(span(1, 10, 1, 10), "z")]),
        ];
        assert_eq!(
            fixed(source, &fixes),
            ("fn f() { zxyb(); }\n".to_string(), 3)
        );
    }

    #[test]
    fn an_overlapping_fix_is_left_for_a_later_run() {
        let source = "fn f() { abc(); }\n";
        let fixes = [
            fix(vec![edit(span(1, 10, 1, 12), "x")]),
            // Overlaps the first: skipped whole, its other edit too.
            fix(vec![
                edit(span(1, 11, 1, 13), "y"),
                edit(span(1, 15, 1, 15), "w"),
            ]),
            // Inserts after the text the first replaces: fine.
            fix(vec![edit(span(1, 13, 1, 13), "z")]),
        ];
        assert_eq!(
            fixed(source, &fixes),
            ("fn f() { xcz(); }\n".to_string(), 2)
        );
        let inserts = [
            fix(vec![edit(span(1, 13, 1, 13), "a")]),
            fix(vec![edit(span(1, 13, 1, 13), "b")]),
        ];
        assert_eq!(
            fixed(source, &inserts),
            ("fn f() { abca(); }\n".to_string(), 1)
        );
    }

    #[test]
    fn a_result_that_does_not_parse_is_refused() {
        let source = "fn f() { a(); }\n";
        let broken = fix(vec![edit(span(1, 11, 1, 11), "(")]);
        let error = fix_text(source, &[&broken]).unwrap_err();
        assert!(error.contains("would not parse"), "{error}");
    }

    #[test]
    fn a_span_past_the_text_is_refused() {
        let source = "fn f() {}\n";
        for stale in [span(3, 1, 3, 2), span(1, 11, 1, 12), span(1, 5, 1, 2)] {
            let error = fix_text(source, &[&fix(vec![edit(stale, "x")])]).unwrap_err();
            assert!(error.contains("changed since"), "{error}");
        }
        // The end of a line, and of a file without a final newline, are text.
        assert_eq!(
            fixed("fn f() {}", &[fix(vec![edit(span(1, 10, 1, 10), " ")])]).0,
            "fn f() {} "
        );
    }

    #[test]
    fn the_diff_has_git_headers_and_hunks() {
        let file = FileFix {
            path: "src/lib.rs".to_string(),
            file: PathBuf::from("/x/src/lib.rs"),
            original: "a\nb\nc\n".to_string(),
            fixed: "a\nB\nc\n".to_string(),
            fixes: 1,
        };
        assert_eq!(
            file.diff(),
            "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }
}
