//! The load driver: closed loop, open loop on a schedule, duration cut-off.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use stallcheck_bench::driver::{self, Load, Measurement, PlainSpawner};
use stallcheck_bench::workload::Workload;
use stallcheck_bench::workloads::session_store::{self, SessionStore};

type Fixed = <SessionStore as Workload>::Fixed;

fn drive(clients: usize, ops: usize, load: Load) -> (Measurement<session_store::Outcome>, u64) {
    let scratch = tempfile::tempdir().unwrap();
    let settings = common::settings(scratch.path(), clients, ops);
    let workload = SessionStore::prepare(&settings).unwrap();
    let plan = workload.plan(&settings);
    let progress = Arc::new(AtomicU64::new(0));
    let measurement = common::runtime().block_on(async {
        let variant = Arc::new(
            <Fixed as stallcheck_bench::workload::Variant<SessionStore>>::open(&workload)
                .await
                .unwrap(),
        );
        driver::drive::<SessionStore, Fixed, _>(
            variant,
            &plan,
            load,
            Arc::new(PlainSpawner),
            "test",
            Arc::clone(&progress),
        )
        .await
    });
    (measurement, progress.load(Ordering::Relaxed))
}

#[test]
fn closed_loop_completes_every_operation_and_counts_progress() {
    let (measurement, progress) = drive(
        3,
        30,
        Load {
            duration: None,
            open_loop: None,
        },
    );
    assert_eq!(measurement.completed.total(), 30);
    assert_eq!(progress, 30);
    assert_eq!(measurement.latency.len(), 30);
    let by_op: u64 = measurement
        .latency_by_op
        .values()
        .map(|histogram| histogram.len())
        .sum();
    assert_eq!(by_op, 30, "every operation is recorded under its kind");
    assert_eq!(measurement.errors(), 0);
}

#[test]
fn open_loop_spreads_each_clients_operations_over_the_schedule() {
    // 2 clients at 100 ops/s in total: each client starts an operation every 20 ms.
    let (measurement, _) = drive(
        2,
        10,
        Load {
            duration: None,
            open_loop: Some(100.0),
        },
    );
    assert_eq!(measurement.completed.total(), 10);
    assert!(
        measurement.elapsed >= Duration::from_millis(80),
        "the fifth operation of a client cannot start before 4 intervals: {:?}",
        measurement.elapsed
    );
}

#[test]
fn a_duration_stops_new_operations_and_keeps_per_client_prefixes() {
    // 1 op/s per client: after the first operation each client waits a second,
    // past the 100 ms duration, so it stops after exactly one operation.
    let (measurement, _) = drive(
        2,
        20,
        Load {
            duration: Some(Duration::from_millis(100)),
            open_loop: Some(2.0),
        },
    );
    assert_eq!(
        measurement
            .completed
            .clients
            .iter()
            .map(Vec::len)
            .collect::<Vec<_>>(),
        vec![1, 1]
    );
}
