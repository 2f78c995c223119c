//! Turning a raw captured stack into names, off the signal path.

use std::ffi::c_void;
use std::path::Path;

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
    /// `file:line` for display (relative to the working directory if inside it).
    location: Option<String>,
    origin: Origin,
}

/// Where a frame's code comes from, judged by its source file when the
/// debug info has one (release builds with `line-tables-only` name inlined
/// frames by their short name, `lock` rather than `std::sync::..::lock`, so
/// names alone cannot tell), and by its name otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    Application,
    Library,
}

pub(crate) fn symbolise(raw: &RawStack) -> Symbolised {
    let frames = strip_sampler_frames(resolve_all(raw));
    let caller_index = frames.iter().position(|f| f.origin == Origin::Application);
    // The blocking call: the outermost library frame below the caller (the
    // API the application called); with no application frame, the innermost
    // named library frame.
    let below_caller = &frames[..caller_index.unwrap_or(0)];
    let blocking = match caller_index {
        Some(_) => below_caller.iter().rev().find(|f| has_name(f)),
        None => frames.iter().find(|f| has_name(f) && f.name.contains("::")),
    };
    let caller = caller_index.map(|i| &frames[i]);
    Symbolised {
        blocking_call: blocking.map(describe),
        caller: caller.map(|f| f.name.clone()),
        caller_location: caller.and_then(|f| f.location.clone()),
        frames: frames.into_iter().map(|f| f.name).collect(),
    }
}

fn has_name(frame: &Frame) -> bool {
    !frame.name.starts_with("0x")
}

/// A short name (an inlined frame in a release build) gets its source file,
/// so `lock` reads as `lock (library/std/src/sync/poison/mutex.rs:433)`.
fn describe(frame: &Frame) -> String {
    match &frame.location {
        Some(location) if !frame.name.contains("::") => format!("{} ({location})", frame.name),
        _ => frame.name.clone(),
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
            let file = symbol.filename();
            let origin = match file {
                // A name that is plainly std, tokio, libc internals (`__*`)
                // or this crate settles it; otherwise the source file does.
                Some(file) if !is_library_name(&name) => origin_by_file(file),
                _ => origin_by_name(&name),
            };
            let location = file
                .zip(symbol.lineno())
                .map(|(file, line)| format!("{}:{line}", display_path(file)));
            frames.push(Frame {
                name,
                location,
                origin,
            });
        });
        if frames.len() == before {
            frames.push(Frame {
                name: format!("{address:#x}"),
                location: None,
                origin: Origin::Library,
            });
        }
    }
    frames
}

/// Drops the unwinder, the signal handler and the kernel's signal
/// trampoline, which sit innermost in every capture.
fn strip_sampler_frames(frames: Vec<Frame>) -> Vec<Frame> {
    // Debug builds name the handler by its path, release builds (inlined,
    // line tables only) by its short name; it is always near the top.
    let Some(handler) = frames
        .iter()
        .take(16)
        .rposition(|f| f.name.ends_with("handle_signal"))
    else {
        return frames;
    };
    let mut rest = handler + 1;
    if frames
        .get(rest)
        .is_some_and(|f| f.name == "__restore_rt" || !has_name(f))
    {
        rest += 1;
    }
    frames.into_iter().skip(rest).collect()
}

/// Source files of std (`/rustc/<hash>/library/...`), of dependencies
/// (cargo's registry and git checkouts) and of this crate are library code;
/// anything else is the application.
fn origin_by_file(file: &Path) -> Origin {
    let path = file.to_string_lossy();
    let own_sources = concat!(env!("CARGO_MANIFEST_DIR"), "/src/");
    let library = path.starts_with("/rustc/")
        || path.contains("/library/std/")
        || path.contains("/library/core/")
        || path.contains("/library/alloc/")
        || path.contains("/.cargo/registry/")
        || path.contains("/.cargo/git/")
        // C libraries' debug info: glibc names `./socket/../sysdeps/...`.
        || path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with("/usr/")
        || path.starts_with("/build/")
        || path.starts_with(own_sources)
        || file.is_relative() && is_own_relative_source(file);
    if library {
        Origin::Library
    } else {
        Origin::Application
    }
}

/// Debug info may name workspace files relative to the workspace root
/// (`runtime/src/names.rs`): compare against this crate's folder name.
fn is_own_relative_source(file: &Path) -> bool {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .file_name()
        .is_some_and(|dir| file.starts_with(Path::new(dir).join("src")))
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

/// Without a source file: a Rust path outside std, tokio and this crate is
/// application code; libc and unnamed frames are not.
fn is_library_name(name: &str) -> bool {
    LIBRARY_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn origin_by_name(name: &str) -> Origin {
    if name.contains("::") && !is_library_name(name) {
        Origin::Application
    } else {
        Origin::Library
    }
}

fn display_path(file: &Path) -> String {
    let text = file.to_string_lossy();
    // std's sources: `/rustc/<commit>/library/std/...` -> `library/std/...`.
    if let Some(rest) = text.strip_prefix("/rustc/")
        && let Some((_, library)) = rest.split_once('/')
    {
        return library.to_owned();
    }
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(Path::to_path_buf));
    relative
        .unwrap_or_else(|| file.to_path_buf())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Origin, origin_by_file, origin_by_name};

    #[test]
    fn std_tokio_and_libc_frames_are_not_application_code() {
        for name in [
            "std::thread::sleep",
            "<std::net::tcp::TcpStream as std::io::Read>::read",
            "tokio::runtime::task::raw::poll",
            "clock_nanosleep",
            "<tokio_metrics::task::Instrumented<T> as core::future::future::Future>::poll",
        ] {
            assert_eq!(origin_by_name(name), Origin::Library, "{name}");
        }
        assert_eq!(
            origin_by_name("stall::sleepy_handler::{{closure}}"),
            Origin::Application
        );
    }

    #[test]
    fn source_files_decide_when_names_are_short() {
        let library = [
            "/rustc/0123abcd/library/std/src/sync/poison/mutex.rs",
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/tokio-1.54.1/src/runtime/task/core.rs",
            concat!(env!("CARGO_MANIFEST_DIR"), "/src/names.rs"),
            "runtime/src/names.rs",
            "./socket/../sysdeps/unix/sysv/linux/recv.c",
        ];
        for file in library {
            assert_eq!(origin_by_file(Path::new(file)), Origin::Library, "{file}");
        }
        assert_eq!(
            origin_by_file(Path::new("/work/app/src/handlers.rs")),
            Origin::Application
        );
    }
}
