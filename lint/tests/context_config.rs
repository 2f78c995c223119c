//! `[context]` configuration through the binary: `executor-callbacks` makes
//! the closures handed to a crate's own executor APIs async context,
//! `offload` makes those handed to its own `spawn_blocking`-like wrappers
//! not; a bad key or path is a one-line error naming the file and the key.

use std::path::Path;

mod support;

use support::{Run, assert_one_line_error, json, run_binary};

const MANIFEST: &str = "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"1\"\n";

/// A crate with its own runtime wrappers, used from sync and async code.
/// `run_offloaded` calls its closure inside another one, which offload
/// inference does not see through: only the configuration names it.
const LIB: &str = "\
pub mod rt;

use crate::rt::{run_offloaded, spawn_local_fn};

pub fn start(path: String) {
    spawn_local_fn(move || {
        let _ = std::fs::read(&path);
    });
}

pub async fn load(path: String) {
    run_offloaded(move || {
        let _ = std::fs::read(&path);
    });
}
";

const RT: &str = "\
pub fn spawn_local_fn(f: impl FnOnce() + 'static) {
    f()
}

pub fn run_offloaded(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(move || f());
}
";

/// Both wrappers named by the crate's own name, as users write them.
const CONFIG: &str = "\
[context]
executor-callbacks = [\"sample::rt::spawn_local_fn\"]
offload = [\"sample::rt::run_offloaded\"]
";

/// Writes the sample crate, with `extra` files (a `stallcheck.toml`), under
/// a fresh temporary directory.
fn sample_crate(manifest: &str, extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    let files = [
        ("Cargo.toml", manifest),
        ("src/lib.rs", LIB),
        ("src/rt.rs", RT),
    ];
    for (path, contents) in files.iter().chain(extra) {
        write(dir.path(), path, contents);
    }
    dir
}

fn write(root: &Path, path: &str, contents: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn stallcheck(args: &[&str], path: &Path) -> Run {
    run_binary(env!("CARGO_BIN_EXE_stallcheck"), args, Some(path))
}

/// (line, rule, message) of each finding in `src/lib.rs`.
fn findings(run: &Run) -> Vec<(u64, String, String)> {
    json(run)["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {}", run.stdout))
        .iter()
        .filter(|finding| finding["path"] == "src/lib.rs")
        .map(|finding| {
            (
                finding["line"].as_u64().unwrap(),
                finding["rule"].as_str().unwrap().to_string(),
                finding["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn lines(found: &[(u64, String, String)]) -> Vec<u64> {
    found.iter().map(|(line, _, _)| *line).collect()
}

#[test]
fn executor_callback_closures_are_async_context_and_offloaded_ones_are_not() {
    let dir = sample_crate(MANIFEST, &[("stallcheck.toml", CONFIG)]);
    let run = stallcheck(&["--format", "json"], dir.path());
    let found = findings(&run);
    assert_eq!(lines(&found), [7], "{}", run.stdout);
    let (_, rule, message) = &found[0];
    assert_eq!(rule, "blocking-fs");
    assert!(
        message.contains("closure passed to `crate::rt::spawn_local_fn`"),
        "{message}"
    );

    // Without the configuration, the callback is plain sync code and the
    // wrapper an ordinary call inside an async fn.
    let raw = stallcheck(&["--format", "json", "--no-config"], dir.path());
    assert_eq!(lines(&findings(&raw)), [13], "{}", raw.stdout);
}

#[test]
fn context_in_manifest_metadata_works_like_the_file() {
    let manifest = format!(
        "{MANIFEST}\n[package.metadata.stallcheck.context]\nexecutor-callbacks = [\"sample::rt::spawn_local_fn\"]\noffload = [\"sample::rt::run_offloaded\"]\n"
    );
    let dir = sample_crate(&manifest, &[]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_eq!(lines(&findings(&run)), [7], "{}", run.stdout);
}

#[test]
fn crate_spelling_in_configuration_works_too() {
    let config = "[context]\nexecutor-callbacks = [\"crate::rt::spawn_local_fn\"]\noffload = [\"crate::rt::run_offloaded\"]\n";
    let dir = sample_crate(MANIFEST, &[("stallcheck.toml", config)]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_eq!(lines(&findings(&run)), [7], "{}", run.stdout);
}

#[test]
fn unknown_context_key_is_a_one_line_error_naming_file_and_key() {
    let config = "[context]\nexecutor-callback = [\"sample::rt::spawn_local_fn\"]\n";
    let dir = sample_crate(MANIFEST, &[("stallcheck.toml", config)]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "stallcheck.toml`:2:1");
    assert_one_line_error(&run, "executor-callback");
}

#[test]
fn context_entry_that_is_not_a_path_is_a_one_line_error_naming_file_and_key() {
    let config = "[context]\noffload = [\"sample::rt::run_offloaded\", \"run offloaded\"]\n";
    let dir = sample_crate(MANIFEST, &[("stallcheck.toml", config)]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "stallcheck.toml`:2:");
    assert_one_line_error(&run, "context.offload: `run offloaded` is not a path");
}
