//! What a good async design adds on top of `fixed`: no thread and no
//! runtime per search. The producer is a task on the caller's own runtime
//! (`tokio::spawn` inside `search`), and the caller consumes its stream
//! directly under `tokio::time::timeout`; dropping the stream on timeout
//! tells the producer to stop. Same producer, same answers as `fixed`.

use std::sync::Arc;

use tokio_stream::StreamExt;

use super::{End, Graph, MemoryStream, Op, Outcome, TIMEOUT, search};
use crate::workload::Variant;

/// The optimized variant of `memory-stream`.
pub struct OptimizedMemoryStream {
    graph: Arc<Graph>,
}

impl Variant<MemoryStream> for OptimizedMemoryStream {
    async fn open(workload: &MemoryStream) -> Result<Self, String> {
        Ok(OptimizedMemoryStream {
            graph: workload.graph(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Search {
            query,
            limit,
            upstream,
        } = op;
        let mut stream = search(Arc::clone(&self.graph), query, limit, upstream);
        let mut ids = Vec::new();
        let collect = async {
            while ids.len() < limit {
                match stream.next().await {
                    Some(Ok(node)) => ids.push(node.id),
                    Some(Err(error)) => return End::Failed(error.to_string()),
                    None => return End::Closed,
                }
            }
            End::Limit
        };
        let end = tokio::time::timeout(TIMEOUT, collect)
            .await
            .unwrap_or(End::TimedOut);
        Ok(Outcome { ids, end })
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}
