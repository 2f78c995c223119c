//! Workload 5, `session-store`: JSON session files, each save written to a
//! temporary file, fsynced, renamed into place and verified (exists,
//! non-empty), under an advisory file lock taken with retries and a timeout;
//! file metadata is cached with a TTL.
//!
//! Each client has its own sessions, and a share of the saves (`--hot-share`,
//! `Settings::hot_share`) goes to a few hot sessions every client writes, so
//! saves really collide on a lock and the retry path runs; the report counts
//! the waits and retries.

pub mod blocking;
pub mod fixed;
pub mod optimized;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::seed::{self, Rng};
use crate::storage::Storage;
use crate::workload::{Completed, Effects, Plan, Settings, Unprepared, VariantKind, Workload};

/// How long a save waits for a session's lock before failing.
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(2);

/// First pause between lock attempts; doubles up to `MAX_BACKOFF`.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(1);
pub const MAX_BACKOFF: Duration = Duration::from_millis(50);

/// How long cached file metadata is trusted.
pub const METADATA_TTL: Duration = Duration::from_millis(100);

/// Sessions per client.
const SESSIONS: u64 = 4;

/// Sessions shared by every client (the hot keys).
pub const HOT_SESSIONS: u64 = 16;

/// The workload: where each variant keeps its session files, and what each
/// variant's saves did.
#[derive(Debug)]
pub struct SessionStore {
    root: PathBuf,
    hot_share: u8,
    storage: [Arc<Storage>; 3],
    contention: [Arc<Contention>; 3],
}

/// How often saves found their lock taken.
#[derive(Debug, Default)]
pub struct Contention {
    waits: AtomicU64,
    retries: AtomicU64,
}

impl Contention {
    /// A save found its lock taken (counted once per save).
    pub fn waited(&self) {
        self.waits.fetch_add(1, Ordering::Relaxed);
    }

    /// A lock attempt failed and will be retried after a backoff.
    pub fn retried(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.waits.store(0, Ordering::Relaxed);
        self.retries.store(0, Ordering::Relaxed);
    }

    /// (waits, retries) so far.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.waits.load(Ordering::Relaxed),
            self.retries.load(Ordering::Relaxed),
        )
    }
}

/// A user session as persisted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user: u64,
    pub version: u64,
    pub messages: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Op {
    Save { session: Session },
    Load { id: String },
    Stat { id: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Saved { bytes: u64 },
    Loaded { version: u64, messages: usize },
    Stat { bytes: u64 },
    Missing,
}

impl SessionStore {
    /// The session directory of one variant.
    pub fn dir(&self, kind: VariantKind) -> PathBuf {
        self.root.join(kind.as_str())
    }

    /// A workload whose sessions live under `root` (created if needed).
    pub fn at(root: PathBuf, settings: &Settings) -> Result<SessionStore, String> {
        for kind in VariantKind::ALL {
            let dir = root.join(kind.as_str());
            std::fs::create_dir_all(&dir)
                .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        }
        Ok(SessionStore {
            root,
            hot_share: settings.hot_share,
            storage: std::array::from_fn(|_| Arc::new(Storage::new(settings.io_latency))),
            contention: std::array::from_fn(|_| Arc::new(Contention::default())),
        })
    }

    /// The storage layer of one variant.
    pub fn storage(&self, kind: VariantKind) -> Arc<Storage> {
        Arc::clone(&self.storage[kind.index()])
    }

    /// The lock-contention counters of one variant.
    pub fn contention(&self, kind: VariantKind) -> Arc<Contention> {
        Arc::clone(&self.contention[kind.index()])
    }
}

/// Paths of a session's data, temporary and lock files.
pub fn session_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json"))
}

pub fn temp_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.json.tmp"))
}

pub fn lock_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.lock"))
}

/// Why a save failed.
pub fn lock_timeout_error(id: &str) -> String {
    format!("session {id}: lock not acquired within {LOCK_TIMEOUT:?}")
}

/// Takes the session's advisory lock, retrying with exponential backoff until
/// `timeout`. Sync: for the blocking pool. The lock is released when the
/// returned file is dropped.
pub fn acquire_lock(
    dir: &Path,
    id: &str,
    timeout: Duration,
    contention: &Contention,
) -> Result<File, String> {
    let path = lock_path(dir, id);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    let started = Instant::now();
    let mut backoff = FIRST_BACKOFF;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < timeout => {
                if backoff == FIRST_BACKOFF {
                    contention.waited();
                }
                contention.retried();
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(lock_timeout_error(id)),
            Err(std::fs::TryLockError::Error(err)) => {
                return Err(format!("cannot lock {}: {err}", path.display()));
            }
        }
    }
}

/// Saves a session durably: lock, write a temporary file, fsync, rename,
/// verify. Returns the file size. Sync: for the blocking pool.
pub fn save_session(
    dir: &Path,
    session: &Session,
    lock_timeout: Duration,
    storage: &Storage,
    contention: &Contention,
) -> Result<u64, String> {
    let json = serde_json::to_vec(session).map_err(|err| err.to_string())?;
    let _lock = acquire_lock(dir, &session.id, lock_timeout, contention)?;
    let temp = temp_path(dir, &session.id);
    let mut file = storage
        .create(&temp)
        .map_err(|err| format!("cannot create {}: {err}", temp.display()))?;
    file.write_all(&json).map_err(|err| err.to_string())?;
    storage.sync_all(&file).map_err(|err| err.to_string())?;
    let path = session_path(dir, &session.id);
    storage
        .rename(&temp, &path)
        .map_err(|err| format!("cannot rename into {}: {err}", path.display()))?;
    verify(&path)
}

/// Checks a freshly written session file exists and is not empty; its size.
pub fn verify(path: &Path) -> Result<u64, String> {
    let metadata =
        std::fs::metadata(path).map_err(|err| format!("{} not written: {err}", path.display()))?;
    if metadata.len() == 0 {
        return Err(format!("{} is empty after the save", path.display()));
    }
    Ok(metadata.len())
}

/// Loads a session; `None` if it was never saved. Sync: for the blocking pool.
pub fn load_session(dir: &Path, id: &str) -> Result<Option<Session>, String> {
    match std::fs::read(session_path(dir, id)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| format!("session {id}: {err}")),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("session {id}: {err}")),
    }
}

/// A session file's size; `None` if it does not exist.
pub fn file_size(dir: &Path, id: &str) -> Result<Option<u64>, String> {
    match std::fs::metadata(session_path(dir, id)) {
        Ok(metadata) => Ok(Some(metadata.len())),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("session {id}: {err}")),
    }
}

/// Cached file sizes with their time of caching.
#[derive(Debug, Default)]
pub struct MetadataCache {
    entries: HashMap<String, (u64, Instant)>,
}

impl MetadataCache {
    /// A cached size younger than `METADATA_TTL`.
    pub fn fresh(&self, id: &str) -> Option<u64> {
        self.entries
            .get(id)
            .filter(|(_, at)| at.elapsed() < METADATA_TTL)
            .map(|(size, _)| *size)
    }

    pub fn put(&mut self, id: &str, size: u64) {
        self.entries.insert(id.to_string(), (size, Instant::now()));
    }
}

impl Workload for SessionStore {
    const NAME: &'static str = "session-store";
    const DEFAULT_OPS: usize = 25_600;

    type Op = Op;
    type Outcome = Outcome;
    type Blocking = blocking::BlockingSessionStore;
    type Fixed = fixed::FixedSessionStore;
    type Optimized = optimized::OptimizedSessionStore;

    fn prepare(settings: &Settings) -> Result<Self, Unprepared> {
        SessionStore::at(settings.scratch.join(Self::NAME), settings).map_err(Unprepared::Failed)
    }

    fn plan(&self, settings: &Settings) -> Plan<Op> {
        let hot_share = self.hot_share;
        Plan::seeded(settings, |seed, client, count| {
            client_ops(seed, client, count, hot_share)
        })
    }

    fn fresh_state(&self, kind: VariantKind) -> Result<(), String> {
        let dir = self.dir(kind);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|err| format!("cannot empty {}: {err}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)
            .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
        self.storage[kind.index()].reset();
        self.contention[kind.index()].reset();
        Ok(())
    }

    fn effects(&self, kind: VariantKind) -> Result<Effects, String> {
        let (lock_waits, lock_retries) = self.contention[kind.index()].counts();
        Ok(Effects {
            writes: self.storage[kind.index()].writes(),
            lock_waits,
            lock_retries,
            ..Effects::default()
        })
    }

    fn op_name(op: &Op) -> &'static str {
        match op {
            Op::Save { .. } => "save",
            Op::Load { .. } => "load",
            Op::Stat { .. } => "stat",
        }
    }

    fn check(
        &self,
        kind: VariantKind,
        plan: &Plan<Op>,
        completed: &Completed<Outcome>,
    ) -> Result<String, String> {
        let dir = self.dir(kind);
        let mut sessions = 0;
        let mut hot: HashMap<String, Vec<Session>> = HashMap::new();
        let unlocked = Contention::default();
        for (client, outcomes) in completed.clients.iter().enumerate() {
            let (model, hot_saves) = replay(&plan.clients[client], outcomes)
                .map_err(|err| format!("client {client}: {err}"))?;
            for session in hot_saves {
                hot.entry(session.id.clone()).or_default().push(session);
            }
            for (id, session) in &model {
                let stored = load_session(&dir, id)?
                    .ok_or_else(|| format!("acknowledged session {id} is missing"))?;
                if stored != *session {
                    return Err(format!(
                        "session {id} holds version {}, expected {}",
                        stored.version, session.version
                    ));
                }
                if temp_path(&dir, id).exists() {
                    return Err(format!("session {id} left a temporary file behind"));
                }
                check_released(&dir, id, &unlocked)?;
                sessions += 1;
            }
        }
        // Clients raced on the hot sessions: the file must hold one of the
        // acknowledged saves, whole (never a mix, never an unacknowledged one).
        let mut hot_saves = 0;
        for (id, saves) in &hot {
            let stored = load_session(&dir, id)?
                .ok_or_else(|| format!("acknowledged hot session {id} is missing"))?;
            if !saves.contains(&stored) {
                return Err(format!(
                    "hot session {id} holds a version nobody's acknowledged save wrote"
                ));
            }
            check_released(&dir, id, &unlocked)?;
            hot_saves += saves.len();
        }
        Ok(format!(
            "{sessions} sessions round-trip, {} hot sessions hold one of their {hot_saves} acknowledged saves, no lock left held, no temporary file left",
            hot.len()
        ))
    }
}

/// No temporary file left and the lock free. Sync.
fn check_released(dir: &Path, id: &str, unlocked: &Contention) -> Result<(), String> {
    if temp_path(dir, id).exists() {
        return Err(format!("session {id} left a temporary file behind"));
    }
    drop(
        acquire_lock(dir, id, Duration::ZERO, unlocked)
            .map_err(|err| format!("lock still held: {err}"))?,
    );
    Ok(())
}

/// Whether a session id is one of the shared hot sessions.
pub fn is_hot(id: &str) -> bool {
    id.starts_with(HOT_PREFIX)
}

const HOT_PREFIX: &str = "hot-";

/// Replays a client's completed operations against a model, checking every
/// answer; returns the client's own sessions that must be on disk, and its
/// acknowledged saves of hot sessions (which other clients may overwrite).
fn replay(
    ops: &[Op],
    outcomes: &[Result<Outcome, String>],
) -> Result<(HashMap<String, Session>, Vec<Session>), String> {
    let mut model: HashMap<String, Session> = HashMap::new();
    let mut hot = Vec::new();
    for (op, outcome) in ops.iter().zip(outcomes) {
        let outcome = outcome.as_ref().map_err(Clone::clone)?;
        let size =
            |session: &Session| serde_json::to_vec(session).map_or(0, |json| json.len() as u64);
        let expected = match op {
            Op::Save { session } if is_hot(&session.id) => {
                hot.push(session.clone());
                Outcome::Saved {
                    bytes: size(session),
                }
            }
            Op::Save { session } => {
                model.insert(session.id.clone(), session.clone());
                Outcome::Saved {
                    bytes: size(session),
                }
            }
            Op::Load { id } => model
                .get(id)
                .map_or(Outcome::Missing, |session| Outcome::Loaded {
                    version: session.version,
                    messages: session.messages.len(),
                }),
            Op::Stat { id } => model
                .get(id)
                .map_or(Outcome::Missing, |session| Outcome::Stat {
                    bytes: size(session),
                }),
        };
        if *outcome != expected {
            return Err(format!(
                "{op:?} answered {outcome:?}, expected {expected:?}"
            ));
        }
    }
    Ok((model, hot))
}

/// One client's seeded sequence: `hot_share`% saves to a shared hot session
/// (each save unique to its client and position, so the check can tell whose
/// save the file holds); the rest over its own sessions: 40% saves (each a
/// new version), 35% loads, 25% stats.
fn client_ops(seed: u64, client: u64, count: usize, hot_share: u8) -> Vec<Op> {
    let mut rng = Rng::derive(seed ^ 0x5345_5353, client);
    let mut versions = [0u64; SESSIONS as usize];
    (0..count)
        .map(|index| {
            if rng.percent(u64::from(hot_share)) {
                let slot = rng.below(HOT_SESSIONS);
                let messages = rng.between(2, 10);
                return Op::Save {
                    session: Session {
                        id: format!("{HOT_PREFIX}{slot}"),
                        user: client,
                        version: index as u64,
                        messages: (0..messages).map(|_| seed::text(&mut rng, 12)).collect(),
                    },
                };
            }
            let slot = rng.below(SESSIONS);
            let id = format!("session-{client}-{slot}");
            match rng.below(100) {
                0..=39 => {
                    versions[slot as usize] += 1;
                    let messages = rng.between(2, 20);
                    let words = rng.between(5, 30);
                    let messages = (0..messages).map(|_| seed::text(&mut rng, words)).collect();
                    Op::Save {
                        session: Session {
                            id,
                            user: client,
                            version: versions[slot as usize],
                            messages,
                        },
                    }
                }
                40..=74 => Op::Load { id },
                _ => Op::Stat { id },
            }
        })
        .collect()
}
