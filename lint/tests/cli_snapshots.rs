//! End-to-end snapshots: the binary run on a small fixed crate, in the human
//! (no colour), JSON and SARIF formats. What varies between runs (the
//! temporary root, the elapsed time, the version) is redacted.
//!
//! When a rule's message or help changes on purpose, review and accept with
//! `cargo insta test -p stallcheck-lint --test cli_snapshots --review`.

use std::path::Path;
use std::process::Command;

const MANIFEST: &str = "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = \"1\"\n";

const LIB_RS: &str = "\
mod broken;
mod store;

use std::fs;

pub async fn load(path: &str) -> String {
    fs::read_to_string(path).unwrap_or_default()
}

pub async fn nap() {
    std::thread::sleep(std::time::Duration::from_millis(10));
}

pub fn sync_caller() {
    futures::executor::block_on(async {
        std::thread::sleep(std::time::Duration::from_millis(1));
    });
}
";

const STORE_RS: &str = "\
use std::sync::Mutex;

pub struct Store {
    items: Mutex<Vec<u32>>,
}

impl Store {
    pub async fn push(&self, item: u32) {
        let lock = Mutex::new(0);
        let _count = lock.lock();
        self.items.lock().unwrap().push(item);
    }

    pub async fn fine(&self) {
        tokio::task::spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(1)));
    }
}
";

const BROKEN_RS: &str = "pub fn oops( {\n";

fn sample_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("Cargo.toml", MANIFEST),
        ("src/lib.rs", LIB_RS),
        ("src/store.rs", STORE_RS),
        ("src/broken.rs", BROKEN_RS),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn stallcheck(dir: &Path, format: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_stallcheck"))
        .args(["--format", format, "--color", "never", "--jobs", "2"])
        .arg(dir)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn human_output_of_a_sample_crate() {
    let dir = sample_crate();
    let text = stallcheck(dir.path(), "human");
    let cut = text.rfind(" read in ").expect("summary line");
    let redacted = format!("{} read in [ELAPSED]\n", &text[..cut]);
    insta::assert_snapshot!(redacted);
}

#[test]
fn json_output_of_a_sample_crate() {
    let dir = sample_crate();
    let mut value: serde_json::Value =
        serde_json::from_str(&stallcheck(dir.path(), "json")).unwrap();
    value["root"] = serde_json::json!("[ROOT]");
    value["summary"]["elapsed_ms"] = serde_json::json!("[ELAPSED]");
    insta::assert_snapshot!(serde_json::to_string_pretty(&value).unwrap());
}

#[test]
fn sarif_output_of_a_sample_crate() {
    let dir = sample_crate();
    let mut log: serde_json::Value =
        serde_json::from_str(&stallcheck(dir.path(), "sarif")).unwrap();
    let run = &mut log["runs"][0];
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = serde_json::json!("[ROOT]");
    run["tool"]["driver"]["rules"] = serde_json::json!("[rules: checked in cli_output.rs]");
    run["tool"]["driver"]["version"] = serde_json::json!("[VERSION]");
    run["tool"]["driver"]["semanticVersion"] = serde_json::json!("[VERSION]");
    insta::assert_snapshot!(serde_json::to_string_pretty(&log).unwrap());
}
