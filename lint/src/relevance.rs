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
//! workspace's crate names. Without `use`, a file can name nothing outside
//! itself except through such paths: another file's items need
//! `crate::`/`super::`/a crate name, std's need `std`/`core`/`alloc` (also
//! banned: they appear in catalog paths), and the prelude names nothing
//! that blocks. Only the words of the code count: comments and string,
//! byte and char literals are skipped (a literal's text never names a
//! path; the one comment that matters, `stallcheck:`, is looked for on its
//! own), so a generated file whose strings say `async` or `lock` is not
//! parsed for them. A file none of whose code words is one of those, and
//! with no `stallcheck:` comment, is read, counted, and not parsed, if it
//! is at least [`MIN_SIZE`] bytes. Anything else is analysed as usual.

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
        source.contains(crate::suppress::PREFIX)
            || code_segments(source)
                .flat_map(identifiers)
                .any(|word| self.words.contains(word))
    }
}

/// The parts of `source` outside comments and string, byte-string, raw
/// string and char literals, in order. A lexing mistake here could only
/// hide words, so the rules are Rust's own (nested block comments, raw
/// strings closed by as many `#` as opened them, `'a'` a char and `'a` a
/// lifetime); a test holds them to `proc_macro2`'s lexer.
pub(crate) fn code_segments(source: &str) -> impl Iterator<Item = &str> {
    let bytes = source.as_bytes();
    let mut at = 0;
    let mut segment_start = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() {
            let skipped_to = match bytes[at] {
                b'/' if bytes.get(at + 1) == Some(&b'/') => Some(line_end(bytes, at)),
                b'/' if bytes.get(at + 1) == Some(&b'*') => {
                    Some(crate::suppress::end_of_block_comment(bytes, at))
                }
                b'"' => Some(string_end(bytes, at + 1)),
                b'\'' => char_literal_end(bytes, at),
                b'r' | b'b' | b'c' if starts_token(bytes, at) => prefixed_literal_end(bytes, at),
                _ => None,
            };
            match skipped_to {
                Some(end) => {
                    let code = &source[segment_start..at];
                    at = end.clamp(at + 1, bytes.len());
                    segment_start = at;
                    if !code.is_empty() {
                        return Some(code);
                    }
                }
                None => at += 1,
            }
        }
        let rest = &source[segment_start..];
        segment_start = bytes.len();
        (!rest.is_empty()).then_some(rest)
    })
}

/// Whether the byte at `at` begins a token (no identifier character
/// before it: `br"x"` is a literal, `abr"x"` is not valid Rust anyway).
fn starts_token(bytes: &[u8], at: usize) -> bool {
    at == 0 || {
        let before = bytes[at - 1];
        !(before.is_ascii_alphanumeric() || before == b'_' || before >= 0x80)
    }
}

fn line_end(bytes: &[u8], at: usize) -> usize {
    bytes[at..]
        .iter()
        .position(|byte| *byte == b'\n')
        .map_or(bytes.len(), |offset| at + offset)
}

/// The end of a (byte or C) string whose text starts at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// At a `'`: the end of the char (or byte) literal it opens, or `None`
/// for a lifetime or label (`'a`, `'outer:`), which is code.
fn char_literal_end(bytes: &[u8], at: usize) -> Option<usize> {
    let first = *bytes.get(at + 1)?;
    if first == b'\\' {
        // `'\''`, `'\\'`, `'\u{1F600}'`: the escaped character, then up to the quote.
        let close = bytes
            .get(at + 3..)?
            .iter()
            .position(|byte| *byte == b'\'')?;
        return Some(at + 3 + close + 1);
    }
    // One character (up to four bytes of UTF-8), then the closing quote.
    let width = match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    };
    (bytes.get(at + 1 + width) == Some(&b'\'')).then_some(at + 2 + width)
}

/// At an `r`, `b` or `c` that starts a token: the end of the literal it
/// prefixes (`r"..."`, `r#"..."#`, `b"..."`, `br#"..."#`, `c"..."`,
/// `b'x'`), or `None` for an identifier (`r#async` included).
fn prefixed_literal_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut index = at;
    if matches!(bytes[index], b'b' | b'c') {
        index += 1;
        match bytes.get(index) {
            Some(b'"') => return Some(string_end(bytes, index + 1)),
            Some(b'\'') if bytes[at] == b'b' => return char_literal_end(bytes, index),
            Some(b'r') => {}
            _ => return None,
        }
    }
    // At the `r` of a raw string, or of an identifier.
    index += 1;
    let hashes = bytes[index..]
        .iter()
        .take_while(|byte| **byte == b'#')
        .count();
    index += hashes;
    if bytes.get(index) != Some(&b'"') {
        return None;
    }
    let closing_hashes = |quote: usize| {
        bytes[quote + 1..]
            .iter()
            .take(hashes)
            .take_while(|byte| **byte == b'#')
            .count()
            == hashes
    };
    let text_start = index + 1;
    Some(
        (text_start..bytes.len())
            .find(|quote| bytes[*quote] == b'"' && closing_hashes(*quote))
            .map_or(bytes.len(), |quote| quote + 1 + hashes),
    )
}

fn builtin_catalog() -> toml::Value {
    toml::from_str(include_str!("../catalog.toml"))
        .unwrap_or(toml::Value::Table(Default::default()))
}

/// Every identifier in the keys and strings of a TOML value (comments are
/// not part of the value), except the strings that cannot be a Rust name:
/// kebab-case values (rule ids such as `blocking-fs`, `blocks =
/// "on-name-resolution"`) and severities. Their words (`name`, `client`,
/// `on`, `error`) are not segments of any catalogued path, and counting
/// them would parse every large file with a variable called `name`.
fn collect_toml_words(value: &toml::Value, words: &mut HashSet<String>) {
    match value {
        toml::Value::String(text) if text.contains('-') => {}
        toml::Value::String(text) => words.extend(identifiers(text).map(str::to_string)),
        toml::Value::Array(items) => {
            for item in items {
                collect_toml_words(item, words);
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table {
                words.extend(identifiers(key).map(str::to_string));
                if key != "severity" {
                    collect_toml_words(item, words);
                }
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

    #[test]
    fn words_in_comments_and_literals_do_not_matter() {
        let source = "pub fn block_on_lock_1(x: u64) -> u64 {\n    \
                      let label = \"async lock block_on 1\";\n    \
                      let raw = r#\"std::fs::read(\"x\")\"#;\n    \
                      let octets = b\"Mutex\";\n    \
                      let quote = '\"'; // use tokio::sync::Mutex;\n    \
                      /* async /* nested */ await */\n    \
                      x.wrapping_mul(label.len() as u64)\n}\n";
        assert!(!relevance().may_matter(source));
    }

    #[test]
    fn the_words_of_rule_ids_and_severities_are_not_names() {
        // `blocks = "on-name-resolution"`, `"blocking-client"`, `severity = "error"`.
        let words = &relevance().words;
        for word in ["name", "on", "resolution", "error", "note"] {
            assert!(!words.contains(word), "{word}");
        }
        // The paths' own words stay: `std::sync::Mutex::lock`, `std::fs::read`.
        for word in ["std", "sync", "Mutex", "lock", "fs", "read", "block_on"] {
            assert!(words.contains(word), "{word}");
        }
    }

    #[test]
    fn code_after_a_literal_or_comment_still_counts() {
        for source in [
            "fn f() { let s = \"a\\\"b\"; std::fs::read(s); }",
            "fn f() { let s = r##\"a\"#b\"##; sleep(d); }",
            "fn f<'a>(x: &'a u8) -> Mutex<u8> { todo!() }",
            "fn f() { let q = '\"'; lock(); }",
            "fn f() { let q = '\\''; lock(); }",
            "fn f() { let q = b'\"'; lock(); }",
            "fn f() { /* a /* b */ c */ lock(); }",
            "fn f() { 'outer: loop { break 'outer; } lock(); }",
            "fn f() { let x = br#\"a\"#; lock(); }",
            "fn f() -> u8 { 1 } // stallcheck: allow(blocking-fs)",
        ] {
            assert!(relevance().may_matter(source), "{source}");
        }
    }

    /// Every identifier `proc_macro2`'s lexer sees; `doc` comments are
    /// `#[doc = ".."]` attributes to it.
    fn lexer_identifiers(tokens: proc_macro2::TokenStream, words: &mut HashSet<String>) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(ident) => {
                    let text = ident.to_string();
                    words.insert(text.trim_start_matches("r#").to_string());
                }
                proc_macro2::TokenTree::Group(group) => lexer_identifiers(group.stream(), words),
                _ => {}
            }
        }
    }

    #[test]
    fn the_code_words_are_the_lexers_identifiers() {
        // Over the fixtures and the linter's own sources: every identifier
        // the real lexer sees is a code word (no word is ever hidden), and
        // every code word is one of its identifiers or a literal's prefix
        // or suffix (`b"..."`, `1_u8`).
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        let mut pending = vec![root.join("fixtures/src"), root.join("lint/src")];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                if path.extension().is_none_or(|ext| ext != "rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                let Ok(tokens) = source.parse::<proc_macro2::TokenStream>() else {
                    continue;
                };
                let mut expected = HashSet::new();
                lexer_identifiers(tokens, &mut expected);
                let found: HashSet<String> = code_segments(&source)
                    .flat_map(identifiers)
                    .map(str::to_string)
                    .collect();
                let hidden: Vec<&String> = expected
                    .iter()
                    .filter(|word| !found.contains(*word) && *word != "doc")
                    .collect();
                assert!(hidden.is_empty(), "{}: {hidden:?}", path.display());
                let extra: Vec<&String> = found
                    .iter()
                    .filter(|word| !expected.contains(*word))
                    .filter(|word| !matches!(word.as_str(), "b" | "c" | "r" | "br" | "cr"))
                    .collect();
                assert!(extra.is_empty(), "{}: {extra:?}", path.display());
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} files checked");
    }
}
