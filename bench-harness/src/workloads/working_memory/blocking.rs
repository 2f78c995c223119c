//! Working memory as it is often first written: the synchronous `redis`
//! client called from the async handler, a new TCP connection per call, and
//! JSON of any size parsed inline. Every round trip parks the executor thread
//! in a socket read.

use std::sync::Arc;

use redis::Commands;

use super::{Document, KeySpace, Op, Outcome, TTL_SECONDS, WorkingMemory, append_turn};
use crate::workload::{Variant, VariantKind};

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
        let client = redis::Client::open(self.url.as_str()).map_err(|err| err.to_string())?;
        let mut connection = client.get_connection().map_err(|err| err.to_string())?;
        match op {
            Op::Store {
                conversation,
                doc,
                document,
            } => {
                let key = self.keys.key(VariantKind::Blocking, conversation, doc);
                let json = serde_json::to_string(&document).map_err(|err| err.to_string())?;
                let () = connection
                    .set_ex(&key, json, TTL_SECONDS)
                    .map_err(|err| err.to_string())?;
                Ok(Outcome::Stored)
            }
            Op::Retrieve { conversation, doc } => {
                let key = self.keys.key(VariantKind::Blocking, conversation, doc);
                let raw: Option<String> = connection.get(&key).map_err(|err| err.to_string())?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let document: Document =
                    serde_json::from_str(&raw).map_err(|err| err.to_string())?;
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
                let raw: Option<String> = connection.get(&key).map_err(|err| err.to_string())?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let mut document: Document =
                    serde_json::from_str(&raw).map_err(|err| err.to_string())?;
                let turns = append_turn(&mut document, turn);
                let json = serde_json::to_string(&document).map_err(|err| err.to_string())?;
                let () = connection
                    .set_ex(&key, json, TTL_SECONDS)
                    .map_err(|err| err.to_string())?;
                Ok(Outcome::Updated { turns })
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}
