//! What a good async design adds on top of `fixed`: one multiplexed async
//! connection (`ConnectionManager`, reconnecting, shared by every task)
//! instead of a connection per call, and JSON over 10 KB parsed and
//! serialised on the blocking pool instead of inline. The same commands
//! (`GET`, `SETEX`) with the same keys and values as `fixed`, minus the
//! per-connection handshake.

use std::sync::Arc;

use redis::AsyncCommands;
use redis::aio::ConnectionManager;

use super::{
    Document, KeySpace, LARGE_PAYLOAD, Op, Outcome, TTL_SECONDS, WorkingMemory, append_turn,
};
use crate::workload::{Variant, VariantKind};

/// The optimized variant of `working-memory`.
pub struct OptimizedWorkingMemory {
    connection: ConnectionManager,
    keys: KeySpace,
}

impl Variant<WorkingMemory> for OptimizedWorkingMemory {
    async fn open(workload: &WorkingMemory) -> Result<Self, String> {
        let client = workload.client();
        let connection = ConnectionManager::new(client)
            .await
            .map_err(|err| err.to_string())?;
        Ok(OptimizedWorkingMemory {
            connection,
            keys: workload.keys(),
        })
    }

    async fn execute(self: Arc<Self>, op: Op) -> Result<Outcome, String> {
        let mut connection = self.connection.clone();
        match op {
            Op::Store {
                conversation,
                doc,
                document,
            } => {
                let key = self.keys.key(VariantKind::Optimized, conversation, doc);
                let json = serialize(document).await?;
                let () = connection
                    .set_ex(&key, json, TTL_SECONDS)
                    .await
                    .map_err(|err| err.to_string())?;
                Ok(Outcome::Stored)
            }
            Op::Retrieve { conversation, doc } => {
                let key = self.keys.key(VariantKind::Optimized, conversation, doc);
                let raw: Option<String> =
                    connection.get(&key).await.map_err(|err| err.to_string())?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let bytes = raw.len();
                let document = parse(raw).await?;
                Ok(Outcome::Document {
                    turns: document.turns.len(),
                    bytes,
                })
            }
            Op::Update {
                conversation,
                doc,
                turn,
            } => {
                let key = self.keys.key(VariantKind::Optimized, conversation, doc);
                let raw: Option<String> =
                    connection.get(&key).await.map_err(|err| err.to_string())?;
                let Some(raw) = raw else {
                    return Ok(Outcome::Missing);
                };
                let mut document = parse(raw).await?;
                let turns = append_turn(&mut document, turn);
                let json = serialize(document).await?;
                let () = connection
                    .set_ex(&key, json, TTL_SECONDS)
                    .await
                    .map_err(|err| err.to_string())?;
                Ok(Outcome::Updated { turns })
            }
        }
    }

    async fn close(self: Arc<Self>) -> Result<(), String> {
        Ok(())
    }
}

/// Parses inline when small, on the blocking pool when over `LARGE_PAYLOAD`.
async fn parse(raw: String) -> Result<Document, String> {
    if raw.len() <= LARGE_PAYLOAD {
        return serde_json::from_str(&raw).map_err(|err| err.to_string());
    }
    tokio::task::spawn_blocking(move || serde_json::from_str(&raw))
        .await
        .map_err(|err| err.to_string())?
        .map_err(|err| err.to_string())
}

/// Serialises inline when small, on the blocking pool when large.
async fn serialize(document: Document) -> Result<String, String> {
    let large = document
        .turns
        .iter()
        .map(|turn| turn.text.len())
        .sum::<usize>()
        > LARGE_PAYLOAD;
    if !large {
        return serde_json::to_string(&document).map_err(|err| err.to_string());
    }
    tokio::task::spawn_blocking(move || serde_json::to_string(&document))
        .await
        .map_err(|err| err.to_string())?
        .map_err(|err| err.to_string())
}
