//! Three tasks that block their worker, beside well-behaved ones, under the
//! monitor; prints what it saw.
//!
//! ```text
//! cargo run --release -p stallcheck-runtime --example stall            # table
//! cargo run --release -p stallcheck-runtime --example stall -- --json  # JSON
//! cargo run --release -p stallcheck-runtime --example stall -- --console 127.0.0.1:6669 --seconds 60
//! ```

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use stallcheck_runtime::Monitor;

const HELP: &str = "\
stall: run three blocking tasks under the stallcheck monitor and print the report

usage: stall [--json] [--seconds N] [--console ADDR]

  --json          print the report as JSON (default: a table)
  --seconds N     how long to run the workload (default 3)
  --console ADDR  serve tokio-console at ADDR (e.g. 127.0.0.1:6669) while running
  -h, --help      show this help

The misbehaving tasks: \"repo-sync\" calls std::thread::sleep, \"cache-lookup\"
locks a std Mutex another thread holds, \"upstream-fetch\" reads a loopback
socket that never answers with a sync TcpStream.";

struct Options {
    json: bool,
    seconds: u64,
    console: Option<SocketAddr>,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut options = Options {
        json: false,
        seconds: 3,
        console: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--json" => options.json = true,
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a value")?;
                options.seconds = value.parse().map_err(|_| {
                    format!("--seconds: `{value}` is not a whole number of seconds")
                })?;
            }
            "--console" => {
                let value = args
                    .next()
                    .ok_or("--console needs an address such as 127.0.0.1:6669")?;
                options.console = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--console: `{value}` is not a socket address"))?,
                );
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(options)) => match run(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Ok(None) => {
            println!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    if options.console.is_none() {
        // Show the monitor's `WARN stall: ...` events on stderr as they happen.
        // (With --console, stallcheck_runtime::console installs its own subscriber.)
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
            )
            .try_init();
    }
    let monitor = Monitor::builder()
        .probe_interval(Duration::from_millis(10))
        .stall_threshold(Duration::from_millis(10))
        .console(options.console)
        .build();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(2).enable_all();
    monitor.install(&mut builder);
    let runtime = builder
        .build()
        .map_err(|e| format!("cannot build the runtime: {e}"))?;
    if let Some(Err(why)) = monitor.console_addr() {
        return Err(why);
    }
    let guard = monitor.start(runtime.handle());

    let silent_peer =
        SilentPeer::start().map_err(|e| format!("cannot start the loopback listener: {e}"))?;
    let contended = Arc::new(Mutex::new(0_u64));
    let holder = hold_mutex_in_bursts(Arc::clone(&contended));
    let run_for = Duration::from_secs(options.seconds);

    runtime.block_on(async {
        let mut tasks = Vec::new();
        tasks.push(monitor.spawn_named("repo-sync", repo_sync(run_for)));
        tasks.push(monitor.spawn_named(
            "cache-lookup",
            cache_lookup(Arc::clone(&contended), run_for),
        ));
        tasks
            .push(monitor.spawn_named("upstream-fetch", upstream_fetch(silent_peer.addr, run_for)));
        for i in 0..4 {
            tasks.push(monitor.spawn_named("api/handler", well_behaved_handler(i, run_for)));
        }
        for task in tasks {
            if let Err(e) = task.await {
                eprintln!("a task failed: {e}");
            }
        }
    });
    holder.stop();

    let report = monitor.report();
    guard.stop();
    if options.json {
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| format!("cannot serialise the report: {e}"))?;
        println!("{json}");
    } else {
        print!("{report}");
    }
    Ok(())
}

/// Blocks its worker with `std::thread::sleep` every few hundred ms.
async fn repo_sync(run_for: Duration) {
    let deadline = tokio::time::Instant::now() + run_for;
    while tokio::time::Instant::now() < deadline {
        write_snapshot_to_disk();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[inline(never)]
fn write_snapshot_to_disk() {
    std::thread::sleep(Duration::from_millis(80));
}

/// Locks a std `Mutex` that another thread holds for 60 ms at a time.
async fn cache_lookup(cache: Arc<Mutex<u64>>, run_for: Duration) {
    let deadline = tokio::time::Instant::now() + run_for;
    while tokio::time::Instant::now() < deadline {
        read_shared_cache(&cache);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[inline(never)]
fn read_shared_cache(cache: &Mutex<u64>) -> u64 {
    *cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads with a sync `TcpStream` from a peer that never answers (it hangs
/// up after 60 ms, which keeps the example finite).
async fn upstream_fetch(peer: SocketAddr, run_for: Duration) {
    let deadline = tokio::time::Instant::now() + run_for;
    while tokio::time::Instant::now() < deadline {
        if let Err(e) = fetch_from_upstream(peer) {
            eprintln!("upstream-fetch: {e}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[inline(never)]
fn fetch_from_upstream(peer: SocketAddr) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(peer)?;
    let mut buf = [0_u8; 64];
    loop {
        match stream.read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Short polls only: timers and a little arithmetic.
async fn well_behaved_handler(seed: u64, run_for: Duration) {
    let deadline = tokio::time::Instant::now() + run_for;
    let mut acc = seed;
    while tokio::time::Instant::now() < deadline {
        for i in 0..1_000_u64 {
            acc = acc.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    std::hint::black_box(acc);
}

/// A loopback listener that accepts connections, never writes, and hangs
/// up after 60 ms.
struct SilentPeer {
    addr: SocketAddr,
}

impl SilentPeer {
    fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::sleep(Duration::from_millis(60));
                drop(stream);
            }
        });
        Ok(Self { addr })
    }
}

/// A thread that holds the mutex for 60 ms every 100 ms.
struct Holder {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Holder {
    fn stop(self) {
        self.stop.store(true, std::sync::atomic::Ordering::Release);
        let _ = self.thread.join();
    }
}

fn hold_mutex_in_bursts(mutex: Arc<Mutex<u64>>) -> Holder {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let thread = std::thread::spawn(move || {
        while !stop_flag.load(std::sync::atomic::Ordering::Acquire) {
            {
                let mut guard = mutex
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *guard += 1;
                std::thread::sleep(Duration::from_millis(60));
            }
            std::thread::sleep(Duration::from_millis(40));
        }
    });
    Holder { stop, thread }
}
