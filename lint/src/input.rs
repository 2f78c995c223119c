//! Reading the target's files without ever waiting on them: only regular
//! files are read, and none larger than a limit.
//!
//! A FIFO named `x.rs` (given as PATH or reached by `mod x;`) would block a
//! plain `read` until some writer appears, a character device (`/dev/zero`
//! behind a symlink) never ends, and a huge generated file costs memory in
//! proportion. Each is an input error naming the problem instead.
//!
//! The file is opened without blocking (`O_NONBLOCK` on Unix) and its type
//! checked on the open handle, so a file swapped for a FIFO between a check
//! and the open cannot block either.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why a file was not read: one lowercase line, for an `InputError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRead(pub String);

/// Reads `path` if it is a regular file of at most `max_size` bytes.
/// `setting` names where the limit comes from, for the message.
pub fn read_regular_file(path: &Path, max_size: u64, setting: &str) -> Result<Vec<u8>, NotRead> {
    let file = open_without_blocking(path)
        .map_err(|err| NotRead(format!("cannot read file: {}", io_reason(&err))))?;
    let metadata = file
        .metadata()
        .map_err(|err| NotRead(format!("cannot read file: {}", io_reason(&err))))?;
    if !metadata.is_file() {
        return Err(NotRead(format!(
            "not a regular file ({}); not read",
            kind_of(&metadata.file_type())
        )));
    }
    if metadata.len() > max_size {
        return Err(NotRead(format!(
            "file is {}, larger than `{setting}` ({}); not read",
            human_size(metadata.len()),
            human_size(max_size)
        )));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // `take`: a file growing while it is read stops at the limit.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|err| NotRead(format!("cannot read file: {}", io_reason(&err))))?;
    if bytes.len() as u64 > max_size {
        return Err(NotRead(format!(
            "file grew past `{setting}` ({}) while it was read; not read",
            human_size(max_size)
        )));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// `8 MiB`, `10.5 MiB`, `512 KiB`, `12 bytes`: binary units, one decimal
/// when it is not a whole number.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                format!("{:.1} {unit}", bytes as f64 / size as f64)
            };
        }
    }
    if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

/// The OS error text without the "(os error N)" suffix.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_lowercase(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_in_binary_units() {
        assert_eq!(human_size(8 << 20), "8 MiB");
        assert_eq!(human_size(10_000_000), "9.5 MiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(12), "12 bytes");
    }

    #[test]
    fn a_file_over_the_limit_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.rs");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        assert_eq!(
            read_regular_file(&path, 1024, "max-file-size"),
            Err(NotRead(
                "file is 2 KiB, larger than `max-file-size` (1 KiB); not read".to_string()
            ))
        );
        assert_eq!(
            read_regular_file(&path, 2048, "max-file-size").map(|bytes| bytes.len()),
            Ok(2048)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_regular_file(dir.path(), 1024, "max-file-size"),
            Err(NotRead(
                "not a regular file (a directory); not read".to_string()
            ))
        );
    }
}
