//! The one change a reviewer would ask for in `blocking`: the wait. The
//! caller still starts an OS thread that builds its own runtime and
//! `block_on`s the stream, exactly as `blocking` does, but the nodes come
//! back through a tokio channel that the caller awaits under
//! `tokio::time::timeout` instead of `std::sync::mpsc::Receiver::recv_timeout`,
//! so a stalled upstream costs the executor nothing. Compare `optimized` for
//! dropping the thread and runtime per search.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
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
        // Unbounded like the blocking variant's std channel.
        let (items, mut received) = mpsc::unbounded_channel();
        // Dropping `_cancel` tells the thread the caller has given up.
        let (_cancel, cancelled) = oneshot::channel::<()>();
        let graph = Arc::clone(&self.graph);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("stream runtime");
            runtime.block_on(async move {
                let mut stream = search(graph, query, limit, upstream);
                tokio::pin!(cancelled);
                loop {
                    tokio::select! {
                        item = stream.next() => {
                            let Some(item) = item else { break };
                            if items.send(item).is_err() {
                                break;
                            }
                        }
                        _ = &mut cancelled => break,
                    }
                }
            });
        });
        let mut ids = Vec::new();
        let collect = async {
            while ids.len() < limit {
                match received.recv().await {
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
