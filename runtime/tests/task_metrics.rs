//! Per-task `TaskMonitor`s instrument a deterministic sample of each name's
//! tasks, and the report says the task metrics are sampled, and how.

mod support;

use stallcheck_runtime::{DEFAULT_TASK_SAMPLE_EVERY, Monitor, MonitorBuilder, Report, TaskSummary};

const POLLS_PER_TASK: u64 = 5;

/// Spawns `tasks` tasks named `name`, each polled `POLLS_PER_TASK` times,
/// and returns the report.
fn run_tasks(monitor: MonitorBuilder, name: &'static str, tasks: u64) -> Report {
    let monitored = support::multi_thread(2, monitor);
    monitored.runtime.block_on(async {
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                monitored.monitor.spawn_named(name, async {
                    for _ in 1..POLLS_PER_TASK {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.await.expect("task");
        }
    });
    monitored.guard.stop();
    monitored.monitor.report()
}

fn the_task<'r>(report: &'r Report, name: &str) -> &'r TaskSummary {
    report
        .tasks
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no task summary for {name:?}: {:#?}", report.tasks))
}

#[test]
fn one_task_in_four_of_forty_means_exactly_ten_are_instrumented() {
    let report = run_tasks(Monitor::builder().task_sample_every(4), "quarter", 40);
    let task = the_task(&report, "quarter");
    assert_eq!(task.spawned, 40, "{task:?}");
    assert_eq!(task.instrumented, 10, "{task:?}");
    assert_eq!(task.sample_every, 4, "{task:?}");
    assert_eq!(
        task.polls,
        10 * POLLS_PER_TASK,
        "only sampled tasks count polls"
    );
    assert_eq!(report.settings.task_sample_every, 4);

    let json = serde_json::to_value(&report).expect("serialise");
    assert_eq!(json["settings"]["task_sample_every"], 4);
    assert_eq!(json["tasks"][0]["spawned"], 40);
    assert_eq!(json["tasks"][0]["instrumented"], 10);
    assert_eq!(json["tasks"][0]["sample_every"], 4);

    let table = report.render_table();
    assert!(
        table.contains("task metrics: sampled, 1 in 4 tasks of each name instrumented"),
        "{table}"
    );
}

#[test]
fn each_name_has_its_own_sample_counter() {
    let monitored = support::multi_thread(2, Monitor::builder().task_sample_every(3));
    monitored.runtime.block_on(async {
        for i in 0..7 {
            let name = if i % 2 == 0 { "even" } else { "odd" };
            monitored
                .monitor
                .spawn_named(name, async {})
                .await
                .expect("task");
        }
    });
    monitored.guard.stop();
    let report = monitored.monitor.report();
    // "even" gets tasks 0, 2, 4, 6 (its 1st..4th): the 1st and 4th are sampled;
    // "odd" gets 1, 3, 5: only its 1st.
    assert_eq!(the_task(&report, "even").instrumented, 2);
    assert_eq!(the_task(&report, "odd").instrumented, 1);
}

#[test]
fn sampling_every_task_instruments_all_of_them() {
    let report = run_tasks(Monitor::builder().task_sample_every(1), "all", 12);
    let task = the_task(&report, "all");
    assert_eq!((task.spawned, task.instrumented), (12, 12));
    assert_eq!(task.polls, 12 * POLLS_PER_TASK);
    assert!(
        report
            .render_table()
            .contains("task metrics: every task instrumented")
    );
}

#[test]
fn the_default_samples_and_task_metrics_off_instruments_none() {
    let tasks = u64::from(DEFAULT_TASK_SAMPLE_EVERY) * 2;
    let sampled = run_tasks(Monitor::builder(), "default", tasks);
    let task = the_task(&sampled, "default");
    assert_eq!((task.spawned, task.instrumented), (tasks, 2));

    let off = run_tasks(Monitor::builder().task_metrics(false), "bare", 8);
    let task = the_task(&off, "bare");
    assert_eq!(
        (task.spawned, task.instrumented, task.sample_every),
        (8, 0, 0)
    );
    assert!(
        off.render_table().contains("task metrics: off"),
        "{}",
        off.render_table()
    );
}

#[test]
fn reset_rebases_the_spawn_count_but_not_the_sample_sequence() {
    let monitored = support::multi_thread(1, Monitor::builder().task_sample_every(2));
    let spawn = |count: usize| {
        monitored.runtime.block_on(async {
            for _ in 0..count {
                monitored
                    .monitor
                    .spawn_named("rebased", async {})
                    .await
                    .expect("task");
            }
        });
    };
    spawn(3); // the 1st and 3rd are sampled
    monitored.monitor.reset();
    spawn(3); // the 4th..6th: only the 5th is sampled
    monitored.guard.stop();
    let report = monitored.monitor.report();
    let task = the_task(&report, "rebased");
    assert_eq!((task.spawned, task.instrumented), (3, 1), "{task:?}");
}
