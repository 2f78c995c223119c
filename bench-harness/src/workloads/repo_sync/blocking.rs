//! Repository sync as it is often first written: the walk and every file read
//! use `std::fs` inside the async handler, and the embedding work goes to a
//! worker thread that built its own runtime and `block_on`s each batch, while
//! the async caller waits for the answer on a std channel. The executor
//! thread sleeps in `read_dir`, `read_to_string` and `recv` the whole time.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::{BATCH, Chunk, Op, Outcome, RepoSync, chunk, chunk_id, repo_dir};
use crate::workload::{Variant, VariantKind};
use crate::workloads::vector_store::RepoMeta;
use crate::workloads::vector_store::blocking::BlockingStore;

/// A batch for the worker thread, with where to send its result.
type Job = (Vec<Chunk>, mpsc::Sender<Result<usize, String>>);

/// The blocking variant of `repo-sync`.
pub struct BlockingRepoSync {
    tree: PathBuf,
    store: Arc<BlockingStore>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    scanned: Arc<AtomicUsize>,
}

impl Variant<RepoSync> for BlockingRepoSync {
    async fn open(workload: &RepoSync) -> Result<Self, String> {
        let store = Arc::new(BlockingStore::new(
            &workload.store_dir(VariantKind::Blocking),
            workload.storage(VariantKind::Blocking),
        ));
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker_store = Arc::clone(&store);
        let worker = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("worker runtime");
            for (batch, reply) in queue {
                let _ = reply.send(runtime.block_on(worker_store.add_batch(batch)));
            }
        });
        Ok(BlockingRepoSync {
            tree: workload.tree(),
            store,
            jobs: Mutex::new(Some(jobs)),
            worker: Mutex::new(Some(worker)),
            scanned: workload.scanned(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Sync { repo } = op;
        let mut pending = vec![repo_dir(&self.tree, repo)];
        let mut paths: Vec<PathBuf> = Vec::new();
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).map_err(|err| err.to_string())? {
                let path = entry.map_err(|err| err.to_string())?.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let mut batches: Vec<Vec<Chunk>> = vec![Vec::new()];
        let mut chunks = 0;
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|err| err.to_string())?;
            self.scanned.fetch_add(1, Ordering::Relaxed);
            for piece in chunk(&text) {
                if batches.last().is_some_and(|batch| batch.len() == BATCH) {
                    batches.push(Vec::new());
                }
                batches.last_mut().expect("never empty").push((
                    repo,
                    chunk_id(repo, chunks),
                    piece.to_string(),
                ));
                chunks += 1;
            }
        }
        for batch in batches.into_iter().filter(|batch| !batch.is_empty()) {
            let (reply, answer) = mpsc::channel();
            let jobs = self
                .jobs
                .lock()
                .unwrap()
                .clone()
                .ok_or("the worker is stopped")?;
            jobs.send((batch, reply))
                .map_err(|_| "the worker thread stopped".to_string())?;
            answer
                .recv()
                .map_err(|_| "the worker thread dropped the batch".to_string())??;
        }
        self.store
            .put_repo(RepoMeta {
                namespace: repo,
                files: paths.len(),
                chunks,
            })
            .await?;
        Ok(Outcome::Synced {
            files: paths.len(),
            chunks,
        })
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        drop(self.jobs.lock().unwrap().take());
        let worker = self.worker.lock().unwrap().take();
        if let Some(worker) = worker {
            worker
                .join()
                .map_err(|_| "the repo-sync worker thread panicked".to_string())?;
        }
        Ok(())
    }
}
