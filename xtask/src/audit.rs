//! `cargo xtask audit`: lints this workspace (or `--manifest-path P`) with
//! stallcheck through the library, writes `target/stallcheck/stallcheck.sarif`
//! for code scanning, prints the chosen format, and fails on any finding at
//! or above `warning` (or a file that could not be analysed).
//!
//! The workspace's deliberate anti-patterns (`fixtures/`, the blocking
//! workload variants of `bench-harness/`) are excluded by the root
//! `stallcheck.toml`, not here: the audit uses the configuration a user would.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use stallcheck_lint::driver::{self, Options, Report};
use stallcheck_lint::finding::Severity;
use stallcheck_lint::output::{self, Format, RenderOptions};

#[derive(clap::Args)]
pub struct Args {
    /// Manifest of the crate or workspace to lint [default: this workspace]
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// What to print: human, json, sarif or github (the SARIF file is written regardless)
    #[arg(long, default_value = "human", value_parser = ["human", "json", "sarif", "github"])]
    format: String,
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let workspace = workspace_root();
    let target = args
        .manifest_path
        .clone()
        .unwrap_or_else(|| workspace.join("Cargo.toml"));
    let report = audit(&target)?;
    let sarif_path = write_sarif(&report, &workspace)?;
    let format =
        Format::parse(&args.format).ok_or_else(|| format!("unknown format `{}`", args.format))?;
    let sources = output::disk_sources(&report.root);
    print!(
        "{}",
        output::render(format, &report, RenderOptions::default(), &sources)
    );
    eprintln!("SARIF written to {}", sarif_path.display());
    Ok(if output::fails(&report, Severity::Warning) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Lints `manifest` with its own configuration (`stallcheck.toml` at its root).
pub fn audit(manifest: &Path) -> Result<Report, String> {
    driver::run(manifest, &Options::default()).map_err(|err| err.0)
}

fn write_sarif(report: &Report, workspace: &Path) -> Result<PathBuf, String> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    let dir = target_dir.join("stallcheck");
    std::fs::create_dir_all(&dir)
        .map_err(|err| format!("cannot create `{}`: {err}", dir.display()))?;
    let path = dir.join("stallcheck.sarif");
    let text = output::render(
        Format::Sarif,
        report,
        RenderOptions::default(),
        &|_: &str| None,
    );
    std::fs::write(&path, text)
        .map_err(|err| format!("cannot write `{}`: {err}", path.display()))?;
    Ok(path)
}

/// This workspace's root: the parent of `xtask/`.
fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runtime's demo of three tasks that block on purpose.
    const STALL_EXAMPLE: &str = "runtime/examples/stall.rs";

    fn raw_findings_under(report: &Report, prefix: &str) -> usize {
        report
            .findings
            .iter()
            .filter(|finding| finding.path.starts_with(prefix))
            .count()
    }

    fn blocking_workload_variants(root: &Path) -> Vec<String> {
        let workloads = root.join("bench-harness/src/workloads");
        let Ok(entries) = std::fs::read_dir(&workloads) else {
            return Vec::new();
        };
        let mut variants: Vec<String> = entries
            .flatten()
            .filter(|entry| entry.path().join("blocking.rs").is_file())
            .map(|entry| {
                format!(
                    "bench-harness/src/workloads/{}/blocking.rs",
                    entry.file_name().to_string_lossy()
                )
            })
            .collect();
        variants.sort();
        variants
    }

    #[test]
    fn deliberate_anti_patterns_are_found_when_not_excluded() {
        let root = workspace_root();
        let raw = driver::run(
            &root,
            &Options {
                no_config: true,
                ..Options::default()
            },
        )
        .expect("workspace lints");
        assert!(
            raw_findings_under(&raw, "fixtures/") > 0,
            "without configuration, the fixtures' anti-patterns must be reported"
        );
        assert!(
            raw.findings
                .iter()
                .any(|finding| finding.path == STALL_EXAMPLE && !finding.chain.is_empty()),
            "without configuration, `{STALL_EXAMPLE}` must have findings reached through its helpers"
        );
        for variant in blocking_workload_variants(&root) {
            assert!(
                raw.findings.iter().any(|finding| finding.path == variant),
                "without configuration, `{variant}` must have findings: it is a deliberate anti-pattern the analyzer misses (a recall gap in lint/src/analysis or lint/catalog.toml)"
            );
        }
    }

    #[test]
    fn workspace_configuration_excludes_deliberate_anti_patterns() {
        let root = workspace_root();
        let audited = audit(&root.join("Cargo.toml")).expect("workspace lints");
        assert_eq!(
            raw_findings_under(&audited, "fixtures/"),
            0,
            "fixtures/ is excluded by stallcheck.toml"
        );
        for variant in blocking_workload_variants(&root) {
            assert!(
                !audited
                    .findings
                    .iter()
                    .any(|finding| finding.path == variant),
                "`{variant}` is excluded by stallcheck.toml"
            );
        }
    }
}
