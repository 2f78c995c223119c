//! The one change a reviewer would ask for in `blocking`: the synchronous
//! `redis` client becomes its async twin. Each call still opens its own
//! connection (`get_multiplexed_async_connection`, used once), sends the same
//! commands with the same keys and values, and parses and serialises JSON
//! inline exactly as `blocking` does; the executor is free while a round
//! trip is in flight. Compare `optimized` for one shared multiplexed
//! connection and large JSON off the executor.

use std::error::Error;
use std::sync::Arc;

use redis::AsyncCommands;

use super::{Document, KeySpace, Op, Outcome, TTL_SECONDS, WorkingMemory, append_turn};
use crate::workload::{Variant, VariantKind};

/// Any error of a round trip (redis or JSON), converted by `?`.
type AnyError = Box<dyn Error + Send + Sync>;

/// The fixed variant of `working-memory`.
#[derive(Debug)]
pub struct FixedWorkingMemory {
    client: redis::Client,
    keys: KeySpace,
}

impl Variant<WorkingMemory> for FixedWorkingMemory {
    async fn open(workload: &WorkingMemory) -> Result<Self, String> {
        Ok(FixedWorkingMemory {
            client: workload.client(),
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

impl FixedWorkingMemory {
    async fn round_trip(&self, op: Op) -> Result<Outcome, AnyError> {
        let mut connection = self.client.get_multiplexed_async_connection().await?;
        match op {
            Op::Store {
                conversation,
                doc,
                document,
            } => {
                let key = self.keys.key(VariantKind::Fixed, conversation, doc);
                let json = serde_json::to_string(&document)?;
                let () = connection.set_ex(&key, json, TTL_SECONDS).await?;
                Ok(Outcome::Stored)
            }
            Op::Retrieve { conversation, doc } => {
                let key = self.keys.key(VariantKind::Fixed, conversation, doc);
                let raw: Option<String> = connection.get(&key).await?;
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
                let key = self.keys.key(VariantKind::Fixed, conversation, doc);
                let raw: Option<String> = connection.get(&key).await?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let mut document: Document = serde_json::from_str(&raw)?;
                let turns = append_turn(&mut document, turn);
                let json = serde_json::to_string(&document)?;
                let () = connection.set_ex(&key, json, TTL_SECONDS).await?;
                Ok(Outcome::Updated { turns })
            }
        }
    }
}
