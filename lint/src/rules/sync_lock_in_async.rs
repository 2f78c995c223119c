//! ## What it does
//! Flags taking a synchronous lock inside async code:
//! `std::sync::Mutex::lock`, `RwLock::read`/`write`, and the `parking_lot`
//! and `spin` locks.
//!
//! ## Why is this bad?
//! A contended lock blocks the executor thread until the holder releases it,
//! and a `spin` lock burns the thread meanwhile. Short critical sections that
//! never reach an `.await` are fine, which is why this is a note: it asks for
//! a look, not a rewrite.
//!
//! ## Example
//! ```text
//! async fn record(stats: &std::sync::Mutex<Stats>, sample: Sample) {
//!     let mut stats = stats.lock().unwrap();
//!     stats.add(sample);
//!     flush(&stats).await;
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn record(stats: &std::sync::Mutex<Stats>, sample: Sample) {
//!     let snapshot = {
//!         let mut stats = stats.lock().unwrap();
//!         stats.add(sample);
//!         stats.clone()
//!     };
//!     flush(&snapshot).await;
//! }
//! ```
//!
//! ## Known problems
//! When the receiver's type cannot be known (a struct field), only the
//! `.lock().unwrap()`, `.read().unwrap()` and `.write().unwrap()` shapes are
//! reported, with confidence `inferred`.
//!
//! A guard that is still alive at an `.await` is reported by
//! `lock-held-across-await` instead, at the same call.

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "sync-lock-in-async",
    default_severity: Severity::Note,
    summary: "a synchronous lock is taken inside async code",
    source: include_str!("sync_lock_in_async.rs"),
    message,
    help,
    propagates: false,
};

fn message(callee: &str, context: &str) -> String {
    format!("synchronous lock `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    let async_mutex = match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::sync::Mutex",
        AsyncRuntime::AsyncStd => "async_std::sync::Mutex",
        AsyncRuntime::Smol => "smol::lock::Mutex",
    };
    format!(
        "keep the critical section short and never hold the guard across `.await`; if it must be, use `{async_mutex}`"
    )
}
