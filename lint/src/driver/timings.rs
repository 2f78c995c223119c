//! Phase timings on stderr, for whoever tunes the run.

use std::time::Instant;

/// `STALLCHECK_TIMINGS=1`: each phase's wall time on stderr (metadata,
/// the parallel walk, then the serial model, call-graph and report phases).
#[derive(Clone, Copy, Debug)]
pub(super) struct Timings {
    enabled: bool,
}

impl Timings {
    pub(super) fn from_env() -> Timings {
        Timings {
            enabled: std::env::var_os("STALLCHECK_TIMINGS").is_some_and(|value| value != "0"),
        }
    }

    pub(super) fn phase(self, name: &str, started: Instant) {
        if self.enabled {
            eprintln!(
                "stallcheck: timing: {name} {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
