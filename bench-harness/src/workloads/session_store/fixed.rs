//! The one change a reviewer would ask for in `blocking`: the same durable
//! save (open the lock file, take the lock with the same retries and
//! backoff, write a temporary file, fsync, rename, verify) runs as one job
//! on the blocking pool, and so do loads and stats; the metadata cache moves
//! to a tokio `Mutex`, never held across I/O. Same files, same fsyncs, same
//! lock protocol: only the thread that waits differs. Compare `optimized`
//! for saves of one session queued in-process instead of retried.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio::task::{JoinError, spawn_blocking};

use super::{
    Contention, LOCK_TIMEOUT, MetadataCache, Op, Outcome, SessionStore, file_size, load_session,
    save_session,
};
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// The fixed variant of `session-store`.
pub struct FixedSessionStore {
    dir: PathBuf,
    cache: Mutex<MetadataCache>,
    storage: Arc<Storage>,
    contention: Arc<Contention>,
}

impl Variant<SessionStore> for FixedSessionStore {
    async fn open(workload: &SessionStore) -> Result<Self, String> {
        Ok(FixedSessionStore {
            dir: workload.dir(VariantKind::Fixed),
            cache: Mutex::new(MetadataCache::default()),
            storage: workload.storage(VariantKind::Fixed),
            contention: workload.contention(VariantKind::Fixed),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let dir = self.dir.clone();
        match op {
            Op::Save { session } => {
                let id = session.id.clone();
                let (storage, contention) =
                    (Arc::clone(&self.storage), Arc::clone(&self.contention));
                let bytes = joined(
                    spawn_blocking(move || {
                        save_session(&dir, &session, LOCK_TIMEOUT, &storage, &contention)
                    })
                    .await,
                )?;
                self.cache.lock().await.put(&id, bytes);
                Ok(Outcome::Saved { bytes })
            }
            Op::Load { id } => load(dir, id).await,
            Op::Stat { id } => {
                if let Some(bytes) = self.cache.lock().await.fresh(&id) {
                    return Ok(Outcome::Stat { bytes });
                }
                let lookup = id.clone();
                match joined(spawn_blocking(move || file_size(&dir, &lookup)).await)? {
                    Some(bytes) => {
                        self.cache.lock().await.put(&id, bytes);
                        Ok(Outcome::Stat { bytes })
                    }
                    None => Ok(Outcome::Missing),
                }
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}

/// Reads and parses a session on the blocking pool.
pub async fn load(dir: PathBuf, id: String) -> Result<Outcome, String> {
    Ok(
        match joined(spawn_blocking(move || load_session(&dir, &id)).await)? {
            Some(session) => Outcome::Loaded {
                version: session.version,
                messages: session.messages.len(),
            },
            None => Outcome::Missing,
        },
    )
}

/// Flattens a blocking-pool job's result.
pub fn joined<T>(result: Result<Result<T, String>, JoinError>) -> Result<T, String> {
    result.map_err(|err| err.to_string())?
}
