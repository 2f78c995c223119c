//! The load driver: N concurrent clients, each issuing its planned
//! operations in order, either back to back (closed loop) or on a fixed
//! schedule (open loop), with latencies in HdrHistograms.
//!
//! In open-loop mode each client owns `rate / clients` of the arrival rate
//! and latency is measured from when an operation *should* have started, so
//! a stalled executor cannot hide its delay by slowing the clients down
//! (coordinated omission, as wrk2 measures it).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::workload::{Completed, Plan, Variant, Workload};

/// Highest latency a histogram records (longer ones saturate).
const MAX_LATENCY_US: u64 = 60_000_000;

/// How the clients issue their operations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    /// Stop issuing new operations after this long (in-flight ones finish).
    pub duration: Option<Duration>,
    /// Open loop at this many operations per second in total; closed loop if `None`.
    pub open_loop: Option<f64>,
}

/// Spawns the driver's tasks: named and instrumented under the monitor, or
/// plain `tokio::spawn` (benches, tests).
pub trait Spawner: Send + Sync + 'static {
    fn spawn<F>(&self, name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// `tokio::spawn`, names ignored.
#[derive(Clone, Copy, Debug, Default)]
pub struct PlainSpawner;

impl Spawner for PlainSpawner {
    fn spawn<F>(&self, _name: &str, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::spawn(future)
    }
}

/// What one variant did under load.
#[derive(Debug)]
pub struct Measurement<Outcome> {
    pub completed: Completed<Outcome>,
    /// Every operation's latency, µs.
    pub latency: Histogram<u64>,
    /// Latency per operation name, µs.
    pub latency_by_op: BTreeMap<&'static str, Histogram<u64>>,
    pub elapsed: Duration,
}

impl<Outcome> Measurement<Outcome> {
    pub fn ops_per_sec(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.completed.total() as f64 / seconds
        } else {
            0.0
        }
    }

    /// Operations that returned an error.
    pub fn errors(&self) -> usize {
        self.completed
            .clients
            .iter()
            .flatten()
            .filter(|outcome| outcome.is_err())
            .count()
    }
}

/// A latency histogram, µs, 3 significant figures.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).expect("static histogram bounds are valid")
}

/// One client's results.
struct ClientRun<Outcome> {
    outcomes: Vec<Result<Outcome, String>>,
    latency: Histogram<u64>,
    latency_by_op: BTreeMap<&'static str, Histogram<u64>>,
}

/// Opens `V`, runs every operation of `plan` with plain spawns (no
/// monitor, no progress, no time limit) and closes it: for benches and tests
/// that need the outcomes, not the measurements.
pub async fn run_to_completion<W: Workload, V: Variant<W>>(
    workload: &W,
    plan: &Plan<W::Op>,
    label: &str,
) -> Result<Completed<W::Outcome>, String> {
    let variant = Arc::new(V::open(workload).await?);
    let load = Load {
        duration: None,
        open_loop: None,
    };
    let progress = Arc::new(AtomicU64::new(0));
    let measurement = drive::<W, V, _>(
        Arc::clone(&variant),
        plan,
        load,
        Arc::new(PlainSpawner),
        label,
        progress,
    )
    .await;
    variant.close().await?;
    Ok(measurement.completed)
}

/// Runs `plan` against `variant`: one task per client (`{label}/client`),
/// one task per operation (`{label}/{op}`), so the monitor sees each
/// operation kind by name. `progress` counts completed operations.
pub async fn drive<W, V, S>(
    variant: Arc<V>,
    plan: &Plan<W::Op>,
    load: Load,
    spawner: Arc<S>,
    label: &str,
    progress: Arc<AtomicU64>,
) -> Measurement<W::Outcome>
where
    W: Workload,
    V: Variant<W>,
    S: Spawner,
{
    let started = Instant::now();
    let deadline = load.duration.map(|duration| started + duration);
    let interval = load
        .open_loop
        .map(|rate| Duration::from_secs_f64(plan.clients.len() as f64 / rate.max(1e-3)));
    let clients: Vec<_> = plan
        .clients
        .iter()
        .map(|ops| {
            let client = run_client::<W, V, S>(
                Arc::clone(&variant),
                ops.clone(),
                Schedule {
                    started,
                    deadline,
                    interval,
                },
                Arc::clone(&spawner),
                label.to_string(),
                Arc::clone(&progress),
            );
            spawner.spawn(&format!("{label}/client"), client)
        })
        .collect();
    let mut completed = Completed {
        clients: Vec::with_capacity(clients.len()),
    };
    let mut latency = new_histogram();
    let mut latency_by_op: BTreeMap<&'static str, Histogram<u64>> = BTreeMap::new();
    for client in clients {
        let run = client.await.unwrap_or_else(|err| ClientRun {
            outcomes: vec![Err(format!("client task failed: {err}"))],
            latency: new_histogram(),
            latency_by_op: BTreeMap::new(),
        });
        latency.add(&run.latency).expect("histograms share bounds");
        for (name, histogram) in run.latency_by_op {
            latency_by_op
                .entry(name)
                .or_insert_with(new_histogram)
                .add(&histogram)
                .expect("histograms share bounds");
        }
        completed.clients.push(run.outcomes);
    }
    Measurement {
        completed,
        latency,
        latency_by_op,
        elapsed: started.elapsed(),
    }
}

/// When a client issues its operations.
#[derive(Clone, Copy)]
struct Schedule {
    started: Instant,
    deadline: Option<Instant>,
    /// Open loop: the time between this client's intended starts.
    interval: Option<Duration>,
}

async fn run_client<W, V, S>(
    variant: Arc<V>,
    ops: Vec<W::Op>,
    schedule: Schedule,
    spawner: Arc<S>,
    label: String,
    progress: Arc<AtomicU64>,
) -> ClientRun<W::Outcome>
where
    W: Workload,
    V: Variant<W>,
    S: Spawner,
{
    let mut run = ClientRun {
        outcomes: Vec::with_capacity(ops.len()),
        latency: new_histogram(),
        latency_by_op: BTreeMap::new(),
    };
    for (index, op) in ops.into_iter().enumerate() {
        if schedule
            .deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
        {
            break;
        }
        let began = match schedule.interval {
            Some(interval) => {
                let intended = schedule.started + interval * index as u32;
                if schedule
                    .deadline
                    .is_some_and(|deadline| intended >= deadline)
                {
                    break;
                }
                tokio::time::sleep_until(intended).await;
                intended
            }
            None => Instant::now(),
        };
        let name = W::op_name(&op);
        let outcome = spawner
            .spawn(&format!("{label}/{name}"), Arc::clone(&variant).execute(op))
            .await
            .unwrap_or_else(|err| Err(format!("operation task failed: {err}")));
        let micros = began.elapsed().as_micros().min(u128::from(MAX_LATENCY_US)) as u64;
        run.latency.saturating_record(micros);
        run.latency_by_op
            .entry(name)
            .or_insert_with(new_histogram)
            .saturating_record(micros);
        run.outcomes.push(outcome);
        progress.fetch_add(1, Ordering::Relaxed);
    }
    run
}
