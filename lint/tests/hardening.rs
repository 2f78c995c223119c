//! Hostile inputs, run through the `stallcheck` binary: a target must never
//! make stallcheck run a program of its choosing, no input may make it hang,
//! and every bad input is named in one clear line.
//!
//! Each run is guarded by [`HANG_GUARD`]: a run still going after it is
//! killed and the test fails as hung. That is a guard against hangs, not a
//! speed assertion: a healthy run takes well under a second.

#[allow(dead_code)] // Only `tree` is used here.
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::tree;

const HANG_GUARD: Duration = Duration::from_secs(60);

const MANIFEST: &str = "[package]\nname = \"target\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

/// What one guarded run printed.
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs stallcheck in `cwd` with `args` and extra environment `env`; kills
/// it and fails the test if it is still running after [`HANG_GUARD`].
fn stallcheck_in(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stallcheck"));
    command
        .current_dir(cwd)
        .args(args)
        .env_remove("NO_COLOR")
        // Under `cargo test` these name the toolchain that built the test,
        // which would hide what a toolchain file in the target does.
        .env_remove("CARGO")
        .env_remove("RUSTUP_TOOLCHAIN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // rustup's proxies first, as in a user's shell: they are what honours
    // a toolchain file (a toolchain's own `bin/`, which a `cargo test` may
    // put on PATH, does not).
    let path = format!(
        "{}:{}",
        rustup_proxy_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    command.env("PATH", path);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("stallcheck starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("child status").is_some() {
            break;
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("stallcheck {args:?} in {} hung", cwd.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("child output");
    Outcome {
        code: output
            .status
            .code()
            .expect("exited normally, not by a signal"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The directory of rustup's `cargo` proxy (`$CARGO_HOME/bin`).
fn rustup_proxy_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")))
        .expect("CARGO_HOME or HOME is set");
    let dir = cargo_home.join("bin");
    assert!(
        dir.join("rustup").is_file() && dir.join("cargo").is_file(),
        "these tests need rustup's proxies in {}: install Rust with rustup (https://rustup.rs)",
        dir.display()
    );
    dir
}

/// A program that records that it ran by creating `marker`, then fails.
#[cfg(unix)]
fn marker_program(at: &Path, marker: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(
        at,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A crate with one async finding, so a run that works says so.
fn target_crate() -> tempfile::TempDir {
    tree(&[
        ("outer/target/Cargo.toml", MANIFEST),
        (
            "outer/target/src/lib.rs",
            "pub async fn f() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n",
        ),
    ])
}

/// Every program a hostile layout could name: cargo, rustc and friends in
/// `bin/` (a toolchain directory) and at the top.
#[cfg(unix)]
fn plant_markers(dir: &Path, marker: &Path) -> PathBuf {
    for name in ["cargo", "rustc", "rustdoc", "rustup"] {
        marker_program(&dir.join("bin").join(name), marker);
        marker_program(&dir.join(name), marker);
    }
    dir.join("bin/rustc")
}

#[cfg(unix)]
fn assert_linted_without_running(marker: &Path, outcome: &Outcome) {
    assert!(
        !marker.exists(),
        "a program chosen by the target ran; stderr: {}",
        outcome.stderr
    );
    assert_eq!(outcome.code, 1, "stderr: {}", outcome.stderr);
    assert!(
        outcome.stdout.contains("warning[blocking-sleep]"),
        "{}",
        outcome.stdout
    );
}

#[cfg(unix)]
#[test]
fn a_rust_toolchain_file_naming_a_toolchain_directory_is_not_honoured() {
    let dir = target_crate();
    let target = dir.path().join("outer/target");
    let marker = dir.path().join("MARKER");
    let toolchain = dir.path().join("outer/target/evil-toolchain");
    plant_markers(&toolchain, &marker);
    std::fs::write(
        target.join("rust-toolchain.toml"),
        format!("[toolchain]\npath = \"{}\"\n", toolchain.display()),
    )
    .unwrap();
    // Inside the target with the default PATH `.`, and from outside.
    let inside = stallcheck_in(&target, &["--color", "never"], &[]);
    assert_linted_without_running(&marker, &inside);
    let outside = stallcheck_in(dir.path(), &["outer/target"], &[]);
    assert_linted_without_running(&marker, &outside);
}

#[cfg(unix)]
#[test]
fn a_legacy_rust_toolchain_file_is_not_honoured() {
    let dir = target_crate();
    let target = dir.path().join("outer/target");
    let marker = dir.path().join("MARKER");
    plant_markers(&target.join("evil"), &marker);
    std::fs::write(target.join("rust-toolchain"), "no-such-toolchain-xyz\n").unwrap();
    let outcome = stallcheck_in(&target, &[], &[]);
    assert_linted_without_running(&marker, &outcome);
}

#[cfg(unix)]
#[test]
fn cargo_configuration_of_the_target_and_its_parents_is_not_honoured() {
    for config_dir in ["outer/target/.cargo", "outer/.cargo"] {
        let dir = target_crate();
        let marker = dir.path().join("MARKER");
        let program = plant_markers(&dir.path().join("evil"), &marker);
        let program = program.display();
        let config = format!(
            "[build]\nrustc = \"{program}\"\nrustc-wrapper = \"{program}\"\nrustdoc = \"{program}\"\n\
             [alias]\nmetadata = \"run --bin evil\"\nm = \"run\"\n\
             [env]\nRUSTC = \"{program}\"\nRUSTC_WRAPPER = \"{program}\"\n\
             [target.'cfg(all())']\nrunner = \"{program}\"\n\
             [net]\ngit-fetch-with-cli = true\n"
        );
        let config_file = dir.path().join(config_dir).join("config.toml");
        std::fs::create_dir_all(config_file.parent().unwrap()).unwrap();
        std::fs::write(&config_file, config).unwrap();
        let target = dir.path().join("outer/target");
        let outcome = stallcheck_in(&target, &[], &[]);
        assert_linted_without_running(&marker, &outcome);
    }
}

#[cfg(unix)]
#[test]
fn a_cargo_in_a_relative_path_entry_is_not_run() {
    let dir = target_crate();
    let target = dir.path().join("outer/target");
    let marker = dir.path().join("MARKER");
    plant_markers(&target, &marker);
    let path = format!(
        ".:bin:{}:{}",
        rustup_proxy_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let outcome = stallcheck_in(&target, &[], &[("PATH", &path)]);
    assert_linted_without_running(&marker, &outcome);
}

#[test]
fn rustups_own_failure_is_one_line_without_a_stack_trace() {
    let dir = target_crate();
    let outcome = stallcheck_in(
        &dir.path().join("outer/target"),
        &[],
        &[
            ("RUSTUP_TOOLCHAIN", "no-such-toolchain-xyz"),
            ("RUST_BACKTRACE", "1"),
        ],
    );
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    let manifest = dir
        .path()
        .canonicalize()
        .unwrap()
        .join("outer/target/Cargo.toml");
    assert_eq!(
        outcome.stderr,
        format!(
            "error: cannot run `cargo metadata` for `{}`: toolchain 'no-such-toolchain-xyz' is not installed\n",
            manifest.display()
        )
    );
}

/// Makes a FIFO at `path` with the system's `mkfifo`.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("`mkfifo` (coreutils) is needed for this test: install coreutils");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

/// The human output's diagnostics, without the summary line's timing.
fn lines(outcome: &Outcome) -> Vec<&str> {
    outcome
        .stdout
        .lines()
        .filter(|line| !line.starts_with("stallcheck: "))
        .collect()
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_path_is_an_input_error_not_a_hang() {
    let dir = tree(&[]);
    mkfifo(&dir.path().join("x.rs"));
    let outcome = stallcheck_in(dir.path(), &["--color", "never", "x.rs"], &[]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert_eq!(
        lines(&outcome),
        [
            "error: not a regular file (a FIFO); not read",
            "--> x.rs",
            ""
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_reached_by_a_mod_declaration_is_an_input_error_not_a_hang() {
    let dir = tree(&[
        ("target/Cargo.toml", MANIFEST),
        ("target/src/lib.rs", "mod x;\n"),
    ]);
    mkfifo(&dir.path().join("target/src/x.rs"));
    let outcome = stallcheck_in(&dir.path().join("target"), &["--color", "never"], &[]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert_eq!(
        lines(&outcome),
        [
            "error: not a regular file (a FIFO); not read",
            "--> src/x.rs",
            ""
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_as_configuration_or_manifest_is_a_one_line_error() {
    let dir = tree(&[("lib.rs", "fn f() {}\n")]);
    mkfifo(&dir.path().join("stallcheck.toml"));
    let outcome = stallcheck_in(dir.path(), &["--config", "stallcheck.toml", "lib.rs"], &[]);
    assert_eq!(
        outcome.stderr,
        "error: cannot read configuration `stallcheck.toml`: not a regular file (a FIFO); not read\n"
    );
    assert_eq!(outcome.code, 2);
    let manifest_dir = tree(&[]);
    mkfifo(&manifest_dir.path().join("Cargo.toml"));
    let outcome = stallcheck_in(manifest_dir.path(), &["Cargo.toml"], &[]);
    assert_eq!(
        outcome.stderr,
        "error: `Cargo.toml` is not a regular file\n"
    );
    assert_eq!(outcome.code, 2);
}

#[test]
fn jobs_above_the_cap_are_a_usage_error() {
    let dir = tree(&[("lib.rs", "fn f() {}\n")]);
    for jobs in ["257", "65535"] {
        let outcome = stallcheck_in(dir.path(), &["--jobs", jobs, "lib.rs"], &[]);
        assert_eq!(outcome.code, 2, "{}", outcome.stderr);
        assert_eq!(
            outcome.stderr.lines().next(),
            Some(
                format!("error: invalid value '{jobs}' for '--jobs <N>': {jobs} is not in 1..=256")
                    .as_str()
            )
        );
    }
}

#[test]
fn the_most_jobs_on_a_small_file_finish() {
    let dir = tree(&[(
        "six.rs",
        "async fn f() {\n    std::thread::sleep(d);\n}\nfn g() {}\nfn h() {}\nfn i() {}\n",
    )]);
    let outcome = stallcheck_in(dir.path(), &["--jobs", "256", "-q", "six.rs"], &[]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stdout.contains("blocking-sleep"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn a_file_over_max_file_size_is_skipped_naming_size_and_setting() {
    let big = format!("fn f() {{}}\n{}", "// padding\n".repeat(200));
    let dir = tree(&[
        ("stallcheck.toml", "max-file-size = \"1 KiB\"\n"),
        ("big.rs", &big),
        ("small.rs", "async fn f() { std::thread::sleep(d); }\n"),
    ]);
    let outcome = stallcheck_in(dir.path(), &["--color", "never", "--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(
        json["errors"],
        serde_json::json!([{
            "path": "big.rs",
            "line": null,
            "column": null,
            "end_line": null,
            "end_column": null,
            "message": "file is 2.2 KiB, larger than `max-file-size` (1 KiB); not read"
        }]),
        "{}",
        outcome.stdout
    );
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(1));
}

/// The first line of each diagnostic block (`error: ...`, `warning[..]: ...`).
fn titles(outcome: &Outcome) -> Vec<&str> {
    outcome
        .stdout
        .lines()
        .filter(|line| line.starts_with("error") || line.starts_with("warning"))
        .collect()
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_out_of_the_package_is_named_with_its_target() {
    let dir = tree(&[
        ("secret.rs", "fn not_yours() {}\n"),
        ("mod.rs", "fn not_yours_either() {}\n"),
        ("target/Cargo.toml", MANIFEST),
        ("target/src/lib.rs", "mod linked;\nmod through;\n"),
    ]);
    let secret = dir.path().canonicalize().unwrap().join("secret.rs");
    // A link to a file, and a directory link that `through/mod.rs` goes through.
    std::os::unix::fs::symlink(&secret, dir.path().join("target/src/linked.rs")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("target/src/through")).unwrap();
    let outcome = stallcheck_in(&dir.path().join("target"), &["--color", "never"], &[]);
    let outside = dir.path().canonicalize().unwrap();
    assert_eq!(
        titles(&outcome),
        [
            format!(
                "error: module `linked`: `src/linked.rs` is a symbolic link to `{}`, outside the package; not read",
                secret.display()
            ),
            format!(
                "error: module `through`: `src/through/mod.rs` leads through a symbolic link to `{}`, outside the package; not read",
                outside.join("mod.rs").display()
            ),
        ]
    );
}

#[test]
fn a_path_attribute_climbing_past_the_root_is_shown_normalised() {
    let dir = tree(&[
        ("target/Cargo.toml", MANIFEST),
        (
            "target/src/lib.rs",
            &format!("#[path = \"{}etc/passwd\"]\nmod up;\n", "../".repeat(40)),
        ),
    ]);
    let outcome = stallcheck_in(&dir.path().join("target"), &["--color", "never"], &[]);
    assert_eq!(
        titles(&outcome),
        ["error: `#[path]` of module `up` points outside the package (`/etc/passwd`); not read"]
    );
}

#[test]
fn an_outside_cfg_attr_path_is_reported_like_a_plain_path_attribute() {
    let dir = tree(&[
        ("outside.rs", "fn not_yours() {}\n"),
        ("target/Cargo.toml", MANIFEST),
        (
            "target/src/lib.rs",
            "#[cfg_attr(unix, path = \"../../outside.rs\")]\nmod sys;\n",
        ),
        // The plain location exists: the outside alternative is still named.
        ("target/src/sys.rs", ""),
    ]);
    let outcome = stallcheck_in(&dir.path().join("target"), &["--color", "never"], &[]);
    let outside = dir.path().canonicalize().unwrap().join("outside.rs");
    assert_eq!(
        titles(&outcome),
        [format!(
            "error: `#[cfg_attr(.., path)]` of module `sys` points outside the package (`{}`); not read",
            outside.display()
        )]
    );
}

#[test]
fn a_directory_whose_rust_files_are_all_gitignored_says_so() {
    let dir = tree(&[
        ("loose/.gitignore", "*.rs\n"),
        ("loose/a.rs", "fn a() {}\n"),
    ]);
    let outcome = stallcheck_in(dir.path(), &["loose"], &[]);
    assert_eq!(
        outcome.stderr,
        "error: no Rust source found in `loose` (no Cargo.toml, and every .rs file is ignored by .gitignore)\n"
    );
    assert_eq!(outcome.code, 2);
}

#[test]
fn a_missing_target_file_names_its_manifest_entry() {
    let manifest = format!(
        "{MANIFEST}[[example]]\nname = \"demo\"\npath = \"examples/gone.rs\"\n\
         [[test]]\nname = \"it\"\npath = \"tests/gone.rs\"\n"
    );
    let dir = tree(&[
        ("target/Cargo.toml", &manifest),
        ("target/src/lib.rs", "pub fn f() {}\n"),
    ]);
    let outcome = stallcheck_in(
        &dir.path().join("target"),
        &["--color", "never", "--include-tests"],
        &[],
    );
    assert_eq!(
        lines(&outcome),
        [
            "error: file not found for the `[[example]]` named `demo` in the Cargo.toml of package `target`",
            "--> examples/gone.rs",
            "",
            "error: file not found for the `[[test]]` named `it` in the Cargo.toml of package `target`",
            "--> tests/gone.rs",
            "",
        ]
    );
}

#[test]
fn the_caret_after_a_byte_order_mark_is_under_the_call() {
    let dir = tree(&[(
        "bom.rs",
        "\u{feff}async fn f() { std::thread::sleep(d); }\n",
    )]);
    let outcome = stallcheck_in(dir.path(), &["--color", "never", "bom.rs"], &[]);
    assert_eq!(
        lines(&outcome)[..5],
        [
            "warning[blocking-sleep]: blocking sleep `std::thread::sleep` in async function `f`",
            " --> bom.rs:1:16",
            "  |",
            "1 | async fn f() { std::thread::sleep(d); }",
            "  |                ^^^^^^^^^^^^^^^^^^^^^",
        ]
    );
}

/// Over `relevance::MIN_SIZE`: big enough for the pre-scan to apply.
fn generated_helpers(bytes: usize) -> String {
    let mut source = String::new();
    let mut index = 0;
    while source.len() < bytes {
        source.push_str(&format!(
            "pub fn helper_{index}(x: u64) -> u64 {{\n    x.wrapping_mul({index}).rotate_left(3)\n}}\n"
        ));
        index += 1;
    }
    source
}

#[test]
fn a_large_file_that_cannot_matter_is_counted_but_not_parsed() {
    // The trailing syntax error shows that it was not parsed.
    let irrelevant = format!("{}fn broken(", generated_helpers(300 << 10));
    let dir = tree(&[
        ("target/Cargo.toml", MANIFEST),
        (
            "target/src/lib.rs",
            "mod generated;\nmod reached;\npub async fn f() {\n    reached::helper_0(1);\n}\n",
        ),
        ("target/src/generated.rs", &irrelevant),
        // As large and as sync, but it names std's sleep: it matters to the
        // call graph, so it is analysed and the chain from `f` is found.
        (
            "target/src/reached.rs",
            &format!(
                "{}pub fn helper_last() {{ std::thread::sleep(std::time::Duration::from_millis(1)); }}\n",
                generated_helpers(300 << 10).replacen(
                    "x.wrapping_mul(0).rotate_left(3)",
                    "{ helper_last(); x }",
                    1
                )
            ),
        ),
    ]);
    let outcome = stallcheck_in(&dir.path().join("target"), &["--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
    assert_eq!(json["errors"], serde_json::json!([]), "{}", outcome.stdout);
    assert_eq!(json["summary"]["files"], 3);
    let rules: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["blocking-sleep"], "{}", outcome.stdout);
}

#[cfg(unix)]
#[test]
fn a_target_root_file_that_links_out_of_the_package_is_named_as_a_link() {
    let dir = tree(&[
        ("secret.rs", "fn not_yours() {}\n"),
        ("target/Cargo.toml", MANIFEST),
    ]);
    let secret = dir.path().canonicalize().unwrap().join("secret.rs");
    std::fs::create_dir_all(dir.path().join("target/src")).unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("target/src/lib.rs")).unwrap();
    let outcome = stallcheck_in(&dir.path().join("target"), &["--color", "never"], &[]);
    assert_eq!(
        lines(&outcome),
        [
            format!(
                "error: `src/lib.rs` is a symbolic link to `{}`, outside the package; not read",
                secret.display()
            )
            .as_str(),
            "--> src/lib.rs",
            "",
        ]
    );
}

#[test]
fn words_in_the_strings_and_comments_of_a_large_file_do_not_make_it_parsed() {
    // `async`, `lock` and `tokio::sync::Mutex` only inside literals and
    // comments: the file still cannot matter, so its trailing syntax error
    // goes unseen (it was not parsed). A `stallcheck:` comment is read, so
    // the same file with one is parsed and the error is reported.
    let quiet = generated_helpers(300 << 10).replace(
        "x.wrapping_mul(0)",
        "/* tokio::sync::Mutex */ x.wrapping_mul(\"async lock block_on\".len() as u64)",
    );
    for (comment, parsed) in [
        ("// generated", false),
        ("// stallcheck: allow(blocking-fs)", true),
    ] {
        let text = format!("{comment}\n{quiet}fn broken(");
        let dir = tree(&[
            ("target/Cargo.toml", MANIFEST),
            ("target/src/lib.rs", "mod generated;\n"),
            ("target/src/generated.rs", &text),
        ]);
        let outcome = stallcheck_in(&dir.path().join("target"), &["--format", "json"], &[]);
        let json: serde_json::Value = serde_json::from_str(&outcome.stdout).unwrap();
        let errors = json["errors"].as_array().unwrap();
        assert_eq!(!errors.is_empty(), parsed, "{comment}: {}", outcome.stdout);
        assert_eq!(json["summary"]["files"], 2, "{}", outcome.stdout);
    }
}
