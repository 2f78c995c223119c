//! The one change a reviewer would ask for in `blocking`: nothing blocks the
//! executor any more, and nothing else changes. The walk, the reads and the
//! chunking run on the blocking pool; the batches still go, one at a time
//! and in order, to a single worker that stores them serially, and the store
//! still embeds and fsyncs each chunk on its own (`OffloadedStore`, the
//! offloaded twin of `BlockingStore`). The worker is a tokio task instead of
//! a thread that `block_on`s, and the caller awaits a tokio channel instead
//! of `recv`. Compare `optimized` for parallel batches and group commit.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Chunk, Op, Outcome, RepoSync, scan_repo};
use crate::workload::{Variant, VariantKind};
use crate::workloads::vector_store::RepoMeta;
use crate::workloads::vector_store::fixed::OffloadedStore;

/// A batch for the worker, with where to send its result.
type Job = (Vec<Chunk>, oneshot::Sender<Result<usize, String>>);

/// The fixed variant of `repo-sync`.
pub struct FixedRepoSync {
    tree: PathBuf,
    store: Arc<OffloadedStore>,
    jobs: Mutex<Option<mpsc::UnboundedSender<Job>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    scanned: Arc<AtomicUsize>,
}

impl Variant<RepoSync> for FixedRepoSync {
    async fn open(workload: &RepoSync) -> Result<Self, String> {
        let store = Arc::new(OffloadedStore::new(
            &workload.store_dir(VariantKind::Fixed),
            workload.storage(VariantKind::Fixed),
        ));
        // Unbounded like the blocking variant's std channel: each caller
        // waits for its batch's answer before sending the next one anyway.
        let (jobs, queue) = mpsc::unbounded_channel::<Job>();
        let worker = tokio::spawn(store_serially(queue, Arc::clone(&store)));
        Ok(FixedRepoSync {
            tree: workload.tree(),
            store,
            jobs: Mutex::new(Some(jobs)),
            worker: Mutex::new(Some(worker)),
            scanned: workload.scanned(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Sync { repo } = op;
        let scan = scan_repo(&self.tree, repo).await?;
        self.scanned.fetch_add(scan.files, Ordering::Relaxed);
        let mut chunks = 0;
        for batch in scan.batches {
            let (reply, answer) = oneshot::channel();
            let jobs = self
                .jobs
                .lock()
                .await
                .clone()
                .ok_or("the worker is stopped")?;
            jobs.send((batch, reply))
                .map_err(|_| "the repo-sync worker stopped".to_string())?;
            chunks += answer
                .await
                .map_err(|_| "the repo-sync worker dropped the batch".to_string())??;
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
        drop(self.jobs.lock().await.take());
        let worker = self.worker.lock().await.take();
        if let Some(worker) = worker {
            worker
                .await
                .map_err(|err| format!("the repo-sync worker failed: {err}"))?;
        }
        Ok(())
    }
}

/// The single worker: stores one batch at a time, in arrival order, like the
/// blocking variant's thread.
async fn store_serially(mut queue: mpsc::UnboundedReceiver<Job>, store: Arc<OffloadedStore>) {
    while let Some((batch, reply)) = queue.recv().await {
        let _ = reply.send(store.add_batch(batch).await);
    }
}
