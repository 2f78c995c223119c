//! `--format json`: one object, version 1 (schema in the README).

use serde_json::{Value, json};

use super::counts;
use crate::driver::Report;
use crate::finding::{Finding, Fix, FixSafety, InputError, Span};

/// Bumped when a field changes meaning or disappears (adding fields is not a change).
pub const SCHEMA_VERSION: u32 = 1;

pub fn to_value(report: &Report) -> Value {
    let (errors, warnings, notes) = counts(report);
    json!({
        "version": SCHEMA_VERSION,
        "root": report.root.display().to_string(),
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "errors": report.errors.iter().map(input_error).collect::<Vec<_>>(),
        "summary": {
            "findings": report.findings.len(),
            "by_severity": { "error": errors, "warning": warnings, "note": notes },
            "input_errors": report.errors.len(),
            "files": report.files,
            "lines": report.lines,
            "elapsed_ms": (report.elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        },
    })
}

fn finding(finding: &Finding) -> Value {
    let mut value = json!({
        "rule": finding.rule,
        "severity": finding.severity.as_str(),
        "path": finding.path,
        "message": finding.message,
        "help": finding.help,
        "function": finding.function,
        "confidence": finding.confidence.as_str(),
        "callee": finding.callee,
        "notes": finding.notes,
        // Through the crate's own functions: each step, outermost first.
        "chain": finding.chain.iter().map(|step| json!({
            "function": step.function,
            "path": step.path,
            "line": step.line,
        })).collect::<Vec<_>>(),
        "labels": finding.labels.iter().map(|label| {
            let mut value = json!({ "message": label.message });
            put_span(&mut value, label.span);
            value
        }).collect::<Vec<_>>(),
    });
    put_span(&mut value, finding.span);
    value["fix"] = finding.fix.as_ref().map_or(Value::Null, fix);
    value
}

fn fix(fix: &Fix) -> Value {
    let edits: Vec<Value> = fix
        .edits
        .iter()
        .map(|edit| {
            let mut value = json!({ "replacement": edit.replacement });
            put_span(&mut value, edit.span);
            value
        })
        .collect();
    let reason = match &fix.safety {
        FixSafety::Safe => Value::Null,
        FixSafety::Unsafe(reason) => json!(reason),
    };
    json!({
        "description": fix.description,
        "safety": fix.safety.as_str(),
        "unsafe_reason": reason,
        "edits": edits
    })
}

fn input_error(error: &InputError) -> Value {
    let mut value = json!({ "path": error.path, "message": error.message });
    match error.span {
        Some(span) => put_span(&mut value, span),
        None => {
            for key in ["line", "column", "end_line", "end_column"] {
                value[key] = Value::Null;
            }
        }
    }
    value
}

fn put_span(value: &mut Value, span: Span) {
    value["line"] = json!(span.line);
    value["column"] = json!(span.column);
    value["end_line"] = json!(span.end_line);
    value["end_column"] = json!(span.end_column);
}
