//! Adding a rule touches its file in `lint/src/rules/`, its line in
//! `rules::ALL`, its catalog entries and a fixture; nothing else. This spec
//! holds the "nothing else": outside `rules/`, the linter's non-test code
//! never spells a rule id (it names rules through `rules::ALL` and the
//! catalog), so no second list of ids can drift from the registry.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("lint/src is readable") {
        let path = entry.expect("entry is readable").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The file's text before its first `#[cfg(test)]` (tests may name ids).
fn non_test_code(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |end| &text[..end])
}

#[test]
fn no_source_file_outside_the_rules_lists_rule_ids() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules_dir = src.join("rules");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut offenders = Vec::new();
    for file in files {
        // Unit tests (`tests.rs`, or a `tests/` module beside it) may name ids.
        let is_test = file.file_name().is_some_and(|name| name == "tests.rs")
            || file.parent().is_some_and(|dir| dir.ends_with("tests"));
        if file.starts_with(&rules_dir) || is_test {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source is UTF-8");
        // Documentation may show an id in an example; code may not.
        let code: Vec<&str> = non_test_code(&text)
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect();
        for rule in stallcheck_lint::rules::ALL {
            let literal = format!("\"{}\"", rule.id);
            if code.iter().any(|line| line.contains(&literal)) {
                offenders.push(format!("{}: {literal}", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "rule ids spelled outside lint/src/rules (name them through `rules::ALL`):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_rule_that_propagates_has_catalog_entries() {
    // A propagating rule reaches callers only through catalogued calls.
    let catalog = include_str!("../catalog.toml");
    for rule in stallcheck_lint::rules::ALL
        .iter()
        .filter(|rule| rule.propagates)
    {
        assert!(
            catalog.contains(&format!("\"{}\"", rule.id)),
            "`{}` propagates but no catalog entry names it",
            rule.id
        );
    }
}
