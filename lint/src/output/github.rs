//! `--format github`: GitHub Actions workflow commands, one per line:
//! `::warning file=src/a.rs,line=3,col=5,endLine=3,endColumn=20,title=blocking-fs::message`.
//! Notes become `::notice`. Values are escaped as the runner expects.

use std::fmt::Write as _;

use crate::driver::Report;
use crate::finding::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for error in &report.errors {
        let mut properties = vec![("file", error.path.clone())];
        if let Some(span) = error.span {
            properties.push(("line", span.line.to_string()));
            properties.push(("col", span.column.to_string()));
        }
        properties.push(("title", "stallcheck: input error".to_string()));
        push_command(&mut out, "error", &properties, &error.message);
    }
    for finding in &report.findings {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let span = finding.span;
        let properties = [
            ("file", finding.path.clone()),
            ("line", span.line.to_string()),
            ("col", span.column.to_string()),
            ("endLine", span.end_line.to_string()),
            ("endColumn", span.end_column.to_string()),
            ("title", format!("stallcheck {}", finding.rule)),
        ];
        let mut message = finding.message.clone();
        if !finding.help.is_empty() {
            let _ = write!(message, "\nhelp: {}", finding.help);
        }
        for note in &finding.notes {
            let _ = write!(message, "\nnote: {note}");
        }
        push_command(&mut out, command, &properties, &message);
    }
    out
}

fn push_command(out: &mut String, command: &str, properties: &[(&str, String)], message: &str) {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let _ = writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        escape_data(message)
    );
}

/// Escaping of the message part (after `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value: also `:` and `,`, which delimit properties.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
