//! The session store as it is often first written: lock acquisition (with
//! `std::thread::sleep` between retries), the write, its fsync, the rename,
//! the verification and the metadata lookups all run inline in the async
//! handler, and the metadata cache sits behind a std `Mutex`.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{
    Contention, FIRST_BACKOFF, LOCK_TIMEOUT, MAX_BACKOFF, MetadataCache, Op, Outcome, Session,
    SessionStore, lock_path, lock_timeout_error, session_path, temp_path,
};
use crate::storage::Storage;
use crate::workload::{Variant, VariantKind};

/// The blocking variant of `session-store`.
pub struct BlockingSessionStore {
    dir: PathBuf,
    cache: Mutex<MetadataCache>,
    storage: Arc<Storage>,
    contention: Arc<Contention>,
}

impl Variant<SessionStore> for BlockingSessionStore {
    async fn open(workload: &SessionStore) -> Result<Self, String> {
        Ok(BlockingSessionStore {
            dir: workload.dir(VariantKind::Blocking),
            cache: Mutex::new(MetadataCache::default()),
            storage: workload.storage(VariantKind::Blocking),
            contention: workload.contention(VariantKind::Blocking),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        match op {
            Op::Save { session } => self.save(session).await,
            Op::Load { id } => match std::fs::read_to_string(session_path(&self.dir, &id)) {
                Ok(json) => {
                    let session: Session = serde_json::from_str(&json)
                        .map_err(|err| format!("session {id}: {err}"))?;
                    Ok(Outcome::Loaded {
                        version: session.version,
                        messages: session.messages.len(),
                    })
                }
                Err(err) if err.kind() == ErrorKind::NotFound => Ok(Outcome::Missing),
                Err(err) => Err(format!("session {id}: {err}")),
            },
            Op::Stat { id } => {
                if let Some(bytes) = self.cache.lock().unwrap().fresh(&id) {
                    return Ok(Outcome::Stat { bytes });
                }
                match std::fs::metadata(session_path(&self.dir, &id)) {
                    Ok(metadata) => {
                        self.cache.lock().unwrap().put(&id, metadata.len());
                        Ok(Outcome::Stat {
                            bytes: metadata.len(),
                        })
                    }
                    Err(err) if err.kind() == ErrorKind::NotFound => Ok(Outcome::Missing),
                    Err(err) => Err(format!("session {id}: {err}")),
                }
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}

impl BlockingSessionStore {
    async fn save(&self, session: Session) -> Result<Outcome, String> {
        let json = serde_json::to_vec(&session).map_err(|err| err.to_string())?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path(&self.dir, &session.id))
            .map_err(|err| err.to_string())?;
        let started = Instant::now();
        let mut backoff = FIRST_BACKOFF;
        while let Err(err) = lock.try_lock() {
            match err {
                std::fs::TryLockError::WouldBlock if started.elapsed() < LOCK_TIMEOUT => {
                    if backoff == FIRST_BACKOFF {
                        self.contention.waited();
                    }
                    self.contention.retried();
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                std::fs::TryLockError::WouldBlock => return Err(lock_timeout_error(&session.id)),
                std::fs::TryLockError::Error(err) => return Err(err.to_string()),
            }
        }
        let temp = temp_path(&self.dir, &session.id);
        let mut file: std::fs::File = self.storage.create(&temp).map_err(|err| err.to_string())?;
        file.write_all(&json).map_err(|err| err.to_string())?;
        self.storage
            .sync_all(&file)
            .map_err(|err| err.to_string())?;
        let path: PathBuf = session_path(&self.dir, &session.id);
        self.storage
            .rename(&temp, &path)
            .map_err(|err| err.to_string())?;
        if !path.exists() {
            return Err(format!("{} not written", path.display()));
        }
        let bytes = std::fs::metadata(&path)
            .map_err(|err| err.to_string())?
            .len();
        if bytes == 0 {
            return Err(format!("{} is empty after the save", path.display()));
        }
        drop(lock);
        self.cache.lock().unwrap().put(&session.id, bytes);
        Ok(Outcome::Saved { bytes })
    }
}
