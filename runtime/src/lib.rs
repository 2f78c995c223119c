//! Loop-lag probe, tokio-metrics monitors and a stall watchdog for tokio runtimes.
//!
//! `stallcheck-runtime` answers, while a program runs, the question the
//! `stallcheck` linter answers from source: *is something blocking this
//! executor, by how much, in which task, at which line?*
//!
//! ```no_run
//! use std::time::Duration;
//! use stallcheck_runtime::Monitor;
//!
//! # fn main() -> std::io::Result<()> {
//! let monitor = Monitor::builder()
//!     .probe_interval(Duration::from_millis(10))
//!     .stall_threshold(Duration::from_millis(10))
//!     .build();
//!
//! let mut builder = tokio::runtime::Builder::new_multi_thread();
//! builder.worker_threads(2).enable_all();
//! monitor.install(&mut builder); // task-poll hooks for the watchdog
//! let runtime = builder.build()?;
//! let guard = monitor.start(runtime.handle()); // probes, samplers, watchdog thread
//!
//! runtime.block_on(async {
//!     let handle = monitor.spawn_named("repo-sync", async {
//!         std::thread::sleep(Duration::from_millis(50)); // the bug
//!     });
//!     handle.await.unwrap();
//! });
//!
//! let report = monitor.report();
//! println!("{report}"); // or serde_json::to_string(&report)
//! guard.stop();
//! # Ok(())
//! # }
//! ```
//!
//! What the pieces measure, and which report field answers which symptom, is
//! described in the crate's `README.md` ("why are my tasks slow?").
//!
//! The watchdog needs tokio's task-poll hooks, which exist only when the
//! program is built with `--cfg tokio_unstable`. Stack capture of a stuck
//! worker is implemented for Linux; elsewhere the report says so in
//! [`Report::stack_capture`].

mod clock;
#[cfg(feature = "console")]
pub mod console;
mod lag;
mod metrics;
mod monitor;
mod names;
mod report;
mod series;
mod watchdog;

pub use monitor::{
    DEFAULT_METRICS_INTERVAL, DEFAULT_PROBE_INTERVAL, DEFAULT_SAMPLE_INTERVAL,
    DEFAULT_STALL_CAPACITY, DEFAULT_STALL_THRESHOLD, DEFAULT_TASK_SAMPLE_EVERY, MIN_PROBE_INTERVAL,
    Monitor, MonitorBuilder, MonitorGuard,
};
pub use report::{
    LagSummary, Report, ReportSettings, RuntimeSummary, Stall, StallCpu, StallSite, TaskSummary,
    WorkerSummary,
};

/// The default tokio-console bind address: loopback only.
pub const DEFAULT_CONSOLE_ADDR: std::net::SocketAddr = std::net::SocketAddr::V4(
    std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, 6669),
);
