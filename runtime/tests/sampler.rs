//! The sampler names blocking calls too short to be stalls, at the source
//! function and line that made them, grouped by call site.

mod support;

use stallcheck_runtime::{Monitor, Report, StallSite};
use support::ms;

/// Blocks well under the stall threshold; returns the line of the call.
#[inline(never)]
fn sleep_briefly() -> u32 {
    let line = line!() + 1;
    std::thread::sleep(ms(3));
    line
}

/// Computes for a while without blocking.
#[inline(never)]
fn spin_briefly() -> u64 {
    let mut acc = 0_u64;
    for i in 0..200_000_u64 {
        acc = std::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    acc
}

fn site_of<'r>(report: &'r Report, task: &str) -> &'r StallSite {
    report
        .stall_sites
        .iter()
        .filter(|s| s.task.as_deref() == Some(task))
        .max_by(|a, b| a.blocked_ms.total_cmp(&b.blocked_ms))
        .unwrap_or_else(|| panic!("no site for task {task:?}: {:#?}", report.stall_sites))
}

#[test]
fn short_blocking_calls_are_attributed_to_their_caller_without_any_stall() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(
        1,
        Monitor::builder()
            .stall_threshold(ms(200))
            .sample_interval(Some(ms(2))),
    );
    let line = monitored.runtime.block_on(async {
        let sleeper = monitored.monitor.spawn_named("sub-threshold", async {
            let mut line = 0;
            for _ in 0..120 {
                line = sleep_briefly();
                tokio::task::yield_now().await;
            }
            line
        });
        sleeper.await.expect("sleeping task")
    });
    monitored.guard.stop();
    let report = monitored.monitor.report();

    assert!(report.sampler.starts_with("running"), "{}", report.sampler);
    assert_eq!(report.stall_count, 0, "3 ms polls under a 200 ms threshold");
    let site = site_of(&report, "sub-threshold");
    assert_eq!(site.caller.as_deref(), Some("sleep_briefly"), "{site:#?}");
    assert_eq!(
        (site.caller_file.as_deref(), site.caller_line),
        (Some("runtime/tests/sampler.rs"), Some(line)),
        "the caller's file is relative to the workspace root: {site:#?}"
    );
    assert!(
        site.blocking_call
            .as_deref()
            .is_some_and(|c| c.contains("sleep")),
        "{site:#?}"
    );
    assert_eq!(site.cpu.as_deref(), Some("blocked"), "{site:#?}");
    assert_eq!(site.stalls, 0);
    // 120 polls of 3 ms, sampled every 2 ms: most rounds find the worker
    // asleep in this call. Only a relation is asserted, not a rate.
    let sampled: u64 = report
        .stall_sites
        .iter()
        .filter(|s| s.task.as_deref() == Some("sub-threshold"))
        .map(|s| s.samples)
        .sum();
    assert!(
        site.samples * 2 > sampled && site.samples >= 10,
        "the sleep is where the task spends its polls: {:#?}",
        report.stall_sites
    );
    let table = report.render_table();
    assert!(
        table.contains("called from:   sleep_briefly at runtime/tests/sampler.rs"),
        "{table}"
    );
}

#[test]
fn computing_polls_are_sampled_as_running() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(
        1,
        Monitor::builder()
            .stall_threshold(ms(500))
            .sample_interval(Some(ms(2))),
    );
    monitored.runtime.block_on(async {
        monitored
            .monitor
            .spawn_named("spinner", async {
                let mut acc = 0;
                for _ in 0..200 {
                    acc ^= spin_briefly();
                    tokio::task::yield_now().await;
                }
                acc
            })
            .await
            .expect("spinning task")
    });
    monitored.guard.stop();
    let report = monitored.monitor.report();
    let site = site_of(&report, "spinner");
    assert_eq!(site.caller.as_deref(), Some("spin_briefly"), "{site:#?}");
    assert_eq!(site.cpu.as_deref(), Some("running"), "{site:#?}");
}

#[test]
fn a_monitor_without_the_sampler_says_so_and_has_only_stall_sites() {
    let _alone = support::one_at_a_time();
    let monitored = support::multi_thread(
        1,
        Monitor::builder()
            .stall_threshold(ms(10))
            .sample_interval(None),
    );
    monitored.runtime.block_on(async {
        monitored
            .monitor
            .spawn_named("one-stall", async { std::thread::sleep(ms(60)) })
            .await
            .expect("blocking task")
    });
    std::thread::sleep(ms(30));
    monitored.guard.stop();
    let report = monitored.monitor.report();
    assert!(report.sampler.starts_with("disabled"), "{}", report.sampler);
    assert_eq!(report.samples, 0);
    let site = site_of(&report, "one-stall");
    assert_eq!((site.stalls, site.samples), (1, 0), "{site:#?}");
    assert!(
        site.max_ms >= 50.0 && site.blocked_ms >= site.max_ms,
        "{site:#?}"
    );
}
