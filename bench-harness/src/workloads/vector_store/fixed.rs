//! The one change a reviewer would ask for in `blocking`: each step that
//! blocks moves, unchanged, into `tokio::task::spawn_blocking`. An insert is
//! still embedded, appended to a log file opened for it, fsynced on its own
//! and indexed behind a std `Mutex`, in that order; a batch is still inserted
//! one record (and one fsync) at a time; a search still embeds its query and
//! scans the index. Only the thread doing it differs, so the executor keeps
//! serving other tasks while a fsync runs. Compare `optimized` for what group
//! commit adds.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Index, K, LOG_FILE, Memory, Op, Outcome, Record, RepoMeta, VectorStore};
use crate::embed;
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// A store that does exactly what `BlockingStore` does, on the blocking pool.
#[derive(Debug)]
pub struct OffloadedStore {
    log: Arc<PathBuf>,
    index: Arc<Mutex<Index>>,
    storage: Arc<Storage>,
}

impl OffloadedStore {
    /// A store over `dir`'s (existing, empty) log.
    pub fn new(dir: &Path, storage: Arc<Storage>) -> OffloadedStore {
        OffloadedStore {
            log: Arc::new(dir.join(LOG_FILE)),
            index: Arc::new(Mutex::new(Index::default())),
            storage,
        }
    }

    /// Embeds, appends and fsyncs one memory, then indexes it: one
    /// blocking-pool job.
    pub async fn add(&self, namespace: u64, id: u64, text: String) -> Result<(), String> {
        let (log, index, storage) = self.handles();
        offload(move || {
            let vector = embed::embed(&text);
            let record = Record::Memory(Memory {
                id,
                namespace,
                text,
                vector: vector.clone(),
            });
            append(&log, &storage, &record)?;
            index
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(namespace, id, vector);
            Ok(())
        })
        .await?
    }

    /// Adds memories one by one: one fsync per insert, as `BlockingStore`.
    pub async fn add_batch(&self, memories: Vec<(u64, u64, String)>) -> Result<usize, String> {
        let count = memories.len();
        for (namespace, id, text) in memories {
            self.add(namespace, id, text).await?;
        }
        Ok(count)
    }

    /// Appends and fsyncs repository metadata.
    pub async fn put_repo(&self, meta: RepoMeta) -> Result<(), String> {
        let (log, _, storage) = self.handles();
        offload(move || append(&log, &storage, &Record::Repo(meta))).await?
    }

    /// The `k` nearest memories of a namespace.
    pub async fn search(
        &self,
        namespace: u64,
        query: String,
        k: usize,
    ) -> Result<Vec<u64>, String> {
        let (_, index, _) = self.handles();
        offload(move || {
            let vector = embed::embed(&query);
            index
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .search(namespace, &vector, k)
        })
        .await
    }

    fn handles(&self) -> (Arc<PathBuf>, Arc<Mutex<Index>>, Arc<Storage>) {
        (
            Arc::clone(&self.log),
            Arc::clone(&self.index),
            Arc::clone(&self.storage),
        )
    }
}

/// Opens the log, appends one record and fsyncs it, as `BlockingStore` does
/// inline. Sync: for the blocking pool.
fn append(log: &Path, storage: &Storage, record: &Record) -> Result<(), String> {
    let mut file = OpenOptions::new()
        .append(true)
        .open(log)
        .map_err(|err| err.to_string())?;
    file.write_all(record.to_line().as_bytes())
        .map_err(|err| err.to_string())?;
    storage.sync_data(&file).map_err(|err| err.to_string())
}

/// Runs `job` on the blocking pool.
async fn offload<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|err| err.to_string())
}

/// The fixed variant of `vector-store`.
#[derive(Debug)]
pub struct FixedVectorStore {
    store: OffloadedStore,
}

impl Variant<VectorStore> for FixedVectorStore {
    async fn open(workload: &VectorStore) -> Result<Self, String> {
        Ok(FixedVectorStore {
            store: OffloadedStore::new(
                &workload.store_dir(VariantKind::Fixed),
                workload.storage(VariantKind::Fixed),
            ),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        match op {
            Op::Add {
                namespace,
                id,
                text,
            } => {
                self.store.add(namespace, id, text).await?;
                Ok(Outcome::Added { id })
            }
            Op::Search { namespace, query } => {
                Ok(Outcome::Hits(self.store.search(namespace, query, K).await?))
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}
