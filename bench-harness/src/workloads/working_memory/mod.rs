//! Workload 2, `working-memory`: TTL'd JSON documents per conversation on a
//! real Redis server (store, retrieve, update).
//!
//! Each client is one conversation with a few documents; about a third of
//! the documents grow past 10 KB, where JSON parsing costs real CPU. The
//! harness starts its own `redis-server` unless `--redis-url` names one.

pub mod blocking;
pub mod fixed;
pub mod optimized;

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use redis::Commands;
use serde::{Deserialize, Serialize};

use crate::latency_proxy::LatencyProxy;
use crate::redis_server::{RedisServer, StartError};
use crate::seed::{self, Rng};
use crate::workload::{Completed, Effects, Plan, Settings, Unprepared, VariantKind, Workload};

/// Seconds a document lives in Redis.
pub const TTL_SECONDS: u64 = 600;

/// Documents above this size are parsed off the executor in the fixed variant.
pub const LARGE_PAYLOAD: usize = 10 * 1024;

/// Documents per conversation.
const DOCS: u64 = 4;

/// The workload: the server (if the harness started it), the latency proxy
/// in front of it (with `--io-latency`), and key prefixes.
#[derive(Debug)]
pub struct WorkingMemory {
    /// What the variants connect to: the proxy when there is one.
    url: String,
    /// Opened (no I/O) during the sync set-up; the variants clone it.
    client: redis::Client,
    /// The server itself, for the harness's own bookkeeping (state resets,
    /// command stats, the check), which must not pay the added latency.
    direct: redis::Client,
    keys: KeySpace,
    // Field order matters: the proxy stops before the server.
    _proxy: Option<LatencyProxy>,
    _server: Option<RedisServer>,
}

/// Names the documents of one harness run.
#[derive(Clone, Copy, Debug)]
pub struct KeySpace {
    /// Unique per harness run, so an existing server's older keys never match.
    run: u128,
}

impl KeySpace {
    /// A `SCAN MATCH` pattern for every key of one variant.
    pub fn pattern(&self, kind: VariantKind) -> String {
        format!("stallcheck:{}:{}:*", self.run, kind.as_str())
    }

    /// The key of a document for one variant.
    pub fn key(&self, kind: VariantKind, conversation: u64, doc: u64) -> String {
        format!(
            "stallcheck:{}:{}:{conversation}:{doc}",
            self.run,
            kind.as_str()
        )
    }
}

/// A conversation's working-memory document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub conversation: u64,
    pub turns: Vec<Turn>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub role: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub enum Op {
    /// Replaces a document (resets its TTL).
    Store {
        conversation: u64,
        doc: u64,
        document: Document,
    },
    /// Reads and parses a document.
    Retrieve { conversation: u64, doc: u64 },
    /// Reads, appends a turn, writes back (resets the TTL).
    Update {
        conversation: u64,
        doc: u64,
        turn: Turn,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    /// The document read: its turn count and serialized size.
    Document {
        turns: usize,
        bytes: usize,
    },
    Updated {
        turns: usize,
    },
    Missing,
}

impl WorkingMemory {
    /// The Redis URL the variants connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn keys(&self) -> KeySpace {
        self.keys
    }

    /// A client for the configured server (opening it does no I/O).
    pub fn client(&self) -> redis::Client {
        self.client.clone()
    }
}

impl Workload for WorkingMemory {
    const NAME: &'static str = "working-memory";
    const DEFAULT_OPS: usize = 51_200;

    type Op = Op;
    type Outcome = Outcome;
    type Blocking = blocking::BlockingWorkingMemory;
    type Fixed = fixed::FixedWorkingMemory;
    type Optimized = optimized::OptimizedWorkingMemory;

    fn prepare(settings: &Settings) -> Result<Self, Unprepared> {
        let (url, server) = match &settings.redis_url {
            Some(url) => (url.clone(), None),
            None => {
                let dir = settings.scratch.join(Self::NAME);
                std::fs::create_dir_all(&dir).map_err(|err| Unprepared::Failed(err.to_string()))?;
                let server = RedisServer::start(&dir).map_err(|err| match err {
                    StartError::NotInstalled(message) => Unprepared::Skipped(message),
                    StartError::Failed(message) => Unprepared::Failed(message),
                })?;
                (server.url().to_string(), Some(server))
            }
        };
        crate::redis_server::ping(&url).map_err(Unprepared::Failed)?;
        let direct =
            redis::Client::open(url.as_str()).map_err(|err| Unprepared::Failed(err.to_string()))?;
        let proxy = if settings.io_latency.is_zero() {
            None
        } else {
            Some(start_proxy(&direct, settings.io_latency).map_err(Unprepared::Failed)?)
        };
        let url = match &proxy {
            Some(proxy) => format!("redis://{}/", proxy.addr()),
            None => url,
        };
        let client =
            redis::Client::open(url.as_str()).map_err(|err| Unprepared::Failed(err.to_string()))?;
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |time| time.as_nanos());
        Ok(WorkingMemory {
            url,
            client,
            direct,
            keys: KeySpace { run },
            _proxy: proxy,
            _server: server,
        })
    }

    fn plan(&self, settings: &Settings) -> Plan<Op> {
        Plan::seeded(settings, client_ops)
    }

    fn op_name(op: &Op) -> &'static str {
        match op {
            Op::Store { .. } => "store",
            Op::Retrieve { .. } => "retrieve",
            Op::Update { .. } => "update",
        }
    }

    /// Deletes the variant's keys of this run, then zeroes the server's
    /// command statistics (`CONFIG RESETSTAT`; with `--redis-url` that
    /// resets them for every user of that server).
    fn fresh_state(&self, kind: VariantKind) -> Result<(), String> {
        let mut connection = self
            .direct
            .get_connection()
            .map_err(|err| format!("cannot connect to reset state: {err}"))?;
        let keys: Vec<String> = connection
            .scan_match::<_, String>(self.keys.pattern(kind))
            .map_err(|err| format!("cannot list keys: {err}"))?
            .collect();
        for key in keys.chunks(512) {
            redis::cmd("DEL")
                .arg(key)
                .exec(&mut connection)
                .map_err(|err| format!("cannot delete keys: {err}"))?;
        }
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .exec(&mut connection)
            .map_err(|err| format!("CONFIG RESETSTAT: {err}"))
    }

    /// The commands the server executed since `reset_effects`, from its own
    /// `INFO commandstats`, minus the `INFO` that reads them and the
    /// handshake of the connection that asks.
    fn effects(&self, _kind: VariantKind) -> Result<Effects, String> {
        let mut connection = self
            .direct
            .get_connection()
            .map_err(|err| format!("cannot connect to read stats: {err}"))?;
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(&mut connection)
            .map_err(|err| format!("INFO commandstats: {err}"))?;
        Ok(Effects {
            redis_commands: command_calls(&info),
            ..Effects::default()
        })
    }

    fn check(
        &self,
        kind: VariantKind,
        plan: &Plan<Op>,
        completed: &Completed<Outcome>,
    ) -> Result<String, String> {
        let mut connection = self
            .direct
            .get_connection()
            .map_err(|err| format!("cannot connect for the check: {err}"))?;
        let mut documents = 0;
        for (index, outcomes) in completed.clients.iter().enumerate() {
            let expected = replay(&plan.clients[index], outcomes)
                .map_err(|err| format!("client {index}: {err}"))?;
            for (doc, document) in &expected {
                let key = self.keys.key(kind, index as u64, *doc);
                let (raw, ttl): (Option<String>, i64) = redis::pipe()
                    .get(&key)
                    .ttl(&key)
                    .query(&mut connection)
                    .map_err(|err| format!("cannot read {key}: {err}"))?;
                let raw = raw.ok_or_else(|| format!("acknowledged document {key} is missing"))?;
                let stored: Document =
                    serde_json::from_str(&raw).map_err(|err| format!("{key}: {err}"))?;
                if stored != *document {
                    return Err(format!(
                        "{key} holds {} turns, expected {}",
                        stored.turns.len(),
                        document.turns.len()
                    ));
                }
                if ttl <= 0 {
                    return Err(format!("{key} lost its TTL"));
                }
                documents += 1;
            }
        }
        Ok(format!(
            "{documents} documents read back with their TTL, every answer matches"
        ))
    }
}

/// Replays a client's completed operations against a model and checks every
/// answer; returns the documents that must now be in Redis.
fn replay(
    ops: &[Op],
    outcomes: &[Result<Outcome, String>],
) -> Result<HashMap<u64, Document>, String> {
    let mut model: HashMap<u64, Document> = HashMap::new();
    for (op, outcome) in ops.iter().zip(outcomes) {
        let outcome = outcome.as_ref().map_err(Clone::clone)?;
        let expected = match op {
            Op::Store { doc, document, .. } => {
                model.insert(*doc, document.clone());
                Outcome::Stored
            }
            Op::Retrieve { doc, .. } => match model.get(doc) {
                Some(document) => Outcome::Document {
                    turns: document.turns.len(),
                    bytes: serialized_len(document),
                },
                None => Outcome::Missing,
            },
            Op::Update { doc, turn, .. } => match model.get_mut(doc) {
                Some(document) => {
                    document.turns.push(turn.clone());
                    Outcome::Updated {
                        turns: document.turns.len(),
                    }
                }
                None => Outcome::Missing,
            },
        };
        if *outcome != expected {
            return Err(format!(
                "{op:?} answered {outcome:?}, expected {expected:?}"
            ));
        }
    }
    Ok(model)
}

/// A latency proxy in front of `server`'s TCP address. Sync.
fn start_proxy(server: &redis::Client, delay: std::time::Duration) -> Result<LatencyProxy, String> {
    use std::net::ToSocketAddrs;
    let redis::ConnectionAddr::Tcp(host, port) = &server.get_connection_info().addr else {
        return Err("--io-latency needs a Redis reached over plain TCP".to_string());
    };
    let upstream = (host.as_str(), *port)
        .to_socket_addrs()
        .map_err(|err| format!("cannot resolve {host}:{port}: {err}"))?
        .next()
        .ok_or_else(|| format!("{host}:{port} has no address"))?;
    LatencyProxy::start(upstream, delay)
        .map_err(|err| format!("cannot start the latency proxy: {err}"))
}

/// Calls per command from `INFO commandstats` text
/// (`cmdstat_get:calls=12,usec=...`); subcommands keep their `|` form
/// (`client|setinfo`). The `config|resetstat` and `info` of the harness's own
/// bookkeeping are left out.
pub fn command_calls(info: &str) -> BTreeMap<String, u64> {
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = stats
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))?
                .parse()
                .ok()?;
            Some((name.to_string(), calls))
        })
        .filter(|(name, _)| name != "info" && name != "config|resetstat")
        .collect()
}

fn serialized_len(document: &Document) -> usize {
    serde_json::to_string(document).map_or(0, |json| json.len())
}

/// One conversation's seeded sequence: every document is stored first, then
/// 15% stores, 50% retrieves, 35% updates.
fn client_ops(seed: u64, conversation: u64, count: usize) -> Vec<Op> {
    let mut rng = Rng::derive(seed ^ 0x5752_4b4d, conversation);
    (0..count as u64)
        .map(|index| {
            let doc = if index < DOCS { index } else { rng.below(DOCS) };
            let roll = rng.below(100);
            if index < DOCS || roll < 15 {
                // Odd documents are the large ones (over 10 KB).
                let turns = if doc % 2 == 1 {
                    rng.between(60, 120)
                } else {
                    rng.between(2, 8)
                };
                let document = Document {
                    conversation,
                    turns: (0..turns).map(|_| turn(&mut rng)).collect(),
                };
                Op::Store {
                    conversation,
                    doc,
                    document,
                }
            } else if roll < 65 {
                Op::Retrieve { conversation, doc }
            } else {
                Op::Update {
                    conversation,
                    doc,
                    turn: turn(&mut rng),
                }
            }
        })
        .collect()
}

fn turn(rng: &mut Rng) -> Turn {
    let role = if rng.percent(50) { "user" } else { "assistant" };
    let words = rng.between(10, 40);
    Turn {
        role: role.to_string(),
        text: seed::text(rng, words),
    }
}

/// Applies an update to a parsed document and returns the new turn count.
pub fn append_turn(document: &mut Document, turn: Turn) -> usize {
    document.turns.push(turn);
    document.turns.len()
}
