//! Workload 1, `vector-store`: add memories (text to a CPU embedding,
//! persisted to an append-only log with fsync) and k-NN search over them.
//!
//! Each client is one agent with its own namespace and issues its operations
//! in order, so every search has exactly one correct answer: the k nearest of
//! the memories that client added before it. Both variants must return it.

pub mod blocking;
pub mod fixed;
pub mod optimized;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::embed::{self, Embedding};
use crate::seed::{self, Rng};
use crate::storage::Storage;
use crate::workload::{Completed, Effects, Plan, Settings, Unprepared, VariantKind, Workload};

/// Nearest neighbours returned per search.
pub const K: usize = 5;

/// Name of the append-only log inside a store directory.
pub const LOG_FILE: &str = "memories.log";

/// The workload: where each variant keeps its store.
#[derive(Debug)]
pub struct VectorStore {
    root: PathBuf,
    cpu_permits: usize,
    /// Each variant's storage layer (counters, `--io-latency`).
    storage: [Arc<Storage>; 3],
}

#[derive(Clone, Debug)]
pub enum Op {
    Add {
        namespace: u64,
        id: u64,
        text: String,
    },
    Search {
        namespace: u64,
        query: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Added {
        id: u64,
    },
    /// Ids of the nearest memories, best first.
    Hits(Vec<u64>),
}

impl VectorStore {
    /// Concurrent CPU jobs of the optimized variant.
    pub fn cpu_permits(&self) -> usize {
        self.cpu_permits
    }

    /// The storage layer of one variant.
    pub fn storage(&self, kind: VariantKind) -> Arc<Storage> {
        Arc::clone(&self.storage[kind.index()])
    }

    /// The store directory of one variant.
    pub fn store_dir(&self, kind: VariantKind) -> PathBuf {
        self.root.join(kind.as_str())
    }
}

impl Workload for VectorStore {
    const NAME: &'static str = "vector-store";
    const DEFAULT_OPS: usize = 12_800;

    type Op = Op;
    type Outcome = Outcome;
    type Blocking = blocking::BlockingVectorStore;
    type Fixed = fixed::FixedVectorStore;
    type Optimized = optimized::OptimizedVectorStore;

    fn prepare(settings: &Settings) -> Result<Self, Unprepared> {
        let root = settings.scratch.join(Self::NAME);
        for kind in VariantKind::ALL {
            create_store_dir(&root.join(kind.as_str())).map_err(Unprepared::Failed)?;
        }
        Ok(VectorStore {
            root,
            cpu_permits: settings.cpu_permits,
            storage: std::array::from_fn(|_| Arc::new(Storage::new(settings.io_latency))),
        })
    }

    fn plan(&self, settings: &Settings) -> Plan<Op> {
        Plan::seeded(settings, client_ops)
    }

    fn op_name(op: &Op) -> &'static str {
        match op {
            Op::Add { .. } => "add",
            Op::Search { .. } => "search",
        }
    }

    fn fresh_state(&self, kind: VariantKind) -> Result<(), String> {
        create_store_dir(&self.store_dir(kind))?;
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
        let records = read_log(&self.store_dir(kind).join(LOG_FILE))?;
        let mut durable: HashMap<u64, Memory> = HashMap::new();
        for record in records {
            if let Record::Memory(memory) = record
                && durable.insert(memory.id, memory).is_some()
            {
                return Err("a memory id appears twice in the log".to_string());
            }
        }
        let mut acknowledged = 0;
        let mut searches = 0;
        for (client, outcomes) in completed.clients.iter().enumerate() {
            let mut index = Index::default();
            for (op, outcome) in plan.clients[client].iter().zip(outcomes) {
                let outcome = outcome
                    .as_ref()
                    .map_err(|err| format!("client {client}: {err}"))?;
                match (op, outcome) {
                    (
                        Op::Add {
                            namespace,
                            id,
                            text,
                        },
                        Outcome::Added { id: acked },
                    ) if acked == id => {
                        let memory = durable
                            .get(id)
                            .ok_or_else(|| format!("acknowledged memory {id} is not in the log"))?;
                        if memory.namespace != *namespace || memory.text != *text {
                            return Err(format!(
                                "memory {id} was persisted with different content"
                            ));
                        }
                        // Recomputed from the text: JSON float round trips are not bit-exact.
                        index.insert(*namespace, *id, embed::embed(&memory.text));
                        acknowledged += 1;
                    }
                    (Op::Search { namespace, query }, Outcome::Hits(hits)) => {
                        let expected = index.search(*namespace, &embed::embed(query), K);
                        if *hits != expected {
                            return Err(format!(
                                "client {client}: search returned {hits:?}, the acknowledged memories give {expected:?}"
                            ));
                        }
                        searches += 1;
                    }
                    (op, outcome) => {
                        return Err(format!("client {client}: {op:?} answered {outcome:?}"));
                    }
                }
            }
        }
        if durable.len() != acknowledged {
            return Err(format!(
                "the log holds {} memories but {acknowledged} adds were acknowledged",
                durable.len()
            ));
        }
        Ok(format!(
            "{acknowledged} acknowledged memories durable, {searches} searches match"
        ))
    }
}

/// One client's seeded sequence: it starts with an add, then 60% adds and 40%
/// searches.
fn client_ops(seed: u64, client: u64, count: usize) -> Vec<Op> {
    let mut rng = Rng::derive(seed, client);
    (0..count as u64)
        .map(|index| {
            if index == 0 || rng.percent(60) {
                let words = rng.between(250, 400);
                Op::Add {
                    namespace: client,
                    id: memory_id(client, index),
                    text: seed::text(&mut rng, words),
                }
            } else {
                let words = rng.between(8, 20);
                Op::Search {
                    namespace: client,
                    query: seed::text(&mut rng, words),
                }
            }
        })
        .collect()
}

/// Ids are unique across clients: the client in the high bits.
pub fn memory_id(namespace: u64, index: u64) -> u64 {
    (namespace << 32) | index
}

/// One persisted line of the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Record {
    Memory(Memory),
    /// Repository metadata written by `repo-sync` after a repository's chunks.
    Repo(RepoMeta),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Memory {
    pub id: u64,
    pub namespace: u64,
    pub text: String,
    pub vector: Embedding,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoMeta {
    pub namespace: u64,
    pub files: usize,
    pub chunks: usize,
}

impl Record {
    /// The log line (with its newline) for this record.
    pub fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("records always serialise");
        line.push('\n');
        line
    }
}

/// Reads every record of a log; a torn or corrupt line is an error.
pub fn read_log(path: &Path) -> Result<Vec<Record>, String> {
    let file = File::open(path).map_err(|err| format!("cannot open {}: {err}", path.display()))?;
    BufReader::new(file)
        .lines()
        .enumerate()
        .map(|(number, line)| {
            let line = line.map_err(|err| format!("cannot read {}: {err}", path.display()))?;
            serde_json::from_str(&line)
                .map_err(|err| format!("{}:{}: corrupt record: {err}", path.display(), number + 1))
        })
        .collect()
}

/// Creates (or empties) a store directory with an empty log.
pub fn create_store_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    File::create(dir.join(LOG_FILE))
        .map_err(|err| format!("cannot create the log in {}: {err}", dir.display()))?;
    Ok(())
}

/// The in-memory index: brute-force k-NN per namespace.
#[derive(Debug, Default)]
pub struct Index {
    namespaces: HashMap<u64, Vec<(u64, Embedding)>>,
}

impl Index {
    pub fn insert(&mut self, namespace: u64, id: u64, vector: Embedding) {
        self.namespaces
            .entry(namespace)
            .or_default()
            .push((id, vector));
    }

    /// The `k` ids most similar to `query`, best first; ties broken by id so
    /// the answer is unique.
    pub fn search(&self, namespace: u64, query: &[f32], k: usize) -> Vec<u64> {
        let Some(entries) = self.namespaces.get(&namespace) else {
            return Vec::new();
        };
        let mut scored: Vec<(f32, u64)> = entries
            .iter()
            .map(|(id, vector)| (embed::similarity(query, vector), *id))
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(k).map(|(_, id)| id).collect()
    }

    /// Number of entries in a namespace.
    pub fn len(&self, namespace: u64) -> usize {
        self.namespaces.get(&namespace).map_or(0, Vec::len)
    }
}
