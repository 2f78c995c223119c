//! ## What it does
//! Flags building a tokio runtime (`Runtime::new()`,
//! `Builder::new_multi_thread()..build()`) inside async code.
//!
//! ## Why is this bad?
//! Building a runtime starts its own worker threads and driver from inside a
//! task of another runtime. Using it there (`block_on`) panics with "Cannot
//! start a runtime from within a runtime", and dropping it inside async code
//! panics too. Even when neither happens, two runtimes compete for the same
//! cores.
//!
//! ## Example
//! ```text
//! async fn handler() {
//!     let rt = tokio::runtime::Runtime::new().unwrap();
//!     rt.spawn(work());
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn handler() {
//!     tokio::runtime::Handle::current().spawn(work());
//! }
//! ```

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "nested-runtime",
    default_severity: Severity::Error,
    summary: "a runtime is built inside async code",
    source: include_str!("nested_runtime.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("runtime built with `{callee}` inside {context}")
}

fn help(runtime: AsyncRuntime, _callee: &str) -> String {
    match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => {
            "reuse the running runtime through `tokio::runtime::Handle::current()`".to_string()
        }
        AsyncRuntime::AsyncStd => {
            "spawn onto the running executor with `async_std::task::spawn` instead of building another runtime"
                .to_string()
        }
        AsyncRuntime::Smol => {
            "spawn onto the running executor (`smol::spawn` or your `smol::Executor`) instead of building another runtime"
                .to_string()
        }
    }
}
