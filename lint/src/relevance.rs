//! Which files cannot matter, decided from their words before parsing.
//!
//! Parsing costs about 100 bytes of memory per byte of source (a 10 MB
//! generated file took 1.4 GB), and most of a large generated file's cost
//! buys nothing: a file matters only through
//! - async context of its own (`async`, `.await`, `poll` methods,
//!   executor callbacks);
//! - the call graph: a sync function of it that calls a catalogued
//!   blocking API, or calls a function, method or type of another file
//!   (which may block), or offloads its argument; and the struct fields,
//!   aliases and return types other files' receivers are typed from;
//! - its `mod` declarations (children to walk) and its
//!   `// stallcheck: allow(..)` comments (`unused-allow`).
//!
//! Each of those needs a word that a file which cannot matter never
//! spells: every identifier of every catalog path and configured path
//! (`sleep`, `File`, `Mutex`, `std`, `tokio`, `spawn_blocking`...), the
//! keywords that reach other files or async code (`use`, `crate`, `super`,
//! `self`, `Self`, `mod`, `extern`, `async`, `await`), `poll`/`Future`, the
//! workspace's crate names and `stallcheck`. Without `use`, a file can name
//! nothing outside itself except through such paths: another file's items
//! need `crate::`/`super::`/a crate name, std's need `std`/`core`/`alloc`
//! (also banned: they appear in catalog paths), and the prelude names
//! nothing that blocks. A file none of whose words (comments and strings
//! included, which only makes the test stricter) is one of those is read,
//! counted, and not parsed, if it is at least [`MIN_SIZE`] bytes. Anything
//! else is analysed as usual.

use std::collections::HashSet;

/// Files smaller than this are always parsed: their parse is cheap, and
/// a syntax error in them is still reported. Above it, a file that cannot
/// matter is not parsed, so a syntax error in it goes unreported (rustc
/// reports it; stallcheck had nothing to find there).
pub const MIN_SIZE: usize = 256 << 10;

/// Words that make a file worth parsing, beyond the catalog's.
const KEYWORDS: &[&str] = &[
    "async",
    "await",
    "poll",
    "Poll",
    "Future",
    "IntoFuture",
    "Stream",
    "use",
    "crate",
    "super",
    "self",
    "Self",
    "mod",
    "extern",
    "stallcheck",
    "core",
    "alloc",
];

/// The words of [`may_matter`], built once per run.
#[derive(Clone, Debug)]
pub struct Relevance {
    words: HashSet<String>,
}

impl Relevance {
    /// The built-in catalog's words, the keywords, and the identifiers of
    /// `extra_paths` (user catalog entries) and `crate_names`.
    pub fn new<'a>(
        extra_paths: impl IntoIterator<Item = &'a str>,
        crate_names: impl IntoIterator<Item = &'a str>,
    ) -> Relevance {
        let mut words: HashSet<String> = KEYWORDS.iter().map(|word| word.to_string()).collect();
        collect_toml_words(&builtin_catalog(), &mut words);
        for text in extra_paths.into_iter().chain(crate_names) {
            words.extend(identifiers(text).map(str::to_string));
        }
        Relevance { words }
    }

    /// Whether `source` may matter (see the module documentation); `false`
    /// only when none of its words is one of the relevant ones.
    pub fn may_matter(&self, source: &str) -> bool {
        identifiers(source).any(|word| self.words.contains(word))
    }
}

fn builtin_catalog() -> toml::Value {
    toml::from_str(include_str!("../catalog.toml"))
        .unwrap_or(toml::Value::Table(Default::default()))
}

/// Every identifier in the keys and strings of a TOML value (comments are
/// not part of the value).
fn collect_toml_words(value: &toml::Value, words: &mut HashSet<String>) {
    match value {
        toml::Value::String(text) => words.extend(identifiers(text).map(str::to_string)),
        toml::Value::Array(items) => {
            for item in items {
                collect_toml_words(item, words);
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table {
                words.extend(identifiers(key).map(str::to_string));
                collect_toml_words(item, words);
            }
        }
        _ => {}
    }
}

/// The identifier-like words of a text (`r#async` gives `r` and `async`).
fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| word.chars().next().is_some_and(|c| !c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relevance() -> Relevance {
        Relevance::new(["my_db::query"], ["my_crate"])
    }

    #[test]
    fn generated_sync_code_without_outside_names_cannot_matter() {
        let source = "pub fn helper_1(x: u64) -> u64 {\n    let y = x.wrapping_mul(3);\n    if y > 10 { y - 1 } else { y + 1 }\n}\npub const TABLE: &[(u32, u32)] = &[(1, 2), (3, 4)];\n";
        assert!(!relevance().may_matter(source));
    }

    #[test]
    fn anything_that_reaches_async_code_other_files_or_the_catalog_matters() {
        for source in [
            "async fn f() {}",
            "fn f() { std::thread::sleep(d); }",
            "fn f() { sleep(d); }",
            "fn f(m: &Mutex<u8>) {}",
            "use a::b;",
            "fn f() { crate::x::y(); }",
            "fn f() { super::y(); }",
            "impl S { fn f(&self) { self.g() } }",
            "mod child;",
            "fn f() { my_crate::g(); }",
            "fn f() { my_db::query(); }",
            "fn f() {} // stallcheck: allow(blocking-fs)",
            "fn f() { r#async(); }",
            "impl Future for S { fn poll() {} }",
        ] {
            assert!(relevance().may_matter(source), "{source}");
        }
    }
}
