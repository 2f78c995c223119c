//! ## What it does
//! Flags blocking `std::net` calls inside async code: `TcpStream::connect`,
//! `TcpListener::accept`/`incoming`, `UdpSocket` sends and receives, reads
//! and writes of a `std::net::TcpStream`, `ToSocketAddrs::to_socket_addrs`
//! (a blocking DNS lookup), and `TcpListener::bind`, `UdpSocket::bind` and
//! `UdpSocket::connect` when their address may need a DNS lookup.
//!
//! Those three wait only while resolving a host name: `bind(2)` returns at
//! once and a UDP `connect` only records the peer. So they are not reported
//! when the address is an IP socket address: a string literal that parses
//! as a `SocketAddr` (`"127.0.0.1:0"`, `"[::1]:8080"`), a `format!` whose
//! placeholders are all in the port (`format!("[::1]:{port}")`), a
//! `concat!` of literals that parses, a value of type `SocketAddr`,
//! `SocketAddrV4` or `SocketAddrV6` (`SocketAddr::from(..)`,
//! `SocketAddr::new(..)`, `"..".parse::<SocketAddr>()`, a typed local), an
//! `(ip, port)` tuple whose host is an `IpAddr`/`Ipv4Addr`/`Ipv6Addr`
//! (`IpAddr::V4(ip)` in a pattern binds one) or a literal IP, or a
//! reference or `[..][..]` slice of those.
//! `TcpStream::connect` is reported whatever its address (the TCP handshake
//! waits), and so is `UdpSocket::send_to` (a send waits while the socket's
//! buffer is full).
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
//!
//! An address the analysis cannot type is assumed to need a lookup, so a
//! `bind` may still be reported on an address that never does: a string
//! held in a variable (`let addr = "127.0.0.1:0"; bind(addr)`), a
//! `format!` with a placeholder in the host (`format!("{ip}:{port}")`), or
//! a `Vec<SocketAddr>` or `&[SocketAddr]` binding. Conversely a `format!`
//! placeholder in the port is taken to be a number.

use super::Rule;
use crate::finding::Severity;
use crate::vocab::AsyncRuntime;

pub static RULE: Rule = Rule {
    id: "blocking-net",
    default_severity: Severity::Warning,
    summary: "a blocking network call runs on the executor thread",
    source: include_str!("blocking_net.rs"),
    message,
    help,
    propagates: true,
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
