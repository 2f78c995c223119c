//! ## What it does
//! Flags waiting for a child process inside async code:
//! `std::process::Command::output`/`status` and
//! `std::process::Child::wait`/`wait_with_output`.
//!
//! ## Why is this bad?
//! The executor thread waits for the whole lifetime of the child process,
//! which is unbounded.
//!
//! ## Example
//! ```text
//! async fn version() -> io::Result<Output> {
//!     std::process::Command::new("git").arg("--version").output()
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn version() -> io::Result<Output> {
//!     tokio::process::Command::new("git").arg("--version").output().await
//! }
//! ```

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-process",
    default_severity: Severity::Warning,
    summary: "the executor thread waits for a child process",
    source: include_str!("blocking_process.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking wait for a child process `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => {
            "use `tokio::process::Command` and `.await` its `output()`, `status()` or `wait()`"
        }
        AsyncRuntime::AsyncStd | AsyncRuntime::Smol => {
            "use `async_process::Command` (re-exported as `smol::process`) and `.await` its `output()` or `status()`"
        }
    }
    .to_string()
}
