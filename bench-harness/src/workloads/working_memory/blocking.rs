//! Working memory as it is often first written: the synchronous `redis`
//! client called from the async handler, a new TCP connection per call, and
//! JSON of any size parsed inline. Every round trip parks the executor thread
//! in a socket read.

use std::error::Error;
use std::sync::Arc;

use redis::Commands;

use super::{Document, KeySpace, Op, Outcome, TTL_SECONDS, WorkingMemory, append_turn};
use crate::workload::{Variant, VariantKind};

/// Any error of a round trip (redis or JSON), converted by `?`.
type AnyError = Box<dyn Error + Send + Sync>;

/// The blocking variant of `working-memory`.
#[derive(Debug)]
pub struct BlockingWorkingMemory {
    url: String,
    keys: KeySpace,
}

impl Variant<WorkingMemory> for BlockingWorkingMemory {
    async fn open(workload: &WorkingMemory) -> Result<Self, String> {
        Ok(BlockingWorkingMemory {
            url: workload.url().to_string(),
            keys: workload.keys(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        self.round_trip(op).await.map_err(|err| err.to_string())
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}

impl BlockingWorkingMemory {
    async fn round_trip(&self, op: Op) -> Result<Outcome, AnyError> {
        let client = redis::Client::open(self.url.as_str())?;
        let mut connection = client.get_connection()?;
        match op {
            Op::Store {
                conversation,
                doc,
                document,
            } => {
                let key = self.keys.key(VariantKind::Blocking, conversation, doc);
                let json = serde_json::to_string(&document)?;
                let () = connection.set_ex(&key, json, TTL_SECONDS)?;
                Ok(Outcome::Stored)
            }
            Op::Retrieve { conversation, doc } => {
                let key = self.keys.key(VariantKind::Blocking, conversation, doc);
                let raw: Option<String> = connection.get(&key)?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let document: Document = serde_json::from_str(&raw)?;
                Ok(Outcome::Document {
                    turns: document.turns.len(),
                    bytes: raw.len(),
                })
            }
            Op::Update {
                conversation,
                doc,
                turn,
            } => {
                let key = self.keys.key(VariantKind::Blocking, conversation, doc);
                let raw: Option<String> = connection.get(&key)?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let mut document: Document = serde_json::from_str(&raw)?;
                let turns = append_turn(&mut document, turn);
                let json = serde_json::to_string(&document)?;
                let () = connection.set_ex(&key, json, TTL_SECONDS)?;
                Ok(Outcome::Updated { turns })
            }
        }
    }
}
