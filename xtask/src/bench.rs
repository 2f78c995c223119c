//! `cargo xtask bench`: runs the criterion benchmarks the project gates on
//! (`stallcheck-bench`'s `embed` and `workloads` benches: the embedding and
//! every workload's variants; `stallcheck-runtime`'s `overhead` bench),
//! optionally saving a baseline or comparing against one.
//!
//! With `--baseline NAME` the decision is criterion's own change detection,
//! read from the files it writes (`<bench>/change/estimates.json`): the 95%
//! bootstrap confidence interval of the change in median time. A benchmark
//! regressed when the whole interval lies above the noise threshold
//! (`--noise`, percent), so run-to-run noise, which moves the interval
//! around zero, cannot fail the gate, and a real slowdown larger than the
//! threshold does. Means of a few samples are not compared.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::SystemTime;

use serde_json::Value;

use crate::harness::{target_dir, workspace_root};

#[derive(clap::Args)]
pub struct Args {
    /// Save the results as criterion baseline NAME
    #[arg(long, value_name = "NAME", conflicts_with = "baseline")]
    save_baseline: Option<String>,
    /// Compare against criterion baseline NAME (saved earlier with --save-baseline) and fail,
    /// naming each benchmark, when a slowdown beyond --noise is statistically certain
    #[arg(long, value_name = "NAME")]
    baseline: Option<String>,
    /// Noise threshold, percent: a benchmark regressed when the lower end of the 95% confidence
    /// interval of its median-time change is above it
    #[arg(long, value_name = "PCT", default_value_t = DEFAULT_NOISE_PCT, value_parser = non_negative)]
    noise: f64,
    /// Which benchmarks; repeatable [default: all three]
    #[arg(long, value_enum, value_name = "SUITE")]
    suite: Vec<Suite>,
    /// Cargo profile to build the benchmarks with. `dev` reuses the debug build of
    /// `cargo test` (the gate's own test does, to test the decision without an optimised
    /// build); figures worth comparing come from the default
    #[arg(long, value_name = "PROFILE", default_value = "bench")]
    profile: String,
    /// Criterion filter: only benchmarks whose id matches this regular expression
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,
    /// Extra criterion arguments, after `--` (`-- --sample-size 10 --measurement-time 1`)
    #[arg(last = true, value_name = "CRITERION_ARGS")]
    criterion_args: Vec<String>,
}

/// Default noise threshold: above what reruns of an unchanged tree move on
/// the shared 2-core machine, below the 20% slowdown the gate must catch.
pub const DEFAULT_NOISE_PCT: f64 = 10.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// The embedding alone, wall and CPU time: `cargo bench -p stallcheck-bench --bench embed`
    Embed,
    /// Every workload's three variants: `cargo bench -p stallcheck-bench --bench workloads`
    Workloads,
    /// The monitor's overhead, wall and CPU time: `cargo bench -p stallcheck-runtime --bench overhead`
    Runtime,
}

impl Suite {
    const ALL: [Suite; 3] = [Suite::Embed, Suite::Workloads, Suite::Runtime];

    fn package_and_bench(self) -> (&'static str, &'static str) {
        match self {
            Suite::Embed => ("stallcheck-bench", "embed"),
            Suite::Workloads => ("stallcheck-bench", "workloads"),
            Suite::Runtime => ("stallcheck-runtime", "overhead"),
        }
    }
}

fn non_negative(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value >= 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("`{text}` is not a non-negative percentage")),
    }
}

pub fn run(args: Args) -> Result<ExitCode, String> {
    let root = workspace_root();
    let suites = if args.suite.is_empty() {
        Suite::ALL.to_vec()
    } else {
        args.suite.clone()
    };
    let started = SystemTime::now();
    for suite in suites {
        let (package, bench) = suite.package_and_bench();
        let mut command = Command::new(cargo());
        command
            .current_dir(&root)
            // `--workspace` with the one bench target: dependencies get the
            // features `cargo test --workspace` gives them, so a `dev`
            // profile run reuses that build instead of rebuilding tokio
            // and its dependents with another feature set (5 minutes on CI).
            .args(["bench", "--workspace", "--bench", bench])
            .args(["--profile", &args.profile, "--"]);
        if let Some(filter) = &args.filter {
            command.arg(filter);
        }
        if let Some(name) = &args.save_baseline {
            command.args(["--save-baseline", name]);
        }
        if let Some(name) = &args.baseline {
            command.args(["--baseline", name]);
        }
        command.args(&args.criterion_args);
        eprintln!(
            "==> cargo bench --workspace --bench {bench} --profile {} ({package})",
            args.profile
        );
        let status = command
            .status()
            .map_err(|err| format!("cannot run cargo bench: {err}"))?;
        if !status.success() {
            return Ok(ExitCode::FAILURE);
        }
    }
    let Some(baseline) = args.baseline else {
        return Ok(ExitCode::SUCCESS);
    };
    let verdicts = judge(&criterion_home(&root), started, args.noise)?;
    if verdicts.is_empty() {
        return Err(format!(
            "criterion compared nothing against baseline `{baseline}` in this run"
        ));
    }
    let regressed: Vec<&Verdict> = verdicts.iter().filter(|v| v.regressed).collect();
    for verdict in &verdicts {
        println!("{}", verdict.line());
    }
    if !regressed.is_empty() {
        let names: Vec<&str> = regressed.iter().map(|v| v.name.as_str()).collect();
        eprintln!(
            "error: {} benchmark(s) slower than `{baseline}` beyond the {}% noise threshold (95% CI): {}",
            regressed.len(),
            args.noise,
            names.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// One benchmark's change against the baseline.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub name: String,
    /// Relative change of the median time: point estimate and 95% CI.
    pub change: f64,
    pub lower: f64,
    pub upper: f64,
    pub regressed: bool,
}

impl Verdict {
    fn line(&self) -> String {
        format!(
            "{:>9} {}: median time {:+.1}% [{:+.1}%, {:+.1}%]",
            if self.regressed { "REGRESSED" } else { "ok" },
            self.name,
            self.change * 100.0,
            self.lower * 100.0,
            self.upper * 100.0
        )
    }
}

/// Every benchmark under `criterion_dir` whose comparison
/// (`change/estimates.json`) was written since `since`, judged against the
/// noise threshold (percent).
pub fn judge(
    criterion_dir: &Path,
    since: SystemTime,
    noise_pct: f64,
) -> Result<Vec<Verdict>, String> {
    let mut verdicts = Vec::new();
    let mut pending = vec![criterion_dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .collect();
        let change = dir.join("change").join("estimates.json");
        let fresh = std::fs::metadata(&change)
            .and_then(|metadata| metadata.modified())
            .is_ok_and(|modified| modified >= since);
        if fresh {
            let (point, lower, upper) = median_change(&read_json(&change)?)
                .ok_or_else(|| format!("{}: no median change", change.display()))?;
            let name = read_json(&dir.join("new").join("benchmark.json"))
                .ok()
                .and_then(|json| json["full_id"].as_str().map(str::to_string))
                .unwrap_or_else(|| {
                    dir.strip_prefix(criterion_dir)
                        .unwrap_or(&dir)
                        .display()
                        .to_string()
                });
            verdicts.push(Verdict {
                name,
                change: point,
                lower,
                upper,
                regressed: lower * 100.0 > noise_pct,
            });
        }
        pending.extend(children);
    }
    verdicts.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(verdicts)
}

/// Where criterion writes: `CRITERION_HOME` when set (the gate's test sets it
/// to keep its baselines out of the developer's), otherwise
/// `<target>/criterion`.
fn criterion_home(root: &Path) -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map_or_else(|| target_dir(root).join("criterion"), PathBuf::from)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    serde_json::from_str(&text).map_err(|err| format!("{}: {err}", path.display()))
}

/// `median.{point_estimate, confidence_interval.{lower,upper}_bound}` of
/// criterion's `change/estimates.json` (relative: 0.1 is +10%).
pub fn median_change(estimates: &Value) -> Option<(f64, f64, f64)> {
    let median = &estimates["median"];
    let interval = &median["confidence_interval"];
    Some((
        median["point_estimate"].as_f64()?,
        interval["lower_bound"].as_f64()?,
        interval["upper_bound"].as_f64()?,
    ))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimates(point: f64, lower: f64, upper: f64) -> String {
        format!(
            r#"{{"mean":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":0.9,"upper_bound":1.1}},"point_estimate":1.0,"standard_error":0.01}},"median":{{"confidence_interval":{{"confidence_level":0.95,"lower_bound":{lower},"upper_bound":{upper}}},"point_estimate":{point},"standard_error":0.01}}}}"#
        )
    }

    /// A criterion benchmark directory with a comparison and its id.
    fn bench(root: &Path, path: &str, id: &str, change: (f64, f64, f64)) {
        let dir = root.join(path);
        for sub in ["new", "change"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(
            dir.join("change").join("estimates.json"),
            estimates(change.0, change.1, change.2),
        )
        .unwrap();
        std::fs::write(
            dir.join("new").join("benchmark.json"),
            format!(r#"{{"full_id":"{id}"}}"#),
        )
        .unwrap();
    }

    #[test]
    fn reads_the_median_change_and_its_interval() {
        let json: Value = serde_json::from_str(&estimates(0.2, 0.15, 0.25)).unwrap();
        assert_eq!(median_change(&json), Some((0.2, 0.15, 0.25)));
    }

    #[test]
    fn only_an_interval_wholly_above_the_noise_is_a_regression() {
        let dir = tempdir();
        let since = SystemTime::now() - std::time::Duration::from_secs(60);
        bench(&dir, "embed/slower", "embed/slower", (0.2, 0.15, 0.25));
        bench(&dir, "embed/noisy", "embed/noisy", (0.12, -0.05, 0.3));
        bench(&dir, "embed/faster", "embed/faster", (-0.3, -0.4, -0.2));
        let verdicts = judge(&dir, since, 10.0).unwrap();
        let regressed: Vec<(&str, bool)> = verdicts
            .iter()
            .map(|v| (v.name.as_str(), v.regressed))
            .collect();
        assert_eq!(
            regressed,
            [
                ("embed/faster", false),
                ("embed/noisy", false),
                ("embed/slower", true)
            ]
        );
        assert!(
            verdicts[2]
                .line()
                .starts_with("REGRESSED embed/slower: median time +20.0%")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn comparisons_older_than_this_run_are_ignored() {
        let dir = tempdir();
        bench(&dir, "old", "old", (0.5, 0.4, 0.6));
        let later = SystemTime::now() + std::time::Duration::from_secs(3600);
        assert!(judge(&dir, later, 10.0).unwrap().is_empty());
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
