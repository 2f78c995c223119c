//! `--message-format json|short`: cargo's JSON messages, read back with
//! `cargo_metadata::Message` (what cargo tools and rust-analyzer parse
//! `cargo check` with), and rustc's short lines.

mod support;

use std::path::Path;

use cargo_metadata::diagnostic::{Applicability, DiagnosticLevel};
use cargo_metadata::{CompilerMessage, Message};
use support::{Run, assert_one_line_error, run_binary, tree};

const MANIFEST: &str = r#"[package]
name = "sample"
version = "0.1.0"
edition = "2021"

[dependencies]
tokio = { version = "1", features = ["fs", "sync"] }
"#;

/// Non-ASCII text before the calls, so that byte offsets and character
/// columns differ.
const LIB_RS: &str = r#"// «données» before the calls: bytes and columns differ
pub async fn load(path: &str) -> Vec<u8> {
    let _label = "é"; std::fs::read(path).unwrap()
}

pub async fn count(counter: &std::sync::Mutex<u32>) {
    let guard = counter.lock().unwrap();
    tokio::task::yield_now().await;
    drop(guard);
}
"#;

const TOOL_RS: &str = r#"fn main() {}

async fn pause() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}
"#;

fn sample_crate() -> tempfile::TempDir {
    tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", LIB_RS),
        ("src/bin/tool.rs", TOOL_RS),
    ])
}

/// Runs stallcheck in `cwd` with `args`.
fn stallcheck_in(cwd: &Path, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every line parsed as cargo's messages: the compiler messages, and the
/// `success` of the `build-finished` that must end the stream.
fn messages(run: &Run) -> (Vec<CompilerMessage>, bool) {
    let mut compiler = Vec::new();
    let mut finished = None;
    for message in Message::parse_stream(run.stdout.as_bytes()) {
        match message.expect("every line is a cargo message") {
            Message::CompilerMessage(message) => {
                assert!(finished.is_none(), "a message after build-finished");
                compiler.push(message);
            }
            Message::BuildFinished(done) => finished = Some(done.success),
            other => panic!("unexpected message {other:?} in:\n{}", run.stdout),
        }
    }
    (
        compiler,
        finished.expect("the stream ends with build-finished"),
    )
}

/// The text between two 1-based character columns of a 1-based line.
fn text_at(source: &str, line: usize, start: usize, end: usize) -> String {
    let line = source.lines().nth(line - 1).expect("the line exists");
    line.chars().skip(start - 1).take(end - start).collect()
}

#[test]
fn json_messages_parse_as_cargos_and_point_at_the_calls() {
    let dir = sample_crate();
    let run = stallcheck_in(dir.path(), &["--message-format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (messages, success) = messages(&run);
    assert!(
        !success,
        "warnings make the run fail, so the build did not succeed"
    );
    let mut seen = Vec::new();
    for message in &messages {
        let diagnostic = &message.message;
        let code = diagnostic.code.as_ref().expect("a rule code").code.clone();
        let primary = diagnostic
            .spans
            .iter()
            .find(|span| span.is_primary)
            .expect("a primary span");
        let source = std::fs::read_to_string(dir.path().join(&primary.file_name)).unwrap();
        let bytes = &source[primary.byte_start as usize..primary.byte_end as usize];
        assert_eq!(primary.line_start, primary.line_end);
        let by_columns = text_at(
            &source,
            primary.line_start,
            primary.column_start,
            primary.column_end,
        );
        assert_eq!(bytes, by_columns, "bytes and columns name the same text");
        assert_eq!(primary.text[0].highlight_start, primary.column_start);
        seen.push((
            primary.file_name.clone(),
            code,
            diagnostic.level,
            primary.line_start,
            primary.column_start,
            bytes.to_string(),
            message.target.name.clone(),
        ));
    }
    let expected = [
        (
            "src/bin/tool.rs",
            "stallcheck::blocking-sleep",
            DiagnosticLevel::Warning,
            4,
            5,
            "std::thread::sleep(std::time::Duration::from_millis(1))",
            "tool",
        ),
        (
            "src/lib.rs",
            "stallcheck::blocking-fs",
            DiagnosticLevel::Warning,
            3,
            23,
            "std::fs::read(path)",
            "sample",
        ),
        (
            "src/lib.rs",
            "stallcheck::lock-held-across-await",
            DiagnosticLevel::Warning,
            7,
            25,
            "lock()",
            "sample",
        ),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(file, code, level, line, column, text, target)| {
            (
                file.to_string(),
                code.to_string(),
                *level,
                *line,
                *column,
                text.to_string(),
                target.to_string(),
            )
        })
        .collect();
    assert_eq!(seen, expected);
    let manifest = dir.path().canonicalize().unwrap().join("Cargo.toml");
    for message in &messages {
        assert!(message.package_id.repr.ends_with("#sample@0.1.0"));
    }
    // cargo_metadata 0.23 does not keep `manifest_path`; cargo prints it.
    // `reason` comes first, as in cargo's lines.
    for line in run
        .stdout
        .lines()
        .filter(|line| line.contains("compiler-message"))
    {
        assert!(line.starts_with("{\"reason\":\"compiler-message\",\"package_id\":"));
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["manifest_path"], manifest.display().to_string());
    }
}

#[test]
fn a_fix_is_a_machine_applicable_suggestion_and_labels_are_secondary_spans() {
    let dir = sample_crate();
    let run = stallcheck_in(dir.path(), &["--message-format", "json"]);
    let (messages, _) = messages(&run);
    let read = messages
        .iter()
        .find(|message| message.message.message.contains("std::fs::read"))
        .expect("the read finding");
    let mut edits: Vec<_> = read
        .message
        .children
        .iter()
        .flat_map(|child| &child.spans)
        .filter_map(|span| {
            assert_eq!(
                span.suggestion_applicability,
                Some(Applicability::MachineApplicable)
            );
            let replacement = span.suggested_replacement.clone()?;
            Some((
                span.byte_start as usize,
                span.byte_end as usize,
                replacement,
            ))
        })
        .collect();
    assert!(!edits.is_empty(), "the fix as suggestions");
    // Applied by their byte offsets, as `cargo fix` and editors do.
    let mut fixed = LIB_RS.to_string();
    edits.sort();
    for (start, end, replacement) in edits.iter().rev() {
        fixed.replace_range(start..end, replacement);
    }
    assert_eq!(
        fixed.lines().nth(2),
        Some("    let _label = \"é\"; tokio::fs::read(path).await.unwrap()")
    );
    assert!(
        read.message.rendered.as_deref().unwrap().starts_with(
            "warning[blocking-fs]: blocking filesystem call `std::fs::read` in async function `load`\n --> src/lib.rs:3:23\n"
        ),
        "{:?}",
        read.message.rendered
    );
    let lock = messages
        .iter()
        .find(|message| {
            message.message.code.as_ref().unwrap().code == "stallcheck::lock-held-across-await"
        })
        .expect("the lock finding");
    let secondary: Vec<_> = lock
        .message
        .spans
        .iter()
        .filter(|span| !span.is_primary)
        .map(|span| (span.line_start, span.label.is_some()))
        .collect();
    assert_eq!(secondary, [(8, true)], "the .await, labelled");
}

#[test]
fn rendered_is_short_or_coloured_when_asked() {
    let dir = sample_crate();
    let short = stallcheck_in(dir.path(), &["--message-format", "json-diagnostic-short"]);
    let (found, _) = messages(&short);
    assert_eq!(
        found[0].message.rendered.as_deref(),
        Some(
            "src/bin/tool.rs:4:5: warning[blocking-sleep]: blocking sleep `std::thread::sleep` in async function `pause`\n"
        )
    );
    let ansi = stallcheck_in(
        dir.path(),
        &["--message-format", "json-diagnostic-rendered-ansi"],
    );
    let (found, _) = messages(&ansi);
    assert!(
        found[0]
            .message
            .rendered
            .as_deref()
            .unwrap()
            .contains("\u{1b}[")
    );
    let plain = stallcheck_in(
        dir.path(),
        &["--message-format", "json", "--color", "always"],
    );
    let (found, _) = messages(&plain);
    assert!(
        !found[0]
            .message
            .rendered
            .as_deref()
            .unwrap()
            .contains("\u{1b}["),
        "--color is about stallcheck's own output, as cargo's"
    );
}

#[test]
fn build_finished_succeeds_when_the_run_exits_zero() {
    let dir = sample_crate();
    let zero = stallcheck_in(dir.path(), &["--message-format", "json", "--exit-zero"]);
    assert_eq!(zero.code, 0);
    assert!(messages(&zero).1);
    let errors_only = stallcheck_in(dir.path(), &["--message-format", "json", "--deny", "error"]);
    assert_eq!(errors_only.code, 0);
    assert!(messages(&errors_only).1);
    let clean = tree(&[("lib.rs", "pub fn quiet() {}\n")]);
    let run = stallcheck_in(clean.path(), &["--message-format", "json"]);
    assert_eq!(
        run.stdout,
        "{\"reason\":\"build-finished\",\"success\":true}\n"
    );
}

#[test]
fn a_file_without_a_manifest_is_its_own_single_file_package() {
    let dir = tree(&[(
        "loose.rs",
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    )]);
    let run = stallcheck_in(dir.path(), &["--message-format", "json", "loose.rs"]);
    let (found, _) = messages(&run);
    let file = dir.path().canonicalize().unwrap().join("loose.rs");
    let [message] = found.as_slice() else {
        panic!("one finding: {}", run.stdout)
    };
    let value: serde_json::Value =
        serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(value["manifest_path"], file.display().to_string());
    assert_eq!(
        message.package_id.repr,
        format!("path+file://{}", file.display())
    );
    assert_eq!(message.target.name, "loose");
    assert_eq!(message.target.src_path.as_std_path(), file);
    assert_eq!(message.message.spans[0].file_name, "loose.rs");
    // From elsewhere, the file is named absolutely: the reader cannot know
    // the analysed root.
    let elsewhere = tempfile::tempdir().unwrap();
    let run = stallcheck_in(
        elsewhere.path(),
        &["--message-format", "json", file.to_str().unwrap()],
    );
    let (found, _) = messages(&run);
    assert_eq!(
        found[0].message.spans[0].file_name,
        file.display().to_string()
    );
}

#[test]
fn message_format_and_format_are_one_choice() {
    let dir = sample_crate();
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["--message-format", "json", "--format", "sarif"],
        Some(dir.path()),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with(
            "error: the argument '--message-format <FMT>' cannot be used with '--format <FORMAT>'"
        ),
        "{}",
        run.stderr
    );
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["--message-format", "xml"],
        Some(dir.path()),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("[possible values: human, short, json,"),
        "{}",
        run.stderr
    );
    // A bad input is still one line, whatever the format.
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["--message-format", "json", "/nonexistent/stallcheck"],
        None,
    );
    assert_one_line_error(&run, "/nonexistent/stallcheck");
}

/// The sample crate's output with its location and timing redacted.
fn redacted(dir: &Path, text: &str) -> String {
    let root = dir.canonicalize().unwrap().display().to_string();
    let text = text.replace(&root, "[ROOT]");
    match text.rfind(" read in ") {
        Some(cut) => format!("{} read in [ELAPSED]\n", &text[..cut]),
        None => text,
    }
}

#[test]
fn short_output_of_a_sample_crate() {
    let dir = sample_crate();
    let run = stallcheck_in(dir.path(), &["--message-format", "short"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(redacted(dir.path(), &run.stdout));
}

#[test]
fn json_output_of_a_sample_crate() {
    let dir = sample_crate();
    let run = stallcheck_in(dir.path(), &["--message-format", "json"]);
    let lines: Vec<serde_json::Value> = redacted(dir.path(), &run.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    insta::assert_json_snapshot!(lines);
}

#[test]
fn a_file_that_cannot_be_analysed_is_an_error_message_without_a_code() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", "mod broken;\n"),
        ("src/broken.rs", "fn broken() {\n    let x = ;\n}\n"),
    ]);
    let run = stallcheck_in(dir.path(), &["--message-format", "json"]);
    assert_eq!(run.code, 1, "a file nobody checked fails the run");
    let (found, success) = messages(&run);
    assert!(!success);
    let [error] = found.as_slice() else {
        panic!("one message: {}", run.stdout)
    };
    assert_eq!(error.message.level, DiagnosticLevel::Error);
    assert!(error.message.code.is_none());
    assert!(
        error.message.message.starts_with("cannot parse file"),
        "{}",
        run.stdout
    );
    let span = &error.message.spans[0];
    assert_eq!(
        (span.file_name.as_str(), span.line_start),
        ("src/broken.rs", 2)
    );
    assert_eq!(error.target.name, "sample");
}
