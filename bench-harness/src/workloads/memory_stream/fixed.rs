//! The standard cure: the producer is a tokio task (`tokio::spawn` inside
//! `search`), nodes arrive through a tokio channel, and the caller awaits
//! them under `tokio::time::timeout`. Waiting costs the executor nothing, and
//! dropping the stream on timeout tells the producer to stop.

use std::sync::Arc;

use tokio_stream::StreamExt;

use super::{End, Graph, MemoryStream, Op, Outcome, TIMEOUT, search};
use crate::workload::Variant;

/// The fixed variant of `memory-stream`.
pub struct FixedMemoryStream {
    graph: Arc<Graph>,
}

impl Variant<MemoryStream> for FixedMemoryStream {
    async fn open(workload: &MemoryStream) -> Result<Self, String> {
        Ok(FixedMemoryStream {
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
