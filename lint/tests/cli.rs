//! Behaviour of the `stallcheck` binary: exit codes, `--deny`, filters,
//! one-line errors for bad input, and robustness on hostile files.

use std::path::Path;
use std::process::Command;

mod support;

use support::{Run, assert_one_line_error, json, run_binary, tree_bytes as tree};

const MANIFEST: &[u8] = b"[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"1\"\n";

/// One warning (`blocking-sleep`) and one error (`block-on-in-async`).
const WARNING_AND_ERROR: &[u8] = b"\
pub async fn nap() {
    std::thread::sleep(std::time::Duration::from_millis(1));
}

pub async fn nested() {
    futures::executor::block_on(async {});
}
";

const ONLY_WARNING: &[u8] =
    b"pub async fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

const CLEAN: &[u8] = b"pub async fn nap() {\n    tokio::time::sleep(std::time::Duration::from_millis(1)).await;\n}\n";

fn stallcheck(args: &[&str], path: &Path) -> Run {
    run_binary(env!("CARGO_BIN_EXE_stallcheck"), args, Some(path))
}

fn rules_found(run: &Run) -> Vec<String> {
    json(run)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap().to_string())
        .collect()
}

fn crate_with(lib: &[u8]) -> tempfile::TempDir {
    tree(&[("Cargo.toml", MANIFEST), ("src/lib.rs", lib)])
}

fn assert_no_panic(run: &Run) {
    assert!(
        run.code == 0 || run.code == 1,
        "code {}: {}",
        run.code,
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(!run.stderr.contains("internal error"), "{}", run.stderr);
}

// Exit codes and --deny

#[test]
fn clean_crate_exits_zero() {
    let dir = crate_with(CLEAN);
    let run = stallcheck(&[], dir.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("stallcheck: no findings; 1 file (3 lines)"),
        "{}",
        run.stdout
    );
}

#[test]
fn warning_exits_one_by_default() {
    let dir = crate_with(ONLY_WARNING);
    let run = stallcheck(&[], dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("warning[blocking-sleep]"),
        "{}",
        run.stdout
    );
}

#[test]
fn deny_error_lets_warnings_pass_but_still_prints_them() {
    let dir = crate_with(ONLY_WARNING);
    let run = stallcheck(&["--deny", "error"], dir.path());
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("warning[blocking-sleep]"),
        "{}",
        run.stdout
    );
}

#[test]
fn error_finding_fails_even_with_deny_error() {
    let dir = crate_with(WARNING_AND_ERROR);
    let run = stallcheck(&["--deny", "error"], dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
fn every_finding_is_in_json_whatever_deny_says() {
    let dir = crate_with(WARNING_AND_ERROR);
    let run = stallcheck(&["--format", "json", "--deny", "error"], dir.path());
    assert_eq!(rules_found(&run), ["blocking-sleep", "block-on-in-async"]);
    let value = json(&run);
    assert_eq!(value["version"], 1);
    assert_eq!(value["summary"]["by_severity"]["error"], 1);
    assert_eq!(value["summary"]["by_severity"]["warning"], 1);
}

// Filters

#[test]
fn rule_selects_and_skip_rule_removes() {
    let dir = crate_with(WARNING_AND_ERROR);
    let only = stallcheck(
        &["--format", "json", "--rule", "blocking-sleep"],
        dir.path(),
    );
    assert_eq!(rules_found(&only), ["blocking-sleep"]);
    let skipped = stallcheck(
        &["--format", "json", "--skip-rule", "blocking-sleep"],
        dir.path(),
    );
    assert_eq!(rules_found(&skipped), ["block-on-in-async"]);
}

#[test]
fn unknown_rule_is_a_usage_error_naming_the_id() {
    let dir = crate_with(CLEAN);
    let run = stallcheck(&["--rule", "no-such-rule"], dir.path());
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-rule"), "{}", run.stderr);
    assert!(
        run.stderr.lines().next().unwrap().starts_with("error: "),
        "{}",
        run.stderr
    );
}

#[test]
fn exclude_glob_removes_files() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", b"mod gen;\n"),
        ("src/gen.rs", ONLY_WARNING),
    ]);
    let run = stallcheck(&["--format", "json", "--exclude", "src/gen.rs"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(rules_found(&run), Vec::<String>::new());
}

#[test]
fn configuration_sets_severity_and_turns_rules_off_and_rule_flag_wins() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", WARNING_AND_ERROR),
        (
            "stallcheck.toml",
            b"[rules]\nblocking-sleep = \"error\"\nblock-on-in-async = \"off\"\n",
        ),
    ]);
    let run = stallcheck(&["--format", "json"], dir.path());
    let value = json(&run);
    let findings = value["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{value}");
    assert_eq!(findings[0]["rule"], "blocking-sleep");
    assert_eq!(findings[0]["severity"], "error");
    let explicit = stallcheck(
        &["--format", "json", "--rule", "block-on-in-async"],
        dir.path(),
    );
    assert_eq!(rules_found(&explicit), ["block-on-in-async"]);
}

#[test]
fn configuration_include_tests_reads_test_code() {
    let test_code: &[u8] = b"#[cfg(test)]\nmod tests {\n    async fn t() {\n        std::thread::sleep(std::time::Duration::from_millis(1));\n    }\n}\n";
    let dir = tree(&[("Cargo.toml", MANIFEST), ("src/lib.rs", test_code)]);
    assert_eq!(
        rules_found(&stallcheck(&["--format", "json"], dir.path())),
        Vec::<String>::new()
    );
    assert_eq!(
        rules_found(&stallcheck(
            &["--format", "json", "--include-tests"],
            dir.path()
        )),
        ["blocking-sleep"]
    );
    std::fs::write(dir.path().join("stallcheck.toml"), "include-tests = true\n").unwrap();
    assert_eq!(
        rules_found(&stallcheck(&["--format", "json"], dir.path())),
        ["blocking-sleep"]
    );
}

#[test]
fn explicit_config_file_is_used() {
    let dir = crate_with(WARNING_AND_ERROR);
    let config = dir.path().join("elsewhere.toml");
    std::fs::write(&config, "[rules]\nblocking-sleep = \"off\"\n").unwrap();
    let run = stallcheck(
        &["--format", "json", "--config", config.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(rules_found(&run), ["block-on-in-async"]);
}

// Bad input: exit code 2 and one line

#[test]
fn nonexistent_path() {
    let dir = tempfile::tempdir().unwrap();
    let run = stallcheck(&[], &dir.path().join("nowhere"));
    assert_one_line_error(&run, "nowhere");
}

#[test]
fn directory_without_rust_source() {
    let dir = tree(&[("README.md", b"# nothing here\n")]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "no Rust source found");
}

#[test]
fn file_that_is_not_rust() {
    let dir = tree(&[("notes.txt", b"hello")]);
    let run = stallcheck(&[], &dir.path().join("notes.txt"));
    assert_one_line_error(&run, "notes.txt");
}

#[test]
fn broken_cargo_toml() {
    let dir = tree(&[("Cargo.toml", b"[package\nname = "), ("src/lib.rs", CLEAN)]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "Cargo.toml");
}

#[test]
fn bad_configuration_key() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", CLEAN),
        (
            "stallcheck.toml",
            b"exclud = []\n\n[rules]\nblocking-sleep = \"error\"\n",
        ),
    ]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "stallcheck.toml");
    assert!(run.stderr.contains("exclud"), "{}", run.stderr);
}

#[test]
fn unknown_rule_in_configuration() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", CLEAN),
        ("stallcheck.toml", b"[rules]\nblocking-slep = \"error\"\n"),
    ]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "blocking-slep");
}

#[test]
fn bad_exclude_glob() {
    let dir = crate_with(CLEAN);
    let run = stallcheck(&["--exclude", "src/[oops"], dir.path());
    assert_one_line_error(&run, "src/[oops");
}

#[test]
fn missing_config_file() {
    let dir = crate_with(CLEAN);
    let run = stallcheck(&["--config", "/nonexistent/stallcheck.toml"], dir.path());
    assert_one_line_error(&run, "/nonexistent/stallcheck.toml");
}

// Robustness: an error entry or normal handling, never a panic

#[test]
fn parse_error_is_reported_while_other_files_are_still_linted() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", b"mod broken;\nmod fine;\n"),
        ("src/broken.rs", b"fn f( {\n"),
        ("src/fine.rs", ONLY_WARNING),
    ]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    let value = json(&run);
    assert_eq!(value["errors"][0]["path"], "src/broken.rs", "{value}");
    assert!(
        value["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot parse file: "),
        "{value}"
    );
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[test]
fn parse_error_in_human_output_names_the_file() {
    let dir = tree(&[("broken.rs", b"fn f( {\n")]);
    let run = stallcheck(&["--color", "never"], dir.path());
    assert_no_panic(&run);
    assert!(
        run.stdout.contains("error: cannot parse file"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("broken.rs:1:"), "{}", run.stdout);
}

#[test]
fn non_utf8_file_is_an_error_entry() {
    let dir = tree(&[
        ("latin1.rs", b"// caf\xe9\nfn f() {}\n"),
        ("ok.rs", ONLY_WARNING),
    ]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    let value = json(&run);
    assert_eq!(value["errors"][0]["path"], "latin1.rs");
    assert!(
        value["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("UTF-8"),
        "{value}"
    );
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[test]
fn empty_file_is_fine() {
    let dir = tree(&[("empty.rs", b"")]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json(&run)["summary"]["files"], 1);
}

/// Over the default `max-file-size` (8 MiB), so the limit is raised.
#[test]
fn ten_megabyte_generated_file_is_linted_when_the_limit_allows_it() {
    let mut source = String::with_capacity(10 * 1024 * 1024 + 100);
    let mut index = 0;
    while source.len() < 10 * 1024 * 1024 {
        source.push_str(&format!(
            "pub const GENERATED_CONSTANT_{index}: &str = \"generated value number {index}\";\n"
        ));
        index += 1;
    }
    source.push_str(std::str::from_utf8(ONLY_WARNING).unwrap());
    let dir = tree(&[
        ("generated.rs", source.as_bytes()),
        ("stallcheck.toml", b"max-file-size = \"16 MiB\"\n"),
    ]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[test]
fn expressions_nested_five_thousand_deep_do_not_overflow() {
    let depth = 5_000;
    let source = format!(
        "pub async fn deep() -> i32 {{\n    std::thread::sleep(std::time::Duration::from_millis(1));\n    {}1{}\n}}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let dir = tree(&[("deep.rs", source.as_bytes())]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[test]
fn types_nested_five_thousand_deep_do_not_overflow() {
    let depth = 5_000;
    let source = format!(
        "type Deep = {}u8{};\n{}",
        "Vec<".repeat(depth),
        ">".repeat(depth),
        std::str::from_utf8(ONLY_WARNING).unwrap()
    );
    let dir = tree(&[("deep_type.rs", source.as_bytes())]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_survived() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", b"mod looped;\nmod fine;\n"),
        ("src/fine.rs", ONLY_WARNING),
    ]);
    std::os::unix::fs::symlink("looped.rs", dir.path().join("src/looped.rs")).unwrap();
    std::os::unix::fs::symlink(".", dir.path().join("src/again")).unwrap();
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_no_panic(&run);
    let value = json(&run);
    assert_eq!(value["errors"][0]["path"], "src/lib.rs", "{value}");
    assert!(
        value["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("looped"),
        "{value}"
    );
    assert_eq!(rules_found(&run), ["blocking-sleep"]);

    let loose = stallcheck(&["--format", "json"], &dir.path().join("src"));
    assert_no_panic(&loose);
}

#[test]
fn missing_mod_file_is_reported_not_fatal() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", b"mod gone;\nmod fine;\n"),
        ("src/fine.rs", ONLY_WARNING),
    ]);
    let run = stallcheck(&["--format", "json", "--deny", "error"], dir.path());
    assert_eq!(
        run.code, 0,
        "input errors fail only --deny warning and note"
    );
    let value = json(&run);
    assert!(
        value["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("module `gone`"),
        "{value}"
    );
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
    assert_eq!(stallcheck(&[], dir.path()).code, 1);
}

// Formats, colour, subcommands

#[test]
fn sarif_from_a_real_run_validates_against_the_schema() {
    let dir = crate_with(WARNING_AND_ERROR);
    let run = stallcheck(&["--format", "sarif"], dir.path());
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let problems: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| error.to_string())
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
}

#[test]
fn github_format_prints_workflow_commands() {
    let dir = crate_with(WARNING_AND_ERROR);
    let run = stallcheck(&["--format", "github"], dir.path());
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(
        lines[0].starts_with("::warning file=src/lib.rs,line=2,col=5,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::error file=src/lib.rs,line=6,"),
        "{}",
        lines[1]
    );
}

#[test]
fn github_paths_are_relative_to_the_current_directory() {
    let dir = tree(&[
        ("crates/one/Cargo.toml", MANIFEST),
        ("crates/one/src/lib.rs", ONLY_WARNING),
    ]);
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(["--format", "github", "crates/one"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("::warning file=crates/one/src/lib.rs,line=2,"),
        "{stdout}"
    );
}

#[test]
fn colour_follows_flag_and_no_color() {
    let dir = crate_with(ONLY_WARNING);
    let always = stallcheck(&["--color", "always"], dir.path());
    assert!(always.stdout.contains('\u{1b}'), "{}", always.stdout);
    let never = stallcheck(&["--color", "never"], dir.path());
    assert!(!never.stdout.contains('\u{1b}'));
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stdout).contains('\u{1b}'));
}

#[test]
fn quiet_leaves_out_the_summary() {
    let dir = crate_with(ONLY_WARNING);
    let run = stallcheck(&["--quiet"], dir.path());
    assert!(run.stdout.contains("warning[blocking-sleep]"));
    assert!(!run.stdout.contains("stallcheck: "), "{}", run.stdout);
}

#[test]
fn jobs_do_not_change_the_result() {
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", b"mod a;\nmod b;\nmod c;\n"),
        ("src/a.rs", WARNING_AND_ERROR),
        ("src/b.rs", ONLY_WARNING),
        ("src/c.rs", WARNING_AND_ERROR),
    ]);
    let one = stallcheck(&["--format", "json", "--jobs", "1"], dir.path());
    let two = stallcheck(&["--format", "json", "--jobs", "2"], dir.path());
    assert_eq!(json(&one)["findings"], json(&two)["findings"]);
    assert_eq!(rules_found(&one).len(), 5);
}

#[test]
fn rules_lists_every_rule() {
    let run = run_binary(env!("CARGO_BIN_EXE_stallcheck"), &["rules"], None);
    assert_eq!(run.code, 0);
    for rule in stallcheck_lint::rules::ALL {
        assert!(run.stdout.contains(rule.id), "{} missing", rule.id);
    }
}

#[test]
fn explain_prints_the_rule_doc_and_rejects_unknown_ids() {
    let run = run_binary(
        env!("CARGO_BIN_EXE_stallcheck"),
        &["explain", "blocking-fs"],
        None,
    );
    assert_eq!(run.code, 0);
    let doc = stallcheck_lint::rules::find("blocking-fs").unwrap().doc();
    assert!(run.stdout.contains(doc.trim_end()), "{}", run.stdout);
    let unknown = run_binary(env!("CARGO_BIN_EXE_stallcheck"), &["explain", "nope"], None);
    assert_one_line_error(&unknown, "nope");
}

#[test]
fn help_explains_options_and_exit_codes() {
    let run = run_binary(env!("CARGO_BIN_EXE_stallcheck"), &["--help"], None);
    assert_eq!(run.code, 0);
    for text in [
        "--format",
        "--deny",
        "--include-tests",
        "--exclude",
        "--jobs",
        "Exit codes",
        "NO_COLOR",
    ] {
        assert!(run.stdout.contains(text), "`{text}` missing from --help");
    }
}

#[test]
fn cargo_subcommand_accepts_the_name_cargo_passes() {
    let dir = crate_with(ONLY_WARNING);
    let run = run_binary(
        env!("CARGO_BIN_EXE_cargo-stallcheck"),
        &["stallcheck", "--format", "json"],
        Some(dir.path()),
    );
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
    let help = run_binary(
        env!("CARGO_BIN_EXE_cargo-stallcheck"),
        &["stallcheck", "--help"],
        None,
    );
    assert!(help.stdout.contains("cargo stallcheck"), "{}", help.stdout);
}

#[test]
fn default_path_is_the_current_directory() {
    let dir = crate_with(ONLY_WARNING);
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(["--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(rules_found(&run), ["blocking-sleep"]);
}

#[test]
fn workspace_without_members_is_no_rust_source() {
    let dir = tree(&[(
        "Cargo.toml",
        b"[workspace]\nmembers = []\nresolver = \"2\"\n",
    )]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "no Rust source found");
}

#[test]
fn configuration_extends_and_allows_catalog_paths() {
    let lib: &[u8] = b"\
pub mod db {
    pub fn query() {}
}

pub async fn handler() {
    crate::db::query();
    std::thread::sleep(std::time::Duration::from_millis(1));
    let _ = std::fs::read(\"x\");
}
";
    let config: &[u8] = b"\
[blocking]
extra = [{ path = \"sample::db::query\", rule = \"blocking-client\" }]
allow = [\"std::thread\"]
";
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", lib),
        ("stallcheck.toml", config),
    ]);
    let run = stallcheck(&["--format", "json"], dir.path());
    assert_eq!(
        rules_found(&run),
        ["blocking-client", "blocking-fs"],
        "{}",
        run.stdout
    );
    let raw = stallcheck(&["--format", "json", "--no-config"], dir.path());
    assert_eq!(
        rules_found(&raw),
        ["blocking-sleep", "blocking-fs"],
        "{}",
        raw.stdout
    );
}

#[test]
fn configuration_extra_with_unknown_rule_is_named() {
    let config: &[u8] = b"[blocking]\nextra = [{ path = \"a::b\", rule = \"slow-thing\" }]\n";
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", CLEAN),
        ("stallcheck.toml", config),
    ]);
    let run = stallcheck(&[], dir.path());
    assert_one_line_error(&run, "slow-thing");
}
