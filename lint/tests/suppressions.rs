//! Suppression comments (`// stallcheck: allow(..)`, `allow-file(..)`) and
//! the `unused-allow` rule, through the driver: each spec lints one small
//! file and lists the findings as `line: rule`.

use stallcheck_lint::driver::{self, Options};

/// Lints `source` as the only file of a directory (with `config` as its
/// `stallcheck.toml`, if given) and returns its findings as `line: rule`.
fn lint(source: &str, config: Option<&str>, options: Options) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("lib.rs"), source).unwrap();
    if let Some(config) = config {
        std::fs::write(dir.path().join("stallcheck.toml"), config).unwrap();
    }
    let report = driver::run(dir.path(), &options)
        .unwrap_or_else(|error| panic!("the driver failed: {}", error.0));
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    report
        .findings
        .iter()
        .map(|finding| format!("{}: {}", finding.span.line, finding.rule))
        .collect()
}

fn check(source: &str, expected: &[&str]) {
    let options = Options {
        no_config: true,
        ..Options::default()
    };
    assert_eq!(lint(source, None, options), expected, "source:\n{source}");
}

#[test]
fn an_allow_on_the_line_or_the_line_above_silences_that_rule_only() {
    check(
        "\
async fn f(d: std::time::Duration) {
    std::thread::sleep(d); // stallcheck: allow(blocking-sleep) warm-up
    // stallcheck: allow(blocking-sleep)
    std::thread::sleep(d);
    // stallcheck: allow(blocking-fs)
    std::thread::sleep(d);
}
",
        &["5: unused-allow", "6: blocking-sleep"],
    );
}

#[test]
fn an_allow_above_an_item_covers_the_item_through_attributes_and_comments() {
    check(
        "\
// stallcheck: allow(blocking-sleep) the reason
// continues here
#[inline]
/// Docs.
async fn covered(d: std::time::Duration) {
    let x = 1;
    std::thread::sleep(d);
}

async fn not_covered(d: std::time::Duration) {
    std::thread::sleep(d);
}
",
        &["11: blocking-sleep"],
    );
}

#[test]
fn a_blank_line_separates_an_allow_from_the_item_below() {
    check(
        "\
// stallcheck: allow(blocking-sleep)

async fn f(d: std::time::Duration) {
    let x = 1;
    std::thread::sleep(d);
}
",
        &["1: unused-allow", "5: blocking-sleep"],
    );
}

#[test]
fn an_allow_above_an_impl_covers_its_methods() {
    check(
        "\
struct S;
// stallcheck: allow(blocking-sleep)
impl S {
    async fn a(&self) {
        std::thread::sleep(std::time::Duration::ZERO);
    }
}
",
        &[],
    );
}

#[test]
fn allow_file_before_the_first_item_covers_the_file() {
    check(
        "\
//! A module that blocks on purpose.
// stallcheck: allow-file(blocking-sleep)
#![allow(unused)]

async fn f(d: std::time::Duration) {
    std::thread::sleep(d);
}
",
        &[],
    );
}

#[test]
fn allow_file_after_the_first_item_is_reported() {
    check(
        "\
use std::time::Duration;
// stallcheck: allow-file(blocking-sleep)
async fn f(d: Duration) {
    std::thread::sleep(d);
}
",
        &["2: unused-allow", "4: blocking-sleep"],
    );
}

#[test]
fn unknown_ids_and_malformed_comments_are_reported() {
    check(
        "\
async fn f() {
    let a = 1; // stallcheck: allow(no-such-rule)
    let b = 2; // stallcheck: allow blocking-sleep
    let c = 3; // stallcheck: allow(unused-allow)
}
",
        &["2: unused-allow", "3: unused-allow", "4: unused-allow"],
    );
}

#[test]
fn comments_that_only_mention_stallcheck_are_ignored() {
    check(
        "\
/// Write `// stallcheck: allow(blocking-fs)` to silence it.
async fn f() {
    let text = \"// stallcheck: allow(blocking-fs)\";
    // see the stallcheck: allow(..) docs
}
",
        &[],
    );
}

const UNUSED_AND_USED: &str = "\
async fn f(d: std::time::Duration) {
    std::thread::sleep(d); // stallcheck: allow(blocking-sleep)
    let x = 1; // stallcheck: allow(blocking-fs)
}
";

#[test]
fn unused_allow_obeys_skip_rule_and_rule() {
    let skip = Options {
        no_config: true,
        skip_rules: vec!["unused-allow".to_string()],
        ..Options::default()
    };
    assert_eq!(lint(UNUSED_AND_USED, None, skip), Vec::<String>::new());
    let only = Options {
        no_config: true,
        only_rules: vec!["unused-allow".to_string()],
        ..Options::default()
    };
    assert_eq!(lint(UNUSED_AND_USED, None, only), ["3: unused-allow"]);
}

#[test]
fn unused_allow_can_be_switched_off_in_the_configuration() {
    let config = "[rules]\nunused-allow = \"off\"\n";
    assert_eq!(
        lint(UNUSED_AND_USED, Some(config), Options::default()),
        Vec::<String>::new()
    );
}

#[test]
fn an_allow_for_a_skipped_rule_still_counts_as_used() {
    let options = Options {
        no_config: true,
        skip_rules: vec!["blocking-sleep".to_string()],
        ..Options::default()
    };
    assert_eq!(lint(UNUSED_AND_USED, None, options), ["3: unused-allow"]);
}

const TEST_MODULE: &str = "\
#[cfg(test)]
mod tests {
    // stallcheck: allow(blocking-sleep)
    #[tokio::test]
    async fn slow() {
        let skipped = 1; // stallcheck: allow(no-such-rule) not linted
        std::thread::sleep(std::time::Duration::ZERO);
    }
}
";

#[test]
fn comments_in_skipped_test_code_are_not_reported() {
    check(TEST_MODULE, &[]);
    let with_tests = Options {
        no_config: true,
        include_tests: true,
        ..Options::default()
    };
    assert_eq!(lint(TEST_MODULE, None, with_tests), ["6: unused-allow"]);
}

#[test]
fn the_unused_allow_finding_points_at_the_comment() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("lib.rs");
    std::fs::write(
        &path,
        "fn f() {\n    let x = 1; // stallcheck: allow(blocking-fs) why\n}\n",
    )
    .unwrap();
    let options = Options {
        no_config: true,
        ..Options::default()
    };
    let report = driver::run(dir.path(), &options).unwrap();
    let [finding] = report.findings.as_slice() else {
        panic!("{:#?}", report.findings)
    };
    assert_eq!(finding.rule, "unused-allow");
    assert_eq!(finding.severity.as_str(), "note");
    assert_eq!((finding.span.line, finding.span.column), (2, 16));
    assert_eq!(
        finding.message,
        "unused allow: no `blocking-fs` finding is reported where this comment applies"
    );
}
