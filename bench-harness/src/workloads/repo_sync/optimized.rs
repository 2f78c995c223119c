//! What a good async design adds on top of `fixed`: batches flow through a
//! bounded channel to an async worker that stores them concurrently instead
//! of one at a time (each batch embedded on the blocking pool behind the
//! store's semaphore, so batches of different repositories embed in
//! parallel), and each batch is committed with one fsync by the
//! group-committing store instead of one fsync per chunk. The walk, the
//! reads and the chunking run on the blocking pool, as in `fixed`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Chunk, Op, Outcome, RepoSync, scan_repo};
use crate::workload::{Variant, VariantKind};
use crate::workloads::vector_store::RepoMeta;
use crate::workloads::vector_store::optimized::GroupCommitStore;

/// Batches in flight between the scanners and the worker (back-pressure).
const PIPELINE_DEPTH: usize = 16;

/// A batch for the worker, with where to send its result.
type Job = (Vec<Chunk>, oneshot::Sender<Result<usize, String>>);

/// The optimized variant of `repo-sync`.
pub struct OptimizedRepoSync {
    tree: PathBuf,
    store: Arc<GroupCommitStore>,
    jobs: mpsc::Sender<Job>,
    worker: Mutex<Option<JoinHandle<()>>>,
    scanned: Arc<AtomicUsize>,
}

impl Variant<RepoSync> for OptimizedRepoSync {
    async fn open(workload: &RepoSync) -> Result<Self, String> {
        let store = GroupCommitStore::open(
            &workload.store_dir(VariantKind::Optimized),
            workload.cpu_permits(),
            workload.storage(VariantKind::Optimized),
        )
        .await?;
        let store = Arc::new(store);
        let (jobs, queue) = mpsc::channel(PIPELINE_DEPTH);
        let worker = tokio::spawn(store_batches(queue, Arc::clone(&store)));
        Ok(OptimizedRepoSync {
            tree: workload.tree(),
            store,
            jobs,
            worker: Mutex::new(Some(worker)),
            scanned: workload.scanned(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Sync { repo } = op;
        let scan = scan_repo(&self.tree, repo).await?;
        self.scanned.fetch_add(scan.files, Ordering::Relaxed);
        let mut answers = Vec::new();
        for batch in scan.batches {
            let (reply, answer) = oneshot::channel();
            self.jobs
                .send((batch, reply))
                .await
                .map_err(|_| "the repo-sync worker stopped".to_string())?;
            answers.push(answer);
        }
        let mut chunks = 0;
        for answer in answers {
            chunks += answer
                .await
                .map_err(|_| "the repo-sync worker dropped a batch".to_string())??;
        }
        self.store
            .put_repo(RepoMeta {
                namespace: repo,
                files: scan.files,
                chunks,
            })
            .await?;
        Ok(Outcome::Synced {
            files: scan.files,
            chunks,
        })
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        let worker = self.worker.lock().await.take();
        if let Some(worker) = worker {
            worker.abort();
            let _ = worker.await;
        }
        self.store.close().await
    }
}

/// The async worker: takes batches off the pipeline and stores each one in
/// its own task, so batches of different repositories embed in parallel (the
/// store's semaphore bounds the CPU work).
async fn store_batches(mut queue: mpsc::Receiver<Job>, store: Arc<GroupCommitStore>) {
    while let Some((batch, reply)) = queue.recv().await {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let _ = reply.send(store.add_batch(batch).await);
        });
    }
}
