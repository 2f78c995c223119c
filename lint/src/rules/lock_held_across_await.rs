//! ## What it does
//! Flags a guard of a synchronous lock (`std::sync::Mutex`/`RwLock`, the
//! `parking_lot` and `spin` locks) or a `RefCell` borrow (`Ref`/`RefMut`)
//! that is still alive at an `.await` of the same async body. The finding
//! points at the lock call, with a label at the first `.await` it spans.
//!
//! Lifetimes follow Rust's drop scopes: a named guard lives to the end of
//! its block unless it is moved first (`drop(guard)`, passed by value,
//! returned, put into a struct, tuple, array or `vec!`, captured by a `move`
//! closure or `async move` block), and shadowing does not drop it. Moved
//! into something a `let` binds (`let other = guard;`, `let s = S { guard }`,
//! `let f = move || ..guard..`), it lives as long as that binding. Moved on
//! some paths only (`if c { drop(guard) }`), it may still be alive after
//! the `if`/`match` (Rust keeps it by a drop flag), so a later `.await`
//! holds it, as clippy's `await_holding_lock` says too. A temporary guard
//! (`m.lock().unwrap().len()`, `let _ = m.lock();`) dies at the end of its
//! statement; a `match`
//! scrutinee's temporaries live through every arm, an `if let`/`while let`
//! scrutinee's through the body (and, before edition 2024, the `else`).
//!
//! ## Why is this bad?
//! While the task is suspended at the `.await`, the lock stays taken. Any
//! other task on the same executor that takes it blocks its worker thread,
//! possibly until the suspended task is polled again on that very thread: a
//! deadlock. A `RefCell` borrow held across an `.await` panics when another
//! task borrows the same cell meanwhile. A std guard also makes the future
//! `!Send`, so it cannot be spawned on a multi-threaded runtime.
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
//! ## Options
//! An item carrying `#[allow(clippy::await_holding_lock)]` or
//! `#[allow(clippy::await_holding_refcell_ref)]` is not checked: a decision
//! already taken for clippy's lint stands.
//!
//! ## Known problems
//! When the receiver's type cannot be known, only the `.lock().unwrap()`,
//! `.read().unwrap()` and `.write().unwrap()` shapes count as guards
//! (confidence `inferred`). A guard is followed through one level of
//! `let`-bound struct, tuple or closure (`S { inner: (guard, 1) }` ends its
//! life). A closure without `move` is taken to borrow the guard, even when
//! its body moves it. An arm ending in `break` counts as leaving the
//! `if`/`match` without moving, so a guard moved before a `break` is still
//! counted alive after the loop. A crate's own function is
//! known to return a guard only from its signature in the same file.
//! When this rule fires for a lock call, `sync-lock-in-async`
//! is not also reported for it.

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "lock-held-across-await",
    default_severity: Severity::Warning,
    summary: "a lock guard or `RefCell` borrow is held across an `.await`",
    source: include_str!("lock_held_across_await.rs"),
    message,
    help,
    propagates: false,
};

fn message(callee: &str, context: &str) -> String {
    format!("the guard of `{callee}` is held across an `.await` in {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    let async_mutex = match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::sync::Mutex",
        AsyncRuntime::AsyncStd => "async_std::sync::Mutex",
        AsyncRuntime::Smol => "smol::lock::Mutex",
    };
    format!(
        "drop the guard before the `.await` (end its block, or `drop(guard)`); if it must be held, use `{async_mutex}`"
    )
}

/// The secondary label at the first `.await` the guard spans.
pub const AWAIT_LABEL: &str = "the guard is still alive at this `.await`";
