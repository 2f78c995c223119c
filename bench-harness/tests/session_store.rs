//! The session store's lock, durability and cache rules, in every variant.

mod common;

use std::sync::Arc;
use std::time::Duration;

use std::path::Path;

use stallcheck_bench::workload::{Settings, Variant, VariantKind};
use stallcheck_bench::workloads::session_store::blocking::BlockingSessionStore;
use stallcheck_bench::workloads::session_store::fixed::FixedSessionStore;
use stallcheck_bench::workloads::session_store::optimized::OptimizedSessionStore;
use stallcheck_bench::workloads::session_store::{
    Contention, METADATA_TTL, MetadataCache, Op, Outcome, Session, SessionStore, acquire_lock,
    lock_timeout_error, session_path,
};

type Outcomes = Vec<Result<Outcome, String>>;

fn session(version: u64) -> Session {
    Session {
        id: "session-test".to_string(),
        user: 1,
        version,
        messages: vec!["hello".to_string(); 3],
    }
}

fn execute<V: Variant<SessionStore>>(
    store: &SessionStore,
    ops: Vec<Op>,
) -> Vec<Result<Outcome, String>> {
    common::runtime().block_on(async {
        let variant = Arc::new(V::open(store).await.unwrap());
        let mut outcomes = Vec::new();
        for op in ops {
            outcomes.push(Arc::clone(&variant).execute(op).await);
        }
        outcomes
    })
}

fn store(dir: &Path) -> SessionStore {
    SessionStore::at(dir.to_path_buf(), &Settings::small(dir.to_path_buf(), 1, 1)).unwrap()
}

fn run(kind: VariantKind, store: &SessionStore, ops: Vec<Op>) -> Outcomes {
    match kind {
        VariantKind::Blocking => execute::<BlockingSessionStore>(store, ops),
        VariantKind::Fixed => execute::<FixedSessionStore>(store, ops),
        VariantKind::Optimized => execute::<OptimizedSessionStore>(store, ops),
    }
}

/// Runs `ops` in every variant; asserts they answered alike; the answers.
fn all(store: &SessionStore, ops: Vec<Op>) -> Outcomes {
    let blocking = run(VariantKind::Blocking, store, ops.clone());
    for kind in [VariantKind::Fixed, VariantKind::Optimized] {
        assert_eq!(run(kind, store, ops.clone()), blocking, "{kind:?}");
    }
    blocking
}

fn lock(dir: &Path, id: &str) -> Result<std::fs::File, String> {
    acquire_lock(dir, id, Duration::ZERO, &Contention::default())
}

#[test]
fn a_save_waits_out_a_held_lock_and_fails_with_a_timeout_in_every_variant() {
    let scratch = tempfile::tempdir().unwrap();
    let store = store(scratch.path());
    let held: Vec<_> = VariantKind::ALL
        .iter()
        .map(|kind| lock(&store.dir(*kind), "session-test").unwrap())
        .collect();
    let outcomes = all(
        &store,
        vec![Op::Save {
            session: session(1),
        }],
    );
    assert_eq!(outcomes, vec![Err(lock_timeout_error("session-test"))]);
    for kind in VariantKind::ALL {
        assert!(
            !session_path(&store.dir(kind), "session-test").exists(),
            "nothing written without the lock"
        );
    }
    drop(held);
}

#[test]
fn a_lock_released_during_the_retries_lets_the_save_through() {
    let scratch = tempfile::tempdir().unwrap();
    let store = store(scratch.path());
    for kind in VariantKind::ALL {
        let lock = lock(&store.dir(kind), "session-test").unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(lock);
        });
        let ops = vec![
            Op::Save {
                session: session(1),
            },
            Op::Load {
                id: "session-test".to_string(),
            },
        ];
        let outcomes = run(kind, &store, ops);
        releaser.join().unwrap();
        assert!(
            matches!(outcomes[0], Ok(Outcome::Saved { bytes }) if bytes > 0),
            "{kind:?}: {outcomes:?}"
        );
        assert_eq!(
            outcomes[1],
            Ok(Outcome::Loaded {
                version: 1,
                messages: 3
            }),
            "{kind:?}"
        );
    }
}

#[test]
fn a_lock_held_elsewhere_is_not_taken_with_a_zero_timeout() {
    let scratch = tempfile::tempdir().unwrap();
    let _held = lock(scratch.path(), "s").unwrap();
    assert_eq!(
        lock(scratch.path(), "s").unwrap_err(),
        lock_timeout_error("s")
    );
}

#[test]
fn stat_after_a_save_reports_the_new_size_not_the_cached_one() {
    let scratch = tempfile::tempdir().unwrap();
    let store = store(scratch.path());
    let mut bigger = session(2);
    bigger
        .messages
        .push("a much longer message than the others".to_string());
    let id = "session-test".to_string();
    let ops = vec![
        Op::Stat { id: id.clone() },
        Op::Save {
            session: session(1),
        },
        Op::Stat { id: id.clone() },
        Op::Save { session: bigger },
        Op::Stat { id },
    ];
    let blocking = all(&store, ops);
    assert_eq!(blocking[0], Ok(Outcome::Missing));
    let size = |outcome: &Result<Outcome, String>| match outcome {
        Ok(Outcome::Stat { bytes }) | Ok(Outcome::Saved { bytes }) => *bytes,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(size(&blocking[2]), size(&blocking[1]));
    assert_eq!(size(&blocking[4]), size(&blocking[3]));
    assert!(size(&blocking[4]) > size(&blocking[2]));
}

#[test]
fn cached_metadata_expires_after_its_ttl() {
    let mut cache = MetadataCache::default();
    cache.put("s", 42);
    assert_eq!(cache.fresh("s"), Some(42));
    std::thread::sleep(METADATA_TTL + Duration::from_millis(20));
    assert_eq!(cache.fresh("s"), None);
}
