//! The fixtures crate is the linter's specification: every expected finding
//! is marked in `fixtures/src` by a trailing `//~ rule-id` comment on the
//! line where it starts (several ids, space-separated, for several findings
//! on one line). This test runs the analyzer on `fixtures/` through the
//! driver and asserts that its findings equal the markers exactly: a missing
//! finding and an unexpected one both fail, with the difference spelled out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use stallcheck_lint::driver::{self, Options};

mod markers;

use markers::{Findings, MARKER, add_markers, difference};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .canonicalize()
        .expect("the fixtures crate lives next to lint/")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("fixtures directory is readable") {
            let path = entry.expect("fixtures entry is readable").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|component| component.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The `//~` markers of every fixture file, keyed relative to `root`.
fn expected_findings(root: &Path) -> Findings {
    let mut expected = Findings::new();
    for file in rust_files(&fixtures_dir().join("src")) {
        let text = std::fs::read_to_string(&file).expect("fixture is UTF-8");
        add_markers(&mut expected, &relative(root, &file), &text);
    }
    expected
}

#[test]
fn findings_on_the_fixtures_equal_their_annotations() {
    // The fixtures crate's own `stallcheck.toml` is read, as for any target:
    // it names the crate's executor callbacks and offloading wrappers.
    let report = driver::run(&fixtures_dir(), &Options::default())
        .unwrap_or_else(|error| panic!("the driver failed on fixtures/: {}", error.0));
    assert!(
        report
            .config_source
            .as_deref()
            .is_some_and(|source| source.ends_with("stallcheck.toml")),
        "fixtures/stallcheck.toml must be read: {:?}",
        report.config_source
    );
    assert!(
        report.errors.is_empty(),
        "fixtures/ must analyse without input errors: {:#?}",
        report.errors
    );

    let expected = expected_findings(&report.root);
    let mut found = Findings::new();
    let mut messages = BTreeMap::new();
    for finding in &report.findings {
        let key = (
            finding.path.clone(),
            finding.span.line,
            finding.rule.to_string(),
        );
        *found.entry(key.clone()).or_default() += 1;
        messages.insert(key, finding.message.clone());
    }

    if found != expected {
        let missing = difference(&expected, &found);
        let mut unexpected = String::new();
        for line in difference(&found, &expected).lines() {
            let key_text = line.trim();
            let message = messages
                .iter()
                .find(|((path, line, rule), _)| format!("{path}:{line}: {rule}") == key_text)
                .map_or("", |(_, message)| message.as_str());
            writeln!(unexpected, "{line}  ({message})").unwrap();
        }
        panic!(
            "findings differ from the `//~` annotations in fixtures/src\n\
             missing (annotated, not found):\n{missing}\
             unexpected (found, not annotated):\n{unexpected}"
        );
    }
    assert!(
        expected.len() > 100,
        "the fixtures lost their annotations ({} left)",
        expected.len()
    );
}

#[test]
fn every_rule_has_a_fixture() {
    let expected = expected_findings(&fixtures_dir());
    for rule in stallcheck_lint::rules::ALL {
        assert!(
            expected.keys().any(|(_, _, id)| id == rule.id),
            "no fixture line is annotated `{MARKER} {}`",
            rule.id
        );
    }
    for (path, line, id) in expected.keys() {
        assert!(
            stallcheck_lint::rules::find(id).is_some(),
            "{path}:{line}: unknown rule `{id}` in an annotation"
        );
    }
}
