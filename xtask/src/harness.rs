//! `cargo xtask harness [ARGS]`: builds `stallcheck-bench` in release and
//! runs `stallcheck-bench run` with its defaults (64 clients, every
//! workload), writing into `target/stallcheck/`. Extra arguments are passed
//! through (`cargo xtask harness --workload repo-sync --ops 32`).

use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[derive(clap::Args)]
pub struct Args {
    /// Arguments for `stallcheck-bench run` (see `stallcheck-bench run --help`)
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "ARGS"
    )]
    pass_through: Vec<String>,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = workspace_root();
    eprintln!("==> building stallcheck-bench (release)");
    let status = Command::new(cargo())
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--package",
            "stallcheck-bench",
            "--bin",
            "stallcheck-bench",
        ])
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    let target = target_dir(&root);
    let binary = target.join("release").join("stallcheck-bench");
    let mut command = Command::new(&binary);
    command.current_dir(&root).arg("run");
    if !args
        .pass_through
        .iter()
        .any(|arg| arg == "--out" || arg.starts_with("--out="))
    {
        command.arg("--out").arg(target.join("stallcheck"));
    }
    command.args(&args.pass_through);
    eprintln!(
        "==> {} run {}",
        binary.display(),
        args.pass_through.join(" ")
    );
    let status = command
        .status()
        .map_err(|err| format!("cannot run {}: {err}", binary.display()))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// The workspace root: this package's parent directory.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), PathBuf::from)
}

/// `CARGO_TARGET_DIR` when set, otherwise `<root>/target`.
pub fn target_dir(root: &std::path::Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}
