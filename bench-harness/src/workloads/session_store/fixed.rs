//! The standard cure: the same durable save (lock with retries, write,
//! fsync, rename, verify) runs as one job on the blocking pool, loads and
//! stats too; the metadata cache is a tokio `Mutex` never held across I/O.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;
use tokio::task::{JoinError, spawn_blocking};

use super::{
    LOCK_TIMEOUT, MetadataCache, Op, Outcome, SessionStore, file_size, load_session, save_session,
};
use crate::workload::{Variant, VariantKind};

/// The fixed variant of `session-store`.
pub struct FixedSessionStore {
    dir: PathBuf,
    cache: Mutex<MetadataCache>,
}

impl Variant<SessionStore> for FixedSessionStore {
    async fn open(workload: &SessionStore) -> Result<Self, String> {
        Ok(FixedSessionStore {
            dir: workload.dir(VariantKind::Fixed),
            cache: Mutex::new(MetadataCache::default()),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let dir = self.dir.clone();
        match op {
            Op::Save { session } => {
                let id = session.id.clone();
                let bytes = joined(
                    spawn_blocking(move || save_session(&dir, &session, LOCK_TIMEOUT)).await,
                )?;
                self.cache.lock().await.put(&id, bytes);
                Ok(Outcome::Saved { bytes })
            }
            Op::Load { id } => Ok(
                match joined(spawn_blocking(move || load_session(&dir, &id)).await)? {
                    Some(session) => Outcome::Loaded {
                        version: session.version,
                        messages: session.messages.len(),
                    },
                    None => Outcome::Missing,
                },
            ),
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

/// Flattens a blocking-pool job's result.
fn joined<T>(result: Result<Result<T, String>, JoinError>) -> Result<T, String> {
    result.map_err(|err| err.to_string())?
}
