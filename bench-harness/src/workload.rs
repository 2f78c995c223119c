//! The contract every workload implements: one trait for the workload (sync
//! set-up, the seeded operation mix, the correctness check) and one for its
//! two variants (the async operations the driver measures).
//!
//! Invariant: both variants of a workload receive the same plan and must
//! return the same outcome for every operation; the check compares them.

use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

/// Which implementation of a workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VariantKind {
    /// The anti-pattern, reproduced faithfully.
    Blocking,
    /// The standard cure.
    Fixed,
}

impl VariantKind {
    pub const BOTH: [VariantKind; 2] = [VariantKind::Blocking, VariantKind::Fixed];

    pub fn as_str(self) -> &'static str {
        match self {
            VariantKind::Blocking => "blocking",
            VariantKind::Fixed => "fixed",
        }
    }
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
    /// CPU-heavy jobs the fixed variants run at once on the blocking pool
    /// (default `embed::cpu_permits()`: one per core).
    pub cpu_permits: usize,
}

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

/// One implementation (blocking or fixed) of workload `W`.
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
