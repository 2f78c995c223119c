//! The speed baseline: the same pool and order as a run, each file only parsed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::vocab::FatalError;

use super::jobs::largest_first;
use super::walk::worker_pool;

/// What [`parse_only`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseOnlyOutcome {
    pub files: usize,
    pub lines: usize,
    /// Files that could not be read or did not parse.
    pub failures: usize,
    /// Top-level items parsed (a plain result, so the parse is not optimised away).
    pub items: usize,
}

/// The speed baseline the analysis is measured against: reads and
/// syn-parses `files` with the same scheme as [`run`] (a [`worker_pool`],
/// one FIFO task per file, largest first, each file read and parsed on the
/// thread that runs the task, only plain counts come back) and no analysis.
pub fn parse_only(files: &[PathBuf], jobs: Option<usize>) -> Result<ParseOnlyOutcome, FatalError> {
    let total = Mutex::new(ParseOnlyOutcome::default());
    let ordered = largest_first(files);
    worker_pool(jobs)?.scope_fifo(|scope| {
        for path in &ordered {
            let total = &total;
            scope.spawn_fifo(move |_| {
                let one = parse_one(path);
                let mut total = total
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                total.files += 1;
                total.lines += one.lines;
                total.failures += one.failures;
                total.items += one.items;
            });
        }
    });
    Ok(total
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner()))
}

fn parse_one(path: &Path) -> ParseOnlyOutcome {
    let Ok(source) = std::fs::read_to_string(path) else {
        return ParseOnlyOutcome {
            failures: 1,
            ..ParseOnlyOutcome::default()
        };
    };
    let lines = source.lines().count();
    match syn::parse_file(&source) {
        Ok(file) => ParseOnlyOutcome {
            lines,
            items: file.items.len(),
            ..ParseOnlyOutcome::default()
        },
        Err(_) => ParseOnlyOutcome {
            lines,
            failures: 1,
            ..ParseOnlyOutcome::default()
        },
    }
}
