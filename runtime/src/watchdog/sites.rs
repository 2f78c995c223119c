//! Blocking time per call site: the watchdog's stalls and the sampler's
//! hits, folded into one table keyed by task, blocking call and caller.
//!
//! A stall is measured exactly but only exists above the threshold; a
//! sample sees any poll, however short, but only estimates its time (each
//! sample stands for the wall time since the sampler's previous round). A
//! site's `blocked_ms` is the larger of the two, so a site seen only by the
//! sampler (every fsync under the threshold) and one seen only as stalls
//! (the sampler was off) both get a figure.

use std::collections::HashMap;
use std::sync::Arc;

use super::symbols::Symbolised;
use crate::report::{Stall, StallSite};

/// Frames kept as a site's newest example stack.
const STACK_FRAMES: usize = 24;

/// What makes two observations the same site.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SiteKey {
    pub(crate) task: Option<Arc<str>>,
    pub(crate) blocking_call: Option<String>,
    pub(crate) caller: Option<String>,
    pub(crate) caller_location: Option<String>,
}

impl SiteKey {
    pub(crate) fn new(task: Option<Arc<str>>, symbolised: &Symbolised) -> Self {
        Self {
            task,
            blocking_call: symbolised.blocking_call.clone(),
            caller: symbolised.caller.clone(),
            caller_location: symbolised.caller_location.clone(),
        }
    }

    fn of_stall(stall: &Stall) -> Self {
        Self {
            task: stall.task_name.as_deref().map(Arc::from),
            blocking_call: stall.blocking_call.clone(),
            caller: stall.caller.clone(),
            caller_location: stall.caller_location.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct SiteStats {
    stalls: u64,
    blocked_stalls: u64,
    stall_us: u64,
    max_stall_us: u64,
    samples: u64,
    sampled_us: u64,
    on_cpu_samples: u64,
    newest_stack: Vec<String>,
}

/// The table, bounded: sites beyond `capacity` are counted, not kept.
#[derive(Debug)]
pub(crate) struct SiteTable {
    capacity: usize,
    sites: HashMap<SiteKey, SiteStats>,
    dropped: u64,
}

impl SiteTable {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            sites: HashMap::new(),
            dropped: 0,
        }
    }

    fn entry(&mut self, key: SiteKey) -> Option<&mut SiteStats> {
        if !self.sites.contains_key(&key) && self.sites.len() >= self.capacity {
            self.dropped += 1;
            return None;
        }
        Some(self.sites.entry(key).or_default())
    }

    /// A closed stall whose stack is settled.
    pub(crate) fn add_stall(&mut self, stall: &Stall) {
        let Some(site) = self.entry(SiteKey::of_stall(stall)) else {
            return;
        };
        site.stalls += 1;
        site.blocked_stalls += u64::from(asleep(stall));
        site.stall_us += stall.duration_us;
        site.max_stall_us = site.max_stall_us.max(stall.duration_us);
        if site.samples == 0 || site.newest_stack.is_empty() {
            site.newest_stack = trimmed(&stall.frames);
        }
    }

    /// One sampler hit standing for `weight_us` of a poll at this site.
    pub(crate) fn add_sample(
        &mut self,
        key: SiteKey,
        weight_us: u64,
        on_cpu: bool,
        frames: &[String],
    ) {
        let Some(site) = self.entry(key) else { return };
        site.samples += 1;
        site.sampled_us += weight_us;
        site.on_cpu_samples += u64::from(on_cpu);
        site.newest_stack = trimmed(frames);
    }

    pub(crate) fn clear(&mut self) {
        self.sites.clear();
        self.dropped = 0;
    }

    /// The sites, most blocked time first, and how many were not kept.
    pub(crate) fn report(&self) -> (Vec<StallSite>, u64) {
        let mut sites: Vec<StallSite> = self
            .sites
            .iter()
            .map(|(key, stats)| site(key, stats))
            .collect();
        sites.sort_by(|a, b| {
            b.blocked_ms
                .total_cmp(&a.blocked_ms)
                .then_with(|| b.stalls.cmp(&a.stalls))
                .then_with(|| a.caller_location.cmp(&b.caller_location))
        });
        (sites, self.dropped)
    }
}

/// Whether the stalled worker slept in a system call at the call its stack
/// shows: asleep when the watchdog took the stack (thread state `sleeping`
/// or `disk-wait`, read just before the signal) and mostly asleep over the
/// stall (CPU verdict `blocked`). A poll that computed, that the OS did not
/// run, or that slept elsewhere than where its stack was taken does not
/// count: the stack is one snapshot, the verdict covers the whole stall.
fn asleep(stall: &Stall) -> bool {
    let asleep_at_capture = stall
        .thread_state
        .as_deref()
        .is_some_and(|s| s.starts_with("sleeping") || s.starts_with("disk-wait"));
    let asleep_over_stall = stall
        .cpu
        .as_ref()
        .is_some_and(|cpu| cpu.verdict == "blocked");
    asleep_at_capture && asleep_over_stall
}

fn trimmed(frames: &[String]) -> Vec<String> {
    frames.iter().take(STACK_FRAMES).cloned().collect()
}

fn site(key: &SiteKey, stats: &SiteStats) -> StallSite {
    let (caller_file, caller_line) = match key.caller_location.as_deref().map(split_location) {
        Some((file, line)) => (Some(file.to_owned()), line),
        None => (None, None),
    };
    let ms = |us: u64| us as f64 / 1_000.0;
    StallSite {
        task: key.task.as_deref().map(str::to_owned),
        blocking_call: key.blocking_call.clone(),
        caller: key.caller.clone(),
        caller_file,
        caller_line,
        caller_location: key.caller_location.clone(),
        stalls: stats.stalls,
        blocked_stalls: stats.blocked_stalls,
        samples: stats.samples,
        blocked_ms: ms(stats.sampled_us.max(stats.stall_us)),
        stall_ms: ms(stats.stall_us),
        max_ms: ms(stats.max_stall_us),
        cpu: (stats.samples > 0).then(|| {
            if stats.on_cpu_samples * 2 > stats.samples {
                "running".to_owned()
            } else {
                "blocked".to_owned()
            }
        }),
        stack: stats.newest_stack.clone(),
    }
}

/// `path/to/file.rs:42` -> (`path/to/file.rs`, 42).
fn split_location(location: &str) -> (&str, Option<u32>) {
    match location.rsplit_once(':') {
        Some((file, line)) if line.parse::<u32>().is_ok() => (file, line.parse().ok()),
        _ => (location, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(caller: &str, location: &str) -> SiteKey {
        SiteKey {
            task: Some(Arc::from("store/add")),
            blocking_call: Some("fsync".to_owned()),
            caller: Some(caller.to_owned()),
            caller_location: Some(location.to_owned()),
        }
    }

    #[test]
    fn samples_and_stalls_of_one_site_fold_together_and_sort_by_blocked_time() {
        let mut table = SiteTable::new(8);
        let frames = vec!["fsync".to_owned(), "BlockingStore::add".to_owned()];
        for _ in 0..30 {
            table.add_sample(
                key("BlockingStore::add", "src/a.rs:10"),
                10_000,
                false,
                &frames,
            );
        }
        table.add_sample(key("Index::search", "src/b.rs:3"), 10_000, true, &frames);
        let (sites, dropped) = table.report();
        assert_eq!(dropped, 0);
        assert_eq!(sites.len(), 2);
        let first = &sites[0];
        assert_eq!(first.caller.as_deref(), Some("BlockingStore::add"));
        assert_eq!(
            (first.caller_file.as_deref(), first.caller_line),
            (Some("src/a.rs"), Some(10))
        );
        assert_eq!((first.samples, first.stalls), (30, 0));
        assert!((first.blocked_ms - 300.0).abs() < 1e-9, "{first:?}");
        assert_eq!(first.cpu.as_deref(), Some("blocked"));
        assert_eq!(sites[1].cpu.as_deref(), Some("running"));
    }

    #[test]
    fn the_table_is_bounded_and_counts_sites_it_did_not_keep() {
        let mut table = SiteTable::new(2);
        for line in 0..5 {
            table.add_sample(key("f", &format!("src/a.rs:{line}")), 1, false, &[]);
        }
        let (sites, dropped) = table.report();
        assert_eq!((sites.len(), dropped), (2, 3));
    }
}
