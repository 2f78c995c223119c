//! Turning a raw captured stack into names, off the signal path.
//!
//! What a user recognises is chosen here:
//! - **the caller**: the innermost frame of application code, named by the
//!   source function that encloses it (`BlockingStore::add`, from the async
//!   body's symbol `..::BlockingStore::add::{{closure}}`, or from the next
//!   outer frame of the same source file when an inlined body only has its
//!   short name, `{async_fn#0}`), at its `file:line` relative to the
//!   workspace root;
//! - **the blocking call**: the outermost library frame below the caller,
//!   skipping allocator, `alloc`-crate, drop-glue and panic plumbing
//!   (`__GI___libc_free`, `Vec::push`, `drop_in_place`), which is never the
//!   API the application called (a `Vec::push` waiting on malloc's lock is
//!   allocation), and
//!   library futures' `poll` (what blocked is further in; when that is
//!   tokio's scheduler waking a worker, the `tokio::runtime` frame is named:
//!   the runtime's own time, not a blocking call of the application).
//!
//! Resolving an address parses debug info; resolved addresses are cached
//! (bounded) because the sampler resolves the same call paths again and
//! again.

use std::collections::HashMap;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::stack::RawStack;
use crate::lag::lock;

/// A symbolised stack, innermost first, without the sampler's own frames.
#[derive(Debug, Default)]
pub(crate) struct Symbolised {
    pub(crate) frames: Vec<String>,
    /// The API that blocked: the outermost library frame below the caller,
    /// allocator and runtime plumbing skipped.
    pub(crate) blocking_call: Option<String>,
    /// The source function of the innermost application frame.
    pub(crate) caller: Option<String>,
    /// Its `file:line`, the file relative to the workspace root.
    pub(crate) caller_location: Option<String>,
}

#[derive(Clone, Debug)]
struct Frame {
    name: String,
    /// `file:line` for display (relative to the workspace root when the
    /// file is inside one).
    location: Option<String>,
    /// The source file alone, to find an inlined body's enclosing function.
    file: Option<Arc<str>>,
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
    // API the application called), plumbing skipped; with no application
    // frame, the innermost named library frame that is not plumbing.
    let blocking = match caller_index {
        Some(i) => frames[..i]
            .iter()
            .rev()
            .find(|f| has_name(f) && !is_plumbing(&f.name) && !is_async_adapter(&f.name)),
        None => frames
            .iter()
            .find(|f| has_name(f) && f.name.contains("::") && !is_plumbing(&f.name)),
    };
    let caller = caller_index.map(|i| (i, &frames[i]));
    Symbolised {
        blocking_call: blocking.map(describe),
        caller: caller.map(|(i, f)| enclosing_function(&frames, i, f)),
        caller_location: caller.and_then(|(_, f)| f.location.clone()),
        frames: frames.into_iter().map(|f| f.name).collect(),
    }
}

/// The source function around application frame `index`: its own name
/// without closure and async-body segments, or, for a body known only by
/// its short name, that of the next outer frame from the same file.
fn enclosing_function(frames: &[Frame], index: usize, frame: &Frame) -> String {
    if let Some(name) = source_function(&frame.name) {
        return name;
    }
    frames[index + 1..]
        .iter()
        .filter(|outer| outer.file.is_some() && outer.file == frame.file)
        .find_map(|outer| source_function(&outer.name))
        .unwrap_or_else(|| frame.name.clone())
}

/// `a::b::Type::method::{{closure}}` -> `Type::method`;
/// `<a::Type<T> as a::Trait>::method::{async_fn#0}` -> `Type::method`;
/// `a::free_fn` -> `free_fn`; `{async_fn#0}` alone -> `None`.
pub(crate) fn source_function(symbol: &str) -> Option<String> {
    let segments = split_path(symbol);
    let named: Vec<&str> = segments
        .iter()
        .map(|s| s.as_str())
        .take_while(|s| !is_body_segment(s))
        .collect();
    let (&last, before) = named.split_last()?;
    let last = strip_generics(last);
    if last.is_empty() {
        return None;
    }
    let owner = before.last().map(|s| self_type(s)).filter(|s| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c == '[' || c == '&')
    });
    Some(match owner {
        Some(owner) => format!("{owner}::{last}"),
        None => last.to_owned(),
    })
}

/// Closure, async-body and shim segments: not source functions.
fn is_body_segment(segment: &str) -> bool {
    segment.starts_with('{') || segment.is_empty()
}

/// `<a::b::Type<T> as c::Trait>` -> `Type`; `Type<T>` -> `Type`.
fn self_type(segment: &str) -> String {
    let inner = segment
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .map_or(segment, |qualified| {
            qualified.split(" as ").next().unwrap_or(qualified)
        });
    let last = split_path(inner).pop().unwrap_or_default();
    strip_generics(&last).to_owned()
}

fn strip_generics(segment: &str) -> &str {
    segment.split('<').next().unwrap_or(segment).trim()
}

/// Splits a symbol on the `::` that are not inside `<..>`.
fn split_path(symbol: &str) -> Vec<String> {
    let mut segments = Vec::new();
    let mut depth = 0_usize;
    let mut current = String::new();
    let mut chars = symbol.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ':' if depth == 0 && chars.peek() == Some(&':') => {
                chars.next();
                segments.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    segments.push(current);
    segments
}

/// A library future's `poll` (`Next<St>`, `Timeout<F>`): the application
/// awaited it, and what blocked, if anything, is further in. (When that is
/// tokio's scheduler, waking a worker, the tokio frame is named: the time
/// is the runtime's, not a blocking call of the application.)
fn is_async_adapter(name: &str) -> bool {
    name.ends_with(" as core::future::future::Future>::poll")
}

/// Allocator, drop glue and panic plumbing: never the blocking API the
/// application called (a sample can land in them at any time).
fn is_plumbing(name: &str) -> bool {
    const PLUMBING: &[&str] = &[
        "__GI___libc_free",
        "__GI___libc_malloc",
        "__libc_free",
        "__libc_malloc",
        "__libc_calloc",
        "__libc_realloc",
        "_int_free",
        "_int_malloc",
        "_int_realloc",
        "malloc",
        "free",
        "realloc",
        "calloc",
        "cfree",
        "__rust_alloc",
        "__rust_dealloc",
        "__rust_realloc",
        "__rdl_alloc",
        "__rdl_dealloc",
        "__rdl_realloc",
        "memcpy",
        "memmove",
        "memset",
        "__memcpy_avx_unaligned_erms",
        "__memmove_avx_unaligned_erms",
        "__memset_avx2_unaligned_erms",
    ];
    const PLUMBING_PREFIXES: &[&str] = &[
        // The `alloc` crate (collections, `Box`, `Arc`, `format!`) blocks
        // only in the allocator: a `Vec::push` that waits on malloc's lock
        // is allocation, not a blocking API.
        "alloc::",
        "<alloc::",
        // glibc's internal lock (malloc's arena lock) and its futex wait.
        "__GI___lll_lock",
        "__lll_lock",
        "core::ptr::drop_in_place",
        "drop_in_place",
        "core::mem::drop",
        "core::ptr::",
        "std::alloc::",
        "__rust_",
        "tokio::task::coop::",
        "core::ops::function::",
        "<core::pin::Pin<P> as core::future::future::Future>::poll",
        "std::panicking::",
        "std::panic::",
        "__memcpy",
        "__memmove",
        "__memset",
    ];
    PLUMBING.contains(&name)
        || PLUMBING_PREFIXES.iter().any(|p| name.starts_with(p))
        // Drop glue of any type (a `Vec`'s, a file descriptor's).
        || name.ends_with(" as core::ops::drop::Drop>::drop")
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

/// Resolved addresses kept; the cache is emptied when full (a long-running
/// service keeps meeting the same few hundred call paths).
const RESOLVED_CAPACITY: usize = 16_384;

/// Frames (inlined ones first) per return address.
type Resolved = HashMap<usize, Arc<[Frame]>>;

fn resolved_cache() -> &'static Mutex<Resolved> {
    static CACHE: OnceLock<Mutex<Resolved>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

fn resolve_all(raw: &RawStack) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(raw.len());
    for (index, &ip) in raw.iter().enumerate() {
        // Every frame but the innermost holds a return address, which points
        // just after the call; step back into the call instruction.
        let address = if index == 0 { ip } else { ip.saturating_sub(1) };
        let cached = lock(resolved_cache()).get(&address).cloned();
        let resolved = cached.unwrap_or_else(|| {
            let resolved: Arc<[Frame]> = resolve_address(address).into();
            let mut cache = lock(resolved_cache());
            if cache.len() >= RESOLVED_CAPACITY {
                cache.clear();
            }
            cache.insert(address, Arc::clone(&resolved));
            resolved
        });
        frames.extend(resolved.iter().cloned());
    }
    frames
}

fn resolve_address(address: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
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
        let shown = file.map(display_path);
        let location = shown
            .as_deref()
            .zip(symbol.lineno())
            .map(|(file, line)| format!("{file}:{line}"));
        frames.push(Frame {
            name,
            location,
            file: shown.map(Arc::from),
            origin,
        });
    });
    if frames.is_empty() {
        frames.push(Frame {
            name: format!("{address:#x}"),
            location: None,
            file: None,
            origin: Origin::Library,
        });
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
    let absolute = if file.is_absolute() {
        file.to_path_buf()
    } else {
        match std::env::current_dir() {
            Ok(cwd) => cwd.join(file),
            Err(_) => return text.into_owned(),
        }
    };
    workspace_root(&absolute)
        .and_then(|root| absolute.strip_prefix(root).ok())
        .unwrap_or(&absolute)
        .display()
        .to_string()
}

/// The workspace root a source file belongs to: the outermost ancestor
/// holding a `Cargo.toml` with a `[workspace]` table, else the nearest one
/// holding a `Cargo.lock`. Cached per directory (a few `stat`s and at most
/// one small read per directory, once).
fn workspace_root(file: &Path) -> Option<PathBuf> {
    static ROOTS: OnceLock<Mutex<HashMap<PathBuf, Option<PathBuf>>>> = OnceLock::new();
    let dir = file.parent()?;
    let roots = ROOTS.get_or_init(Mutex::default);
    if let Some(known) = lock(roots).get(dir) {
        return known.clone();
    }
    let mut workspace = None;
    let mut locked = None;
    for ancestor in dir.ancestors() {
        let manifest = ancestor.join("Cargo.toml");
        if std::fs::read_to_string(&manifest)
            .is_ok_and(|text| text.lines().any(|l| l.trim() == "[workspace]"))
        {
            workspace = Some(ancestor.to_path_buf());
        }
        if locked.is_none() && ancestor.join("Cargo.lock").is_file() {
            locked = Some(ancestor.to_path_buf());
        }
    }
    let root = workspace.or(locked);
    lock(roots).insert(dir.to_path_buf(), root.clone());
    root
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Origin, is_plumbing, origin_by_file, origin_by_name, source_function};

    #[test]
    fn the_caller_is_named_by_its_source_function_not_its_async_body() {
        for (symbol, function) in [
            (
                "stallcheck_bench::workloads::vector_store::blocking::BlockingStore::add::{{closure}}",
                Some("BlockingStore::add"),
            ),
            (
                "<stallcheck_bench::workloads::vector_store::blocking::BlockingStore as stallcheck_bench::workload::Variant<W>>::execute::{async_fn#0}",
                Some("BlockingStore::execute"),
            ),
            (
                "app::handlers::save::{{closure}}::{{closure}}",
                Some("save"),
            ),
            ("app::Store<T>::flush<u8>", Some("Store::flush")),
            ("watchdog::lock_shared_state", Some("lock_shared_state")),
            ("{async_fn#0}", None),
            ("{closure#1}", None),
        ] {
            assert_eq!(source_function(symbol).as_deref(), function, "{symbol}");
        }
    }

    #[test]
    fn allocator_and_runtime_frames_are_never_the_blocking_call() {
        for name in [
            "__GI___libc_free",
            "_int_free",
            "core::ptr::drop_in_place<alloc::vec::Vec<u8>>",
            "alloc::alloc::dealloc",
            "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop",
            "alloc::vec::Vec<T,A>::push",
            "__GI___lll_lock_wait_private",
        ] {
            assert!(is_plumbing(name), "{name}");
        }
        for name in [
            "fsync",
            "std::fs::File::sync_all",
            "<std::net::tcp::TcpStream as std::io::Read>::read",
            "redis::connection::Connection::req_packed_command",
        ] {
            assert!(!is_plumbing(name), "{name}");
        }
    }

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
