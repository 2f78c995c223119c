//! stallcheck-bench: five reference memory-store workloads, each in a
//! blocking variant (the anti-pattern) and a fixed variant (the cure), driven
//! under the same load on monitored tokio runtimes and compared.
//!
//! Code map: [`workload`] is the contract (one trait per workload, one per
//! variant); [`workloads`] holds the five; [`driver`] issues the load;
//! [`monitoring`] alone talks to `stallcheck-runtime`; [`run`] orchestrates a
//! harness run; [`report`] and [`charts`] render it.
//!
//! Invariant: set-up, correctness checks and external servers run in sync
//! code outside the measured runtime; only the variants' operations (and the
//! driver's bookkeeping, which never blocks) run on it.

pub mod charts;
pub mod claims;
pub mod driver;
pub mod embed;
pub mod latency_proxy;
pub mod monitoring;
pub mod price_curve;
pub mod progress;
pub mod redis_server;
pub mod report;
pub mod run;
pub mod scratch;
pub mod seed;
pub mod slowdown;
pub mod storage;
pub mod workload;
pub mod workloads;
