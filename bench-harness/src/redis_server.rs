//! A private `redis-server` for the working-memory workload: started on a
//! free loopback port in a temporary directory, without persistence, and
//! stopped when dropped. It also dies with the harness, even on SIGKILL: the
//! child asks the kernel for SIGKILL when its parent thread exits
//! (`PR_SET_PDEATHSIG`), so no server is left listening. Synchronous code: it
//! runs before any runtime exists, on the thread that runs the workloads.

use std::io::ErrorKind;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to tell a user who has no `redis-server`.
pub const MISSING: &str =
    "redis-server not found: install it with `apt-get install -y redis-server`";

/// How long a fresh server may take to accept connections.
const STARTUP: Duration = Duration::from_secs(10);

/// A running `redis-server` child process.
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    url: String,
}

/// Why no server could be started.
#[derive(Debug, PartialEq, Eq)]
pub enum StartError {
    /// `redis-server` is not installed (the message says how to install it).
    NotInstalled(String),
    Failed(String),
}

impl RedisServer {
    /// Starts a server on a free loopback port, its working directory in `dir`.
    pub fn start(dir: &Path) -> Result<RedisServer, StartError> {
        let port = free_port()
            .map_err(|err| StartError::Failed(format!("no free loopback port: {err}")))?;
        let mut command = Command::new("redis-server");
        command
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // SAFETY: the closure runs in the forked child before exec and only
        // makes async-signal-safe calls (prctl, getppid).
        let harness = std::process::id();
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died between fork and prctl.
                if libc::getppid() as u32 != harness {
                    return Err(std::io::Error::other("the harness exited"));
                }
                Ok(())
            });
        }
        let child = command.spawn().map_err(|err| match err.kind() {
            ErrorKind::NotFound => StartError::NotInstalled(MISSING.to_string()),
            _ => StartError::Failed(format!("cannot start redis-server: {err}")),
        })?;
        let mut server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn wait_until_ready(&mut self) -> Result<(), StartError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(StartError::Failed(format!(
                    "redis-server exited at start-up ({status})"
                )));
            }
            if ping(&self.url).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP {
                return Err(StartError::Failed(format!(
                    "redis-server did not answer within {STARTUP:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `PING` round trip with the sync client.
pub fn ping(url: &str) -> Result<(), String> {
    let client = redis::Client::open(url).map_err(|err| format!("bad redis url {url}: {err}"))?;
    let mut connection = client
        .get_connection()
        .map_err(|err| format!("cannot connect to {url}: {err}"))?;
    redis::cmd("PING")
        .query::<String>(&mut connection)
        .map(drop)
        .map_err(|err| format!("{url}: {err}"))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
