//! Findings inline in the editor: the real `rust-analyzer`, driven over
//! LSP on stdio, runs stallcheck as its check command
//! (`check.overrideCommand`, as the README tells users to set it) and
//! publishes its findings as diagnostics of the file, at the right range.
//!
//! Needs `rust-analyzer` on PATH (`rustup component add rust-analyzer`;
//! `cargo xtask ci` provisions it). Nothing here touches the network:
//! the fixture has no dependencies and rust-analyzer's sysroot loading is
//! off (it would run `cargo metadata` on the standard library's workspace).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const INSTALL: &str = "install it: rustup component add rust-analyzer";

/// Only turns a hang into a failure; rust-analyzer answers in about a
/// second here.
const TIMEOUT: Duration = Duration::from_secs(120);

/// `é` before the call: LSP counts UTF-16 units, stallcheck characters,
/// rust-analyzer converts between them with the file's text.
const LIB_RS: &str = r#"pub async fn load() -> Vec<u8> {
    let _é = 1; std::fs::read("data.bin").unwrap()
}
"#;

/// rust-analyzer's version line; fails the test, saying how to install
/// it, when there is none (or only rustup's proxy without the component).
fn rust_analyzer_version() -> String {
    let output = Command::new("rust-analyzer")
        .arg("--version")
        .output()
        .unwrap_or_else(|err| panic!("cannot run `rust-analyzer` ({err}); {INSTALL}"));
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        output.status.success() && stdout.starts_with("rust-analyzer "),
        "`rust-analyzer --version` failed ({}); {INSTALL}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    stdout
}

/// A workspace with one member, `app`: the finding is in
/// `app/src/lib.rs`, which reaches rust-analyzer relative to the workspace
/// root (as cargo names it) even though only `app` is linted.
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"app\"]\nresolver = \"2\"\n",
        ),
        (
            "app/Cargo.toml",
            "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("app/src/lib.rs", LIB_RS),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The server process, killed when the test ends however it ends.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
}

impl Server {
    /// `path_first`: a directory put in front of PATH for the server (and
    /// the cargo it runs), where `cargo-stallcheck` is.
    fn start(root: &Path, log: &Path, path_first: Option<&Path>) -> Server {
        let mut command = Command::new("rust-analyzer");
        if let Some(dir) = path_first {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let dirs = std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&path));
            command.env("PATH", std::env::join_paths(dirs).unwrap());
        }
        let mut child = command
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start rust-analyzer ({err}); {INSTALL}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .expect("rust-analyzer reads its stdin");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One LSP message: `Content-Length` header, blank line, JSON body.
/// `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The first stallcheck diagnostic rust-analyzer publishes for the
/// fixture's `app/src/lib.rs`, with `check` as its `check` settings, after
/// opening and saving the file. Prints the notification and the timings.
fn first_stallcheck_diagnostic(check: Value, path_first: Option<&Path>) -> Value {
    let version = rust_analyzer_version();
    let dir = fixture();
    let root = dir.path().canonicalize().unwrap();
    let lib = root.join("app/src/lib.rs");
    let lib_uri = file_uri(&lib);
    let log = tempfile::NamedTempFile::new().unwrap();
    let settings = json!({
        "check": check,
        "checkOnSave": true,
        // Nothing but the check: no build scripts or proc macros to build,
        // no standard library workspace to fetch metadata for.
        "cargo": { "sysroot": null, "buildScripts": { "enable": false } },
        "procMacro": { "enable": false },
        "cachePriming": { "enable": false },
    });
    let started = Instant::now();
    let mut server = Server::start(&root, log.path(), path_first);
    server.send(json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "processId": std::process::id(),
            "rootUri": file_uri(&root),
            "workspaceFolders": [{ "uri": file_uri(&root), "name": "fixture" }],
            "capabilities": {
                "window": { "workDoneProgress": true },
                "textDocument": { "publishDiagnostics": {} },
                "experimental": { "serverStatusNotification": true },
            },
            "initializationOptions": settings,
        }
    }));
    let mut saved_when_quiet = false;
    let mut initialized_at = None;
    let diagnostic = loop {
        let left = TIMEOUT.saturating_sub(started.elapsed());
        let message = server.messages.recv_timeout(left).unwrap_or_else(|_| {
            panic!(
                "no stallcheck diagnostic from {version} within {TIMEOUT:?}; its log:\n{}",
                std::fs::read_to_string(log.path()).unwrap_or_default()
            )
        });
        let method = message["method"].as_str();
        match (method, message.get("id")) {
            // Requests from the server: configuration gets the same
            // settings, everything else (progress tokens, capability
            // registrations, refreshes) a plain success.
            (Some("workspace/configuration"), Some(id)) => {
                let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                let result = vec![settings.clone(); items];
                server.send(json!({ "jsonrpc": "2.0", "id": id, "result": result }));
            }
            (Some(_), Some(id)) => {
                server.send(json!({ "jsonrpc": "2.0", "id": id, "result": null }));
            }
            (None, Some(id)) if *id == json!(1) => {
                initialized_at = Some(started.elapsed());
                server.notify("initialized", json!({}));
                server.notify(
                    "textDocument/didOpen",
                    json!({ "textDocument": {
                        "uri": lib_uri, "languageId": "rust", "version": 1, "text": LIB_RS
                    }}),
                );
                server.notify(
                    "textDocument/didSave",
                    json!({ "textDocument": { "uri": lib_uri } }),
                );
            }
            // Saved again once the workspace is loaded: a save that came
            // before had no workspace to check yet.
            (Some("experimental/serverStatus"), None)
                if message["params"]["quiescent"] == json!(true) && !saved_when_quiet =>
            {
                saved_when_quiet = true;
                server.notify(
                    "textDocument/didSave",
                    json!({ "textDocument": { "uri": lib_uri } }),
                );
            }
            (Some("textDocument/publishDiagnostics"), None)
                if message["params"]["uri"] == json!(lib_uri) =>
            {
                let found = message["params"]["diagnostics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|diagnostic| diagnostic["source"] == json!("stallcheck"))
                    .cloned();
                if let Some(found) = found {
                    eprintln!(
                        "{version}: initialized after {:?}, diagnostic after {:?}\n{message}",
                        initialized_at.unwrap_or_default(),
                        started.elapsed()
                    );
                    break found;
                }
            }
            _ => {}
        }
    };
    server.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null }));
    server.notify("exit", json!(null));
    diagnostic
}

/// What the fixture's finding looks like in the editor.
fn assert_is_the_read(diagnostic: &Value) {
    assert_eq!(diagnostic["code"], json!("blocking-fs"));
    assert_eq!(diagnostic["severity"], json!(2), "a warning");
    // Line 2 (0-based 1), from `std` after `    let _é = 1; ` (16 UTF-16
    // units) to the closing parenthesis of the call.
    assert_eq!(
        diagnostic["range"],
        json!({
            "start": { "line": 1, "character": 16 },
            "end": { "line": 1, "character": 41 }
        })
    );
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .starts_with("blocking filesystem call `std::fs::read` in async function `load`"),
        "{diagnostic}"
    );
}

/// The README's first setting: stallcheck instead of `cargo check`. Only
/// the member is linted (`--package app`), and its finding still reaches
/// the right file: rust-analyzer resolves `file_name` against the
/// workspace root, which stallcheck's paths are relative to.
#[test]
fn override_command_shows_stallcheck_findings_inline() {
    let check = json!({
        "overrideCommand": [
            env!("CARGO_BIN_EXE_stallcheck"),
            "--message-format", "json", "--package", "app"
        ]
    });
    assert_is_the_read(&first_stallcheck_diagnostic(check, None));
}

/// The README's second setting: `check.command = "stallcheck"`, which makes
/// rust-analyzer run `cargo stallcheck --workspace
/// --message-format=json --manifest-path .. --keep-going --all-targets`.
#[test]
fn check_command_runs_cargo_stallcheck_with_cargos_flags() {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cargo-stallcheck"))
        .parent()
        .unwrap();
    let check = json!({ "command": "stallcheck" });
    assert_is_the_read(&first_stallcheck_diagnostic(check, Some(bin_dir)));
}
