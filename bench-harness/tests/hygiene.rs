//! Nothing outlives the harness: a SIGKILLed run leaves no redis-server
//! listening, SIGTERM removes the scratch directory, and the directory a
//! killed run could not remove is removed by the next run.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_stallcheck-bench");

/// How long a process may take to start or disappear; a liveness bound,
/// not a performance expectation.
const PATIENCE: Duration = Duration::from_secs(30);

/// A harness process, SIGKILLed if the test ends (or fails) first.
struct Harness(Child);

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A long working-memory run (it starts a private redis-server), with its
/// temporary directory under `tmp`.
fn long_run(tmp: &Path, out: &Path) -> Harness {
    let child = Command::new(BIN)
        .args([
            "run",
            "--workload",
            "working-memory",
            "--clients",
            "2",
            "--ops",
            "10000000",
            "--closed-loop",
            "--fail-on-skip",
            "--out",
        ])
        .arg(out)
        .env("TMPDIR", tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the harness starts");
    Harness(child)
}

/// The redis-server child of `parent`: (pid, port). Fails the test with the
/// install command when none appears because redis-server is missing.
fn redis_child(parent: u32) -> (u32, u16) {
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`: comm may hold spaces, so split after `)`.
            let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
                continue;
            };
            let ppid = after.split_whitespace().nth(1).and_then(|p| p.parse().ok());
            if ppid != Some(parent) || !stat.contains("(redis-server)") {
                continue;
            }
            // redis-server rewrites its title to `redis-server 127.0.0.1:PORT`.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let title = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let port = title
                .split_whitespace()
                .find_map(|word| word.strip_prefix("127.0.0.1:"))
                .and_then(|port| port.parse().ok());
            if let Some(port) = port {
                return (pid, port);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "no redis-server child appeared within {PATIENCE:?}: install it with `apt-get install -y redis-server`"
    );
}

fn alive(pid: u32) -> bool {
    // A zombie (state Z) has exited; only its table entry remains.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

/// Whether a TCP socket listens on `port` (any address), per
/// `/proc/net/tcp` and `/proc/net/tcp6`: state `0A` is `LISTEN`.
fn listening(port: u16) -> bool {
    let port = format!("{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|line| {
                let mut fields = line.split_whitespace().skip(1);
                let local = fields.next().unwrap_or_default();
                let state = fields.nth(1).unwrap_or_default();
                state == "0A" && local.rsplit_once(':').is_some_and(|(_, p)| p == port)
            })
    })
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(started.elapsed() < PATIENCE, "{what} within {PATIENCE:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn run_dirs(tmp: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(tmp.join("stallcheck-bench"))
        .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_killed_harness_leaves_no_redis_server_and_the_next_run_removes_its_scratch() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut harness = long_run(tmp.path(), out.path());
    let (redis, port) = redis_child(harness.0.id());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the private redis-server listens on {port}"
    );
    harness.0.kill().unwrap(); // SIGKILL: no handler runs
    harness.0.wait().unwrap();
    wait_until("the redis-server dies with the harness", || !alive(redis));
    // Its main thread reads as a zombie while its other threads are still
    // exiting and holding its sockets, so the port is waited for too. It is
    // read from the kernel's socket table, not by connecting: a connect to
    // a free port in the ephemeral range can connect to itself (TCP
    // simultaneous open).
    wait_until(&format!("nothing listens on {port} any more"), || {
        !listening(port)
    });
    let stale = run_dirs(tmp.path());
    assert_eq!(stale.len(), 1, "SIGKILL left the run's scratch: {stale:?}");
    let next = Command::new(BIN)
        .args([
            "run",
            "--workload",
            "memory-stream",
            "--clients",
            "1",
            "--ops",
            "2",
            "--closed-loop",
            "--out",
        ])
        .arg(out.path())
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(next.status.success(), "{next:?}");
    assert_eq!(
        run_dirs(tmp.path()),
        Vec::<PathBuf>::new(),
        "the next run removed the dead run's scratch and its own"
    );
}

#[test]
fn sigterm_removes_the_scratch_directory_and_stops_redis() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut harness = long_run(tmp.path(), out.path());
    let (redis, _) = redis_child(harness.0.id());
    assert_eq!(run_dirs(tmp.path()).len(), 1, "the run has its scratch");
    let pid = libc::pid_t::try_from(harness.0.id()).unwrap();
    // SAFETY: sends SIGTERM to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = harness.0.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{status:?}");
    assert_eq!(run_dirs(tmp.path()), Vec::<PathBuf>::new());
    wait_until("the redis-server exits", || !alive(redis));
}
