//! ## What it does
//! Flags `std::thread::sleep` inside async code, however it is named
//! (`std::thread::sleep(d)`, `thread::sleep(d)`, or `sleep(d)` after
//! `use std::thread::sleep`).
//!
//! ## Why is this bad?
//! It puts the executor thread to sleep: no other task on that thread makes
//! progress for the whole duration. On a current-thread runtime the entire
//! program stops.
//!
//! ## Example
//! ```text
//! async fn retry() {
//!     std::thread::sleep(Duration::from_millis(100));
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn retry() {
//!     tokio::time::sleep(Duration::from_millis(100)).await;
//! }
//! ```
//!
//! ## Fix safety
//! `--fix` rewrites `std::thread::sleep(d)` to `tokio::time::sleep(d).await`
//! when the call is written directly in an async body (not in a closure, a
//! `poll` method or a macro) and the target depends on tokio with the `time`
//! (or `full`) feature. Values alive across the new `.await` must be `Send`
//! for the future to stay `Send`; a lock guard alive there is reported by
//! `lock-held-across-await` on the next run. The import of `sleep` may become
//! unused.

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-sleep",
    default_severity: Severity::Warning,
    summary: "the executor thread sleeps",
    source: include_str!("blocking_sleep.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking sleep `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "use `tokio::time::sleep(..).await`",
        AsyncRuntime::AsyncStd => "use `async_std::task::sleep(..).await`",
        AsyncRuntime::Smol => "use `smol::Timer::after(..).await`",
    }
    .to_string()
}
