//! `--evidence FILE…`: what the runtime measured, joined to what the linter
//! found.
//!
//! An evidence file is a `stallcheck-runtime` JSON report (`Monitor::report()`
//! serialised; the bench harness writes one per variant under
//! `target/stallcheck/runtime/`) or any JSON object with a `stall_sites`
//! array, or a `harness.json` whose variants carry `stall_sites`. Each site
//! names a task, the blocking call, the application function that made it
//! (`caller`, `BlockingStore::add`) and its `caller_file` / `caller_line`,
//! with `stalls`, `samples`, `blocked_ms` and `max_ms`. The fields are
//! documented in the README ("Runtime evidence").
//!
//! A site matches a finding when its caller frame is one of the finding's
//! places: the flagged call or a step of its chain, in the same file (paths
//! compared by suffix, since the runtime names files relative to the
//! workspace root and the linter relative to the analysed root) and on a
//! line the call covers; a blocking site that matches no line matches a
//! finding of the same file whose function (or chain step) has the same
//! name, for code that moved since the run. Sites that match nothing and show blocking
//! (a stall, or samples mostly off the CPU) in a file the linter read are
//! the linter's blind spots, listed after the findings.
//!
//! This module never reads the target's code and never runs anything: it
//! reads the evidence files it is given.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::finding::Finding;

/// One call site from an evidence file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Site {
    pub task: Option<String>,
    pub blocking_call: Option<String>,
    pub caller: Option<String>,
    pub caller_file: Option<String>,
    pub caller_line: Option<usize>,
    pub stalls: u64,
    /// Stalls during which the worker slept in a system call.
    pub blocked_stalls: u64,
    pub samples: u64,
    pub blocked_ms: f64,
    pub max_ms: f64,
    /// `blocked` or `running`, from the samples.
    pub cpu: Option<String>,
    pub stack: Vec<String>,
    /// The evidence file's name (set on reading).
    #[serde(skip)]
    pub source: String,
}

impl Site {
    /// The worker slept in a system call here (a stall asleep, or samples
    /// mostly asleep), at a library call that is not tokio's own. Not
    /// blocking: time in the caller's own code (no blocking call), stalls
    /// that computed or that the OS did not run (an overloaded machine), and
    /// time inside tokio (`spawn_blocking`'s pool lock, waking a worker),
    /// which is the runtime's cost, not a call a linter can flag.
    pub fn blocks(&self) -> bool {
        let library_call = self
            .blocking_call
            .as_deref()
            .is_some_and(|call| !call.starts_with("tokio::") && !call.starts_with("<tokio::"));
        (self.blocked_stalls > 0 || self.cpu.as_deref() == Some("blocked")) && library_call
    }
}

/// What the runtime saw of one finding, summed over its matching sites.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub stalls: u64,
    pub samples: u64,
    pub blocked_ms: f64,
    pub max_ms: f64,
    /// The evidence files, by name, deduplicated.
    pub sources: Vec<String>,
}

impl Observed {
    fn add(&mut self, site: &Site) {
        self.stalls += site.stalls;
        self.samples += site.samples;
        self.blocked_ms += site.blocked_ms;
        self.max_ms = self.max_ms.max(site.max_ms);
        if !self.sources.contains(&site.source) {
            self.sources.push(site.source.clone());
        }
    }

    /// `observed at run time: 14 stalls, 212 samples, 1.9 s blocked, max 250 ms (harness.json)`
    pub fn note(&self) -> String {
        format!(
            "observed at run time: {}, {}, {} blocked, max {} ({})",
            plural(self.stalls, "stall"),
            plural(self.samples, "sample"),
            duration(self.blocked_ms),
            duration(self.max_ms),
            self.sources.join(", ")
        )
    }

    fn json(&self) -> Value {
        json!({
            "stalls": self.stalls,
            "samples": self.samples,
            "blocked_ms": round3(self.blocked_ms),
            "max_ms": round3(self.max_ms),
            "source": self.sources.join(", "),
        })
    }
}

/// The findings' evidence (index for index) and the blind spots.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Join {
    pub per_finding: Vec<Option<Observed>>,
    /// Blocking sites in files the linter read that match no finding, most
    /// blocked time first.
    pub unmatched: Vec<Site>,
    /// Blocking sites matching nothing whose caller is outside the analysed
    /// files (another crate, a test, no application frame): counted only.
    pub elsewhere: usize,
}

/// Reads every evidence file (a directory stands for the `*.json` files in
/// it); the first bad one is the error (one line, naming the file).
pub fn read(paths: &[PathBuf]) -> Result<Vec<Site>, String> {
    let mut sites = Vec::new();
    for path in paths {
        if path.is_dir() {
            let files = json_files(path)?;
            if files.is_empty() {
                return Err(format!(
                    "evidence directory {} holds no .json file",
                    path.display()
                ));
            }
            for file in files {
                sites.extend(read_one(&file)?);
            }
        } else {
            sites.extend(read_one(path)?);
        }
    }
    Ok(sites)
}

fn json_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|err| format!("cannot read evidence directory {}: {err}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json") && path.is_file())
        .collect();
    files.sort();
    Ok(files)
}

fn read_one(path: &Path) -> Result<Vec<Site>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read evidence file {shown}: {err}"))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|err| format!("evidence file {shown} is not JSON: {err}"))?;
    let source = path.file_name().map_or_else(
        || shown.to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    let arrays = site_arrays(&value);
    if arrays.is_empty() {
        return Err(format!(
            "evidence file {shown} has no `stall_sites` (expected a stallcheck-runtime JSON report, \
             or a harness.json whose variants carry `stall_sites`)"
        ));
    }
    let mut sites = Vec::new();
    for array in arrays {
        let parsed: Vec<Site> = serde_json::from_value(array.clone())
            .map_err(|err| format!("evidence file {shown}: bad `stall_sites`: {err}"))?;
        sites.extend(parsed.into_iter().map(|site| Site {
            source: source.clone(),
            ..site
        }));
    }
    Ok(sites)
}

/// `stall_sites` of a runtime report, or of each variant of a harness.json.
fn site_arrays(value: &Value) -> Vec<&Value> {
    if let Some(sites) = value.get("stall_sites") {
        return vec![sites];
    }
    value
        .get("workloads")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|workload| ["blocking", "fixed"].map(|variant| workload.get(variant)))
        .flatten()
        .filter_map(|variant| variant.get("stall_sites"))
        .collect()
}

/// Matches sites to findings. `analysed` are the files the linter read
/// (relative to its root), to tell blind spots from code it never saw.
pub fn join(findings: &[Finding], sites: &[Site], analysed: &[String]) -> Join {
    let mut per_finding: Vec<Option<Observed>> = vec![None; findings.len()];
    let mut unmatched = Vec::new();
    let mut elsewhere = 0;
    for site in sites {
        let by_line: Vec<usize> = (0..findings.len())
            .filter(|&i| at_line(&findings[i], site))
            .collect();
        // By function only for blocking sites: an on-CPU sample elsewhere in
        // the function is its ordinary async work, not the flagged call.
        let matched = if by_line.is_empty() && site.blocks() {
            (0..findings.len())
                .filter(|&i| in_function(&findings[i], site))
                .collect()
        } else {
            by_line
        };
        for &index in &matched {
            per_finding[index]
                .get_or_insert_with(Observed::default)
                .add(site);
        }
        if matched.is_empty() && site.blocks() {
            let seen = site
                .caller_file
                .as_deref()
                .is_some_and(|file| analysed.iter().any(|path| same_file(path, file)));
            if seen {
                unmatched.push(site.clone());
            } else {
                elsewhere += 1;
            }
        }
    }
    unmatched.sort_by(|a, b| b.blocked_ms.total_cmp(&a.blocked_ms));
    Join {
        per_finding,
        unmatched,
        elsewhere,
    }
}

/// The finding's call, or a step of its chain, is at the site's caller line.
fn at_line(finding: &Finding, site: &Site) -> bool {
    let (Some(file), Some(line)) = (site.caller_file.as_deref(), site.caller_line) else {
        return false;
    };
    let span = finding.span;
    (same_file(&finding.path, file) && (span.line..=span.end_line.max(span.line)).contains(&line))
        || finding
            .chain
            .iter()
            .any(|step| same_file(&step.path, file) && step.line == line)
}

/// The finding's function, or a step of its chain, is the site's caller.
fn in_function(finding: &Finding, site: &Site) -> bool {
    let (Some(file), Some(caller)) = (site.caller_file.as_deref(), site.caller.as_deref()) else {
        return false;
    };
    let own = finding
        .function
        .as_deref()
        .is_some_and(|function| same_file(&finding.path, file) && same_function(function, caller));
    own || finding
        .chain
        .iter()
        .any(|step| same_file(&step.path, file) && same_function(&step.function, caller))
}

/// Paths relative to different roots name the same file when one is a
/// `/`-bounded suffix of the other.
fn same_file(a: &str, b: &str) -> bool {
    let (long, short) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    long == short || long.ends_with(&format!("/{short}"))
}

/// `crate::store::BlockingStore::add`, `BlockingStore::add` and `add` name
/// the same function; `Index::add` does not.
fn same_function(a: &str, b: &str) -> bool {
    let tail = |name: &str| -> (Option<String>, String) {
        let segments: Vec<&str> = name.split("::").collect();
        let last = segments.last().copied().unwrap_or_default().to_owned();
        let owner = segments
            .len()
            .checked_sub(2)
            .map(|i| segments[i])
            .filter(|s| s.starts_with(|c: char| c.is_uppercase()))
            .map(str::to_owned);
        (owner, last)
    };
    let ((owner_a, last_a), (owner_b, last_b)) = (tail(a), tail(b));
    last_a == last_b
        && match (owner_a, owner_b) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        }
}

/// `--sort cost`: findings with the most measured blocked time first; those
/// without evidence keep their order after them.
pub fn sort_by_cost(findings: &mut Vec<Finding>, join: &mut Join) {
    let mut paired: Vec<(Finding, Option<Observed>)> = std::mem::take(findings)
        .into_iter()
        .zip(std::mem::take(&mut join.per_finding))
        .collect();
    paired.sort_by(|(_, a), (_, b)| {
        let cost = |o: &Option<Observed>| o.as_ref().map(|o| o.blocked_ms);
        match (cost(a), cost(b)) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
    });
    (*findings, join.per_finding) = paired.into_iter().unzip();
}

/// Human output: each finding with evidence gets an `= note: observed at
/// run time: ..` line.
pub fn add_notes(findings: &mut [Finding], join: &Join) {
    for (finding, observed) in findings.iter_mut().zip(&join.per_finding) {
        if let Some(observed) = observed {
            finding.notes.push(observed.note());
        }
    }
}

/// JSON output: `findings[i].evidence` (null without), and the blind spots
/// as `seen_at_run_time[]`.
pub fn add_to_json(value: &mut Value, join: &Join) {
    if let Some(findings) = value.get_mut("findings").and_then(Value::as_array_mut) {
        for (finding, observed) in findings.iter_mut().zip(&join.per_finding) {
            finding["evidence"] = observed.as_ref().map_or(Value::Null, Observed::json);
        }
    }
    value["seen_at_run_time"] = join.unmatched.iter().map(site_json).collect();
}

/// SARIF output: `properties.evidence` on each result with evidence, and the
/// blind spots under the run's `properties.seenAtRunTime`.
pub fn add_to_sarif(value: &mut Value, join: &Join) {
    let Some(run) = value
        .get_mut("runs")
        .and_then(Value::as_array_mut)
        .and_then(|runs| runs.first_mut())
    else {
        return;
    };
    if let Some(results) = run.get_mut("results").and_then(Value::as_array_mut) {
        for (result, observed) in results.iter_mut().zip(&join.per_finding) {
            if let Some(observed) = observed {
                result["properties"]["evidence"] = observed.json();
            }
        }
    }
    run["properties"]["seenAtRunTime"] = join.unmatched.iter().map(site_json).collect();
}

fn site_json(site: &Site) -> Value {
    json!({
        "task": site.task,
        "blocking_call": site.blocking_call,
        "caller": site.caller,
        "caller_file": site.caller_file,
        "caller_line": site.caller_line,
        "stalls": site.stalls,
        "samples": site.samples,
        "blocked_ms": round3(site.blocked_ms),
        "max_ms": round3(site.max_ms),
        "cpu": site.cpu,
        "stack": site.stack,
        "source": site.source,
    })
}

/// Frames of a blind spot's stack shown in human output.
const SHOWN_FRAMES: usize = 8;

/// Human output after the findings: the blind spots, with their stacks.
pub fn render_unmatched(join: &Join) -> String {
    let mut out = String::new();
    if join.unmatched.is_empty() && join.elsewhere == 0 {
        return out;
    }
    let _ = writeln!(
        out,
        "seen at run time, not found statically ({}; a blind spot of the linter: please report it):",
        plural(join.unmatched.len() as u64, "site")
    );
    for site in &join.unmatched {
        let at = match (&site.caller_file, site.caller_line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => "unknown location".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {at}: `{}` in `{}` (task {}): {}, {}, {} blocked, max {} ({})",
            site.blocking_call.as_deref().unwrap_or("unknown call"),
            site.caller.as_deref().unwrap_or("unknown function"),
            site.task.as_deref().unwrap_or("<unnamed>"),
            plural(site.stalls, "stall"),
            plural(site.samples, "sample"),
            duration(site.blocked_ms),
            duration(site.max_ms),
            site.source
        );
        for frame in site.stack.iter().take(SHOWN_FRAMES) {
            let _ = writeln!(out, "      {frame}");
        }
    }
    if join.elsewhere > 0 {
        let _ = writeln!(
            out,
            "  (and {} whose caller is outside the analysed files)",
            plural(join.elsewhere as u64, "blocking site")
        );
    }
    out.push('\n');
    out
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `250 ms`, `1.9 s`.
fn duration(ms: f64) -> String {
    if ms >= 1_000.0 {
        format!("{:.1} s", ms / 1_000.0)
    } else {
        format!("{ms:.0} ms")
    }
}

fn round3(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}
