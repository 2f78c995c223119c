//! The session store's lock, durability and cache rules, in both variants.

mod common;

use std::sync::Arc;
use std::time::Duration;

use stallcheck_bench::workload::{Variant, VariantKind};
use stallcheck_bench::workloads::session_store::blocking::BlockingSessionStore;
use stallcheck_bench::workloads::session_store::fixed::FixedSessionStore;
use stallcheck_bench::workloads::session_store::{
    METADATA_TTL, MetadataCache, Op, Outcome, Session, SessionStore, acquire_lock,
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

fn both(store: &SessionStore, ops: Vec<Op>) -> (Outcomes, Outcomes) {
    (
        execute::<BlockingSessionStore>(store, ops.clone()),
        execute::<FixedSessionStore>(store, ops),
    )
}

#[test]
fn a_save_waits_out_a_held_lock_and_fails_with_a_timeout_in_both_variants() {
    let scratch = tempfile::tempdir().unwrap();
    let store = SessionStore::at(scratch.path().to_path_buf()).unwrap();
    let held: Vec<_> = VariantKind::BOTH
        .iter()
        .map(|kind| acquire_lock(&store.dir(*kind), "session-test", Duration::ZERO).unwrap())
        .collect();
    let (blocking, fixed) = both(
        &store,
        vec![Op::Save {
            session: session(1),
        }],
    );
    assert_eq!(blocking, vec![Err(lock_timeout_error("session-test"))]);
    assert_eq!(fixed, blocking);
    for kind in VariantKind::BOTH {
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
    let store = SessionStore::at(scratch.path().to_path_buf()).unwrap();
    for kind in VariantKind::BOTH {
        let lock = acquire_lock(&store.dir(kind), "session-test", Duration::ZERO).unwrap();
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
        let outcomes = match kind {
            VariantKind::Blocking => execute::<BlockingSessionStore>(&store, ops),
            VariantKind::Fixed => execute::<FixedSessionStore>(&store, ops),
        };
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
    let _held = acquire_lock(scratch.path(), "s", Duration::ZERO).unwrap();
    assert_eq!(
        acquire_lock(scratch.path(), "s", Duration::ZERO).unwrap_err(),
        lock_timeout_error("s")
    );
}

#[test]
fn stat_after_a_save_reports_the_new_size_not_the_cached_one() {
    let scratch = tempfile::tempdir().unwrap();
    let store = SessionStore::at(scratch.path().to_path_buf()).unwrap();
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
    let (blocking, fixed) = both(&store, ops);
    assert_eq!(blocking, fixed);
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
