//! Every `[blocking]` entry of `lint/catalog.toml` is exercised by a fixture
//! line: a finding written directly in async code whose callee the entry
//! matches. The fixtures are `fixtures/src` (compiled by `cargo check -p
//! stallcheck-fixtures`) and `fixtures/uncompiled` (read by the linter, never
//! compiled: the crates it calls need C libraries or TLS stacks that would
//! cost CI minutes and disk; each call there is written against the crate's
//! real signature). `fixtures/uncompiled` is annotated like `fixtures/src`
//! (`//~ rule-id`) and checked the same way: annotations equal findings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use stallcheck_lint::catalog::Catalog;
use stallcheck_lint::driver::{self, Options, Report};

mod markers;

use markers::{Findings, add_markers, difference};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .canonicalize()
        .expect("the fixtures crate lives next to lint/")
}

fn catalog_fixtures_dir() -> PathBuf {
    fixtures_dir().join("uncompiled")
}

/// A copy of `fixtures/uncompiled` outside any package. Linted in place, the
/// directory would be the fixtures package (discovery goes up to the nearest
/// `Cargo.toml`, as cargo does), whose module tree does not reach it.
fn loose_catalog_fixtures() -> tempfile::TempDir {
    let copy = tempfile::tempdir().expect("a temporary directory");
    for entry in std::fs::read_dir(catalog_fixtures_dir()).expect("fixtures/uncompiled is readable")
    {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|ext| ext == "rs") {
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap()))
                .expect("copy a fixture");
        }
    }
    copy
}

fn run(dir: &Path) -> Report {
    let report = driver::run(dir, &Options::default())
        .unwrap_or_else(|error| panic!("the driver failed on {}: {}", dir.display(), error.0));
    assert!(
        report.errors.is_empty(),
        "{} must analyse without input errors: {:#?}",
        dir.display(),
        report.errors
    );
    report
}

/// The `//~` markers of the `.rs` files directly in `dir`, keyed by file name.
fn annotations(dir: &Path) -> Findings {
    let mut expected = Findings::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixtures/uncompiled is readable")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture is UTF-8");
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        add_markers(&mut expected, &name, &text);
    }
    expected
}

#[test]
fn uncompiled_catalog_fixtures_equal_their_annotations() {
    let copy = loose_catalog_fixtures();
    let report = run(copy.path());
    let expected = annotations(&catalog_fixtures_dir());
    let mut found = Findings::new();
    for finding in &report.findings {
        *found
            .entry((
                finding.path.clone(),
                finding.span.line,
                finding.rule.to_string(),
            ))
            .or_default() += 1;
    }
    assert!(
        found == expected,
        "findings differ from the `//~` annotations in fixtures/uncompiled\n\
         missing (annotated, not found):\n{}\
         unexpected (found, not annotated):\n{}",
        difference(&expected, &found),
        difference(&found, &expected)
    );
    assert!(
        expected.len() > 50,
        "fixtures/uncompiled lost its annotations"
    );
}

#[test]
fn every_catalog_entry_is_exercised_by_a_fixture() {
    let catalog = Catalog::builtin();
    let mut exercised = BTreeSet::new();
    let copy = loose_catalog_fixtures();
    for report in [run(&fixtures_dir()), run(copy.path())] {
        for finding in report.findings.iter().filter(|f| f.chain.is_empty()) {
            if let Some(entry) = catalog.entry_for(&finding.callee) {
                exercised.insert(entry);
            }
        }
    }
    let missing: Vec<String> = catalog
        .blocking_entries()
        .into_iter()
        .filter(|entry| !exercised.contains(entry))
        .collect();
    assert!(
        missing.is_empty(),
        "{} catalog entries have no fixture line (a finding of the entry, \
         written directly in async code, in fixtures/src or fixtures/uncompiled):\n    {}",
        missing.len(),
        missing.join("\n    ")
    );
}
