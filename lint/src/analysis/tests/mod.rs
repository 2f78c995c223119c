//! Specs for the per-file analysis. `check(source, expected)` runs
//! `analyze_file` on a small file and compares its findings, written
//! `line:rule`, in order. The fixtures crate holds the larger, compiling
//! cases; these pin down one behaviour each.

use super::*;
use crate::catalog::Catalog;
use crate::finding::Confidence;

fn analyze_with(
    source: &str,
    catalog: &Catalog,
    runtime: AsyncRuntime,
    include_tests: bool,
) -> FileAnalysis {
    let ctx = FileContext {
        runtime,
        include_tests,
        ..FileContext::spec(catalog)
    };
    analyze_file(source, &ctx).expect("test source parses")
}

fn analyze(source: &str) -> FileAnalysis {
    analyze_with(source, &Catalog::builtin(), AsyncRuntime::Tokio, false)
}

fn lines_and_rules(analysis: &FileAnalysis) -> Vec<String> {
    analysis
        .findings
        .iter()
        .map(|finding| format!("{}:{}", finding.span.line, finding.rule))
        .collect()
}

/// Asserts the findings, as `line:rule` in source order, equal `expected`.
fn check(source: &str, expected: &[&str]) {
    assert_eq!(
        lines_and_rules(&analyze(source)),
        expected,
        "\nsource:\n{source}"
    );
}

fn only_finding(source: &str) -> Finding {
    let mut findings = analyze(source).findings;
    assert_eq!(findings.len(), 1, "expected one finding: {findings:#?}");
    findings.remove(0)
}

mod contexts;
mod guards;
mod summaries;
