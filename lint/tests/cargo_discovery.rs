//! Discovery like cargo's: standing in a member's `src/` lints that member,
//! with the workspace root's configuration, and names its files as cargo
//! does, relative to the workspace root.

use std::path::Path;
use std::process::Command;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// stdout of a run in `cwd`.
fn stdout(cwd: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(["--color", "never", "--quiet"])
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// (absolute path, line, rule) of each finding of a JSON run in `cwd`.
fn findings(cwd: &Path, args: &[&str]) -> Vec<(String, u64, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(["--format", "json"])
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("no JSON: {}", String::from_utf8_lossy(&output.stderr)));
    let root = Path::new(json["root"].as_str().unwrap());
    let mut found: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                root.join(finding["path"].as_str().unwrap())
                    .display()
                    .to_string(),
                finding["line"].as_u64().unwrap(),
                finding["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// A workspace of members `a` and `b`, each with a blocking read in
/// `src/lib.rs` and a blocking sleep in `src/skipped.rs`; the root's
/// configuration excludes `a/src/skipped.rs`.
fn two_member_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
    );
    // The root's configuration: its globs are relative to the root.
    write(
        &root.join("stallcheck.toml"),
        "exclude = [\"a/src/skipped.rs\"]\n",
    );
    for member in ["a", "b"] {
        write(
            &root.join(member).join("Cargo.toml"),
            &format!("[package]\nname = \"{member}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        );
        write(
            &root.join(member).join("src/lib.rs"),
            "mod skipped;\npub async fn load() -> Vec<u8> {\n    std::fs::read(\"x\").unwrap()\n}\n",
        );
        write(
            &root.join(member).join("src/skipped.rs"),
            "pub async fn wait() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
        );
    }
    dir
}

#[test]
fn a_members_src_gives_the_findings_of_that_member_from_the_root() {
    let dir = two_member_workspace();
    let root = dir.path().canonicalize().unwrap();
    let from_src = findings(&root.join("a/src"), &[]);
    let from_root = findings(&root, &["-p", "a"]);
    let whole: Vec<_> = findings(&root, &[])
        .into_iter()
        .filter(|(path, ..)| path.starts_with(&root.join("a").display().to_string()))
        .collect();
    let lib = root.join("a/src/lib.rs").display().to_string();
    assert_eq!(from_src, [(lib, 3, "blocking-fs".to_string())]);
    assert_eq!(from_root, from_src);
    assert_eq!(whole, from_src);
    // b's skipped.rs is not excluded by a glob naming a's.
    assert!(
        findings(&root.join("b"), &[])
            .iter()
            .any(|(path, ..)| path.ends_with("b/src/skipped.rs"))
    );
}

/// `cargo clippy` names a member's files relative to the workspace root,
/// wherever it runs (`a/src/lib.rs:3:5` from `a/src/`, and from elsewhere
/// with `--manifest-path`): cargo runs rustc in the workspace root, and
/// rust-analyzer resolves the file names of cargo's JSON against it.
#[test]
fn paths_are_relative_to_the_workspace_root_wherever_one_stands() {
    let dir = two_member_workspace();
    let root = dir.path().canonicalize().unwrap();
    let expected = "a/src/lib.rs:3:5: warning[blocking-fs]: blocking filesystem call `std::fs::read` in async function `load`\n";
    let short = ["--message-format", "short"];
    assert_eq!(stdout(&root.join("a/src"), &short), expected);
    assert_eq!(stdout(&root.join("a"), &short), expected);
    assert_eq!(
        stdout(&root, &[&short[..], &["-p", "a"]].concat()),
        expected
    );
    let manifest = root.join("a/Cargo.toml");
    let elsewhere = tempfile::tempdir().unwrap();
    let manifest_args = ["--manifest-path", manifest.to_str().unwrap()];
    assert_eq!(
        stdout(elsewhere.path(), &[&short[..], &manifest_args].concat()),
        expected
    );
    // The human output's `-->` line, and cargo's JSON `file_name`, too.
    let human = stdout(&root.join("a/src"), &[]);
    assert!(human.contains(" --> a/src/lib.rs:3:5\n"), "{human}");
    let json = stdout(&root.join("a/src"), &["--message-format", "json"]);
    assert!(json.contains("\"file_name\":\"a/src/lib.rs\""), "{json}");
    // stallcheck's own JSON keeps naming its root and paths under it.
    let own = stdout(&root.join("a/src"), &["--format", "json"]);
    assert!(own.contains("\"path\": \"src/lib.rs\""), "{own}");
}
