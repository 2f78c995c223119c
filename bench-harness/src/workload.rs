//! The contract every workload implements: one trait for the workload (sync
//! set-up, the seeded operation mix, the correctness check, the side effects
//! it counted) and one for its three variants (the async operations the
//! driver measures).
//!
//! Invariant: every variant of a workload receives the same plan and must
//! return the same outcome for every operation; the check compares them.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::storage::DurableWrites;

/// Which implementation of a workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VariantKind {
    /// The anti-pattern, reproduced faithfully.
    Blocking,
    /// The one change a reviewer would ask for: the blocking call becomes its
    /// async twin or moves off the executor; batching, connections, commit
    /// policy and parallelism stay those of `Blocking`.
    Fixed,
    /// What a good async design adds on top of `Fixed` (group commit,
    /// multiplexing, parallel embedding).
    Optimized,
}

impl VariantKind {
    /// Every variant, in the order the harness runs them.
    pub const ALL: [VariantKind; 3] = [
        VariantKind::Blocking,
        VariantKind::Fixed,
        VariantKind::Optimized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VariantKind::Blocking => "blocking",
            VariantKind::Fixed => "fixed",
            VariantKind::Optimized => "optimized",
        }
    }

    /// Position in [`VariantKind::ALL`], for per-variant arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Side effects a variant's run caused, counted at the call sites (storage
/// layer, Redis's own `INFO commandstats`, the lock paths), so that "same
/// work" between variants is measured rather than assumed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    pub writes: DurableWrites,
    /// Redis commands the server executed for this variant, by name
    /// (lowercase, as `INFO commandstats` names them); empty without Redis.
    pub redis_commands: BTreeMap<String, u64>,
    /// Saves that found their session's lock taken and waited for it.
    pub lock_waits: u64,
    /// Lock attempts that failed and were retried after a backoff.
    pub lock_retries: u64,
}

/// What a workload needs from the command line to set itself up.
#[derive(Clone, Debug)]
pub struct Settings {
    pub seed: u64,
    pub clients: usize,
    /// Total operations per variant, spread over the clients.
    pub ops: usize,
    /// An existing Redis (`--redis-url`); otherwise the harness starts one.
    pub redis_url: Option<String>,
    /// Where workloads put their files (a fresh temporary directory per run).
    pub scratch: PathBuf,
    /// CPU-heavy jobs the optimized variants run at once on the blocking
    /// pool (default `embed::cpu_permits()`: one per core).
    pub cpu_permits: usize,
    /// Percentage of operations on shared hot keys (session-store's hot
    /// sessions), so that lock contention really happens.
    pub hot_share: u8,
    /// Extra latency of every blocking-capable call (`--io-latency`): added
    /// after each fsync and to each Redis round trip.
    pub io_latency: Duration,
}

impl Settings {
    /// Small defaults for tests and benches: `clients` clients sharing `ops`
    /// operations, files under `scratch`, no added latency.
    pub fn small(scratch: PathBuf, clients: usize, ops: usize) -> Settings {
        Settings {
            seed: 11,
            clients,
            ops,
            redis_url: None,
            scratch,
            cpu_permits: 1,
            hot_share: DEFAULT_HOT_SHARE,
            io_latency: Duration::ZERO,
        }
    }
}

/// Default `--hot-share`: a quarter of session-store's operations go to the
/// shared hot sessions, enough that saves collide on their lock in every run.
pub const DEFAULT_HOT_SHARE: u8 = 25;

/// Why a workload could not be prepared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unprepared {
    /// An external component is missing: the workload is reported as skipped.
    Skipped(String),
    /// Set-up failed: the run fails.
    Failed(String),
}

/// The operations of one run: `clients[c]` is client `c`'s sequence, issued
/// in order (each client waits for its previous operation).
#[derive(Clone, Debug)]
pub struct Plan<Op> {
    pub clients: Vec<Vec<Op>>,
}

impl<Op> Plan<Op> {
    /// `settings.clients` clients sharing `settings.ops` operations (rounded
    /// up to a whole number per client), each client's list made by
    /// `client_ops(seed, client, count)` so every client has its own seeded mix.
    pub fn seeded(
        settings: &Settings,
        client_ops: impl Fn(u64, u64, usize) -> Vec<Op>,
    ) -> Plan<Op> {
        let per_client = settings.ops.div_ceil(settings.clients.max(1));
        let clients = (0..settings.clients as u64)
            .map(|client| client_ops(settings.seed, client, per_client))
            .collect();
        Plan { clients }
    }

    pub fn total(&self) -> usize {
        self.clients.iter().map(Vec::len).sum()
    }
}

/// What one variant did with a plan: per client, the outcomes of the prefix of
/// its operations it completed (all of them unless `--duration` cut the run).
#[derive(Clone, Debug)]
pub struct Completed<Outcome> {
    pub clients: Vec<Vec<Result<Outcome, String>>>,
}

impl<Outcome> Completed<Outcome> {
    pub fn total(&self) -> usize {
        self.clients.iter().map(Vec::len).sum()
    }
}

/// One reference workload.
pub trait Workload: Sized + Send + Sync + 'static {
    /// Kebab-case name (`vector-store`), used in the CLI, task names and reports.
    const NAME: &'static str;
    /// Operations per variant when `--ops` is not given.
    const DEFAULT_OPS: usize;

    type Op: Clone + Debug + Send + Sync + 'static;
    type Outcome: Clone + Debug + PartialEq + Send + 'static;
    type Blocking: Variant<Self>;
    type Fixed: Variant<Self>;
    type Optimized: Variant<Self>;

    /// Synchronous set-up before any runtime exists: generated inputs, temp
    /// directories, external servers.
    fn prepare(settings: &Settings) -> Result<Self, Unprepared>;

    /// The seeded operation mix, identical for both variants.
    fn plan(&self, settings: &Settings) -> Plan<Self::Op>;

    /// Short name of an operation (`add`, `search`): task names and tables.
    fn op_name(op: &Self::Op) -> &'static str;

    /// Whether two outcomes of the same operation are equally correct. Equal
    /// by default; a workload whose answers depend on a deadline (a timeout
    /// that fires early on a loaded machine) accepts the timed-out prefix.
    fn same_outcome(a: &Self::Outcome, b: &Self::Outcome) -> bool {
        a == b
    }

    /// A progress note shown beside the progress bar (`1234 files scanned`).
    fn progress_note(&self) -> Option<String> {
        None
    }

    /// Called (sync, outside any runtime) before variant `kind` runs, and
    /// again after a calibration run: empties that variant's persisted state
    /// (store, session files, Redis keys) and zeroes its counters, so the
    /// check and the effects cover exactly the next run.
    fn fresh_state(&self, _kind: VariantKind) -> Result<(), String> {
        Ok(())
    }

    /// What variant `kind` did to the outside world since `fresh_state`:
    /// read after its `close` and before the check (which has its own I/O).
    fn effects(&self, _kind: VariantKind) -> Result<Effects, String> {
        Ok(Effects::default())
    }

    /// Synchronous check after a variant ran (its runtime is gone): every
    /// acknowledged write is readable, counts match, nothing was lost.
    /// Returns a one-line summary of what was verified.
    fn check(
        &self,
        kind: VariantKind,
        plan: &Plan<Self::Op>,
        completed: &Completed<Self::Outcome>,
    ) -> Result<String, String>;
}

/// One implementation (blocking, fixed or optimized) of workload `W`.
pub trait Variant<W: Workload>: Send + Sync + Sized + 'static {
    /// Opens the variant inside the measured runtime (connections, background
    /// tasks). Its state lives under `W`'s scratch space for this `kind`.
    fn open(workload: &W) -> impl Future<Output = Result<Self, String>> + Send;

    /// Executes one operation.
    fn execute(
        self: Arc<Self>,
        op: W::Op,
    ) -> impl Future<Output = Result<W::Outcome, String>> + Send + 'static;

    /// Flushes and stops background work; after this every acknowledged
    /// write must be durable.
    fn close(self: Arc<Self>) -> impl Future<Output = Result<(), String>> + Send;
}
