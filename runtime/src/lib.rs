//! Loop-lag probe, tokio-metrics monitors and a stall watchdog for tokio runtimes.
