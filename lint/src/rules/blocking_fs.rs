//! ## What it does
//! Flags blocking filesystem calls inside async code: the `std::fs`
//! functions, `File::open`/`File::create` and reads and writes of a
//! `std::fs::File`, `OpenOptions::open`, and the `Path`/`PathBuf` methods
//! that query the filesystem (`exists`, `is_file`, `is_dir`, `metadata`,
//! `canonicalize`, `read_dir`, `read_link`, `try_exists`,
//! `symlink_metadata`).
//!
//! ## Why is this bad?
//! Filesystem calls block the executor thread until the kernel answers. That
//! is usually fast, and occasionally (network filesystems, a busy disk,
//! a large file) very slow, which stalls every task on the thread.
//!
//! ## Example
//! ```text
//! async fn load(path: &Path) -> io::Result<String> {
//!     std::fs::read_to_string(path)
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn load(path: &Path) -> io::Result<String> {
//!     tokio::fs::read_to_string(path).await
//! }
//! ```
//!
//! ## Fix safety
//! `--fix` rewrites `std::fs::X(..)` to `tokio::fs::X(..).await` for the
//! functions whose `tokio::fs` twin takes the same arguments and returns the
//! same type once awaited (`read`, `read_to_string`, `write`, `copy`,
//! `rename`, `remove_*`, `create_dir*`, `metadata`, ...; the list is the
//! `[fixes]` table of the catalog), when the call is written directly in an
//! async body and the target depends on tokio with the `fs` (or `full`)
//! feature. `read_dir` and `File` are not rewritten: their tokio types differ.
//!
//! ## Known problems
//! A crate's own offloading wrappers are inferred: a closure handed to a
//! function of the crate (tokio's internal `asyncify(|| std::fs::read(p))`,
//! a method such as `self.pool.run(move || ..)`) is not reported when that
//! function only ever hands the parameter, unchanged, to an offloading call
//! (`spawn_blocking(f)`) or to another such wrapper. A wrapper that does
//! anything else with it (calls it, boxes it, captures it in a closure of
//! its own: `spawn_blocking(move || f())`), one defined in a dependency,
//! and a closure bound to a local first (`let work = || ..;
//! asyncify(work)`) are not seen through: name such wrappers in the
//! configuration's `context.offload`.

use super::{Rule, last_segment, offload_call};
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-fs",
    default_severity: Severity::Warning,
    summary: "a blocking filesystem call runs on the executor thread",
    source: include_str!("blocking_fs.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking filesystem call `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, callee: &str) -> String {
    let module = match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::fs",
        AsyncRuntime::AsyncStd => "async_std::fs",
        AsyncRuntime::Smol => "smol::fs",
    };
    let offload = offload_call(runtime);
    match callee.strip_prefix("std::fs::") {
        Some(function) if !function.contains("::") => {
            format!("use `{module}::{function}(..).await`, or move the work into `{offload}`")
        }
        _ => format!(
            "use the `{module}` equivalent of `{}` and `.await` it, or move the work into `{offload}`",
            last_segment(callee)
        ),
    }
}
