//! ## What it does
//! Flags waiting for another thread inside async code: `std::sync::mpsc`
//! `recv`/`recv_timeout`/`iter` and `SyncSender::send`, crossbeam `recv`,
//! `JoinHandle::join`, `Condvar::wait*`, `Barrier::wait`, `thread::park`,
//! `std::thread::scope` and `rayon::scope` (they join their threads before
//! returning), and tokio's `blocking_lock`/`blocking_recv`/`blocking_send`/
//! `blocking_read`/`blocking_write`.
//!
//! ## Why is this bad?
//! The executor thread waits for an event another thread or task will
//! produce. If that producer is a task on the same executor, it can never
//! run: a deadlock. tokio's `blocking_*` methods panic when called inside a
//! runtime, so those findings are errors.
//!
//! ## Example
//! ```text
//! async fn next_job(rx: &std::sync::mpsc::Receiver<Job>) -> Job {
//!     rx.recv().unwrap()
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn next_job(rx: &mut tokio::sync::mpsc::Receiver<Job>) -> Option<Job> {
//!     tokio::time::timeout(LIMIT, rx.recv()).await.ok().flatten()
//! }
//! ```
//!
//! ## Known problems
//! Closures handed to `s.spawn(..)` inside `std::thread::scope`, and to
//! `rayon::scope`, run on other threads and are not reported; the scope call
//! itself waits for all of them, so it is reported where it is written.

use super::{Rule, last_segment};
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-wait",
    default_severity: Severity::Warning,
    summary: "the executor thread waits for another thread",
    source: include_str!("blocking_wait.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking wait `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, callee: &str) -> String {
    let method = last_segment(callee);
    if let Some(async_method) = method.strip_prefix("blocking_") {
        return format!("`{method}` panics inside a runtime: `.await` `{async_method}` instead");
    }
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => {
            "use a `tokio::sync` channel (or `.await` the task's `JoinHandle`), bounded with `tokio::time::timeout`"
        }
        AsyncRuntime::AsyncStd => {
            "use an async channel (`async_std::channel`) or `.await` the task's `JoinHandle`"
        }
        AsyncRuntime::Smol => {
            "use an async channel (`smol::channel`) or `.await` the `smol::Task`"
        }
    }
    .to_string()
}
