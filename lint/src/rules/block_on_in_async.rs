//! ## What it does
//! Flags calls that drive a future to completion on the current thread
//! (`futures::executor::block_on`, `Runtime::block_on`, `Handle::block_on`,
//! `pollster::block_on`, `async_std::task::block_on`, `smol::block_on`,
//! `futures_lite::future::block_on`) inside async code.
//!
//! ## Why is this bad?
//! The executor thread stops polling every other task until the inner future
//! completes. If that future needs the same executor (a timer, a channel fed
//! by another task, I/O driven by the runtime) it never completes: the
//! program deadlocks. tokio's `block_on` panics outright when called from
//! inside a runtime.
//!
//! ## Example
//! ```text
//! async fn refresh(cache: &Cache) {
//!     let fresh = futures::executor::block_on(fetch());
//!     cache.store(fresh);
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn refresh(cache: &Cache) {
//!     let fresh = fetch().await;
//!     cache.store(fresh);
//! }
//! ```
//! If a synchronous function in between needs the result, run that function
//! with `spawn_blocking` and call `Handle::block_on` from there.

use super::{Rule, offload_call};
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "block-on-in-async",
    default_severity: Severity::Error,
    summary: "a future is driven to completion on the executor thread",
    source: include_str!("block_on_in_async.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("`{callee}` blocks on a future inside {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    format!(
        "`.await` the future instead; if a synchronous caller needs its result, run that caller in `{}`",
        offload_call(runtime)
    )
}
