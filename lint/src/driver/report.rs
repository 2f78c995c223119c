//! The serial phase, after the parallel walk: the semantic model answers
//! the files' questions, the call graph is solved, suppressions and rule
//! selection are applied, and everything is sorted into a [`Report`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::analysis::summary::GuardedFinding;
use crate::callgraph::{self, Crates};
use crate::catalog::Catalog;
use crate::finding::{Confidence, Finding, InputError};
use crate::model::queries::{Answer, Query};
use crate::model::{Model, ModelUnit};
use crate::suppress;
use crate::workspace::CargoOrigin;

use super::settings::Settings;
use super::timings::Timings;
use super::walk::{FileResult, Outcome};

/// The outcome of a run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The analysed root (a directory).
    pub root: PathBuf,
    /// Sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub files: usize,
    pub lines: usize,
    pub elapsed: Duration,
    /// The files read, relative to `root`, `/`-separated, sorted.
    pub paths: Vec<String>,
    /// Where the configuration came from, if any was used.
    pub config_source: Option<String>,
    /// The cargo workspace root (canonical), when the target has a manifest:
    /// cargo's messages name files relative to it.
    pub workspace_root: Option<PathBuf>,
    /// Each file's package and target, by path (manifest layouts only; see
    /// [`CargoOrigin`]).
    pub origins: BTreeMap<String, Arc<CargoOrigin>>,
}

impl Settings {
    pub(super) fn finish(
        self,
        root: PathBuf,
        workspace_root: Option<PathBuf>,
        outcome: Outcome,
        config_source: Option<String>,
        started: Instant,
        timings: Timings,
    ) -> Report {
        let Outcome {
            mut files,
            crates,
            mut errors,
            mut paths,
            catalogs,
            origins,
        } = outcome;
        // The graph is solved in path order, whatever order workers finished in.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let model_started = Instant::now();
        ask_the_model(&mut files, &crates, &catalogs);
        timings.phase("model", model_started);
        let graph_started = Instant::now();
        let units: Vec<callgraph::Unit<'_>> = files
            .iter()
            .map(|(path, file)| callgraph::Unit {
                path,
                crate_id: file.crate_id,
                runtime: file.runtime,
                summary: &file.summary,
            })
            .collect();
        let solution = callgraph::solve(&units, &crates);
        drop(units);
        timings.phase("graph", graph_started);
        let report_started = Instant::now();
        // Findings in closures that an inferred offload wrapper runs off the
        // executor go before suppressions see them (an allow covering only
        // those is unused).
        if !solution.offloaded.is_empty() {
            for (index, (_, file)) in files.iter_mut().enumerate() {
                file.findings.retain(|finding| {
                    !solution
                        .offloaded
                        .contains(&(index, finding.rule, finding.span))
                });
            }
        }
        for (index, finding) in solution.findings {
            let file = &mut files[index].1;
            if !file.excluded {
                file.findings.push(finding);
            }
        }
        let mut findings = Vec::new();
        let mut lines = 0;
        for (path, file) in files {
            lines += file.lines;
            let file_findings = match &file.allows {
                Some((source, items)) => suppress::apply(source, &path, items, file.findings),
                None => file.findings,
            };
            findings.extend(
                file_findings
                    .into_iter()
                    .filter_map(|finding| self.adjust(finding)),
            );
        }
        findings.sort_by(|a, b| {
            (&a.path, a.span, a.rule, &a.message).cmp(&(&b.path, b.span, b.rule, &b.message))
        });
        // A file that is two modules (see `Walk::claimed`) is analysed twice.
        findings.dedup();
        errors.sort_by(|a, b| (&a.path, a.span, &a.message).cmp(&(&b.path, b.span, &b.message)));
        errors.dedup();
        paths.sort();
        paths.dedup();
        timings.phase("report", report_started);
        Report {
            root,
            findings,
            errors,
            files: paths.len(),
            lines,
            elapsed: started.elapsed(),
            paths,
            config_source,
            workspace_root,
            origins,
        }
    }
}

/// The serial model phase: builds the semantic model over every file's
/// item index and applies its answers to the files' queries (new findings,
/// shape-fallback lock findings confirmed or dropped) before the call graph
/// and suppressions see the findings.
fn ask_the_model(files: &mut [(String, FileResult)], crates: &Crates, catalogs: &[Catalog]) {
    let Some(catalog) = catalogs.first() else {
        return;
    };
    let answers: Vec<(usize, usize, Answer)> = {
        let units: Vec<ModelUnit<'_>> = files
            .iter()
            .map(|(_, file)| ModelUnit {
                crate_id: file.crate_id,
                index: &file.summary.index,
            })
            .collect();
        let model = Model::build(
            &units,
            crates.names().to_vec(),
            crates.libs().clone(),
            catalog,
        )
        .expect("the builtin catalog's [model] tables are valid (checked by a test)");
        let mut answers = Vec::new();
        for (index, (path, file)) in files.iter().enumerate() {
            // An excluded file's items still feed the model; its questions
            // go unanswered, as its own findings go unreported.
            if file.excluded || file.summary.queries.is_empty() {
                continue;
            }
            let queries: Vec<Query> = file
                .summary
                .queries
                .iter()
                .map(|question| question.query.clone())
                .collect();
            for (query, answer) in model.answer(file.crate_id, file.runtime, path, &queries) {
                answers.push((index, query, answer));
            }
        }
        answers
    };
    for (index, query, answer) in answers {
        let file = &mut files[index].1;
        match answer {
            Answer::Finding(finding) => {
                let guards = file.summary.queries[query].guards.clone();
                if !guards.is_empty() {
                    file.summary.guarded.push(GuardedFinding {
                        rule: finding.rule,
                        span: finding.span,
                        guards,
                    });
                }
                file.findings.push(*finding);
            }
            Answer::Drop(span) => file.findings.retain(|finding| {
                !(finding.span == span && finding.confidence == Confidence::Inferred)
            }),
            Answer::Confirm(span) => {
                for finding in &mut file.findings {
                    if finding.span == span {
                        finding.confidence = Confidence::Resolved;
                    }
                }
            }
        }
    }
}
