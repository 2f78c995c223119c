//! Task names by task id, for the watchdog.
//!
//! tokio's poll hooks give a task's id and spawn location but not its name,
//! so tasks spawned through [`Monitor::spawn_named`](crate::Monitor::spawn_named)
//! register their name on their first poll (before any user code runs) and
//! remove it when the task's future is dropped. The map therefore holds only
//! live named tasks.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::lag::lock;

/// Shards of the id → name map: tasks start and end on every worker, and one
/// lock would make them queue behind each other.
const SHARDS: usize = 32;

#[derive(Debug)]
pub(crate) struct TaskNames {
    shards: [Mutex<HashMap<u64, Arc<str>>>; SHARDS],
}

impl Default for TaskNames {
    fn default() -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
        }
    }
}

impl TaskNames {
    fn shard(&self, task_id: u64) -> &Mutex<HashMap<u64, Arc<str>>> {
        // Task ids are sequential, so the low bits spread evenly.
        &self.shards[(task_id % SHARDS as u64) as usize]
    }

    pub(crate) fn get(&self, task_id: u64) -> Option<Arc<str>> {
        lock(self.shard(task_id)).get(&task_id).cloned()
    }

    fn insert(&self, task_id: u64, name: Arc<str>) {
        lock(self.shard(task_id)).insert(task_id, name);
    }

    fn remove(&self, task_id: u64) {
        lock(self.shard(task_id)).remove(&task_id);
    }
}

/// Wraps a task's future so the task's name is known by id while it lives.
pub(crate) struct Named<F> {
    inner: F,
    name: Arc<str>,
    names: Arc<TaskNames>,
    registered: Option<u64>,
}

impl<F> Named<F> {
    pub(crate) fn new(inner: F, name: Arc<str>, names: Arc<TaskNames>) -> Self {
        Self {
            inner,
            name,
            names,
            registered: None,
        }
    }
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of `inner` only: it is never moved out
        // of `self` (not here, not in `Drop`); the other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if this.registered.is_none()
            && let Some(id) = tokio::task::try_id()
        {
            let id = task_id_u64(id);
            this.names.insert(id, Arc::clone(&this.name));
            this.registered = Some(id);
        }
        // SAFETY: see above; `inner` stays where it is for the future's life.
        unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
    }
}

impl<F> Drop for Named<F> {
    fn drop(&mut self) {
        if let Some(id) = self.registered {
            self.names.remove(id);
        }
    }
}

/// The numeric value of a task id, cheaply.
///
/// `tokio::task::Id` exposes its number only through `Display` and `Hash`;
/// this runs in the poll hooks, so it captures the `u64` the id hashes
/// (`NonZeroU64::hash` writes exactly its value) instead of formatting.
pub(crate) fn task_id_u64(id: tokio::task::Id) -> u64 {
    struct Capture(u64);
    impl std::hash::Hasher for Capture {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            // Not reached for `Id`; fold the bytes so the result stays defined.
            for &b in bytes {
                self.0 = self.0.rotate_left(8) ^ u64::from(b);
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = n;
        }
    }
    let mut capture = Capture(0);
    std::hash::Hash::hash(&id, &mut capture);
    capture.0
}

#[cfg(test)]
mod tests {
    use super::task_id_u64;

    #[test]
    fn task_ids_convert_to_their_displayed_number() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let handle = tokio::spawn(async { tokio::task::id() });
            let id = handle.await.unwrap();
            assert_eq!(task_id_u64(id).to_string(), id.to_string());
        });
    }
}
