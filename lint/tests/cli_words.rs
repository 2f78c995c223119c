//! Words that match: `--help` and the README name the same options,
//! `cargo stallcheck` names itself in what it tells the user to run,
//! configuration errors have one shape, parse errors name their cause,
//! and colour follows cargo's variables.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

mod support;

use support::{Run, assert_one_line_error, json, run_binary, tree};

const STALLCHECK: &str = env!("CARGO_BIN_EXE_stallcheck");
const CARGO_STALLCHECK: &str = env!("CARGO_BIN_EXE_cargo-stallcheck");

const MANIFEST: &str = "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

const ONLY_WARNING: &str =
    "pub async fn nap() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";

/// `cargo stallcheck ARGS`, as cargo runs it.
fn cargo_stallcheck(args: &[&str], path: Option<&Path>) -> Run {
    let mut with_name = vec!["stallcheck"];
    with_name.extend_from_slice(args);
    run_binary(CARGO_STALLCHECK, &with_name, path)
}

/// The long options (`--name`) a text lists at the start of its lines or
/// table rows; `--help` and `--version` are clap's own.
fn long_options(lines: impl Iterator<Item = String>) -> BTreeSet<String> {
    let mut options = BTreeSet::new();
    for line in lines {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("--") {
            let name: String = rest[at + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if !name.is_empty() && name != "help" && name != "version" {
                options.insert(format!("--{name}"));
            }
            rest = &rest[at + 2 + name.len()..];
        }
    }
    options
}

// Help and README

#[test]
fn the_readme_option_table_lists_exactly_the_options_of_help() {
    let help = run_binary(STALLCHECK, &["--help"], None);
    assert_eq!(help.code, 0);
    // clap's option lines start with `-x, --name <VALUE>` or `--name`,
    // followed by two spaces or the end of the line; aliases follow the
    // description as `[aliases: --other]`.
    let option_column = help
        .stdout
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .map(|line| line.split("  ").next().unwrap_or("").to_string());
    let aliases = help
        .stdout
        .split("[alias")
        .skip(1)
        .map(|tail| tail.split(']').next().unwrap_or("").to_string());
    let in_help = long_options(option_column.chain(aliases));
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md at the workspace root");
    let usage = readme
        .split("\n## Usage\n")
        .nth(1)
        .and_then(|text| text.split("\n### ").next())
        .expect("README has a Usage section");
    // The option column of the table: its rows start with "| `-".
    let in_readme = long_options(
        usage
            .lines()
            .filter(|line| line.starts_with("| `-"))
            .map(|line| line.split('|').nth(1).unwrap_or("").to_string()),
    );
    assert_eq!(
        in_readme, in_help,
        "README's option table (left) and `stallcheck --help` (right) differ"
    );
}

#[test]
fn exclude_is_described_as_the_readme_describes_it() {
    let help = run_binary(STALLCHECK, &["--help"], None);
    assert!(
        help.stdout
            .contains("Do not report files matching this glob, relative to the root"),
        "{}",
        help.stdout
    );
    let readme = include_str!("../../README.md");
    assert!(readme.contains(
        "| `--exclude GLOB` | do not report files matching this glob, relative to the root"
    ));
}

// `cargo stallcheck` names itself

#[test]
fn cargo_stallcheck_names_itself_when_a_rule_is_unknown() {
    let explain = cargo_stallcheck(&["explain", "nope"], None);
    assert_one_line_error(
        &explain,
        "unknown rule `nope` (`cargo stallcheck rules` lists them)",
    );
    let flag = cargo_stallcheck(&["--rule", "nope"], None);
    assert_eq!(flag.code, 2);
    assert!(
        flag.stderr
            .contains("(`cargo stallcheck rules` lists them)"),
        "{}",
        flag.stderr
    );
    let plain = run_binary(STALLCHECK, &["explain", "nope"], None);
    assert_one_line_error(
        &plain,
        "unknown rule `nope` (`stallcheck rules` lists them)",
    );
}

#[test]
fn cargo_stallcheck_names_itself_in_rules_help_and_configuration_errors() {
    let rules = cargo_stallcheck(&["rules"], None);
    assert!(
        rules
            .stdout
            .ends_with("\n`cargo stallcheck explain RULE` prints a rule's documentation.\n"),
        "{}",
        rules.stdout
    );
    let help = cargo_stallcheck(&["--help"], None);
    assert!(
        help.stdout
            .contains("Usage: cargo stallcheck [OPTIONS] [PATH]")
    );
    assert!(
        help.stdout
            .contains("  cargo stallcheck --baseline stallcheck-baseline.json"),
        "{}",
        help.stdout
    );
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", ONLY_WARNING),
        ("stallcheck.toml", "[rules]\nblocking-slep = \"error\"\n"),
    ]);
    let config = cargo_stallcheck(&[], Some(dir.path()));
    assert_one_line_error(&config, "(`cargo stallcheck rules` lists them)");
}

#[test]
fn an_unknown_rule_in_an_allow_comment_points_at_the_command_in_use() {
    let lib = "// stallcheck: allow(blocking-slep) typo\npub fn f() {}\n";
    let dir = tree(&[("Cargo.toml", MANIFEST), ("src/lib.rs", lib)]);
    let plain = run_binary(STALLCHECK, &["--format", "json"], Some(dir.path()));
    assert_eq!(
        json(&plain)["findings"][0]["help"],
        "`stallcheck rules` lists the rule ids"
    );
    let cargo = cargo_stallcheck(&["--format", "json"], Some(dir.path()));
    assert_eq!(
        json(&cargo)["findings"][0]["help"],
        "`cargo stallcheck rules` lists the rule ids"
    );
}

// Configuration errors: one shape, no internal names

#[test]
fn configuration_errors_from_files_and_manifest_tables_share_one_shape() {
    let file = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", ONLY_WARNING),
        ("stallcheck.toml", "[blocking]\nextra = [\"a::b\"]\n"),
    ]);
    let run = run_binary(STALLCHECK, &[], Some(file.path()));
    assert_one_line_error(&run, "invalid configuration `");
    assert!(run.stderr.contains("stallcheck.toml`:2:"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "expected a table such as { path = \"mycrate::db::query\", rule = \"blocking-client\" }"
        ),
        "{}",
        run.stderr
    );

    let manifest = format!("{MANIFEST}\n[package.metadata]\nstallcheck = \"strict\"\n");
    let table = tree(&[("Cargo.toml", &manifest), ("src/lib.rs", ONLY_WARNING)]);
    let run = run_binary(STALLCHECK, &[], Some(table.path()));
    assert_one_line_error(&run, "invalid configuration `");
    assert!(
        run.stderr
            .contains("Cargo.toml [package.metadata.stallcheck]`: invalid type: string \"strict\", expected a table"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_configuration_error_names_an_internal_type() {
    let cases = [
        "blocking = 3\n",
        "context = 3\n",
        "[blocking]\nextra = [3]\n",
        "[blocking]\nextra = [{ path = \"a::b\" }]\n",
        "rules = \"off\"\n",
    ];
    for config in cases {
        let dir = tree(&[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", ONLY_WARNING),
            ("stallcheck.toml", config),
        ]);
        let run = run_binary(STALLCHECK, &[], Some(dir.path()));
        assert_one_line_error(&run, "invalid configuration `");
        assert!(
            !run.stderr.contains("Raw") && !run.stderr.contains("struct"),
            "{config}: {}",
            run.stderr
        );
    }
}

// Parse errors name their cause

#[test]
fn an_unclosed_delimiter_is_reported_at_the_delimiter() {
    let broken = "pub fn f() {\n    if true {\n        g();\n}\n";
    let dir = tree(&[
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", "mod broken;\n"),
        ("src/broken.rs", broken),
    ]);
    let run = run_binary(STALLCHECK, &["--format", "json"], Some(dir.path()));
    let error = &json(&run)["errors"][0];
    assert_eq!(
        error["message"],
        "cannot parse file: unclosed delimiter: this `{` is never closed"
    );
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(12))
    );
}

#[test]
fn a_bare_trait_object_in_an_edition_2015_crate_is_named() {
    let manifest = MANIFEST.replace("2021", "2015");
    let dir = tree(&[
        ("Cargo.toml", &manifest),
        (
            "src/lib.rs",
            "pub fn make() -> Box<Fn(u8) -> u8> {\n    Box::new(|x| x)\n}\n",
        ),
    ]);
    let run = run_binary(STALLCHECK, &["--color", "never"], Some(dir.path()));
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout.lines().take(5).collect::<Vec<_>>().join("\n"));
}

// Colour: --color, then CARGO_TERM_COLOR, then NO_COLOR and CLICOLOR_FORCE

/// A human run on a file with a finding, stdout a pipe, with only `vars`
/// of the colour variables set; whether it printed escape codes.
fn coloured(args: &[&str], vars: &[(&str, &str)]) -> bool {
    let dir = tree(&[("lib.rs", ONLY_WARNING)]);
    let mut command = Command::new(STALLCHECK);
    command.args(args).arg(dir.path());
    for name in ["NO_COLOR", "CARGO_TERM_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        command.env_remove(name);
    }
    command.envs(vars.iter().copied());
    let output = command.output().expect("stallcheck runs");
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8_lossy(&output.stdout).contains('\u{1b}')
}

#[test]
fn a_pipe_is_not_coloured_unless_something_says_so() {
    assert!(!coloured(&[], &[]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(coloured(&[], &[("CARGO_TERM_COLOR", "always")]));
}

#[test]
fn no_color_beats_clicolor_force_but_not_an_explicit_choice() {
    assert!(!coloured(
        &[],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
    ));
    assert!(coloured(
        &[],
        &[("NO_COLOR", "1"), ("CARGO_TERM_COLOR", "always")]
    ));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]));
}

#[test]
fn the_color_flag_beats_cargo_term_color() {
    assert!(!coloured(
        &["--color", "never"],
        &[("CARGO_TERM_COLOR", "always")]
    ));
    assert!(!coloured(
        &["--color", "auto"],
        &[("CARGO_TERM_COLOR", "always")]
    ));
    assert!(coloured(
        &["--color", "always"],
        &[("CARGO_TERM_COLOR", "never")]
    ));
}

#[test]
fn an_invalid_cargo_term_color_is_a_usage_error() {
    let dir = tree(&[("lib.rs", ONLY_WARNING)]);
    let output = Command::new(STALLCHECK)
        .arg(dir.path())
        .env("CARGO_TERM_COLOR", "yes")
        .output()
        .expect("stallcheck runs");
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_one_line_error(
        &run,
        "invalid CARGO_TERM_COLOR `yes`: expected `auto`, `always` or `never`",
    );
}
