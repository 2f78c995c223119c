//! The durable-write layer every file-backed workload goes through: each
//! fsync, file creation and rename is counted here, and `--io-latency` adds
//! its delay here, after each fsync, so the blocking and the non-blocking
//! variants pay the same extra time inside the same call.
//!
//! Counting at the call sites (instead of trusting each variant's design)
//! is what lets a test prove that `blocking` and `fixed` perform the same
//! durable writes: the only difference between them is where the call runs.
//!
//! Sync code: every function here blocks (that is the point of counting
//! them); async code calls it from the blocking pool, the blocking variants
//! call it inline.

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Durable writes one variant performed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DurableWrites {
    pub fsyncs: u64,
    pub files_created: u64,
    pub renames: u64,
}

/// One variant's storage: counters and the delay added after each fsync.
#[derive(Debug, Default)]
pub struct Storage {
    fsyncs: AtomicU64,
    files_created: AtomicU64,
    renames: AtomicU64,
    fsync_delay: Duration,
}

impl Storage {
    /// A storage layer that waits `fsync_delay` after every fsync (the
    /// `--io-latency` setting; zero for none).
    pub fn new(fsync_delay: Duration) -> Storage {
        Storage {
            fsync_delay,
            ..Storage::default()
        }
    }

    /// `File::sync_data`, counted, then the configured delay.
    pub fn sync_data(&self, file: &File) -> io::Result<()> {
        file.sync_data()?;
        self.after_fsync();
        Ok(())
    }

    /// `File::sync_all`, counted, then the configured delay.
    pub fn sync_all(&self, file: &File) -> io::Result<()> {
        file.sync_all()?;
        self.after_fsync();
        Ok(())
    }

    /// `File::create`, counted.
    pub fn create(&self, path: &Path) -> io::Result<File> {
        let file = File::create(path)?;
        self.files_created.fetch_add(1, Ordering::Relaxed);
        Ok(file)
    }

    /// `std::fs::rename`, counted.
    pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)?;
        self.renames.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Zeroes the counters (a variant's state is emptied before it runs).
    pub fn reset(&self) {
        for counter in [&self.fsyncs, &self.files_created, &self.renames] {
            counter.store(0, Ordering::Relaxed);
        }
    }

    /// What was counted so far.
    pub fn writes(&self) -> DurableWrites {
        DurableWrites {
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
            files_created: self.files_created.load(Ordering::Relaxed),
            renames: self.renames.load(Ordering::Relaxed),
        }
    }

    fn after_fsync(&self) {
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        if !self.fsync_delay.is_zero() {
            // The simulated slower device: the delay belongs to the fsync call,
            // so it lands wherever the variant runs that call.
            std::thread::sleep(self.fsync_delay);
        }
    }
}

/// Median latency of `samples` 4 KiB write + `sync_data` rounds in `dir`:
/// the machine fact the report prints beside the claims. Sync.
pub fn measure_fsync(dir: &Path, samples: usize) -> io::Result<Duration> {
    use std::io::Write;
    let path = dir.join("fsync-probe");
    let mut file = File::create(&path)?;
    let block = [0u8; 4096];
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples.max(1) {
        let started = std::time::Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    drop(file);
    std::fs::remove_file(&path)?;
    times.sort();
    Ok(times[times.len() / 2])
}
