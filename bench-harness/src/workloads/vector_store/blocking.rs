//! The vector store as it is often first written: every step inline in the
//! async handler. The embedding (hundreds of µs of CPU), the log append and
//! its fsync (one per insert) and the index lock all run on the executor
//! thread, so one slow disk flush stalls every task on that worker.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{Index, K, LOG_FILE, Memory, Op, Outcome, Record, RepoMeta, VectorStore};
use crate::embed;
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// A store whose methods block the calling executor thread.
#[derive(Debug)]
pub struct BlockingStore {
    log: PathBuf,
    index: Mutex<Index>,
    storage: Arc<Storage>,
}

impl BlockingStore {
    /// A store over `dir`'s (existing, empty) log.
    pub fn new(dir: &Path, storage: Arc<Storage>) -> BlockingStore {
        BlockingStore {
            log: dir.join(LOG_FILE),
            index: Mutex::new(Index::default()),
            storage,
        }
    }

    /// Embeds, appends and fsyncs one memory, then indexes it.
    pub async fn add(&self, namespace: u64, id: u64, text: String) -> Result<(), String> {
        let vector = embed::embed(&text);
        let record = Record::Memory(Memory {
            id,
            namespace,
            text,
            vector: vector.clone(),
        });
        let mut log = OpenOptions::new()
            .append(true)
            .open(&self.log)
            .map_err(|err| err.to_string())?;
        log.write_all(record.to_line().as_bytes())
            .map_err(|err| err.to_string())?;
        self.storage
            .sync_data(&log)
            .map_err(|err| err.to_string())?;
        self.index.lock().unwrap().insert(namespace, id, vector);
        Ok(())
    }

    /// Adds memories one by one: one fsync per insert.
    pub async fn add_batch(&self, memories: Vec<(u64, u64, String)>) -> Result<usize, String> {
        let count = memories.len();
        for (namespace, id, text) in memories {
            self.add(namespace, id, text).await?;
        }
        Ok(count)
    }

    /// Appends and fsyncs repository metadata.
    pub async fn put_repo(&self, meta: RepoMeta) -> Result<(), String> {
        let mut log = OpenOptions::new()
            .append(true)
            .open(&self.log)
            .map_err(|err| err.to_string())?;
        log.write_all(Record::Repo(meta).to_line().as_bytes())
            .map_err(|err| err.to_string())?;
        self.storage.sync_data(&log).map_err(|err| err.to_string())
    }

    /// The `k` nearest memories of a namespace.
    pub async fn search(&self, namespace: u64, query: &str, k: usize) -> Vec<u64> {
        let vector = embed::embed(query);
        self.index.lock().unwrap().search(namespace, &vector, k)
    }
}

/// The blocking variant of `vector-store`.
#[derive(Debug)]
pub struct BlockingVectorStore {
    store: BlockingStore,
}

impl Variant<VectorStore> for BlockingVectorStore {
    async fn open(workload: &VectorStore) -> Result<Self, String> {
        Ok(BlockingVectorStore {
            store: BlockingStore::new(
                &workload.store_dir(VariantKind::Blocking),
                workload.storage(VariantKind::Blocking),
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
                Ok(Outcome::Hits(self.store.search(namespace, &query, K).await))
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}
