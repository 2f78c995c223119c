use super::settings::Settings;
use super::walk::analyse;
use super::*;
use crate::analysis::{FileAnalysis, FileContext, ParseError};
use crate::finding::{Confidence, Severity};

fn panics_on_boom(source: &str, ctx: &FileContext<'_>) -> Result<FileAnalysis, ParseError> {
    assert!(
        !source.contains("boom"),
        "analyzer bug triggered by {}",
        ctx.rel_path
    );
    Ok(FileAnalysis::default())
}

#[test]
fn a_panicking_analyzer_becomes_an_error_for_that_file_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("boom.rs"), "async fn boom() {}\n").unwrap();
    std::fs::write(dir.path().join("fine.rs"), "async fn fine() {}\n").unwrap();
    let discovery = workspace::discover(dir.path()).unwrap();
    let settings = Settings::new(&discovery.root, &Options::default(), None).unwrap();
    let options = Options {
        jobs: Some(2),
        ..Options::default()
    };
    let outcome = analyse(&discovery, &settings, &options, panics_on_boom).unwrap();
    assert_eq!(outcome.paths, ["fine.rs"]);
    let [error] = outcome.errors.as_slice() else {
        panic!("{:?}", outcome.errors)
    };
    assert_eq!(error.path, "boom.rs");
    assert!(
        error
            .message
            .starts_with("internal error: the analyzer panicked on this file"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains("analyzer bug triggered by boom.rs"),
        "{}",
        error.message
    );
}

#[test]
fn an_inferred_finding_is_never_an_error() {
    // `pollster::FutureExt` in scope, the receiver's type unknown: the
    // `block_on` is inferred from its name, so a warning with a note.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.rs"),
        "use pollster::FutureExt;\n\
         async fn a() { make().block_on(); }\n\
         async fn b() { pollster::block_on(make()); }\n",
    )
    .unwrap();
    let report = run(dir.path(), &Options::default()).unwrap();
    let found: Vec<(usize, Severity, Confidence, usize)> = report
        .findings
        .iter()
        .map(|f| (f.span.line, f.severity, f.confidence, f.notes.len()))
        .collect();
    assert_eq!(
        found,
        [
            (2, Severity::Warning, Confidence::Inferred, 1),
            (3, Severity::Error, Confidence::Resolved, 0),
        ]
    );
    assert!(report.findings[0].notes[0].contains("not an error"));
}
