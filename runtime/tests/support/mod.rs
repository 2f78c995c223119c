//! Shared set-up for the integration tests: a runtime with a monitor on it.

#![allow(dead_code)] // each test binary uses a different subset

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use stallcheck_runtime::{Monitor, MonitorBuilder, MonitorGuard};
use tokio::runtime::Runtime;

pub struct Monitored {
    pub monitor: Monitor,
    pub runtime: Runtime,
    pub guard: MonitorGuard,
}

/// A multi-thread runtime with `workers` workers, monitored as configured.
pub fn multi_thread(workers: usize, monitor: MonitorBuilder) -> Monitored {
    let monitor = monitor.build();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(workers).enable_all();
    monitor.install(&mut builder);
    let runtime = builder.build().expect("build the runtime");
    let guard = monitor.start(runtime.handle());
    Monitored {
        monitor,
        runtime,
        guard,
    }
}

/// A current-thread runtime: everything, probes included, shares one thread.
pub fn current_thread(monitor: MonitorBuilder) -> Monitored {
    let monitor = monitor.build();
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    monitor.install(&mut builder);
    let runtime = builder.build().expect("build the runtime");
    let guard = monitor.start(runtime.handle());
    Monitored {
        monitor,
        runtime,
        guard,
    }
}

pub fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// Held by each test of a binary that measures scheduling (lag, stall
/// durations, thread states): run side by side, the tests would be one
/// another's CPU load, and on a two-core machine a sleeping worker woken by
/// a signal can wait long enough for a core to be read as runnable.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    // A failed test poisons the lock; the next one still runs alone.
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}
