//! The progress bar of a variant's run, fed from an atomic counter by its
//! own thread, so the measured tasks never touch the bar's lock. A run cut
//! by `--duration` shows time against the duration (its operation count is
//! not known in advance); otherwise operations against the plan.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often the bar is redrawn.
const REFRESH: Duration = Duration::from_millis(100);

/// A running progress bar; `finish` clears it.
pub struct ProgressDisplay {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// `total` planned operations; `duration` when the run is time-bounded.
    pub fn start(
        label: &str,
        total: u64,
        duration: Option<Duration>,
        progress: Arc<AtomicU64>,
        visible: bool,
        note: impl Fn() -> String + Send + 'static,
    ) -> ProgressDisplay {
        let done = Arc::new(AtomicBool::new(false));
        if !visible {
            return ProgressDisplay { done, thread: None };
        }
        let (length, template) = match duration {
            Some(duration) => (
                duration.as_millis() as u64,
                "{prefix:<26} [{bar:30}] {elapsed}/{len_secs} {msg}",
            ),
            None => (
                total,
                "{prefix:<26} [{bar:30}] {pos}/{len} ops {elapsed} {msg}",
            ),
        };
        let bar = ProgressBar::new(length);
        let template = template.replace("{len_secs}", &format!("{:.0}s", length as f64 / 1000.0));
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("static template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label.to_string());
        let finished = Arc::clone(&done);
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            while !finished.load(Ordering::Relaxed) {
                let ops = progress.load(Ordering::Relaxed);
                match duration {
                    Some(_) => {
                        bar.set_position((started.elapsed().as_millis() as u64).min(length));
                        bar.set_message(format!("{ops}/{total} ops {}", note()));
                    }
                    None => {
                        bar.set_position(ops);
                        bar.set_message(note());
                    }
                }
                std::thread::sleep(REFRESH);
            }
            bar.finish_and_clear();
        });
        ProgressDisplay {
            done,
            thread: Some(thread),
        }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
