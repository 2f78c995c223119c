//! Task names for the watchdog.
//!
//! tokio's poll hooks give a task's id and spawn location but not its name.
//! Names given to [`Monitor::spawn_named`](crate::Monitor::spawn_named) are
//! interned into a [`NameTable`] (one entry per distinct name, never freed,
//! like the per-name `TaskMonitor`s), and the task's future is wrapped in
//! [`Named`], which on every poll stores the name's index into the polling
//! thread's watchdog slot: one thread-local access and one relaxed store,
//! no lock and no allocation per task or per poll. The before-poll hook
//! clears the index, so a poll of an unnamed task never shows a stale name.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use crate::lag::lock;

/// Index 0 means "no name".
pub(crate) const UNNAMED: u32 = 0;

#[derive(Debug, Default)]
pub(crate) struct NameTable {
    inner: Mutex<Interned>,
}

#[derive(Debug, Default)]
struct Interned {
    by_name: HashMap<Arc<str>, u32>,
    /// `names[i - 1]` is the name with index `i`.
    names: Vec<Arc<str>>,
}

impl NameTable {
    pub(crate) fn intern(&self, name: &str) -> u32 {
        let mut interned = lock(&self.inner);
        if let Some(&index) = interned.by_name.get(name) {
            return index;
        }
        let name: Arc<str> = Arc::from(name);
        interned.names.push(Arc::clone(&name));
        let index = u32::try_from(interned.names.len()).unwrap_or(u32::MAX);
        interned.by_name.insert(name, index);
        index
    }

    pub(crate) fn get(&self, index: u32) -> Option<Arc<str>> {
        let slot = usize::try_from(index).ok()?.checked_sub(1)?;
        lock(&self.inner).names.get(slot).cloned()
    }
}

/// Wraps a task's future so the watchdog knows whose poll it is watching.
pub(crate) struct Named<F> {
    inner: F,
    name: u32,
}

impl<F> Named<F> {
    pub(crate) fn new(inner: F, name: u32) -> Self {
        Self { inner, name }
    }
}

impl<F: Future> Future for Named<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of `inner` only: it is never moved out
        // of `self`; `name` is a plain integer and is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        crate::watchdog::publish_task_name(this.name);
        // SAFETY: see above; `inner` stays where it is for the future's life.
        unsafe { Pin::new_unchecked(&mut this.inner) }.poll(cx)
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
    fn names_are_interned_once_and_zero_is_unnamed() {
        let table = super::NameTable::default();
        let a = table.intern("a");
        assert_eq!(table.intern("b"), a + 1);
        assert_eq!(table.intern("a"), a);
        assert_eq!(table.get(a).as_deref(), Some("a"));
        assert_eq!(table.get(super::UNNAMED), None);
    }

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
