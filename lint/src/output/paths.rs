//! Which directory the shown paths are relative to.
//!
//! The analysis names files relative to the analysed root (a package's
//! directory when one package is linted); `--exclude`, baselines and
//! `--fix --diff` keep that. What is printed for people and editors
//! follows cargo instead: `cargo clippy` names a member's file relative to
//! the workspace root wherever it is run from (`member/src/lib.rs:1:50`
//! from `member/src/`, and from elsewhere with `--manifest-path`), because
//! cargo runs rustc in the workspace root; rust-analyzer resolves the
//! `file_name` of cargo's JSON messages against the workspace root too.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Format;
use crate::driver::{Report, relative_path};

/// `report` with its paths as `format` shows them (`cwd` is the current
/// directory, canonical, if known):
/// - human, short and cargo JSON: relative to the workspace root for a
///   target with a manifest, as cargo's; without one, relative to the
///   current directory when the files are under it (as rustc names the
///   files it is given); cargo JSON makes any other path absolute, since
///   its reader cannot know the analysed root;
/// - GitHub annotations: relative to the current directory (the
///   repository root a workflow runs in), when the root is under it;
/// - stallcheck's JSON and SARIF: unchanged (both name the root).
pub fn for_display(report: Report, format: Format, cwd: Option<&Path>) -> Report {
    let base = match format {
        Format::Json | Format::Sarif => return report,
        Format::Github => cwd.map(Path::to_path_buf),
        Format::Human | Format::Short | Format::CargoJson(_) => {
            report.workspace_root.clone().or(cwd.map(Path::to_path_buf))
        }
    };
    let under_base = base.filter(|base| report.root.starts_with(base));
    match (under_base, format) {
        (Some(base), _) => {
            let prefix = relative_path(&base, &report.root);
            reroot(report, base, &prefix)
        }
        (None, Format::CargoJson(_)) => {
            let prefix = report.root.display().to_string();
            reroot(report, PathBuf::from("/"), prefix.trim_end_matches('/'))
        }
        (None, _) => report,
    }
}

/// Makes `report` relative to `new_root`: each path gets `prefix/` in
/// front, in findings, chain steps, input errors, the file list, the
/// origins and the call-chain notes (`` `f` (src/a.rs:3) calls ``).
fn reroot(mut report: Report, new_root: PathBuf, prefix: &str) -> Report {
    report.root = new_root;
    if prefix.is_empty() {
        return report;
    }
    let known: HashSet<String> = report.paths.iter().cloned().collect();
    let join = |path: &str| format!("{prefix}/{path}");
    for finding in &mut report.findings {
        finding.path = join(&finding.path);
        for step in &mut finding.chain {
            step.path = join(&step.path);
        }
        for note in &mut finding.notes {
            *note = prefix_paths_in_note(note, &known, prefix);
        }
    }
    for error in &mut report.errors {
        error.path = join(&error.path);
    }
    for path in &mut report.paths {
        *path = join(path);
    }
    report.origins = std::mem::take(&mut report.origins)
        .into_iter()
        .map(|(path, origin)| (join(&path), origin))
        .collect();
    report
}

/// Call-chain notes name places as `(PATH:LINE)`: each such known path
/// gets the prefix; any other text stays as it is.
fn prefix_paths_in_note(note: &str, known: &HashSet<String>, prefix: &str) -> String {
    let mut out = String::with_capacity(note.len());
    let mut rest = note;
    while let Some(open) = rest.find('(') {
        out.push_str(&rest[..=open]);
        rest = &rest[open + 1..];
        if let Some(colon) = rest.find(':')
            && known.contains(&rest[..colon])
        {
            out.push_str(prefix);
            out.push('/');
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_paths_in_parentheses_get_the_prefix() {
        let known: HashSet<String> = ["src/a.rs".to_string()].into();
        assert_eq!(
            prefix_paths_in_note(
                "`load` (src/a.rs:3) calls `read` (see (other:1) and (src/a.rs))",
                &known,
                "crates/app"
            ),
            "`load` (crates/app/src/a.rs:3) calls `read` (see (other:1) and (src/a.rs))"
        );
    }
}
