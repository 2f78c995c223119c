//! How paths are shown, and which ones lead out of a package through a
//! symbolic link.

use std::path::Path;

use crate::workspace;

/// When `path` (lexically inside the package) is, or goes through, a
/// symbolic link to a place outside it: says so, naming link and target.
pub(super) fn symlink_out_of(path: &Path, package_dir: &Path, root: &Path) -> Option<String> {
    if !workspace::normalize_lexically(path).starts_with(package_dir) {
        // Outside by its own spelling, not through a link.
        return None;
    }
    // Not there (or a link loop): reading it will report the problem.
    let real = path.canonicalize().ok()?;
    if real.starts_with(package_dir) {
        return None;
    }
    let link = relative_path(root, path);
    let target = real.display();
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink());
    Some(if is_link {
        format!("`{link}` is a symbolic link to `{target}`, outside the package; not read")
    } else {
        format!(
            "`{link}` leads through a symbolic link to `{target}`, outside the package; not read"
        )
    })
}

/// `path` relative to `root`, `/`-separated; the full path when outside.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let Ok(relative) = path.strip_prefix(root) else {
        return path.display().to_string();
    };
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}
