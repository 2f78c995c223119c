//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.
//!
//! Paths are relative to `%SRCROOT%` (the analysed root). Each result carries
//! a `partialFingerprints` entry that does not depend on line numbers: a hash
//! of the rule, the path, the enclosing function, the resolved callee and the
//! occurrence index of that combination, so that code scanning keeps tracking
//! an alert when lines above it move. The fingerprint is defined once, in
//! [`crate::baseline::fingerprint`], which `--baseline` files share.
//!
//! The tool's `informationUri` is the workspace manifest's `repository`;
//! each rule's `helpUri` is its page under `docs/rules/` there, which
//! `cargo xtask docs` generates from the rule's `//!` documentation.
//! Findings with a `--fix` rewrite carry it as SARIF `fixes`.

use serde_json::{Value, json};

use crate::baseline;
use crate::driver::Report;
use crate::finding::{Finding, Fix, FixSafety, Span};
use crate::rules;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The project's home: `repository` of the workspace manifest.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// The key under `partialFingerprints`; bump the suffix if the hash input changes.
pub const FINGERPRINT_KEY: &str = "stallcheck/v1";

pub fn to_value(report: &Report) -> Value {
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "stallcheck",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": INFORMATION_URI,
                "rules": rules::ALL.iter().map(|rule| rule_descriptor(rule)).collect::<Vec<_>>(),
            }},
            // Columns count characters (proc-macro2's columns), not UTF-16 units.
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {
                "%SRCROOT%": { "uri": directory_uri(&report.root.display().to_string()) },
            },
            "results": results(report),
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": report.errors.iter().map(|error| {
                    let mut location = json!({ "artifactLocation": artifact(&error.path) });
                    if let Some(span) = error.span {
                        location["region"] = region(span);
                    }
                    json!({
                        "level": "error",
                        "message": { "text": error.message },
                        "locations": [{ "physicalLocation": location }],
                    })
                }).collect::<Vec<_>>(),
            }],
        }],
    })
}

fn rule_descriptor(rule: &rules::Rule) -> Value {
    let doc = rule.doc();
    json!({
        "id": rule.id,
        "name": camel_case(rule.id),
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": rule.summary },
        "help": { "text": doc, "markdown": doc },
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": { "level": rule.default_severity.as_str() },
        "properties": { "tags": ["async", "performance"], "precision": "high" },
    })
}

/// Where a rule's generated page lives: `docs/rules/<id>.md` on the
/// repository's default branch.
pub fn help_uri(rule_id: &str) -> String {
    format!("{INFORMATION_URI}/blob/main/docs/rules/{rule_id}.md")
}

fn results(report: &Report) -> Vec<Value> {
    report
        .findings
        .iter()
        .zip(baseline::fingerprints(&report.findings))
        .map(|(finding, fingerprint)| result(finding, fingerprint))
        .collect()
}

fn result(finding: &Finding, fingerprint: String) -> Value {
    let mut text = finding.message.clone();
    if !finding.help.is_empty() {
        text.push_str("\nhelp: ");
        text.push_str(&finding.help);
    }
    let mut location = json!({
        "physicalLocation": { "artifactLocation": artifact(&finding.path), "region": region(finding.span) },
    });
    if let Some(function) = &finding.function {
        location["logicalLocations"] =
            json!([{ "fullyQualifiedName": function, "kind": "function" }]);
    }
    let mut value = json!({
        "ruleId": finding.rule,
        "level": finding.severity.as_str(),
        "message": { "text": text },
        "locations": [location],
        "partialFingerprints": { FINGERPRINT_KEY: fingerprint },
        "properties": { "confidence": finding.confidence.as_str() },
    });
    if let Some(index) = rules::ALL.iter().position(|rule| rule.id == finding.rule) {
        value["ruleIndex"] = json!(index);
    }
    // The rewrite as SARIF `fixes`; the property bag says whether plain
    // `--fix` applies it and why not.
    if let Some(fix) = &finding.fix {
        value["fixes"] = json!([sarif_fix(&finding.path, fix)]);
        value["properties"]["fix"] = json!(fix.description);
        value["properties"]["fixSafety"] = json!(fix.safety.as_str());
        if let FixSafety::Unsafe(reason) = &fix.safety {
            value["properties"]["fixUnsafeReason"] = json!(reason);
        }
    }
    // Labels, then the steps of a call chain (where each function makes
    // the next call).
    let labels = finding.labels.iter().map(|label| {
        json!({
            "message": { "text": label.message },
            "physicalLocation": { "artifactLocation": artifact(&finding.path), "region": region(label.span) },
        })
    });
    let steps = finding.chain.iter().map(|step| {
        json!({
            "message": { "text": format!("through `{}`", step.function) },
            "physicalLocation": {
                "artifactLocation": artifact(&step.path),
                "region": { "startLine": step.line },
            },
        })
    });
    let related: Vec<Value> = labels
        .chain(steps)
        .enumerate()
        .map(|(id, mut location)| {
            location["id"] = json!(id);
            location
        })
        .collect();
    if !related.is_empty() {
        value["relatedLocations"] = json!(related);
    }
    value
}

/// One SARIF fix: every edit of the rewrite as a replacement in the
/// finding's file (an empty region inserts).
fn sarif_fix(path: &str, fix: &Fix) -> Value {
    let description = match &fix.safety {
        FixSafety::Safe => fix.description.clone(),
        FixSafety::Unsafe(reason) => format!("{} (unsafe: {reason})", fix.description),
    };
    let replacements: Vec<Value> = fix
        .edits
        .iter()
        .map(|edit| {
            json!({
                "deletedRegion": region(edit.span),
                "insertedContent": { "text": edit.replacement },
            })
        })
        .collect();
    json!({
        "description": { "text": description },
        "artifactChanges": [{ "artifactLocation": artifact(path), "replacements": replacements }],
    })
}

fn artifact(path: &str) -> Value {
    json!({ "uri": encode_uri_path(path), "uriBaseId": "%SRCROOT%" })
}

fn region(span: Span) -> Value {
    json!({
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line.max(span.line),
        "endColumn": span.end_column.max(1),
    })
}

/// `file:///abs/root/` with reserved characters percent-encoded.
fn directory_uri(root: &str) -> String {
    let path = root.replace('\\', "/");
    let path = if path.starts_with('/') {
        path
    } else {
        format!("/{path}")
    };
    let mut uri = format!("file://{}", encode_uri_path(&path));
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Percent-encodes everything but unreserved characters and `/`.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn camel_case(id: &str) -> String {
    id.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_keeps_slashes_and_escapes_spaces() {
        assert_eq!(directory_uri("/tmp/my crate"), "file:///tmp/my%20crate/");
        assert_eq!(encode_uri_path("src/a b.rs"), "src/a%20b.rs");
    }

    #[test]
    fn rule_names_are_camel_case() {
        assert_eq!(camel_case("block-on-in-async"), "BlockOnInAsync");
    }
}
