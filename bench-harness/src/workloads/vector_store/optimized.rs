//! What a good async design adds on top of `fixed`: the log stays open, a
//! single writer task commits inserts in groups (one fsync acknowledges every
//! insert that queued up while the previous fsync ran, instead of one fsync
//! per insert), and embeddings and searches run on the blocking pool behind a
//! semaphore sized to the cores. Same records, same index, same answers as
//! `fixed`; fewer fsyncs and no file open per insert.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

use tokio::sync::{Mutex, Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Index, K, LOG_FILE, Memory, Op, Outcome, Record, RepoMeta, VectorStore};
use crate::embed;
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// Most records one group commit writes.
const MAX_GROUP: usize = 256;

/// Queued inserts waiting for the writer; bounded so producers feel back-pressure.
const COMMIT_QUEUE: usize = 1024;

/// Records with the acknowledgement to send once they are durable.
type Pending = (Vec<Record>, oneshot::Sender<Result<(), String>>);

/// What the writer task receives, in order.
enum Message {
    /// Records to persist and index, acknowledged after their fsync.
    Commit {
        records: Vec<Record>,
        ack: oneshot::Sender<Result<(), String>>,
    },
    /// Everything queued before this has been committed: stop.
    Shutdown,
}

/// A group-committing store whose methods never block the executor.
pub struct GroupCommitStore {
    index: Arc<RwLock<Index>>,
    cpu: Arc<Semaphore>,
    commits: mpsc::Sender<Message>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

impl GroupCommitStore {
    /// Opens `dir`'s log (on the blocking pool) and starts the writer task;
    /// at most `permits` embeddings or searches run at once.
    pub async fn open(
        dir: &Path,
        permits: usize,
        storage: Arc<Storage>,
    ) -> Result<GroupCommitStore, String> {
        let path = dir.join(LOG_FILE);
        let log = tokio::task::spawn_blocking(move || OpenOptions::new().append(true).open(path))
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| err.to_string())?;
        let index = Arc::new(RwLock::new(Index::default()));
        let (commits, queue) = mpsc::channel(COMMIT_QUEUE);
        let writer = tokio::spawn(group_commit(log, queue, Arc::clone(&index), storage));
        Ok(GroupCommitStore {
            index,
            cpu: Arc::new(Semaphore::new(permits)),
            commits,
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Embeds on the blocking pool, then waits for the group commit.
    pub async fn add(&self, namespace: u64, id: u64, text: String) -> Result<(), String> {
        let memories = self.embed_all(vec![(namespace, id, text)]).await?;
        self.commit(memories.into_iter().map(Record::Memory).collect())
            .await
    }

    /// Embeds a batch (one blocking-pool job) and commits it with one fsync.
    pub async fn add_batch(&self, memories: Vec<(u64, u64, String)>) -> Result<usize, String> {
        let count = memories.len();
        let memories = self.embed_all(memories).await?;
        self.commit(memories.into_iter().map(Record::Memory).collect())
            .await?;
        Ok(count)
    }

    /// Persists repository metadata through the writer.
    pub async fn put_repo(&self, meta: RepoMeta) -> Result<(), String> {
        self.commit(vec![Record::Repo(meta)]).await
    }

    /// Embeds the query and scans the index on the blocking pool.
    pub async fn search(
        &self,
        namespace: u64,
        query: String,
        k: usize,
    ) -> Result<Vec<u64>, String> {
        let _permit = self.cpu.acquire().await.map_err(|err| err.to_string())?;
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || {
            let vector = embed::embed(&query);
            index
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .search(namespace, &vector, k)
        })
        .await
        .map_err(|err| err.to_string())
    }

    /// Stops the writer after it has committed everything queued before.
    pub async fn close(&self) -> Result<(), String> {
        let writer = self.writer.lock().await.take();
        if let Some(writer) = writer {
            self.commits
                .send(Message::Shutdown)
                .await
                .map_err(|_| "the writer already stopped".to_string())?;
            writer.await.map_err(|err| err.to_string())?;
        }
        Ok(())
    }

    async fn embed_all(&self, memories: Vec<(u64, u64, String)>) -> Result<Vec<Memory>, String> {
        let _permit = self.cpu.acquire().await.map_err(|err| err.to_string())?;
        tokio::task::spawn_blocking(move || {
            memories
                .into_iter()
                .map(|(namespace, id, text)| {
                    let vector = embed::embed(&text);
                    Memory {
                        id,
                        namespace,
                        text,
                        vector,
                    }
                })
                .collect()
        })
        .await
        .map_err(|err| err.to_string())
    }

    async fn commit(&self, records: Vec<Record>) -> Result<(), String> {
        let (ack, acked) = oneshot::channel();
        self.commits
            .send(Message::Commit { records, ack })
            .await
            .map_err(|_| "the store is closed".to_string())?;
        acked
            .await
            .map_err(|_| "the writer stopped before the commit".to_string())?
    }
}

/// The writer task: takes every commit queued so far (up to `MAX_GROUP`
/// records), writes them and fsyncs once on the blocking pool, indexes them,
/// then acknowledges them all.
async fn group_commit(
    mut log: File,
    mut queue: mpsc::Receiver<Message>,
    index: Arc<RwLock<Index>>,
    storage: Arc<Storage>,
) {
    let mut shutting_down = false;
    while !shutting_down {
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut group = Vec::new();
        let mut records = 0;
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Commit {
                    records: batch,
                    ack,
                } => {
                    records += batch.len();
                    group.push((batch, ack));
                }
                Message::Shutdown => {
                    shutting_down = true;
                    break;
                }
            }
            if records < MAX_GROUP {
                next = queue.try_recv().ok();
            }
        }
        if group.is_empty() {
            continue;
        }
        let index = Arc::clone(&index);
        let storage = Arc::clone(&storage);
        let written = tokio::task::spawn_blocking(move || {
            let result = write_group(&mut log, &index, &storage, &mut group);
            (log, group, result)
        })
        .await;
        let Ok((returned_log, group, result)) = written else {
            return;
        };
        log = returned_log;
        for (_, ack) in group {
            let _ = ack.send(result.clone());
        }
    }
}

/// Appends every record of the group, fsyncs once, then indexes the memories
/// (only after they are durable, so a search never sees an unpersisted write).
fn write_group(
    log: &mut File,
    index: &RwLock<Index>,
    storage: &Storage,
    group: &mut [Pending],
) -> Result<(), String> {
    let mut bytes = String::new();
    for record in group.iter().flat_map(|(records, _)| records) {
        bytes.push_str(&record.to_line());
    }
    log.write_all(bytes.as_bytes())
        .map_err(|err| err.to_string())?;
    storage.sync_data(log).map_err(|err| err.to_string())?;
    let mut index = index
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    for (records, _) in group.iter_mut() {
        for record in records.drain(..) {
            if let Record::Memory(memory) = record {
                index.insert(memory.namespace, memory.id, memory.vector);
            }
        }
    }
    Ok(())
}

/// The optimized variant of `vector-store`.
pub struct OptimizedVectorStore {
    store: GroupCommitStore,
}

impl Variant<VectorStore> for OptimizedVectorStore {
    async fn open(workload: &VectorStore) -> Result<Self, String> {
        Ok(OptimizedVectorStore {
            store: GroupCommitStore::open(
                &workload.store_dir(VariantKind::Optimized),
                workload.cpu_permits(),
                workload.storage(VariantKind::Optimized),
            )
            .await?,
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
        self.store.close().await
    }
}
