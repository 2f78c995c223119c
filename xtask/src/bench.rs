//! `cargo xtask bench`: runs `cargo bench -p stallcheck-bench`, optionally
//! saving a criterion baseline or comparing against one. With
//! `--baseline NAME --max-regression PCT` it reads criterion's own estimates
//! (`target/criterion/**/{new,NAME}/estimates.json`) and fails, naming each
//! benchmark whose mean time grew by more than PCT percent.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::harness::{target_dir, workspace_root};

#[derive(clap::Args)]
pub struct Args {
    /// Save the results as criterion baseline NAME
    #[arg(long, value_name = "NAME", conflicts_with = "baseline")]
    save_baseline: Option<String>,
    /// Compare against criterion baseline NAME (saved earlier with --save-baseline)
    #[arg(long, value_name = "NAME", requires = "max_regression")]
    baseline: Option<String>,
    /// Fail when a benchmark's mean time grew by more than PCT percent against --baseline
    #[arg(long, value_name = "PCT", requires = "baseline", value_parser = non_negative)]
    max_regression: Option<f64>,
}

/// Criterion directories of this package's groups (`workload/...` becomes `workload_...`).
const GROUP_PREFIX: &str = "workload_";

fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("`{text}` is not a non-negative percentage")),
    }
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = workspace_root();
    let mut command = Command::new(cargo());
    command
        .current_dir(&root)
        .args(["bench", "--package", "stallcheck-bench", "--"]);
    if let Some(name) = &args.save_baseline {
        command.args(["--save-baseline", name]);
    }
    if let Some(name) = &args.baseline {
        command.args(["--baseline", name]);
    }
    let status = command
        .status()
        .map_err(|err| format!("cannot run cargo bench: {err}"))?;
    if !status.success() {
        return Ok(ExitCode::FAILURE);
    }
    let (Some(baseline), Some(bound)) = (args.baseline, args.max_regression) else {
        return Ok(ExitCode::SUCCESS);
    };
    let comparisons = compare(&target_dir(&root).join("criterion"), &baseline)?;
    if comparisons.is_empty() {
        return Err(format!(
            "no criterion estimates found for baseline `{baseline}`"
        ));
    }
    let mut regressed = 0;
    for comparison in &comparisons {
        let verdict = if comparison.change_pct > bound {
            regressed += 1;
            "REGRESSED"
        } else {
            "ok"
        };
        println!(
            "{verdict:>9} {}: mean {:.3} ms -> {:.3} ms ({:+.1}%)",
            comparison.name,
            comparison.base_ns / 1e6,
            comparison.new_ns / 1e6,
            comparison.change_pct
        );
    }
    if regressed > 0 {
        eprintln!(
            "error: {regressed} benchmark(s) regressed by more than {bound}% against `{baseline}`"
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One benchmark's mean against the baseline.
#[derive(Debug, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub base_ns: f64,
    pub new_ns: f64,
    pub change_pct: f64,
}

/// Every benchmark under `criterion_dir` that has both `new/` and
/// `<baseline>/` estimates.
pub fn compare(criterion_dir: &Path, baseline: &str) -> Result<Vec<Comparison>, String> {
    let mut comparisons = Vec::new();
    let mut pending = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        children.sort();
        let new = dir.join("new").join("estimates.json");
        let base = dir.join(baseline).join("estimates.json");
        let in_scope = dir
            .strip_prefix(criterion_dir)
            .is_ok_and(|rel| rel.starts_with_group());
        if in_scope && new.is_file() && base.is_file() {
            let new_ns = mean_of(&new)?;
            let base_ns = mean_of(&base)?;
            let name =
                benchmark_name(&dir.join("new").join("benchmark.json")).unwrap_or_else(|| {
                    dir.strip_prefix(criterion_dir)
                        .unwrap_or(&dir)
                        .display()
                        .to_string()
                });
            let change_pct = if base_ns > 0.0 {
                (new_ns - base_ns) / base_ns * 100.0
            } else {
                0.0
            };
            comparisons.push(Comparison {
                name,
                base_ns,
                new_ns,
                change_pct,
            });
        }
        pending.extend(children.into_iter().rev());
    }
    comparisons.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(comparisons)
}

trait GroupPath {
    fn starts_with_group(&self) -> bool;
}

impl GroupPath for Path {
    fn starts_with_group(&self) -> bool {
        self.components().next().is_some_and(|first| {
            first
                .as_os_str()
                .to_string_lossy()
                .starts_with(GROUP_PREFIX)
        })
    }
}

/// The mean point estimate (ns) of a criterion `estimates.json`.
fn mean_of(path: &Path) -> Result<f64, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    mean_point_estimate(&text).ok_or_else(|| format!("{}: no mean point estimate", path.display()))
}

/// Extracts `mean.point_estimate` from criterion's estimates JSON: the first
/// `"point_estimate"` after the `"mean"` key (its `confidence_interval` has none).
pub fn mean_point_estimate(json: &str) -> Option<f64> {
    let after_mean = &json[json.find("\"mean\"")?..];
    let after_key =
        &after_mean[after_mean.find("\"point_estimate\"")? + "\"point_estimate\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let end = value
        .find(|c: char| c == ',' || c == '}' || c.is_whitespace())
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

/// `full_id` from criterion's `benchmark.json` (`workload/vector-store/fixed/64`).
fn benchmark_name(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let after_key = &text[text.find("\"full_id\"")? + "\"full_id\"".len()..];
    let value = after_key
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(value[..value.find('"')?].to_string())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":90.0,"upper_bound":110.0},"point_estimate":100.5,"standard_error":2.0},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":7.0,"standard_error":0.1}}"#;

    #[test]
    fn reads_the_mean_not_the_median() {
        assert_eq!(mean_point_estimate(ESTIMATES), Some(100.5));
    }

    #[test]
    fn a_file_without_a_mean_has_no_estimate() {
        assert_eq!(
            mean_point_estimate(r#"{"median":{"point_estimate":7.0}}"#),
            None
        );
    }

    #[test]
    fn compares_new_against_the_named_baseline() {
        let dir = tempdir();
        let bench = dir.join("workload_vector-store").join("fixed").join("64");
        for (sub, mean) in [("new", 130.0), ("main", 100.0)] {
            std::fs::create_dir_all(bench.join(sub)).unwrap();
            std::fs::write(
                bench.join(sub).join("estimates.json"),
                ESTIMATES.replace("100.5", &mean.to_string()),
            )
            .unwrap();
        }
        std::fs::write(
            bench.join("new").join("benchmark.json"),
            r#"{"full_id":"workload/vector-store/fixed/64"}"#,
        )
        .unwrap();
        let comparisons = compare(&dir, "main").unwrap();
        assert_eq!(comparisons.len(), 1);
        assert_eq!(comparisons[0].name, "workload/vector-store/fixed/64");
        assert!((comparisons[0].change_pct - 30.0).abs() < 1e-9);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_packages_benchmarks_are_not_compared() {
        let dir = tempdir();
        let bench = dir.join("overhead").join("probe");
        for sub in ["new", "main"] {
            std::fs::create_dir_all(bench.join(sub)).unwrap();
            std::fs::write(bench.join(sub).join("estimates.json"), ESTIMATES).unwrap();
        }
        assert!(compare(&dir, "main").unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A fresh directory under the system temp dir (xtask has no tempfile dependency).
    fn tempdir() -> PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "xtask-bench-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
