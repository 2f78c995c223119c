//! Turning a raw captured stack into names, off the signal path.

use std::ffi::c_void;

use super::stack::RawStack;

/// A symbolised stack, innermost first, without the sampler's own frames.
#[derive(Debug, Default)]
pub(crate) struct Symbolised {
    pub(crate) frames: Vec<String>,
    /// The API that blocked: the outermost library frame below the caller.
    pub(crate) blocking_call: Option<String>,
    /// The innermost frame of application code, with its location.
    pub(crate) caller: Option<String>,
    pub(crate) caller_location: Option<String>,
}

struct Frame {
    name: String,
    location: Option<String>,
}

pub(crate) fn symbolise(raw: &RawStack) -> Symbolised {
    let frames = strip_sampler_frames(resolve_all(raw));
    let caller_index = frames.iter().position(|f| is_application_frame(&f.name));
    let blocking_call = match caller_index {
        Some(0) | None => frames
            .iter()
            .rev()
            .find(|f| is_rust_path(&f.name))
            .map(|f| f.name.clone()),
        Some(i) => frames[..i]
            .iter()
            .rev()
            .find(|f| is_rust_path(&f.name))
            .map(|f| f.name.clone()),
    };
    let caller = caller_index.map(|i| &frames[i]);
    Symbolised {
        blocking_call,
        caller: caller.map(|f| f.name.clone()),
        caller_location: caller.and_then(|f| f.location.clone()),
        frames: frames.into_iter().map(|f| f.name).collect(),
    }
}

fn resolve_all(raw: &RawStack) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(raw.len());
    for (index, &ip) in raw.iter().enumerate() {
        // Every frame but the innermost holds a return address, which points
        // just after the call; step back into the call instruction.
        let address = if index == 0 { ip } else { ip.saturating_sub(1) };
        let before = frames.len();
        backtrace::resolve(address as *mut c_void, |symbol| {
            let name = symbol
                .name()
                .map_or_else(|| format!("{address:#x}"), |n| format!("{n:#}"));
            let location = symbol
                .filename()
                .zip(symbol.lineno())
                .map(|(file, line)| format!("{}:{line}", display_path(file)));
            frames.push(Frame { name, location });
        });
        if frames.len() == before {
            frames.push(Frame {
                name: format!("{address:#x}"),
                location: None,
            });
        }
    }
    frames
}

/// Drops the unwinder, the signal handler and the kernel's signal
/// trampoline, which sit innermost in every capture.
fn strip_sampler_frames(frames: Vec<Frame>) -> Vec<Frame> {
    let Some(handler) = frames
        .iter()
        .rposition(|f| f.name.contains("watchdog::stack::linux::handle_signal"))
    else {
        return frames;
    };
    let mut rest = handler + 1;
    if frames
        .get(rest)
        .is_some_and(|f| f.name == "__restore_rt" || f.name.starts_with("0x"))
    {
        rest += 1;
    }
    frames.into_iter().skip(rest).collect()
}

const LIBRARY_PREFIXES: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "tokio::",
    "tokio_metrics::",
    "backtrace::",
    "tracing::",
    "stallcheck_runtime::",
    "futures_",
    "<std::",
    "<core::",
    "<alloc::",
    "<tokio",
    "<stallcheck_runtime::",
    "<futures_",
    "<tracing::",
    "__",
    "0x",
];

fn is_rust_path(name: &str) -> bool {
    name.contains("::")
}

/// Application code: a Rust path outside std, tokio and this crate.
fn is_application_frame(name: &str) -> bool {
    is_rust_path(name) && !LIBRARY_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn display_path(file: &std::path::Path) -> String {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(|p| p.to_path_buf()));
    relative
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::is_application_frame;

    #[test]
    fn std_tokio_and_libc_frames_are_not_application_code() {
        for name in [
            "std::thread::sleep",
            "<std::net::tcp::TcpStream as std::io::Read>::read",
            "tokio::runtime::task::raw::poll",
            "clock_nanosleep",
            "<tokio_metrics::task::Instrumented<T> as core::future::future::Future>::poll",
        ] {
            assert!(!is_application_frame(name), "{name}");
        }
        assert!(is_application_frame("stall::sleepy_handler::{{closure}}"));
    }
}
