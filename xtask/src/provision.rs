//! What the test suite needs from the machine, checked (and where possible
//! installed) before anything is built, so that `cargo xtask ci` works on a
//! fresh machine exactly as the README writes it.
//!
//! A missing program is installed only when this process may do so without
//! asking: as root with `apt-get` for system packages, with `rustup` for
//! toolchain components, with `pip` for Python tools (`pre-commit`).
//! Otherwise the run stops before building anything, with one line naming
//! the command to run: half an hour of compiling that ends in a test
//! failing for want of `redis-server` helps nobody.

use std::path::Path;
use std::process::{Command, Stdio};

/// How a missing requirement is installed.
enum Source {
    /// A Debian package, installed with `apt-get` (root only).
    Apt(&'static str),
    /// A rustup component of the active toolchain.
    RustupComponent(&'static str),
    /// A Python package from PyPI, installed with pip (which installs into
    /// the user's site when it may not write the system's).
    Pip(&'static str),
}

/// One thing the suite needs.
struct Requirement {
    /// What is looked for, as the user would name it.
    name: &'static str,
    /// The command whose success proves it is there.
    probe: &'static [&'static str],
    source: Source,
    /// Why the suite needs it, for the message.
    needed_by: &'static str,
}

const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        name: "redis-server",
        probe: &["redis-server", "--version"],
        source: Source::Apt("redis-server"),
        needed_by: "the working-memory workload's tests run a real redis-server on loopback",
    },
    Requirement {
        name: "rustfmt",
        probe: &["cargo", "fmt", "--version"],
        source: Source::RustupComponent("rustfmt"),
        needed_by: "the formatting check",
    },
    Requirement {
        name: "clippy",
        probe: &["cargo", "clippy", "--version"],
        source: Source::RustupComponent("clippy"),
        needed_by: "the clippy check",
    },
    Requirement {
        name: "pre-commit",
        probe: &["pre-commit", "--version"],
        source: Source::Pip("pre-commit"),
        needed_by: "the test of .pre-commit-hooks.yaml runs the real `pre-commit try-repo`",
    },
    Requirement {
        name: "rust-analyzer",
        probe: &["rust-analyzer", "--version"],
        source: Source::RustupComponent("rust-analyzer"),
        needed_by: "lint/tests/rust_analyzer.rs drives the real rust-analyzer with stallcheck as its check command",
    },
];

/// Makes sure every requirement is present, installing what may be
/// installed. Returns the one-line reason when something is missing and
/// cannot be installed from here.
pub fn ensure_requirements() -> Result<(), String> {
    for requirement in REQUIREMENTS {
        if succeeds(requirement.probe) {
            continue;
        }
        install(requirement)?;
        if !succeeds(requirement.probe) {
            return Err(format!(
                "{} is still missing after installing it ({}); install it by hand: {}",
                requirement.name,
                requirement.needed_by,
                manual_command(&requirement.source)
            ));
        }
    }
    Ok(())
}

fn install(requirement: &Requirement) -> Result<(), String> {
    let refuse = |why: &str| {
        Err(format!(
            "{} is not installed and {why} ({}): run `{}`, then `cargo xtask ci` again",
            requirement.name,
            requirement.needed_by,
            manual_command(&requirement.source)
        ))
    };
    match requirement.source {
        Source::Apt(package) => {
            if !on_path("apt-get") {
                return refuse("this machine has no apt-get");
            }
            if !is_root() {
                return refuse("installing it needs root");
            }
            eprintln!(
                "==> {} is missing ({}): installing Debian package {package} with apt-get",
                requirement.name, requirement.needed_by
            );
            run_quietly(&["apt-get", "update", "-qq"])
                .and_then(|()| run_quietly(&["apt-get", "install", "-y", "-qq", package]))
                .map_err(|why| {
                    format!(
                        "cannot install {package} with apt-get: {why}; run `{}` by hand",
                        manual_command(&requirement.source)
                    )
                })
        }
        Source::RustupComponent(component) => {
            if !on_path("rustup") {
                return refuse("this toolchain was not installed with rustup");
            }
            eprintln!(
                "==> {} is missing ({}): installing the rustup component {component}",
                requirement.name, requirement.needed_by
            );
            run_quietly(&["rustup", "component", "add", component]).map_err(|why| {
                format!(
                    "cannot add the rustup component {component}: {why}; run `{}` by hand",
                    manual_command(&requirement.source)
                )
            })
        }
        Source::Pip(package) => {
            let Some(pip) = ["pip3", "pip"].into_iter().find(|pip| on_path(pip)) else {
                return refuse("this machine has no pip");
            };
            eprintln!(
                "==> {} is missing ({}): installing the Python package {package} with {pip}",
                requirement.name, requirement.needed_by
            );
            run_quietly(&[pip, "install", "--quiet", package]).map_err(|why| {
                format!(
                    "cannot install {package} with {pip}: {why}; run `{}` by hand",
                    manual_command(&requirement.source)
                )
            })
        }
    }
}

fn manual_command(source: &Source) -> String {
    match source {
        Source::Apt(package) => format!("sudo apt-get install -y {package}"),
        Source::RustupComponent(component) => format!("rustup component add {component}"),
        Source::Pip(package) => format!("pip install {package}"),
    }
}

/// Runs a command with its output hidden unless it fails; the error is its
/// last line of stderr.
fn run_quietly(command: &[&str]) -> Result<(), String> {
    let output = Command::new(command[0])
        .args(&command[1..])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run {}: {err}", command[0]))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|line| !line.trim().is_empty());
    Err(format!(
        "`{}` failed ({}){}",
        command.join(" "),
        output.status,
        last.map(|line| format!(": {}", line.trim()))
            .unwrap_or_default()
    ))
}

fn succeeds(command: &[&str]) -> bool {
    Command::new(command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Whether this process runs as root: the real uid in `/proc/self/status`,
/// which needs no libc binding for one number.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .is_some_and(|effective| effective == "0")
    })
}
