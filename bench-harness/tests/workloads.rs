//! Each workload at small scale: the three variants pass the correctness
//! check and give identical outcomes for the same seeded plan, and `fixed`
//! performs exactly the durable writes and Redis commands of `blocking`
//! (counted at the fsync, create and rename call sites and by the server's
//! `INFO commandstats`), so their ratio prices only the blocking.

mod common;

use common::VariantRun;
use stallcheck_bench::workload::{Unprepared, VariantKind, Workload};
use stallcheck_bench::workloads::memory_stream::{self, End, MemoryStream};
use stallcheck_bench::workloads::repo_sync::{self, RepoSync};
use stallcheck_bench::workloads::session_store::{self, SessionStore};
use stallcheck_bench::workloads::vector_store::{self, VectorStore};
use stallcheck_bench::workloads::working_memory::{self, WorkingMemory};

/// `fixed` did the durable work of `blocking`, call for call.
fn assert_fixed_does_the_work_of_blocking<O>(runs: &[VariantRun<O>]) {
    let (blocking, fixed) = (
        &runs[VariantKind::Blocking.index()].effects,
        &runs[VariantKind::Fixed.index()].effects,
    );
    assert_eq!(blocking.writes, fixed.writes, "same fsyncs, files, renames");
    assert_eq!(
        blocking.redis_commands, fixed.redis_commands,
        "same Redis commands"
    );
}

#[test]
fn vector_store_variants_store_the_same_memories_and_find_the_same_neighbours() {
    let scratch = tempfile::tempdir().unwrap();
    let runs = common::all_variants_agree::<VectorStore>(&common::settings(scratch.path(), 4, 40));
    assert_fixed_does_the_work_of_blocking(&runs);
    let adds = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .filter(|outcome| matches!(outcome, Ok(vector_store::Outcome::Added { .. })))
        .count() as u64;
    assert_eq!(
        runs[VariantKind::Fixed.index()].effects.writes.fsyncs,
        adds,
        "fixed fsyncs once per insert, like blocking"
    );
    assert!(
        runs[VariantKind::Optimized.index()].effects.writes.fsyncs <= adds,
        "group commit never needs more fsyncs than inserts"
    );
    let searches = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .filter(
            |outcome| matches!(outcome, Ok(vector_store::Outcome::Hits(hits)) if !hits.is_empty()),
        )
        .count();
    assert!(
        searches > 0,
        "the plan exercises searches that find memories"
    );
}

#[test]
fn working_memory_variants_agree_against_a_real_redis_server() {
    let scratch = tempfile::tempdir().unwrap();
    let server = common::redis(scratch.path());
    let mut settings = common::settings(scratch.path(), 4, 48);
    settings.redis_url = Some(server.url().to_string());
    let runs = common::all_variants_agree::<WorkingMemory>(&settings);
    assert_fixed_does_the_work_of_blocking(&runs);
    let commands = &runs[VariantKind::Fixed.index()].effects.redis_commands;
    assert!(
        commands.get("get").is_some_and(|calls| *calls > 0)
            && commands.get("setex").is_some_and(|calls| *calls > 0),
        "the server counted the variants' commands: {commands:?}"
    );
    let optimized = &runs[VariantKind::Optimized.index()].effects.redis_commands;
    assert_eq!(
        (optimized.get("get"), optimized.get("setex")),
        (commands.get("get"), commands.get("setex")),
        "optimized sends the same data commands over one connection"
    );
    let large_reads = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .filter(|outcome| {
            matches!(outcome, Ok(working_memory::Outcome::Document { bytes, .. }) if *bytes > working_memory::LARGE_PAYLOAD)
        })
        .count();
    assert!(large_reads > 0, "the plan reads documents over 10 KB");
}

#[test]
fn working_memory_starts_its_own_server_when_no_url_is_given() {
    let scratch = tempfile::tempdir().unwrap();
    match WorkingMemory::prepare(&common::settings(scratch.path(), 1, 1)) {
        Ok(workload) => assert!(workload.url().starts_with("redis://127.0.0.1:")),
        Err(Unprepared::Skipped(reason)) => panic!("{reason}"),
        Err(Unprepared::Failed(reason)) => panic!("cannot start redis-server: {reason}"),
    }
}

#[test]
fn repo_sync_variants_record_exact_file_and_chunk_counts() {
    let scratch = tempfile::tempdir().unwrap();
    let runs = common::all_variants_agree::<RepoSync>(&common::settings(scratch.path(), 2, 4));
    assert_fixed_does_the_work_of_blocking(&runs);
    let files: usize = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .map(|outcome| match outcome {
            Ok(repo_sync::Outcome::Synced { files, .. }) => *files,
            Err(err) => panic!("{err}"),
        })
        .sum();
    assert!(
        files >= 4 * 20,
        "every repository has at least 20 files, got {files}"
    );
}

#[test]
fn memory_stream_variants_end_every_search_the_same_way() {
    let scratch = tempfile::tempdir().unwrap();
    let runs =
        common::all_variants_agree::<MemoryStream>(&common::settings(scratch.path(), 8, 160));
    let ends: Vec<&End> = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .map(|outcome| &outcome.as_ref().unwrap().end)
        .collect();
    assert!(ends.iter().any(|end| **end == End::Limit));
    assert!(
        ends.iter().any(|end| **end != End::Limit),
        "the seeded mix includes upstream failures"
    );
    assert_eq!(memory_stream::LIMIT, 10);
}

#[test]
fn session_store_variants_round_trip_every_session() {
    let scratch = tempfile::tempdir().unwrap();
    let runs = common::all_variants_agree::<SessionStore>(&common::settings(scratch.path(), 4, 60));
    assert_fixed_does_the_work_of_blocking(&runs);
    let saves = runs[0]
        .completed
        .clients
        .iter()
        .flatten()
        .filter(|outcome| matches!(outcome, Ok(session_store::Outcome::Saved { .. })))
        .count() as u64;
    assert!(saves > 0);
    let writes = runs[VariantKind::Fixed.index()].effects.writes;
    assert_eq!(
        (writes.fsyncs, writes.files_created, writes.renames),
        (saves, saves, saves),
        "each save writes a temporary file, fsyncs it and renames it"
    );
}

#[test]
fn hot_sessions_make_saves_wait_for_their_lock_and_retry() {
    let scratch = tempfile::tempdir().unwrap();
    let mut settings = common::settings(scratch.path(), 8, 160);
    settings.hot_share = 100;
    let workload = SessionStore::prepare(&settings).unwrap();
    let plan = workload.plan(&settings);
    // Fixed runs every save on the blocking pool at once: eight clients on
    // 16 hot sessions collide (a shared birthday) over 160 saves.
    let fixed = common::run_checked(&workload, &plan, VariantKind::Fixed).effects;
    assert!(fixed.lock_waits > 0, "saves waited for a lock: {fixed:?}");
    assert!(
        fixed.lock_retries >= fixed.lock_waits,
        "every wait retries at least once: {fixed:?}"
    );
    // Optimized queues saves of one session in-process: the file lock is free.
    let optimized = common::run_checked(&workload, &plan, VariantKind::Optimized).effects;
    assert_eq!(
        (optimized.lock_waits, optimized.lock_retries),
        (0, 0),
        "{optimized:?}"
    );
}

#[test]
fn a_variant_that_loses_a_write_fails_the_check() {
    let scratch = tempfile::tempdir().unwrap();
    let settings = common::settings(scratch.path(), 2, 12);
    let workload = SessionStore::prepare(&settings).unwrap();
    let plan = workload.plan(&settings);
    let completed =
        common::execute::<SessionStore, <SessionStore as Workload>::Fixed>(&workload, &plan);
    let dir = workload.dir(VariantKind::Fixed);
    let victim = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "json"))
        .expect("a session was saved");
    std::fs::remove_file(&victim).unwrap();
    let verdict = workload.check(VariantKind::Fixed, &plan, &completed);
    let reason = verdict.expect_err("a lost session must fail the check");
    assert!(reason.contains("missing"), "{reason}");
}

#[test]
fn a_torn_vector_store_log_fails_the_check() {
    let scratch = tempfile::tempdir().unwrap();
    let settings = common::settings(scratch.path(), 2, 10);
    let workload = VectorStore::prepare(&settings).unwrap();
    let plan = workload.plan(&settings);
    let completed =
        common::execute::<VectorStore, <VectorStore as Workload>::Blocking>(&workload, &plan);
    let log = workload
        .store_dir(VariantKind::Blocking)
        .join(vector_store::LOG_FILE);
    let text = std::fs::read_to_string(&log).unwrap();
    let first_line_end = text.find('\n').unwrap();
    std::fs::write(&log, &text[first_line_end + 1..]).unwrap();
    let verdict = workload.check(VariantKind::Blocking, &plan, &completed);
    assert!(verdict.is_err(), "a lost memory must fail the check");
}
