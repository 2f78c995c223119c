//! tokio-console, served from inside the process (`console` feature).
//!
//! [`init`] installs a global `tracing` subscriber made of
//! `console-subscriber`'s layer (tokio's task spans, for the console) and a
//! `fmt` layer on stderr (the crate's own `WARN stall: ...` events; level
//! from `RUST_LOG`, default `warn`), and serves the console's gRPC API on
//! its own thread and single-threaded runtime, so a blocked application
//! runtime does not freeze the console.
//!
//! A process has one global subscriber, hence one console server: the
//! first successful [`init`] wins and later calls (a second runtime, a
//! second monitor) return the address already serving. Tasks of every
//! runtime created afterwards appear in the same console.
//!
//! Applications that already own a subscriber should add [`layer`] to it
//! instead.

use std::net::SocketAddr;
use std::sync::OnceLock;

use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer};

pub use crate::DEFAULT_CONSOLE_ADDR;

/// Why the console server could not be started.
#[derive(Clone, Debug)]
pub struct ConsoleError(String);

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConsoleError {}

static SERVER: OnceLock<Result<SocketAddr, ConsoleError>> = OnceLock::new();

/// Starts the console server on `addr` (port 0 picks a free port) and
/// installs the global subscriber. Returns the address actually bound.
/// Idempotent: later calls return the first call's result.
pub fn init(addr: SocketAddr) -> Result<SocketAddr, ConsoleError> {
    SERVER.get_or_init(|| start(addr)).clone()
}

fn start(addr: SocketAddr) -> Result<SocketAddr, ConsoleError> {
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        ConsoleError(format!(
            "cannot bind the tokio-console server to {addr}: {e}"
        ))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| ConsoleError(format!("cannot read the console server's address: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| ConsoleError(format!("cannot configure the console listener: {e}")))?;

    let (console_layer, server) = console_subscriber::ConsoleLayer::builder()
        .server_addr(bound)
        .build();
    let stderr_filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::registry()
        .with(console_layer.with_filter(tracing_subscriber::filter::filter_fn(is_console_metadata)))
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colour codes only for a person at a terminal, never in a
                // log redirected to a file.
                .with_ansi(colour_stderr())
                .with_filter(stderr_filter),
        )
        .try_init()
        .map_err(|_| {
            ConsoleError(
                "a global tracing subscriber is already installed; add \
                 stallcheck_runtime::console::layer() to it instead"
                    .to_owned(),
            )
        })?;

    std::thread::Builder::new()
        .name("stallcheck-console".to_owned())
        .spawn(move || serve(server, listener))
        .map_err(|e| ConsoleError(format!("cannot start the console server thread: {e}")))?;
    Ok(bound)
}

/// Whether stderr is a terminal and `NO_COLOR` is not set.
fn colour_stderr() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What console-subscriber needs: tokio's `runtime.*` spans and events.
fn is_console_metadata(meta: &tracing::Metadata<'_>) -> bool {
    if meta.is_event() {
        meta.target().starts_with("runtime") || meta.target().starts_with("tokio")
    } else {
        meta.name().starts_with("runtime.") || meta.target().starts_with("tokio")
    }
}

/// For applications with their own subscriber: the console layer plus the
/// server, which the caller runs (`server.serve().await`) on a runtime of
/// its choice. Prefer a dedicated thread, so a stalled runtime does not
/// freeze the console.
pub fn layer(addr: SocketAddr) -> (console_subscriber::ConsoleLayer, console_subscriber::Server) {
    console_subscriber::ConsoleLayer::builder()
        .server_addr(addr)
        .build()
}

fn serve(server: console_subscriber::Server, listener: std::net::TcpListener) {
    // The console's own tasks must not be traced into the console.
    let _no_self_trace =
        tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("stallcheck: tokio-console server runtime failed to start: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("stallcheck: tokio-console listener failed: {e}");
                return;
            }
        };
        let parts = server.into_parts();
        let aggregator = tokio::spawn(parts.aggregator.run());
        let served = tonic::transport::Server::builder()
            .add_service(parts.instrument_server)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await;
        aggregator.abort();
        if let Err(e) = served {
            eprintln!("stallcheck: tokio-console server stopped: {e}");
        }
    });
}
