//! The five reference workloads. Each lives in its own folder: `mod.rs`
//! (operations, data types, the seeded mix, the correctness check),
//! `blocking.rs` (the anti-pattern) and `fixed.rs` (the cure).
//!
//! The workspace audit excludes `workloads/*/blocking.rs` by configuration;
//! everything else here must lint clean under stallcheck.

pub mod memory_stream;
pub mod repo_sync;
pub mod session_store;
pub mod vector_store;
pub mod working_memory;

/// Every workload name, in the order the harness runs them.
pub const NAMES: [&str; 5] = [
    "vector-store",
    "working-memory",
    "repo-sync",
    "memory-stream",
    "session-store",
];
