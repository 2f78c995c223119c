//! What a good async design adds on top of `fixed`: saves of the same
//! session queue on an in-process async lock (one `tokio::sync::Mutex` per
//! session id) before they go to the blocking pool, so two saves of a hot
//! session wait for each other without tying up a blocking-pool thread in
//! sleep-and-retry, and the file lock (still taken, for other processes) is
//! found free. Everything else (the durable save, loads, stats, the cache) is
//! `fixed`'s.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio::task::spawn_blocking;

use super::fixed::{joined, load};
use super::{
    Contention, LOCK_TIMEOUT, MetadataCache, Op, Outcome, SessionStore, file_size, save_session,
};
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// The optimized variant of `session-store`.
pub struct OptimizedSessionStore {
    dir: PathBuf,
    cache: Mutex<MetadataCache>,
    /// One async lock per session id, created on first use.
    session_locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    storage: Arc<Storage>,
    contention: Arc<Contention>,
}

impl OptimizedSessionStore {
    async fn session_lock(&self, id: &str) -> Arc<Mutex<()>> {
        let mut locks = self.session_locks.lock().await;
        Arc::clone(locks.entry(id.to_string()).or_default())
    }
}

impl Variant<SessionStore> for OptimizedSessionStore {
    async fn open(workload: &SessionStore) -> Result<Self, String> {
        Ok(OptimizedSessionStore {
            dir: workload.dir(VariantKind::Optimized),
            cache: Mutex::new(MetadataCache::default()),
            session_locks: Mutex::new(HashMap::new()),
            storage: workload.storage(VariantKind::Optimized),
            contention: workload.contention(VariantKind::Optimized),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let dir = self.dir.clone();
        match op {
            Op::Save { session } => {
                let id = session.id.clone();
                let lock = self.session_lock(&id).await;
                let turn = lock.lock_owned().await;
                let (storage, contention) =
                    (Arc::clone(&self.storage), Arc::clone(&self.contention));
                let bytes = joined(
                    spawn_blocking(move || {
                        let saved =
                            save_session(&dir, &session, LOCK_TIMEOUT, &storage, &contention);
                        drop(turn);
                        saved
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
