//! `cargo xtask harness --evidence`: the closed loop. After the harness
//! run, lint `bench-harness` with the runtime reports it wrote (one per
//! variant, `target/stallcheck/runtime/<workload>-<variant>.json`) and print
//! the join: per variant, the findings of its source file that carry
//! measured cost and the blocking call sites seen in workload code; then
//! the linter's own output with the `observed at run time` notes, ordered by
//! cost, and the blind spots.

use std::path::{Path, PathBuf};

use stallcheck_lint::driver::{self, Options};
use stallcheck_lint::evidence::{self, Site};

/// One variant's side of the join.
#[derive(Debug)]
pub struct VariantJoin {
    /// `vector-store/blocking`.
    pub label: String,
    /// Findings in this variant's source file, and how many carry evidence.
    pub findings: usize,
    pub with_evidence: usize,
    /// Measured blocked time over those findings, ms.
    pub blocked_ms: f64,
    /// Blocking sites (see `Site::blocks`) whose caller is workload code,
    /// and those among them that match no finding.
    pub workload_sites: Vec<Site>,
    pub unmatched_workload_sites: Vec<Site>,
}

/// Workload code: the workloads' modules, not the harness around them.
fn in_workload_code(site: &Site) -> bool {
    site.caller_file
        .as_deref()
        .is_some_and(|file| file.contains("bench-harness/src/workloads/"))
}

/// Lints `bench-harness` under `root` and joins it with each runtime report
/// in `runtime_dir`.
pub fn join(root: &Path, runtime_dir: &Path) -> Result<Vec<VariantJoin>, String> {
    let report =
        driver::run(&root.join("bench-harness"), &Options::default()).map_err(|err| err.0)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(runtime_dir)
        .map_err(|err| format!("cannot read {}: {err}", runtime_dir.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut variants = Vec::new();
    for file in files {
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some((workload, variant)) = stem.rsplit_once('-') else {
            continue;
        };
        let sites = evidence::read(std::slice::from_ref(&file))?;
        let joined = evidence::join(&report.findings, &sites, &report.paths);
        let source = format!("src/workloads/{}/{variant}.rs", workload.replace('-', "_"));
        let mine: Vec<_> = report
            .findings
            .iter()
            .zip(&joined.per_finding)
            .filter(|(finding, _)| finding.path == source)
            .collect();
        let measured: Vec<_> = mine
            .iter()
            .filter_map(|(_, observed)| observed.as_ref())
            .collect();
        variants.push(VariantJoin {
            label: format!("{workload}/{variant}"),
            findings: mine.len(),
            with_evidence: measured.len(),
            blocked_ms: measured.iter().map(|o| o.blocked_ms).sum(),
            workload_sites: sites
                .iter()
                .filter(|s| s.blocks() && in_workload_code(s))
                .cloned()
                .collect(),
            unmatched_workload_sites: joined
                .unmatched
                .iter()
                .filter(|s| in_workload_code(s))
                .cloned()
                .collect(),
        });
    }
    Ok(variants)
}

/// The join as a table, then the blocking sites of fixed variants and the
/// blind spots in workload code, if any.
pub fn render(variants: &[VariantJoin]) -> String {
    let mut out = format!(
        "{:<26} {:>9} {:>14} {:>12} {:>15}\n",
        "variant", "findings", "with evidence", "blocked", "blocking sites"
    );
    for v in variants {
        out.push_str(&format!(
            "{:<26} {:>9} {:>14} {:>10.0}ms {:>15}\n",
            v.label,
            v.findings,
            v.with_evidence,
            v.blocked_ms,
            v.workload_sites.len()
        ));
    }
    for v in variants {
        for site in &v.unmatched_workload_sites {
            out.push_str(&format!(
                "{}: seen at run time, not found statically: `{}` in `{}` at {}:{}\n",
                v.label,
                site.blocking_call.as_deref().unwrap_or("unknown call"),
                site.caller.as_deref().unwrap_or("unknown function"),
                site.caller_file.as_deref().unwrap_or("?"),
                site.caller_line.unwrap_or(0)
            ));
        }
    }
    out
}
