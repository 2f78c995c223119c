//! Workload 4, `memory-stream`: a search returns a `Stream` of memory nodes
//! fed by a producer task through a tokio channel; the caller collects up to
//! `limit` nodes within a timeout.
//!
//! The seeded mix includes the upstream failures a caller must handle: a
//! producer that stalls (the caller times out), one that closes the channel
//! early, and one that yields an error. Both variants must end every search
//! the same way with the same nodes.

pub mod blocking;
pub mod fixed;
pub mod optimized;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::embed::{self, Embedding};
use crate::seed::{self, Rng};
use crate::workload::{Completed, Plan, Settings, Unprepared, VariantKind, Workload};

/// How long a caller waits for its nodes. Healthy searches finish in
/// milliseconds even on a loaded 2-core machine; only stalled producers hit it.
pub const TIMEOUT: Duration = Duration::from_millis(250);

/// Nodes a search asks for.
pub const LIMIT: usize = 10;

/// Memory nodes in the graph.
const NODES: u64 = 1_000;

/// Items buffered between producer and consumer.
const CHANNEL: usize = 4;

/// The workload: the memory graph every search ranks.
#[derive(Debug)]
pub struct MemoryStream {
    graph: Arc<Graph>,
}

/// Memory nodes with their embeddings, built during set-up.
#[derive(Debug)]
pub struct Graph {
    nodes: Vec<(u64, Embedding)>,
    /// Bounds concurrent rankings on the blocking pool (see `embed::cpu_permits`).
    cpu: Semaphore,
}

/// One node a search yields.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: u64,
    pub score: f32,
}

/// How the upstream behind a search behaves (seeded, identical in both variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// Yields `limit` nodes.
    Healthy,
    /// Yields `after` nodes, then never another: the caller's timeout fires.
    Stalls { after: usize },
    /// Yields `after` nodes, then closes the channel.
    Closes { after: usize },
    /// Yields `after` nodes, then an error.
    Fails { after: usize },
}

/// An error item of the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError(pub String);

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "upstream failed: {}", self.0)
    }
}

#[derive(Clone, Debug)]
pub enum Op {
    Search {
        query: String,
        limit: usize,
        upstream: Upstream,
    },
}

/// How a collection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// `limit` nodes arrived.
    Limit,
    /// The channel closed before `limit` nodes.
    Closed,
    /// The timeout fired first.
    TimedOut,
    /// The stream yielded an error.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub ids: Vec<u64>,
    pub end: End,
}

impl MemoryStream {
    /// A workload over a fresh graph (the seed picks the node texts); at
    /// most `cpu_permits` rankings run at once.
    pub fn new(seed: u64, cpu_permits: usize) -> MemoryStream {
        let mut rng = Rng::derive(seed ^ 0x4d45_4d53, 0);
        let nodes = (0..NODES)
            .map(|id| {
                let words = rng.between(30, 60);
                (id, embed::embed(&seed::text(&mut rng, words)))
            })
            .collect();
        MemoryStream {
            graph: Arc::new(Graph {
                nodes,
                cpu: Semaphore::new(cpu_permits.max(1)),
            }),
        }
    }

    pub fn graph(&self) -> Arc<Graph> {
        Arc::clone(&self.graph)
    }
}

impl Graph {
    /// The `limit` best nodes for `query`, best first (CPU: embed + scan).
    pub fn rank(&self, query: &str, limit: usize) -> Vec<Node> {
        let vector = embed::embed(query);
        let mut scored: Vec<Node> = self
            .nodes
            .iter()
            .map(|(id, node)| Node {
                id: *id,
                score: embed::similarity(&vector, node),
            })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        scored.truncate(limit);
        scored
    }
}

/// Starts a search: spawns the producer on the current runtime and returns
/// the stream of its nodes.
pub fn search(
    graph: Arc<Graph>,
    query: String,
    limit: usize,
    upstream: Upstream,
) -> ReceiverStream<Result<Node, StreamError>> {
    let (sender, receiver) = mpsc::channel(CHANNEL);
    tokio::spawn(produce(graph, query, limit, upstream, sender));
    ReceiverStream::new(receiver)
}

/// The producer: ranks on the blocking pool, then sends nodes until the
/// upstream behaviour says otherwise or the consumer goes away.
async fn produce(
    graph: Arc<Graph>,
    query: String,
    limit: usize,
    upstream: Upstream,
    sender: mpsc::Sender<Result<Node, StreamError>>,
) {
    let ranked = {
        let Ok(_permit) = graph.cpu.acquire().await else {
            return;
        };
        let ranking = Arc::clone(&graph);
        tokio::task::spawn_blocking(move || ranking.rank(&query, limit)).await
    };
    let Ok(ranked) = ranked else {
        let _ = sender
            .send(Err(StreamError("ranking panicked".to_string())))
            .await;
        return;
    };
    for (index, node) in ranked.into_iter().enumerate() {
        match upstream {
            Upstream::Stalls { after } if index == after => {
                // Hold the channel open, sending nothing, until the caller gives up.
                sender.closed().await;
                return;
            }
            Upstream::Closes { after } if index == after => return,
            Upstream::Fails { after } if index == after => {
                let _ = sender
                    .send(Err(StreamError(format!("node {} unavailable", node.id))))
                    .await;
                return;
            }
            _ => {}
        }
        if sender.send(Ok(node)).await.is_err() {
            return;
        }
    }
}

/// The outcome a correct caller must see for `op`.
pub fn expected(graph: &Graph, op: &Op) -> Outcome {
    let Op::Search {
        query,
        limit,
        upstream,
    } = op;
    let ranked = graph.rank(query, *limit);
    let ids = |count: usize| ranked.iter().take(count).map(|node| node.id).collect();
    match *upstream {
        Upstream::Healthy => Outcome {
            ids: ids(*limit),
            end: End::Limit,
        },
        Upstream::Stalls { after } => Outcome {
            ids: ids(after),
            end: End::TimedOut,
        },
        Upstream::Closes { after } => Outcome {
            ids: ids(after),
            end: End::Closed,
        },
        Upstream::Fails { after } => Outcome {
            ids: ids(after),
            end: End::Failed(
                StreamError(format!("node {} unavailable", ranked[after].id)).to_string(),
            ),
        },
    }
}

impl Workload for MemoryStream {
    const NAME: &'static str = "memory-stream";
    const DEFAULT_OPS: usize = 6_400;

    type Op = Op;
    type Outcome = Outcome;
    type Blocking = blocking::BlockingMemoryStream;
    type Fixed = fixed::FixedMemoryStream;
    type Optimized = optimized::OptimizedMemoryStream;

    fn prepare(settings: &Settings) -> Result<Self, Unprepared> {
        Ok(MemoryStream::new(settings.seed, settings.cpu_permits))
    }

    fn plan(&self, settings: &Settings) -> Plan<Op> {
        Plan::seeded(settings, |seed, client, count| {
            let mut rng = Rng::derive(seed ^ 0x5354_524d, client);
            (0..count).map(|_| search_op(&mut rng)).collect()
        })
    }

    fn op_name(op: &Op) -> &'static str {
        match op {
            Op::Search {
                upstream: Upstream::Healthy,
                ..
            } => "search",
            Op::Search {
                upstream: Upstream::Stalls { .. },
                ..
            } => "search-stalled",
            Op::Search {
                upstream: Upstream::Closes { .. },
                ..
            } => "search-closed",
            Op::Search {
                upstream: Upstream::Fails { .. },
                ..
            } => "search-failed",
        }
    }

    fn check(
        &self,
        _kind: VariantKind,
        plan: &Plan<Op>,
        completed: &Completed<Outcome>,
    ) -> Result<String, String> {
        let (mut checked, mut early_timeouts) = (0, 0);
        for (client, outcomes) in completed.clients.iter().enumerate() {
            for (op, outcome) in plan.clients[client].iter().zip(outcomes) {
                let outcome = outcome
                    .as_ref()
                    .map_err(|err| format!("client {client}: {err}"))?;
                let expected = expected(&self.graph, op);
                if *outcome != expected {
                    if !timed_out_early(&expected, outcome) {
                        return Err(format!(
                            "client {client}: {op:?} gave {outcome:?}, expected {expected:?}"
                        ));
                    }
                    early_timeouts += 1;
                }
                checked += 1;
            }
        }
        Ok(format!(
            "{checked} searches ended as expected (nodes, timeouts, closes, errors); \
             {early_timeouts} timed out early under load with a correct prefix"
        ))
    }

    fn same_outcome(a: &Outcome, b: &Outcome) -> bool {
        a == b || timed_out_early(a, b) || timed_out_early(b, a)
    }
}

/// Whether `actual` is what a correct caller sees when its timeout fires
/// before the upstream planned it to (a loaded machine): a timeout holding a
/// prefix of the expected nodes. Nothing is lost; the caller gave up.
fn timed_out_early(expected: &Outcome, actual: &Outcome) -> bool {
    actual.end == End::TimedOut && actual != expected && expected.ids.starts_with(&actual.ids)
}

/// 92% healthy searches; 3% closed early, 3% failing, 2% stalling.
fn search_op(rng: &mut Rng) -> Op {
    let words = rng.between(6, 16);
    let query = seed::text(rng, words);
    let after = rng.below(LIMIT as u64) as usize;
    let upstream = match rng.below(100) {
        0..=1 => Upstream::Stalls { after },
        2..=4 => Upstream::Closes { after },
        5..=7 => Upstream::Fails { after },
        _ => Upstream::Healthy,
    };
    Op::Search {
        query,
        limit: LIMIT,
        upstream,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(ids: &[u64], end: End) -> Outcome {
        Outcome {
            ids: ids.to_vec(),
            end,
        }
    }

    #[test]
    fn an_early_timeout_with_a_prefix_of_the_answer_is_accepted() {
        let expected = outcome(&[4, 2, 9], End::Limit);
        assert!(timed_out_early(&expected, &outcome(&[4, 2], End::TimedOut)));
        assert!(timed_out_early(&expected, &outcome(&[], End::TimedOut)));
        let planned_stall = outcome(&[4], End::TimedOut);
        assert!(
            timed_out_early(&planned_stall, &outcome(&[], End::TimedOut)),
            "the first node came too late"
        );
        assert!(MemoryStream::same_outcome(
            &outcome(&[4], End::TimedOut),
            &expected
        ));
    }

    #[test]
    fn wrong_nodes_or_a_wrong_ending_are_not_excused() {
        let expected = outcome(&[4, 2, 9], End::Limit);
        assert!(
            !timed_out_early(&expected, &outcome(&[2], End::TimedOut)),
            "not a prefix"
        );
        assert!(
            !timed_out_early(&expected, &outcome(&[4, 2], End::Closed)),
            "not a timeout"
        );
        assert!(
            !timed_out_early(&expected, &expected),
            "an exact answer is not an early timeout"
        );
    }
}
