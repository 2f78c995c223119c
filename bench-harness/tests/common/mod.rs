//! Shared helpers: run both variants of a workload at small scale on plain
//! runtimes and check them like the harness does.

#![allow(dead_code)]

use std::path::Path;

use stallcheck_bench::driver;
use stallcheck_bench::redis_server::{self, RedisServer, StartError};
use stallcheck_bench::run::compare;
use stallcheck_bench::workload::{Completed, Plan, Settings, Variant, VariantKind, Workload};

/// Small-scale settings in `scratch`.
pub fn settings(scratch: &Path, clients: usize, ops: usize) -> Settings {
    Settings {
        cpu_permits: 1,
        seed: 11,
        clients,
        ops,
        redis_url: None,
        scratch: scratch.to_path_buf(),
    }
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

/// Runs both variants on the same plan; asserts both pass the workload's
/// check and that they gave identical outcomes. Returns the outcomes.
pub fn both_variants_agree<W: Workload>(settings: &Settings) -> Completed<W::Outcome> {
    let workload =
        W::prepare(settings).unwrap_or_else(|err| panic!("{}: cannot prepare: {err:?}", W::NAME));
    let plan = workload.plan(settings);
    assert!(plan.total() > 0, "the plan has operations");
    let blocking = execute::<W, W::Blocking>(&workload, &plan);
    let fixed = execute::<W, W::Fixed>(&workload, &plan);
    assert_eq!(
        blocking.total(),
        plan.total(),
        "blocking completed every operation"
    );
    assert_eq!(
        fixed.total(),
        plan.total(),
        "fixed completed every operation"
    );
    if let Err(reason) = workload.check(VariantKind::Blocking, &plan, &blocking) {
        panic!("{} blocking failed its check: {reason}", W::NAME);
    }
    if let Err(reason) = workload.check(VariantKind::Fixed, &plan, &fixed) {
        panic!("{} fixed failed its check: {reason}", W::NAME);
    }
    if let Some(reason) = compare::<W>(&blocking, &fixed) {
        panic!("{}: variants disagree: {reason}", W::NAME);
    }
    fixed
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
