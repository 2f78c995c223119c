//! `cargo xtask harness [ARGS]`: builds `stallcheck-bench` in release and
//! runs `stallcheck-bench run` with its defaults (64 clients, every
//! workload), writing into `target/stallcheck/`. Extra arguments are passed
//! through (`cargo xtask harness --workload repo-sync --ops 32`).

use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[derive(clap::Args)]
pub struct Args {
    /// After the run, lint bench-harness with the runtime reports it wrote
    /// (`<out>/runtime/*.json`) as evidence and print the join
    #[arg(long)]
    evidence: bool,
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
    let out = match out_dir(&args.pass_through) {
        Some(out) => root.join(out),
        None => {
            let out = target.join("stallcheck");
            command.arg("--out").arg(&out);
            out
        }
    };
    command.args(&args.pass_through);
    eprintln!(
        "==> {} run {}",
        binary.display(),
        args.pass_through.join(" ")
    );
    let status = command
        .status()
        .map_err(|err| format!("cannot run {}: {err}", binary.display()))?;
    if args.evidence {
        close_the_loop(&root, &out)?;
    }
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// `--out DIR` / `--out=DIR` among the pass-through arguments.
fn out_dir(pass_through: &[String]) -> Option<PathBuf> {
    let mut args = pass_through.iter();
    while let Some(arg) = args.next() {
        if arg == "--out" {
            return args.next().map(PathBuf::from);
        }
        if let Some(dir) = arg.strip_prefix("--out=") {
            return Some(PathBuf::from(dir));
        }
    }
    None
}

/// The join table, then the linter's findings with their measured cost
/// (most first) and its blind spots.
fn close_the_loop(root: &std::path::Path, out: &std::path::Path) -> Result<(), String> {
    let runtime = out.join("runtime");
    eprintln!(
        "==> stallcheck bench-harness --evidence {} --sort cost",
        runtime.display()
    );
    let variants = crate::evidence_loop::join(root, &runtime)?;
    print!("{}", crate::evidence_loop::render(&variants));
    println!();
    // The linter's own rendering; its exit code (1: findings) is expected.
    let _ = stallcheck_lint::cli::run([
        "stallcheck".into(),
        root.join("bench-harness").into_os_string(),
        "--evidence".into(),
        runtime.into_os_string(),
        "--sort".into(),
        "cost".into(),
    ]);
    Ok(())
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
