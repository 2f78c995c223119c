//! Shared helpers: run the three variants of a workload at small scale on
//! plain runtimes and check them like the harness does.

#![allow(dead_code)]

use std::path::Path;

use stallcheck_bench::driver;
use stallcheck_bench::redis_server::{self, RedisServer, StartError};
use stallcheck_bench::run::compare;
use stallcheck_bench::workload::{
    Completed, Effects, Plan, Settings, Variant, VariantKind, Workload,
};

/// Small-scale settings in `scratch`.
pub fn settings(scratch: &Path, clients: usize, ops: usize) -> Settings {
    Settings::small(scratch.to_path_buf(), clients, ops)
}

/// A 2-worker runtime like the harness's, without the monitor.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("test runtime")
}

/// Opens variant `V`, drives `plan` closed-loop, closes it.
pub fn execute<W: Workload, V: Variant<W>>(
    workload: &W,
    plan: &Plan<W::Op>,
) -> Completed<W::Outcome> {
    let runtime = runtime();
    runtime
        .block_on(driver::run_to_completion::<W, V>(workload, plan, "test"))
        .unwrap_or_else(|err| panic!("{}: variant failed: {err}", W::NAME))
}

/// What one variant did: its outcomes and the effects it counted.
pub struct VariantRun<Outcome> {
    pub completed: Completed<Outcome>,
    pub effects: Effects,
}

/// Runs variant `kind` of a prepared workload on `plan` over an emptied
/// state; asserts it completed every operation and passed the check.
pub fn run_checked<W: Workload>(
    workload: &W,
    plan: &Plan<W::Op>,
    kind: VariantKind,
) -> VariantRun<W::Outcome> {
    workload
        .fresh_state(kind)
        .unwrap_or_else(|err| panic!("{}: cannot reset {kind:?}: {err}", W::NAME));
    let completed = match kind {
        VariantKind::Blocking => execute::<W, W::Blocking>(workload, plan),
        VariantKind::Fixed => execute::<W, W::Fixed>(workload, plan),
        VariantKind::Optimized => execute::<W, W::Optimized>(workload, plan),
    };
    assert_eq!(
        completed.total(),
        plan.total(),
        "{} {kind:?} completed every operation",
        W::NAME
    );
    let effects = workload
        .effects(kind)
        .unwrap_or_else(|err| panic!("{}: no effects for {kind:?}: {err}", W::NAME));
    if let Err(reason) = workload.check(kind, plan, &completed) {
        panic!("{} {kind:?} failed its check: {reason}", W::NAME);
    }
    VariantRun { completed, effects }
}

/// Runs the three variants on the same plan; asserts each passes the
/// workload's check and that they gave identical outcomes. Returns each
/// variant's run, in `VariantKind::ALL` order.
pub fn all_variants_agree<W: Workload>(settings: &Settings) -> Vec<VariantRun<W::Outcome>> {
    let workload =
        W::prepare(settings).unwrap_or_else(|err| panic!("{}: cannot prepare: {err:?}", W::NAME));
    let plan = workload.plan(settings);
    assert!(plan.total() > 0, "the plan has operations");
    let runs: Vec<_> = VariantKind::ALL
        .into_iter()
        .map(|kind| run_checked(&workload, &plan, kind))
        .collect();
    for (kind, run) in VariantKind::ALL.iter().zip(&runs).skip(1) {
        if let Some(reason) = compare::<W>(&runs[0].completed, &run.completed) {
            panic!("{}: {kind:?} disagrees with blocking: {reason}", W::NAME);
        }
    }
    runs
}

/// A private redis-server; a missing one fails the test with how to install it.
pub fn redis(dir: &Path) -> RedisServer {
    match RedisServer::start(dir) {
        Ok(server) => server,
        Err(StartError::NotInstalled(message)) => panic!("{message}"),
        Err(StartError::Failed(message)) => panic!("cannot start redis-server: {message}"),
    }
}

/// The message a test prints when redis-server is missing.
pub const REDIS_MISSING: &str = redis_server::MISSING;
