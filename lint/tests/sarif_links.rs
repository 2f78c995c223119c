//! SARIF that code scanning fully uses, from a real run: the tool's
//! `informationUri` is the workspace manifest's `repository`, each rule's
//! `helpUri` is the generated page of that rule in this repository, and a
//! log with `fixes` still validates against the SARIF 2.1.0 schema.

use std::path::Path;

mod support;

use support::{json, run_binary, tree};

/// A crate with one fixable finding (`std::fs::read` in async code, tokio
/// with `fs`) and one that is not (`std::fs::read_dir`).
fn fixable_crate() -> tempfile::TempDir {
    let manifest = "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                    [dependencies]\ntokio = { version = \"1\", features = [\"fs\"] }\n";
    let lib = "pub async fn load() -> usize {\n    \
               let bytes = std::fs::read(\"a\").unwrap();\n    \
               let _ = std::fs::read_dir(\".\");\n    \
               bytes.len()\n}\n";
    tree(&[("Cargo.toml", manifest), ("src/lib.rs", lib)])
}

fn sarif_of(dir: &Path) -> serde_json::Value {
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["--format", "sarif"],
        Some(dir),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    json(&run)
}

#[test]
fn a_log_with_fixes_validates_against_the_schema() {
    let dir = fixable_crate();
    let log = sarif_of(dir.path());
    let results = log["runs"][0]["results"].as_array().expect("results");
    let with_fixes = results
        .iter()
        .filter(|result| result["fixes"][0]["artifactChanges"][0]["replacements"].is_array())
        .count();
    assert_eq!((results.len(), with_fixes), (2, 1), "{log}");
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))
            .expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn information_and_help_links_point_into_the_repository() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(workspace.join("Cargo.toml")).expect("Cargo.toml");
    let repository = manifest
        .lines()
        .find_map(|line| line.strip_prefix("repository = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("the workspace manifest sets `repository`");
    assert!(
        repository.starts_with("https://github.com/"),
        "{repository}"
    );

    let dir = fixable_crate();
    let log = sarif_of(dir.path());
    let driver = &log["runs"][0]["tool"]["driver"];
    assert_eq!(driver["informationUri"], repository);
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), stallcheck_lint::rules::ALL.len());
    for rule in rules {
        let id = rule["id"].as_str().expect("id");
        let page = format!("docs/rules/{id}.md");
        assert_eq!(
            rule["helpUri"],
            format!("{repository}/blob/main/{page}"),
            "{id}"
        );
        // The page exists here; `cargo xtask docs --check` (and a test of
        // xtask) hold it to the rule's documentation.
        assert!(workspace.join(&page).is_file(), "{page} is missing");
    }
}
