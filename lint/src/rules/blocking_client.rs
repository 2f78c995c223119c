//! ## What it does
//! Flags synchronous clients of network services and databases inside async
//! code: `reqwest::blocking`, `ureq`, `postgres::Client`,
//! `rusqlite::Connection`, synchronous `redis` connections and commands,
//! and diesel's `RunQueryDsl` calls (`load`, `execute`, `get_result`, ...).
//!
//! ## Why is this bad?
//! Each call waits for a round trip to a server (or a disk, for SQLite) with
//! the executor thread. `reqwest::blocking` goes further: it runs its own
//! runtime and panics when used inside another one.
//!
//! ## Example
//! ```text
//! async fn status(url: &str) -> reqwest::Result<u16> {
//!     Ok(reqwest::blocking::get(url)?.status().as_u16())
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn status(url: &str) -> reqwest::Result<u16> {
//!     Ok(reqwest::get(url).await?.status().as_u16())
//! }
//! ```
//!
//! ## Known problems
//! Only the first call of a chain is reported (`client.get(url).send()` is
//! one finding, at `get`). diesel calls are recognised when `RunQueryDsl` is
//! in scope and the receiver's type is unknown, with confidence `inferred`.

use super::{Rule, offload_call};
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-client",
    default_severity: Severity::Warning,
    summary: "a synchronous network or database client runs on the executor thread",
    source: include_str!("blocking_client.rs"),
    message,
    help,
    propagates: true,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking client call `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, callee: &str) -> String {
    let offload = offload_call(runtime);
    let crate_name = callee.split("::").next().unwrap_or(callee);
    let tokio_based = matches!(runtime, AsyncRuntime::Tokio | AsyncRuntime::Unknown);
    let alternative = match crate_name {
        "reqwest" => Some("the async `reqwest::Client`"),
        "ureq" if tokio_based => Some("an async HTTP client such as `reqwest::Client`"),
        "ureq" => Some("an async HTTP client such as `surf` or `isahc`"),
        "postgres" if tokio_based => Some("`tokio_postgres::Client`"),
        "redis" => Some(
            "an async connection (`get_multiplexed_async_connection`) with `redis::AsyncCommands`",
        ),
        "diesel" => Some("`diesel_async::RunQueryDsl`"),
        _ => None,
    };
    match alternative {
        Some(alternative) => format!("use {alternative}, or move the call into `{offload}`"),
        None => format!("use the crate's async client, or move the call into `{offload}`"),
    }
}
