//! A loopback TCP proxy that adds a fixed latency to every request: what
//! `--io-latency` puts in front of redis-server, so that each Redis round
//! trip of every variant takes that much longer, inside the call (a blocking
//! client waits in its socket read, an async one awaits). Each chunk the
//! client sends is held for the delay before it is forwarded; replies pass
//! straight through.
//!
//! Sync code on its own OS threads (two per connection), outside the
//! measured runtimes.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running proxy; stops accepting on drop. Its connection threads end
/// when either side closes (the variants close theirs, and the workload's
/// redis-server goes away with the workload).
#[derive(Debug)]
pub struct LatencyProxy {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl LatencyProxy {
    /// Listens on a free loopback port and forwards to `upstream`, holding
    /// each request chunk for `delay`.
    pub fn start(upstream: SocketAddr, delay: Duration) -> std::io::Result<LatencyProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let stopping = Arc::clone(&stopping);
            std::thread::Builder::new()
                .name("latency-proxy".to_string())
                .spawn(move || accept(listener, upstream, delay, &stopping))?
        };
        Ok(LatencyProxy {
            addr,
            stopping,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for LatencyProxy {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        // Wakes the acceptor out of `accept`.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: TcpListener, upstream: SocketAddr, delay: Duration, stopping: &AtomicBool) {
    for client in listener.incoming() {
        if stopping.load(Ordering::Relaxed) {
            return;
        }
        let Ok(client) = client else { continue };
        let Ok(server) = TcpStream::connect(upstream) else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(client_reader), Ok(server_reader)) = (client.try_clone(), server.try_clone())
        else {
            continue;
        };
        let _ = std::thread::Builder::new()
            .name("latency-proxy-up".to_string())
            .spawn(move || forward(client_reader, server, delay));
        let _ = std::thread::Builder::new()
            .name("latency-proxy-down".to_string())
            .spawn(move || forward(server_reader, client, Duration::ZERO));
    }
}

/// Copies `from` to `to`, holding each chunk for `delay`, until either side
/// closes; then closes the other direction too.
fn forward(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_pass_both_ways_and_requests_wait_for_the_delay() {
        let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream_addr = upstream.local_addr().unwrap();
        let echo = std::thread::spawn(move || {
            let (mut stream, _) = upstream.accept().unwrap();
            let mut buffer = [0u8; 4];
            stream.read_exact(&mut buffer).unwrap();
            stream.write_all(&buffer).unwrap();
        });
        let delay = Duration::from_millis(30);
        let proxy = LatencyProxy::start(upstream_addr, delay).unwrap();
        let mut client = TcpStream::connect(proxy.addr()).unwrap();
        let started = std::time::Instant::now();
        client.write_all(b"ping").unwrap();
        let mut reply = [0u8; 4];
        client.read_exact(&mut reply).unwrap();
        // A lower bound only: the delay is a sleep before forwarding, so the
        // round trip can never be shorter, however loaded the machine is.
        assert!(started.elapsed() >= delay);
        assert_eq!(&reply, b"ping");
        echo.join().unwrap();
    }
}
