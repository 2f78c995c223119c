//! Scratch directories that do not outlive the harness: each run's files
//! live in `<tmp>/stallcheck-bench/run-<pid>-<n>`, removed when the run ends,
//! when the process gets SIGINT or SIGTERM (`cleanup_on_signals`), and, for
//! a process that was killed outright (SIGKILL), by the next run, which
//! removes every directory whose process is gone.
//!
//! Sync code: it runs before and after the measured runtimes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Directories to remove if a signal ends the process.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Distinguishes the directories of one process.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Prefix of every run directory.
const PREFIX: &str = "run-";

/// A run's scratch directory, removed on drop.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

/// Where run directories go.
pub fn parent() -> PathBuf {
    std::env::temp_dir().join("stallcheck-bench")
}

impl Scratch {
    /// Removes the directories of dead runs, then creates this run's.
    pub fn create() -> Result<Scratch, String> {
        let parent = parent();
        std::fs::create_dir_all(&parent)
            .map_err(|err| format!("cannot create {}: {err}", parent.display()))?;
        remove_stale(&parent);
        let path = parent.join(format!(
            "{PREFIX}{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // A directory of this name can only be left by an earlier process
        // with the same pid, which is dead.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path)
            .map_err(|err| format!("cannot create {}: {err}", path.display()))?;
        LIVE.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(path.clone());
        Ok(Scratch { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        LIVE.lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .retain(|live| live != &self.path);
    }
}

/// Removes `run-<pid>-*` directories whose process no longer exists.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !process_exists(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether `pid` names a live process (signal 0 probes without sending).
fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Makes SIGINT and SIGTERM remove the live scratch directories before the
/// process exits (status 128 + signal). Call first thing in `main`, before
/// any thread exists: the signals are blocked in every thread and taken by
/// one thread that waits for them, so no handler runs on a measured thread.
/// Child processes (redis-server) die with the harness through their
/// parent-death signal.
pub fn cleanup_on_signals() -> Result<(), String> {
    // SAFETY: sigset operations on a local set; pthread_sigmask on the
    // calling (only) thread.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let status = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if status != 0 {
            return Err(format!(
                "cannot block SIGINT/SIGTERM: {}",
                std::io::Error::from_raw_os_error(status)
            ));
        }
        set
    };
    std::thread::Builder::new()
        .name("stallcheck-bench-signals".to_string())
        .spawn(move || {
            let mut signal: libc::c_int = 0;
            // SAFETY: `set` is a valid signal set blocked in every thread.
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                return;
            }
            let live = LIVE
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone();
            for path in live {
                let _ = std::fs::remove_dir_all(path);
            }
            eprintln!("stallcheck-bench: interrupted (signal {signal}); scratch removed");
            std::process::exit(128 + signal);
        })
        .map_err(|err| format!("cannot start the signal thread: {err}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scratch_directory_is_removed_when_dropped() {
        let scratch = Scratch::create().unwrap();
        let path = scratch.path().to_path_buf();
        assert!(path.is_dir());
        drop(scratch);
        assert!(!path.exists());
    }

    #[test]
    fn directories_of_dead_processes_are_removed_and_live_ones_kept() {
        let parent = tempfile::tempdir().unwrap();
        // pid_max on Linux is at most 2^22: this pid cannot be running.
        let dead = parent.path().join(format!("{PREFIX}{}-0", 1u32 << 23));
        let live = parent
            .path()
            .join(format!("{PREFIX}{}-0", std::process::id()));
        let unrelated = parent.path().join("notes");
        for dir in [&dead, &live, &unrelated] {
            std::fs::create_dir(dir).unwrap();
        }
        remove_stale(parent.path());
        assert!(!dead.exists(), "a dead run's directory is removed");
        assert!(live.exists(), "this process's directory stays");
        assert!(unrelated.exists(), "other names are left alone");
    }
}
