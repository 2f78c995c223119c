//! The standard cure: the walk and the reads run on the blocking pool, and
//! batches flow through a bounded channel to an async worker that stores
//! them concurrently (each batch embedded on the blocking pool behind the
//! store's semaphore, committed with one fsync).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Chunk, Op, Outcome, RepoSync, batches, read_repo, repo_dir};
use crate::workload::{Variant, VariantKind};
use crate::workloads::vector_store::RepoMeta;
use crate::workloads::vector_store::fixed::FixedStore;

/// Batches in flight between the scanners and the worker (back-pressure).
const PIPELINE_DEPTH: usize = 16;

/// A batch for the worker, with where to send its result.
type Job = (Vec<Chunk>, oneshot::Sender<Result<usize, String>>);

/// The fixed variant of `repo-sync`.
pub struct FixedRepoSync {
    tree: PathBuf,
    store: Arc<FixedStore>,
    jobs: mpsc::Sender<Job>,
    worker: Mutex<Option<JoinHandle<()>>>,
    scanned: Arc<AtomicUsize>,
}

impl Variant<RepoSync> for FixedRepoSync {
    async fn open(workload: &RepoSync) -> Result<Self, String> {
        let store = FixedStore::open(
            &workload.store_dir(VariantKind::Fixed),
            workload.cpu_permits(),
        )
        .await?;
        let store = Arc::new(store);
        let (jobs, queue) = mpsc::channel(PIPELINE_DEPTH);
        let worker = tokio::spawn(store_batches(queue, Arc::clone(&store)));
        Ok(FixedRepoSync {
            tree: workload.tree(),
            store,
            jobs,
            worker: Mutex::new(Some(worker)),
            scanned: workload.scanned(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Sync { repo } = op;
        let dir = repo_dir(&self.tree, repo);
        let files = tokio::task::spawn_blocking(move || read_repo(&dir))
            .await
            .map_err(|err| err.to_string())?
            .map_err(|err| err.to_string())?;
        self.scanned.fetch_add(files.len(), Ordering::Relaxed);
        let mut answers = Vec::new();
        for batch in batches(repo, &files) {
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
                files: files.len(),
                chunks,
            })
            .await?;
        Ok(Outcome::Synced {
            files: files.len(),
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
async fn store_batches(mut queue: mpsc::Receiver<Job>, store: Arc<FixedStore>) {
    while let Some((batch, reply)) = queue.recv().await {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let _ = reply.send(store.add_batch(batch).await);
        });
    }
}
