//! Stream collection as it is often first written: the async caller starts
//! an OS thread that builds a runtime and `block_on`s the stream, then waits
//! for the nodes with `std::sync::mpsc::Receiver::recv_timeout`. The
//! executor thread sleeps in that wait: a stalled upstream freezes it for
//! the whole timeout.

use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Instant;

use tokio::sync::oneshot;
use tokio_stream::StreamExt;

use super::{End, Graph, MemoryStream, Op, Outcome, TIMEOUT, search};
use crate::workload::Variant;

/// The blocking variant of `memory-stream`.
pub struct BlockingMemoryStream {
    graph: Arc<Graph>,
}

impl Variant<MemoryStream> for BlockingMemoryStream {
    async fn open(workload: &MemoryStream) -> Result<Self, String> {
        Ok(BlockingMemoryStream {
            graph: workload.graph(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let Op::Search {
            query,
            limit,
            upstream,
        } = op;
        let (items, received) = mpsc::channel();
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
        let deadline = Instant::now() + TIMEOUT;
        let mut ids = Vec::new();
        let end = loop {
            if ids.len() == limit {
                break End::Limit;
            }
            match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(Ok(node)) => ids.push(node.id),
                Ok(Err(error)) => break End::Failed(error.to_string()),
                Err(RecvTimeoutError::Timeout) => break End::TimedOut,
                Err(RecvTimeoutError::Disconnected) => break End::Closed,
            }
        };
        Ok(Outcome { ids, end })
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}
