//! tokio-console sees the monitored runtime's named tasks and their polls.
//!
//! Its own test binary: the console installs the process-wide tracing
//! subscriber.

#![cfg(feature = "console")]

mod support;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use console_api::field::Value;
use console_api::instrument::InstrumentRequest;
use console_api::instrument::instrument_client::InstrumentClient;
use console_api::tasks::Task;
use stallcheck_runtime::Monitor;

const TASK_NAME: &str = "console-test/worker";
/// Updates are published once a second; give the server this many.
const MAX_UPDATES: usize = 30;

fn field_text(field: &console_api::Field) -> Option<&str> {
    match field.value.as_ref()? {
        Value::StrVal(s) | Value::DebugVal(s) => Some(s.trim_matches('"')),
        _ => None,
    }
}

fn is_named_task(task: &Task) -> bool {
    task.fields.iter().any(|f| field_text(f) == Some(TASK_NAME))
}

#[test]
fn the_console_receives_named_tasks_and_their_poll_stats() {
    let free_loopback_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let monitored = support::multi_thread(2, Monitor::builder().console(Some(free_loopback_port)));
    let addr = match monitored.monitor.console_addr() {
        Some(Ok(addr)) => addr,
        other => panic!("the console server did not start: {other:?}"),
    };
    assert!(addr.ip().is_loopback());

    // A few named tasks that keep polling while the client watches.
    let handle = monitored.runtime.handle().clone();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            monitored.monitor.spawn_named_on(
                TASK_NAME,
                async {
                    loop {
                        tokio::task::yield_now().await;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                },
                &handle,
            )
        })
        .collect();

    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let (named_ids, polls) = client_runtime.block_on(watch_named_tasks(addr));
    for worker in workers {
        worker.abort();
    }
    monitored.guard.stop();

    assert_eq!(
        named_ids.len(),
        3,
        "the three named tasks reach the console"
    );
    assert!(
        polls > 0,
        "poll statistics for the named tasks reach the console"
    );
    // And a second runtime in the same process reuses the one server.
    let second = Monitor::builder().console(Some(free_loopback_port)).build();
    let mut builder = tokio::runtime::Builder::new_current_thread();
    second.install(&mut builder);
    assert_eq!(second.console_addr().map(|r| r.ok()), Some(Some(addr)));
}

/// Reads updates until the named tasks and some of their polls have been
/// seen; returns their console ids and their total polls.
async fn watch_named_tasks(addr: SocketAddr) -> (Vec<u64>, u64) {
    let mut client = InstrumentClient::connect(format!("http://{addr}"))
        .await
        .unwrap_or_else(|e| panic!("connect to the console server at {addr}: {e}"));
    let mut updates = client
        .watch_updates(InstrumentRequest {})
        .await
        .expect("watch_updates")
        .into_inner();
    let mut named_ids = Vec::new();
    let mut polls = std::collections::HashMap::new();
    for _ in 0..MAX_UPDATES {
        let Some(update) = updates.message().await.expect("update stream") else {
            break;
        };
        let Some(tasks) = update.task_update else {
            continue;
        };
        for task in tasks.new_tasks.iter().filter(|t| is_named_task(t)) {
            // Under load the server can announce a task in two updates;
            // count each task once.
            if let Some(id) = task.id.as_ref().map(|id| id.id)
                && !named_ids.contains(&id)
            {
                named_ids.push(id);
            }
        }
        for (id, stats) in &tasks.stats_update {
            if named_ids.contains(id) {
                let count = stats.poll_stats.as_ref().map_or(0, |p| p.polls);
                polls.insert(*id, count);
            }
        }
        if named_ids.len() >= 3
            && named_ids
                .iter()
                .all(|id| polls.get(id).is_some_and(|&p| p > 0))
        {
            break;
        }
    }
    (named_ids, polls.values().sum())
}
