//! ## What it does
//! Flags reads of the process's standard input (`std::io::stdin()` and its
//! lock: `read_line`, `lines`, `read_to_string`, ...) inside async code.
//!
//! ## Why is this bad?
//! Reading stdin waits for a human or another process, for as long as they
//! take, with the executor thread.
//!
//! ## Example
//! ```text
//! async fn prompt() -> io::Result<String> {
//!     let mut line = String::new();
//!     std::io::stdin().read_line(&mut line)?;
//!     Ok(line)
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! use tokio::io::AsyncBufReadExt;
//!
//! async fn prompt() -> io::Result<String> {
//!     let mut line = String::new();
//!     tokio::io::BufReader::new(tokio::io::stdin()).read_line(&mut line).await?;
//!     Ok(line)
//! }
//! ```

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-io",
    default_severity: Severity::Warning,
    summary: "standard input is read on the executor thread",
    source: include_str!("blocking_io.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking read of standard input `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => {
            "read through `tokio::io::stdin()` with `tokio::io::AsyncBufReadExt`"
        }
        AsyncRuntime::AsyncStd => "read through `async_std::io::stdin()`",
        AsyncRuntime::Smol => "wrap it: `smol::Unblock::new(std::io::stdin())`",
    }
    .to_string()
}
