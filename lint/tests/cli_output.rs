//! Renderings of a fixed, hand-made report: human (no colour), JSON, SARIF
//! and GitHub snapshots, SARIF schema validity and fingerprint stability.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use stallcheck_lint::driver::Report;
use stallcheck_lint::finding::{Confidence, Finding, InputError, Label, Severity, Span};
use stallcheck_lint::output::{self, Format, RenderOptions};

const LIB_RS: &str = "\
use std::sync::Mutex;

pub async fn load(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

pub async fn nap() {
    std::thread::sleep(std::time::Duration::from_millis(10));
}

pub async fn count(m: &Mutex<u32>) {
    let guard = m.lock().unwrap();
    tick().await;
    drop(guard);
}

async fn tick() {}
";

const BIN_RS: &str = "\
fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        futures::executor::block_on(async {});
    });
}
";

fn span(line: usize, column: usize, end_line: usize, end_column: usize) -> Span {
    Span {
        line,
        column,
        end_line,
        end_column,
    }
}

fn finding(rule: &'static str, severity: Severity, path: &str, at: Span, callee: &str) -> Finding {
    Finding {
        rule,
        severity,
        path: path.to_string(),
        span: at,
        message: format!("`{callee}` blocks the executor thread"),
        help: String::new(),
        function: None,
        notes: Vec::new(),
        labels: Vec::new(),
        confidence: Confidence::Resolved,
        callee: callee.to_string(),
        chain: Vec::new(),
        fix: None,
    }
}

fn sample_report() -> Report {
    let block_on = Finding {
        message: "`futures::executor::block_on` inside async context blocks the executor"
            .to_string(),
        help: "`.await` the future instead".to_string(),
        function: Some("main".to_string()),
        ..finding(
            "block-on-in-async",
            Severity::Error,
            "src/main.rs",
            span(4, 9, 4, 46),
            "futures::executor::block_on",
        )
    };
    let read = Finding {
        help: "use `tokio::fs::read_to_string(..).await`".to_string(),
        function: Some("load".to_string()),
        ..finding(
            "blocking-fs",
            Severity::Warning,
            "src/lib.rs",
            span(4, 5, 4, 34),
            "std::fs::read_to_string",
        )
    };
    let sleep = Finding {
        help: "use `tokio::time::sleep(..).await`".to_string(),
        function: Some("nap".to_string()),
        notes: vec![
            "the runtime's worker thread sleeps, and every task queued on it waits".to_string(),
        ],
        ..finding(
            "blocking-sleep",
            Severity::Warning,
            "src/lib.rs",
            span(8, 5, 8, 61),
            "std::thread::sleep",
        )
    };
    let lock = Finding {
        message: "std `Mutex` locked inside async context".to_string(),
        help: "keep the critical section short, or use `tokio::sync::Mutex`".to_string(),
        function: Some("count".to_string()),
        labels: vec![Label {
            span: span(13, 11, 13, 17),
            message: "the guard is still alive at this `.await`".to_string(),
        }],
        confidence: Confidence::Inferred,
        ..finding(
            "sync-lock-in-async",
            Severity::Note,
            "src/lib.rs",
            span(12, 17, 12, 25),
            "std::sync::Mutex::lock",
        )
    };
    Report {
        root: PathBuf::from("/work/sample crate"),
        findings: vec![read, sleep, lock, block_on],
        errors: vec![
            InputError {
                path: "src/broken.rs".to_string(),
                span: Some(span(2, 9, 2, 10)),
                message: "cannot parse file: expected `;`".to_string(),
            },
            InputError {
                path: "src/latin1.rs".to_string(),
                span: None,
                message: "file is not valid UTF-8".to_string(),
            },
        ],
        files: 4,
        lines: 30,
        elapsed: Duration::from_millis(12),
        paths: vec![
            "src/broken.rs".into(),
            "src/latin1.rs".into(),
            "src/lib.rs".into(),
            "src/main.rs".into(),
        ],
        config_source: None,
        workspace_root: None,
        origins: Default::default(),
    }
}

fn sources() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([
        ("src/lib.rs", LIB_RS),
        ("src/main.rs", BIN_RS),
        ("src/broken.rs", "fn f() {\n    let x\n}\n"),
    ])
}

fn render(format: Format, report: &Report, options: RenderOptions) -> String {
    let sources = sources();
    let lookup = |path: &str| sources.get(path).map(|text| text.to_string());
    output::render(format, report, options, &lookup)
}

#[test]
fn human_rendering() {
    let text = render(
        Format::Human,
        &sample_report(),
        RenderOptions {
            color: false,
            quiet: false,
        },
    );
    insta::assert_snapshot!(text);
}

#[test]
fn human_rendering_quiet_has_no_summary() {
    let text = render(
        Format::Human,
        &sample_report(),
        RenderOptions {
            color: false,
            quiet: true,
        },
    );
    assert!(!text.contains("stallcheck: "), "{text}");
    assert!(text.contains("warning[blocking-fs]"), "{text}");
}

#[test]
fn human_rendering_with_colour_uses_ansi_escapes_and_without_does_not() {
    let coloured = render(
        Format::Human,
        &sample_report(),
        RenderOptions {
            color: true,
            quiet: false,
        },
    );
    let plain = render(
        Format::Human,
        &sample_report(),
        RenderOptions {
            color: false,
            quiet: false,
        },
    );
    assert!(coloured.contains("\u{1b}["));
    assert!(!plain.contains('\u{1b}'));
}

#[test]
fn human_rendering_survives_spans_past_the_end_of_a_changed_file() {
    let mut report = sample_report();
    report.findings[0].span = span(400, 1, 400, 5);
    let text = render(Format::Human, &report, RenderOptions::default());
    assert!(text.contains("src/lib.rs:400:1"), "{text}");
}

#[test]
fn json_rendering() {
    let text = render(Format::Json, &sample_report(), RenderOptions::default());
    insta::assert_snapshot!(text);
}

#[test]
fn sarif_rendering() {
    let text = render(Format::Sarif, &sample_report(), RenderOptions::default());
    let mut log: serde_json::Value = serde_json::from_str(&text).expect("SARIF output is JSON");
    // The rule descriptors are the rule docs, checked below; the snapshot is about results.
    log["runs"][0]["tool"]["driver"]["rules"] = serde_json::json!("[rules]");
    log["runs"][0]["tool"]["driver"]["version"] = serde_json::json!("[VERSION]");
    log["runs"][0]["tool"]["driver"]["semanticVersion"] = serde_json::json!("[VERSION]");
    insta::assert_snapshot!(serde_json::to_string_pretty(&log).unwrap());
}

#[test]
fn sarif_lists_every_rule_with_its_documentation_as_help() {
    let log = output::sarif_value(&sample_report());
    let descriptors = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules array")
        .clone();
    let ids: Vec<&str> = descriptors
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = stallcheck_lint::rules::ALL
        .iter()
        .map(|rule| rule.id)
        .collect();
    assert_eq!(ids, expected);
    for (descriptor, rule) in descriptors.iter().zip(stallcheck_lint::rules::ALL) {
        assert_eq!(
            descriptor["help"]["text"].as_str(),
            Some(rule.doc().as_str())
        );
        assert_eq!(
            descriptor["defaultConfiguration"]["level"].as_str(),
            Some(rule.default_severity.as_str())
        );
    }
}

#[test]
fn github_rendering() {
    let text = render(Format::Github, &sample_report(), RenderOptions::default());
    insta::assert_snapshot!(text);
}

#[test]
fn every_severity_appears_in_every_format() {
    let report = sample_report();
    for format in [Format::Human, Format::Json, Format::Sarif, Format::Github] {
        let text = render(format, &report, RenderOptions::default());
        for finding in &report.findings {
            assert!(
                text.contains(finding.rule),
                "{format:?} lacks {}",
                finding.rule
            );
        }
    }
}

/// Validates a SARIF log against the official SARIF 2.1.0 JSON schema (vendored).
pub fn assert_valid_sarif(log: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json"))
            .expect("the vendored schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(log)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "SARIF does not validate:\n{}",
        problems.join("\n")
    );
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    assert_valid_sarif(&output::sarif_value(&sample_report()));
}

#[test]
fn sarif_schema_check_rejects_a_broken_log() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut log = output::sarif_value(&sample_report());
    log["runs"][0]["results"][0]["level"] = serde_json::json!("catastrophic");
    assert!(!validator.is_valid(&log));
}

fn fingerprints(report: &Report) -> Vec<String> {
    let log = output::sarif_value(report);
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["partialFingerprints"]["stallcheck/v1"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn fingerprints_do_not_change_when_lines_shift() {
    let before = sample_report();
    let mut after = sample_report();
    for finding in &mut after.findings {
        finding.span.line += 7;
        finding.span.end_line += 7;
    }
    assert_eq!(fingerprints(&before), fingerprints(&after));
}

#[test]
fn fingerprints_tell_repeated_calls_in_one_function_apart() {
    let mut report = sample_report();
    let mut second = report.findings[0].clone();
    second.span.line += 1;
    second.span.end_line += 1;
    report.findings.insert(1, second);
    let prints = fingerprints(&report);
    assert_ne!(prints[0], prints[1]);
    let unique: std::collections::HashSet<_> = prints.iter().collect();
    assert_eq!(unique.len(), prints.len());
}

#[test]
fn deny_decides_failure_and_input_errors_count_as_warnings() {
    let report = sample_report();
    assert!(output::fails(&report, Severity::Error));
    let mut warnings_only = sample_report();
    warnings_only
        .findings
        .retain(|finding| finding.severity == Severity::Warning);
    warnings_only.errors.clear();
    assert!(!output::fails(&warnings_only, Severity::Error));
    assert!(output::fails(&warnings_only, Severity::Warning));
    let mut errors_only = sample_report();
    errors_only.findings.clear();
    assert!(output::fails(&errors_only, Severity::Warning));
    assert!(!output::fails(&errors_only, Severity::Error));
}
