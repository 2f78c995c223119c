//! Baselines: adopting the linter on a codebase that already has findings.
//!
//! `--write-baseline FILE` records today's findings by fingerprint;
//! `--baseline FILE` then reports only findings whose fingerprint is not
//! recorded. A fingerprint hashes the rule, the path, the enclosing function,
//! the resolved callee and the occurrence index of that combination — never
//! a line or column — so inserting lines above a known finding keeps it
//! known, while a third identical call where the baseline recorded two is new.
//!
//! The same fingerprint is SARIF's `partialFingerprints` value: this module
//! is its only definition.
//!
//! File format (version 1), sorted so that rewriting an unchanged baseline
//! gives the same bytes:
//! `{"version":1,"fingerprints":[{"fingerprint":..,"rule":..,"path":..,"function":..,"callee":..}]}`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;

/// Bumped if the file layout or the fingerprint input changes.
pub const VERSION: u32 = 1;

/// The line-independent identity of a finding (FNV-1a 64, stable across
/// platforms and releases, unlike `std`'s hasher). `occurrence` numbers the
/// findings sharing rule, path, function and callee, in report order.
pub fn fingerprint(finding: &Finding, occurrence: usize) -> String {
    let function = finding.function.as_deref().unwrap_or("");
    let input = format!(
        "{}\0{}\0{}\0{}\0{}",
        finding.rule, finding.path, function, finding.callee, occurrence
    );
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in input.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The fingerprint of every finding, in order, with occurrence indices
/// counted over `findings` (which must be in report order: path, then line).
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    let mut occurrences: HashMap<(&str, &str, Option<&str>, &str), usize> = HashMap::new();
    findings
        .iter()
        .map(|finding| {
            let key = (
                finding.rule,
                finding.path.as_str(),
                finding.function.as_deref(),
                finding.callee.as_str(),
            );
            let index = occurrences.entry(key).or_insert(0);
            let fingerprint = fingerprint(finding, *index);
            *index += 1;
            fingerprint
        })
        .collect()
}

/// One recorded finding. Only `fingerprint` is matched; the other fields let
/// a reviewer read the file and see what was accepted.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    pub function: Option<String>,
    pub callee: String,
}

/// A baseline file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub fingerprints: Vec<Entry>,
}

/// What applying a baseline left.
#[derive(Debug)]
pub struct Filtered {
    /// The findings the baseline does not know, in their original order.
    pub new: Vec<Finding>,
    /// How many findings the baseline hid.
    pub hidden: usize,
}

impl Baseline {
    /// Records `findings` (in report order), sorted by path, function, rule.
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .iter()
            .zip(fingerprints(findings))
            .map(|(finding, fingerprint)| Entry {
                fingerprint,
                rule: finding.rule.to_string(),
                path: finding.path.clone(),
                function: finding.function.clone(),
                callee: finding.callee.clone(),
            })
            .collect();
        entries.sort_by(|a, b| {
            (&a.path, &a.function, &a.rule, &a.callee, &a.fingerprint).cmp(&(
                &b.path,
                &b.function,
                &b.rule,
                &b.callee,
                &b.fingerprint,
            ))
        });
        Baseline {
            version: VERSION,
            fingerprints: entries,
        }
    }

    /// Parses a baseline; the error is one line naming what is wrong.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let baseline: Baseline = serde_json::from_str(text)
            .map_err(|err| format!("not a stallcheck baseline: {err}"))?;
        if baseline.version != VERSION {
            return Err(format!(
                "baseline version {} is not supported (expected {VERSION}); rewrite it with --write-baseline",
                baseline.version
            ));
        }
        Ok(baseline)
    }

    /// Reads and parses `path`; the error is one line naming the file.
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| format!("cannot read baseline `{}`: {err}", path.display()))?;
        Baseline::parse(&text).map_err(|err| format!("baseline `{}`: {err}", path.display()))
    }

    /// The file's text: pretty JSON, one entry per few lines, so that a
    /// baseline under version control diffs readably.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .expect("a baseline is plain strings and numbers, always serialisable");
        text.push('\n');
        text
    }

    /// Writes the baseline to `path` atomically: a temporary file in the same
    /// directory, then a rename, so an interrupted run never leaves half a
    /// baseline that would make every finding look new.
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let fail =
            |err: std::io::Error| format!("cannot write baseline `{}`: {err}", path.display());
        let temporary = temporary_path(path);
        std::fs::write(&temporary, self.to_text()).map_err(fail)?;
        std::fs::rename(&temporary, path).map_err(|err| {
            let _ = std::fs::remove_file(&temporary);
            fail(err)
        })
    }

    /// Splits `findings` (in report order) into those the baseline does not
    /// know and a count of those it hides. A fingerprint recorded twice hides
    /// two findings, never a third.
    pub fn filter(&self, findings: Vec<Finding>) -> Filtered {
        let known: HashSet<&str> = self
            .fingerprints
            .iter()
            .map(|entry| entry.fingerprint.as_str())
            .collect();
        let prints = fingerprints(&findings);
        let total = findings.len();
        let new: Vec<Finding> = findings
            .into_iter()
            .zip(prints)
            .filter(|(_, fingerprint)| !known.contains(fingerprint.as_str()))
            .map(|(finding, _)| finding)
            .collect();
        Filtered {
            hidden: total - new.len(),
            new,
        }
    }
}

/// `dir/.name.<pid>.tmp`: same directory as the target (a rename across
/// file systems is not atomic), hidden, unique per process.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "baseline".to_string());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Confidence, Severity, Span};

    fn finding(function: &str, line: usize) -> Finding {
        Finding {
            rule: "blocking-sleep",
            severity: Severity::Warning,
            path: "src/lib.rs".to_string(),
            span: Span {
                line,
                column: 5,
                end_line: line,
                end_column: 20,
            },
            message: "blocking call".to_string(),
            help: String::new(),
            function: Some(function.to_string()),
            notes: Vec::new(),
            labels: Vec::new(),
            confidence: Confidence::Resolved,
            callee: "std::thread::sleep".to_string(),
            chain: Vec::new(),
            fix: None,
        }
    }

    #[test]
    fn fingerprint_ignores_lines_and_columns() {
        assert_eq!(
            fingerprints(&[finding("nap", 3)]),
            fingerprints(&[finding("nap", 40)])
        );
    }

    #[test]
    fn fingerprint_distinguishes_function_and_occurrence() {
        let prints = fingerprints(&[finding("nap", 3), finding("nap", 4), finding("doze", 9)]);
        let unique: HashSet<&String> = prints.iter().collect();
        assert_eq!(unique.len(), 3, "{prints:?}");
    }

    #[test]
    fn fingerprint_value_is_stable_across_releases() {
        // Changing this value breaks every stored baseline and every SARIF
        // alert GitHub tracks: bump VERSION and FINGERPRINT_KEY instead.
        // The value is FNV-1a 64 of "blocking-sleep\0src/lib.rs\0nap\0std::thread::sleep\00",
        // checked independently (Python).
        assert_eq!(fingerprint(&finding("nap", 3), 0), "cf96ff48fc7e7118");
    }

    #[test]
    fn a_third_identical_call_is_new_when_two_are_recorded() {
        let baseline = Baseline::from_findings(&[finding("nap", 3), finding("nap", 4)]);
        let today = vec![finding("nap", 13), finding("nap", 14), finding("nap", 15)];
        let filtered = baseline.filter(today);
        assert_eq!(filtered.hidden, 2);
        assert_eq!(filtered.new.len(), 1);
        assert_eq!(filtered.new[0].span.line, 15);
    }

    #[test]
    fn file_text_round_trips_and_is_sorted() {
        let baseline = Baseline::from_findings(&[finding("zzz", 3), finding("aaa", 9)]);
        assert_eq!(
            baseline.fingerprints[0].function.as_deref(),
            Some("aaa"),
            "sorted by function within a path"
        );
        assert_eq!(Baseline::parse(&baseline.to_text()), Ok(baseline));
    }

    #[test]
    fn corrupt_or_foreign_files_are_rejected() {
        assert!(Baseline::parse("{").is_err());
        assert!(Baseline::parse(r#"{"version":2,"fingerprints":[]}"#).is_err());
        assert!(Baseline::parse(r#"{"runs":[]}"#).is_err());
    }
}
