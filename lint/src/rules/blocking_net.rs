//! ## What it does
//! Flags blocking `std::net` calls inside async code: `TcpStream::connect`,
//! `TcpListener::bind`/`accept`/`incoming`, `UdpSocket` sends and receives,
//! reads and writes of a `std::net::TcpStream`, and
//! `ToSocketAddrs::to_socket_addrs` (a blocking DNS lookup).
//!
//! ## Why is this bad?
//! A blocking socket call waits for the network with the executor thread:
//! a slow peer or a DNS timeout stalls every task on that thread for as long
//! as it takes.
//!
//! ## Example
//! ```text
//! async fn ping(addr: &str) -> io::Result<()> {
//!     let stream = std::net::TcpStream::connect(addr)?;
//!     Ok(())
//! }
//! ```
//!
//! ## Use instead
//! ```text
//! async fn ping(addr: &str) -> io::Result<()> {
//!     let stream = tokio::net::TcpStream::connect(addr).await?;
//!     Ok(())
//! }
//! ```
//!
//! ## Known problems
//! `to_socket_addrs` is recognised on a receiver of unknown type when
//! `std::net::ToSocketAddrs` is imported; such findings have confidence
//! `inferred`.

use super::Rule;
use crate::analysis::AsyncRuntime;
use crate::finding::Severity;

pub static RULE: Rule = Rule {
    id: "blocking-net",
    default_severity: Severity::Warning,
    summary: "a blocking network call runs on the executor thread",
    source: include_str!("blocking_net.rs"),
    message,
    help,
};

fn message(callee: &str, context: &str) -> String {
    format!("blocking network call `{callee}` in {context}")
}

fn help(runtime: AsyncRuntime, callee: &str) -> String {
    let module = match runtime {
        AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::net",
        AsyncRuntime::AsyncStd => "async_std::net",
        AsyncRuntime::Smol => "smol::net",
    };
    if callee.ends_with("to_socket_addrs") {
        let lookup = match runtime {
            AsyncRuntime::Tokio | AsyncRuntime::Unknown => "tokio::net::lookup_host(..).await",
            AsyncRuntime::AsyncStd => "async_std::net::ToSocketAddrs::to_socket_addrs(..).await",
            AsyncRuntime::Smol => "smol::net::resolve(..).await",
        };
        return format!("resolve with `{lookup}`");
    }
    format!("use the `{module}` types (`TcpStream`, `TcpListener`, `UdpSocket`) and `.await` them")
}
