//! Discovery like cargo's: standing in a member's `src/` lints that member,
//! with the workspace root's configuration.

use std::path::Path;
use std::process::Command;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
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

#[test]
fn a_members_src_gives_the_findings_of_that_member_from_the_root() {
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
