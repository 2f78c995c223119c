//! Workload 3, `repo-sync`: scan a generated source tree, chunk every file,
//! embed the chunks and store them in workload 1's vector store, then record
//! the repository's exact file and chunk counts in the store's metadata.
//!
//! The tree (thousands of files, fixed by the seed) is generated during the
//! synchronous set-up; each operation syncs one repository of it.

pub mod blocking;
pub mod fixed;
pub mod optimized;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::vector_store::{self, Record, RepoMeta};
use crate::seed::{self, Rng};
use crate::storage::Storage;
use crate::workload::{Completed, Effects, Plan, Settings, Unprepared, VariantKind, Workload};

/// Largest chunk, in bytes (chunks end at line boundaries).
pub const CHUNK_BYTES: usize = 1024;

/// Chunks sent to the store per batch.
pub const BATCH: usize = 32;

/// The workload: the generated tree, what it contains, and each variant's store.
#[derive(Debug)]
pub struct RepoSync {
    root: PathBuf,
    /// The truth per repository: files and chunks the generator wrote.
    truth: Vec<RepoMeta>,
    /// Files scanned so far by either variant (progress).
    scanned: Arc<AtomicUsize>,
    cpu_permits: usize,
    /// Each variant's storage layer (counters, `--io-latency`).
    storage: [Arc<Storage>; 3],
}

#[derive(Clone, Debug)]
pub enum Op {
    Sync { repo: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Synced { files: usize, chunks: usize },
}

/// A chunk ready to embed: (namespace, id, text), the store's batch format.
pub type Chunk = (u64, u64, String);

impl RepoSync {
    /// The generated tree (one directory per repository).
    pub fn tree(&self) -> PathBuf {
        self.root.join("tree")
    }

    /// The vector store of one variant.
    pub fn store_dir(&self, kind: VariantKind) -> PathBuf {
        self.root.join(kind.as_str())
    }

    /// Concurrent CPU jobs of the optimized variant.
    pub fn cpu_permits(&self) -> usize {
        self.cpu_permits
    }

    /// The storage layer of one variant.
    pub fn storage(&self, kind: VariantKind) -> Arc<Storage> {
        Arc::clone(&self.storage[kind.index()])
    }

    /// Counts scanned files (progress across both variants).
    pub fn scanned(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.scanned)
    }
}

impl Workload for RepoSync {
    const NAME: &'static str = "repo-sync";
    const DEFAULT_OPS: usize = 128;

    type Op = Op;
    type Outcome = Outcome;
    type Blocking = blocking::BlockingRepoSync;
    type Fixed = fixed::FixedRepoSync;
    type Optimized = optimized::OptimizedRepoSync;

    fn prepare(settings: &Settings) -> Result<Self, Unprepared> {
        let root = settings.scratch.join(Self::NAME);
        let repos = repos_for(settings);
        let truth = (0..repos as u64)
            .map(|repo| generate_repo(&repo_dir(&root.join("tree"), repo), settings.seed, repo))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Unprepared::Failed)?;
        for kind in VariantKind::ALL {
            vector_store::create_store_dir(&root.join(kind.as_str()))
                .map_err(Unprepared::Failed)?;
        }
        Ok(RepoSync {
            root,
            truth,
            scanned: Arc::new(AtomicUsize::new(0)),
            cpu_permits: settings.cpu_permits,
            storage: std::array::from_fn(|_| Arc::new(Storage::new(settings.io_latency))),
        })
    }

    fn plan(&self, settings: &Settings) -> Plan<Op> {
        let per_client = repos_for(settings) / settings.clients.max(1);
        let clients = (0..settings.clients)
            .map(|client| {
                (0..per_client)
                    .map(|index| Op::Sync {
                        repo: (client * per_client + index) as u64,
                    })
                    .collect()
            })
            .collect();
        Plan { clients }
    }

    fn op_name(_op: &Op) -> &'static str {
        "sync"
    }

    fn progress_note(&self) -> Option<String> {
        Some(format!(
            "{} files scanned",
            self.scanned.load(Ordering::Relaxed)
        ))
    }

    fn fresh_state(&self, kind: VariantKind) -> Result<(), String> {
        vector_store::create_store_dir(&self.store_dir(kind))?;
        self.storage[kind.index()].reset();
        Ok(())
    }

    fn effects(&self, kind: VariantKind) -> Result<Effects, String> {
        Ok(Effects {
            writes: self.storage[kind.index()].writes(),
            ..Effects::default()
        })
    }

    fn check(
        &self,
        kind: VariantKind,
        plan: &Plan<Op>,
        completed: &Completed<Outcome>,
    ) -> Result<String, String> {
        let records = vector_store::read_log(&self.store_dir(kind).join(vector_store::LOG_FILE))?;
        let mut chunks_stored: HashMap<u64, usize> = HashMap::new();
        let mut metadata: HashMap<u64, RepoMeta> = HashMap::new();
        for record in records {
            match record {
                Record::Memory(memory) => *chunks_stored.entry(memory.namespace).or_default() += 1,
                Record::Repo(meta) => {
                    metadata.insert(meta.namespace, meta);
                }
            }
        }
        let (mut repos, mut files, mut chunks) = (0, 0, 0);
        for (client, outcomes) in completed.clients.iter().enumerate() {
            for (Op::Sync { repo }, outcome) in plan.clients[client].iter().zip(outcomes) {
                let truth = &self.truth[*repo as usize];
                let Outcome::Synced {
                    files: synced_files,
                    chunks: synced_chunks,
                } = outcome
                    .as_ref()
                    .map_err(|err| format!("repo {repo}: {err}"))?;
                if (*synced_files, *synced_chunks) != (truth.files, truth.chunks) {
                    return Err(format!(
                        "repo {repo}: synced {synced_files} files / {synced_chunks} chunks, the tree has {} / {}",
                        truth.files, truth.chunks
                    ));
                }
                if metadata.get(repo) != Some(truth) {
                    return Err(format!(
                        "repo {repo}: metadata {:?}, expected {truth:?}",
                        metadata.get(repo)
                    ));
                }
                let stored = chunks_stored.get(repo).copied().unwrap_or(0);
                if stored != truth.chunks {
                    return Err(format!(
                        "repo {repo}: {stored} chunks in the store, expected {}",
                        truth.chunks
                    ));
                }
                repos += 1;
                files += truth.files;
                chunks += truth.chunks;
            }
        }
        let stored_total: usize = chunks_stored.values().sum();
        if stored_total != chunks {
            return Err(format!(
                "the store holds {stored_total} chunks, the synced repositories {chunks}"
            ));
        }
        let scanned = self.scanned.load(Ordering::Relaxed);
        Ok(format!(
            "{repos} repositories, {files} files, {chunks} chunks exact in metadata and store ({scanned} files scanned so far)"
        ))
    }
}

/// Repositories in the tree: the operations rounded to whole clients.
fn repos_for(settings: &Settings) -> usize {
    let clients = settings.clients.max(1);
    settings.ops.div_ceil(clients) * clients
}

/// Writes one repository (20 to 60 files in nested directories) and returns
/// what a correct sync must find in it.
fn generate_repo(dir: &Path, seed: u64, repo: u64) -> Result<RepoMeta, String> {
    let mut rng = Rng::derive(seed ^ 0x5245_504f, repo);
    let files = rng.between(20, 60);
    let mut chunks = 0;
    for file in 0..files {
        let module = dir
            .join("src")
            .join(format!("module_{}", file % 5))
            .join(format!("part_{}", file % 3));
        std::fs::create_dir_all(&module)
            .map_err(|err| format!("cannot create {}: {err}", module.display()))?;
        let lines = rng.between(15, 70);
        let text: String = (0..lines)
            .map(|_| {
                let words = rng.between(4, 12);
                format!("    // {}\n", seed::text(&mut rng, words))
            })
            .collect();
        chunks += chunk(&text).len();
        let path = module.join(format!("file_{file:03}.rs"));
        std::fs::write(&path, text)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    Ok(RepoMeta {
        namespace: repo,
        files,
        chunks,
    })
}

/// The directory of one generated repository inside the tree.
pub fn repo_dir(tree: &Path, repo: u64) -> PathBuf {
    tree.join(format!("repo-{repo:04}"))
}

/// Splits a file into chunks of at most `CHUNK_BYTES`, at line boundaries (a
/// longer line is one chunk of its own). Empty files give no chunk.
pub fn chunk(text: &str) -> Vec<&str> {
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for line in text.split_inclusive('\n') {
        if end > start && end - start + line.len() > CHUNK_BYTES {
            chunks.push(&text[start..end]);
            start = end;
        }
        end += line.len();
    }
    if end > start {
        chunks.push(&text[start..end]);
    }
    chunks
}

/// The id of a repository's `index`-th chunk.
pub fn chunk_id(repo: u64, index: usize) -> u64 {
    (repo << 32) | index as u64
}

/// Reads a repository on the calling thread: every file under `dir` in path
/// order, with its text. Sync code, for the blocking pool.
pub fn read_repo(dir: &Path) -> std::io::Result<Vec<(PathBuf, String)>> {
    let mut pending = vec![dir.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                files.push(entry.path());
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| std::fs::read_to_string(&path).map(|text| (path, text)))
        .collect()
}

/// A repository read and cut into batches.
#[derive(Debug)]
pub struct Scan {
    pub files: usize,
    pub batches: Vec<Vec<Chunk>>,
}

/// Walks, reads and chunks one repository on the blocking pool: the walk and
/// the reads block, and chunking thousands of lines is CPU work (tens of ms
/// per repository) that would hold an executor thread.
pub async fn scan_repo(tree: &Path, repo: u64) -> Result<Scan, String> {
    let dir = repo_dir(tree, repo);
    tokio::task::spawn_blocking(move || {
        let files = read_repo(&dir).map_err(|err| err.to_string())?;
        Ok(Scan {
            files: files.len(),
            batches: batches(repo, &files),
        })
    })
    .await
    .map_err(|err| err.to_string())?
}

/// Cuts files (in path order) into the store's batches of `BATCH` chunks.
pub fn batches(repo: u64, files: &[(PathBuf, String)]) -> Vec<Vec<Chunk>> {
    let chunks: Vec<Chunk> = files
        .iter()
        .flat_map(|(_, text)| chunk(text))
        .enumerate()
        .map(|(index, text)| (repo, chunk_id(repo, index), text.to_string()))
        .collect();
    chunks.chunks(BATCH).map(<[Chunk]>::to_vec).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_lines_and_cover_the_text() {
        let text = "a\n".repeat(1000);
        let chunks = chunk(&text);
        assert_eq!(chunks.concat(), text);
        assert!(
            chunks
                .iter()
                .all(|piece| piece.len() <= CHUNK_BYTES && piece.ends_with('\n'))
        );
    }

    #[test]
    fn a_long_line_is_a_chunk_of_its_own() {
        let long = "x".repeat(3000);
        assert_eq!(
            chunk(&format!("a\n{long}\nb\n")),
            vec!["a\n", &format!("{long}\n"), "b\n"]
        );
    }

    #[test]
    fn an_empty_file_has_no_chunk() {
        assert!(chunk("").is_empty());
    }
}
