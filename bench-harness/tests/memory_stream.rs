//! Every memory-stream variant handles every way a stream can end the same
//! way: enough nodes, a stalled producer (timeout), a closed channel, and an
//! error item.

mod common;

use std::sync::Arc;

use stallcheck_bench::workload::Variant;
use stallcheck_bench::workloads::memory_stream::blocking::BlockingMemoryStream;
use stallcheck_bench::workloads::memory_stream::fixed::FixedMemoryStream;
use stallcheck_bench::workloads::memory_stream::optimized::OptimizedMemoryStream;
use stallcheck_bench::workloads::memory_stream::{
    End, LIMIT, MemoryStream, Op, Outcome, Upstream, expected,
};

fn search<V: Variant<MemoryStream>>(workload: &MemoryStream, upstream: Upstream) -> Outcome {
    let op = Op::Search {
        query: "meeting notes about the release deadline".to_string(),
        limit: LIMIT,
        upstream,
    };
    common::runtime().block_on(async {
        let variant = Arc::new(V::open(workload).await.unwrap());
        variant.execute(op).await.unwrap()
    })
}

/// Asserts every variant gives the expected outcome, ending with `end`, and
/// returns it.
fn check(upstream: Upstream, end: End) -> Outcome {
    let workload = MemoryStream::new(3, 1);
    let op = Op::Search {
        query: "meeting notes about the release deadline".to_string(),
        limit: LIMIT,
        upstream,
    };
    let want = expected(&workload.graph(), &op);
    assert_eq!(want.end, end);
    assert_eq!(
        search::<BlockingMemoryStream>(&workload, upstream),
        want,
        "blocking variant"
    );
    assert_eq!(
        search::<FixedMemoryStream>(&workload, upstream),
        want,
        "fixed variant"
    );
    assert_eq!(
        search::<OptimizedMemoryStream>(&workload, upstream),
        want,
        "optimized variant"
    );
    want
}

#[test]
fn a_healthy_search_collects_limit_nodes_in_every_variant() {
    let outcome = check(Upstream::Healthy, End::Limit);
    assert_eq!(outcome.ids.len(), LIMIT);
}

#[test]
fn a_stalled_producer_times_out_keeping_the_nodes_received_so_far() {
    let outcome = check(Upstream::Stalls { after: 3 }, End::TimedOut);
    assert_eq!(outcome.ids.len(), 3);
}

#[test]
fn a_producer_stalled_before_the_first_node_times_out_empty() {
    let outcome = check(Upstream::Stalls { after: 0 }, End::TimedOut);
    assert!(outcome.ids.is_empty());
}

#[test]
fn a_closed_channel_ends_the_collection_early() {
    let outcome = check(Upstream::Closes { after: 4 }, End::Closed);
    assert_eq!(outcome.ids.len(), 4);
}

#[test]
fn a_stream_error_ends_the_collection_with_the_error() {
    let workload = MemoryStream::new(3, 1);
    let op = Op::Search {
        query: "meeting notes about the release deadline".to_string(),
        limit: LIMIT,
        upstream: Upstream::Fails { after: 2 },
    };
    let End::Failed(message) = expected(&workload.graph(), &op).end else {
        panic!("expected a failure")
    };
    assert!(message.starts_with("upstream failed: node "), "{message}");
    let outcome = check(Upstream::Fails { after: 2 }, End::Failed(message));
    assert_eq!(outcome.ids.len(), 2);
}
