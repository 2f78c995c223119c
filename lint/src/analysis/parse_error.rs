//! A parse error that says what is wrong.
//!
//! syn reports every lexing failure in proc-macro2's words, "cannot parse
//! string into token stream", at the place the lexer stopped: an unclosed
//! delimiter, a closing one that matches nothing, an unterminated string or
//! comment, a character Rust has no token for. The character at that place
//! says which, and a scan of the delimiters before it (over the code words
//! only: `relevance::code_segments` skips comments and literals as the
//! lexer does) names the one a mismatched closer was meant to close.
//!
//! Some code rustc accepts in older editions is rejected by syn 2, with a
//! message that blames the reader ("expected `,`"): bare trait objects
//! (`Box<Fn()>`), anonymous trait method parameters (`fn f(u8);`) and
//! edition-2018 keywords used as names in edition 2015. Those are named too.

use super::ParseError;
use crate::finding::Span;
use crate::vocab::Edition;

/// proc-macro2's message for every lexing failure.
const LEX_ERROR: &str = "cannot parse string into token stream";

/// syn's error, with its opaque messages replaced by their cause.
pub(super) fn describe(source: &str, error: &syn::Error, edition: Edition) -> ParseError {
    let span = Span::from_proc_macro2(error.span());
    let syn_message = error.to_string();
    // syn parses what follows a byte-order mark: positions are relative to it.
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let at = byte_offset(source, span.line, span.column);
    let cause = at.and_then(|at| {
        if syn_message == LEX_ERROR {
            lex_cause(source, at)
        } else {
            syntax_cause(source, at, &syn_message, edition)
        }
    });
    ParseError {
        message: cause.unwrap_or(syn_message),
        span: Some(span),
    }
}

/// Why the lexer stopped at byte `at`.
fn lex_cause(source: &str, at: usize) -> Option<String> {
    let rest = &source[at..];
    let found = rest.chars().next()?;
    let cause = match found {
        '(' | '[' | '{' => {
            let mut open = open_delimiters(source, source.len());
            // The lexer stops at the innermost unclosed one: this one.
            open.retain(|(_, offset)| *offset < at);
            let outer: Vec<String> = open
                .iter()
                .rev()
                .take(3)
                .map(|(delimiter, offset)| {
                    format!("the `{delimiter}` at {}", at_text(source, *offset))
                })
                .collect();
            if outer.is_empty() {
                format!("unclosed delimiter: this `{found}` is never closed")
            } else {
                format!(
                    "unclosed delimiter: this `{found}` is never closed (nor {})",
                    outer.join(", ")
                )
            }
        }
        ')' | ']' | '}' => match open_delimiters(source, at).last() {
            None => format!("unexpected closing delimiter `{found}`: nothing is open here"),
            Some((open, offset)) => format!(
                "mismatched closing delimiter `{found}`: the `{open}` opened at {} is still open",
                at_text(source, *offset)
            ),
        },
        '/' if rest.starts_with("/*") => "unterminated block comment".to_string(),
        '"' => string_cause(rest),
        'b' | 'c' | 'r' if literal_prefix(rest) => string_cause(rest),
        '\'' => "invalid character literal".to_string(),
        other if !other.is_ascii() || matches!(other, '\\' | '`') => format!(
            "unexpected character `{other}` (U+{:04X}), which starts no Rust token",
            u32::from(other)
        ),
        _ => return None,
    };
    Some(cause)
}

/// At a (byte, C or raw) string literal the lexer rejected.
fn string_cause(literal: &str) -> String {
    if literal.starts_with("b'") {
        return "invalid byte literal".to_string();
    }
    let quote = literal.find('"').unwrap_or(0);
    let (prefix, body) = (&literal[..quote], &literal[quote + 1..]);
    let closed = if prefix.contains('r') {
        // A raw string ends at a quote followed by as many `#` as opened it.
        body.contains(&format!("\"{}", "#".repeat(prefix.matches('#').count())))
    } else {
        let mut bytes = body.bytes();
        loop {
            match bytes.next() {
                Some(b'\\') => {
                    bytes.next();
                }
                Some(b'"') => break true,
                Some(_) => {}
                None => break false,
            }
        }
    };
    if closed {
        "invalid string literal (an unknown escape, or a raw string whose `#`s do not match)"
            .to_string()
    } else {
        "unterminated string literal: it runs to the end of the file".to_string()
    }
}

/// `b"`, `b'`, `br"`, `r"`, `r#"`, `c"`, `cr#"`: a literal, not an identifier.
fn literal_prefix(text: &str) -> bool {
    let rest = text
        .strip_prefix('b')
        .or_else(|| text.strip_prefix('c'))
        .unwrap_or(text);
    if rest.starts_with('"') || (text.starts_with('b') && rest.starts_with('\'')) {
        return true;
    }
    rest.strip_prefix('r')
        .is_some_and(|raw| raw.trim_start_matches('#').starts_with('"'))
}

/// Delimiters opened and not closed before byte `end`, outermost first,
/// with their offsets; comments and literals are skipped.
fn open_delimiters(source: &str, end: usize) -> Vec<(char, usize)> {
    let mut open = Vec::new();
    for segment in crate::relevance::code_segments(source) {
        let start = segment.as_ptr() as usize - source.as_ptr() as usize;
        for (index, byte) in segment.bytes().enumerate() {
            let offset = start + index;
            if offset >= end {
                return open;
            }
            match byte {
                b'(' | b'[' | b'{' => open.push((char::from(byte), offset)),
                b')' | b']' | b'}' => {
                    open.pop();
                }
                _ => {}
            }
        }
    }
    open
}

/// Why syn refused code that rustc accepts in an older edition, when the
/// error at byte `at` has that shape.
fn syntax_cause(source: &str, at: usize, message: &str, edition: Edition) -> Option<String> {
    let before = source[..at].trim_end();
    if source[at..].starts_with('(') {
        let word = last_word(before);
        if matches!(word, "Fn" | "FnMut" | "FnOnce") {
            return Some(format!(
                "`{word}(..)` is a bare trait object (no `dyn`): rustc accepts it before edition 2021, \
                 but stallcheck's parser (syn 2) does not; write `dyn {word}(..)`"
            ));
        }
    }
    if edition == Edition::E2015 {
        for keyword in ["async", "await", "dyn", "try"] {
            if message == format!("expected identifier, found keyword `{keyword}`") {
                return Some(format!(
                    "{message}: `{keyword}` is a name in edition 2015, but stallcheck's parser (syn 2) \
                     reads it as the keyword of later editions; rename it or write `r#{keyword}`"
                ));
            }
        }
        // The parameter's pattern is followed by `)` or `,`, not by `: Type`.
        let ends_parameter = source[at..].starts_with([')', ',']);
        if message == "expected `:`" && ends_parameter && in_fn_parameters(before) {
            return Some(
                "a parameter without a name (`fn f(u8);`, allowed in trait methods in edition 2015): \
                 stallcheck's parser (syn 2) needs `_: Type`"
                    .to_string(),
            );
        }
    }
    None
}

/// Whether `before` ends inside the parameter list of a `fn` signature:
/// the nearest unclosed `(` follows `fn NAME` (with optional generics).
fn in_fn_parameters(before: &str) -> bool {
    let mut depth = 0usize;
    for (index, byte) in before.bytes().enumerate().rev() {
        match byte {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' => {
                let mut head = before[..index].trim_end();
                if head.ends_with('>') {
                    // `fn f<T>(..)`: skip the generics (no `>` inside them here).
                    head = head[..head.rfind('<').unwrap_or(0)].trim_end();
                }
                let name = last_word(head);
                return !name.is_empty()
                    && last_word(head[..head.len() - name.len()].trim_end()) == "fn";
            }
            b'[' | b'{' | b';' => return false,
            _ => {}
        }
    }
    false
}

/// The identifier `text` ends with ("" if none).
fn last_word(text: &str) -> &str {
    let start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
        .last()
        .map_or(text.len(), |(index, _)| index);
    &text[start..]
}

/// The byte offset of a 1-based line and column (columns count characters).
fn byte_offset(source: &str, line: usize, column: usize) -> Option<usize> {
    let line_start = match line {
        0 => return None,
        1 => 0,
        _ => source.match_indices('\n').nth(line - 2)?.0 + 1,
    };
    let rest = &source[line_start..];
    let in_line = rest
        .char_indices()
        .map(|(index, _)| index)
        .chain(std::iter::once(rest.len()))
        .nth(column.checked_sub(1)?)?;
    Some(line_start + in_line)
}

/// `line:column` (1-based, columns in characters) of a byte offset.
fn at_text(source: &str, offset: usize) -> String {
    let (line, column) = crate::finding::line_column(source, offset);
    format!("{line}:{column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message for `source`, parsed as a file of `edition`.
    fn message_in(edition: Edition, source: &str) -> String {
        let error = syn::parse_file(source).expect_err("the source does not parse");
        describe(source, &error, edition).message
    }

    fn message(source: &str) -> String {
        message_in(Edition::E2021, source)
    }

    #[test]
    fn an_unclosed_delimiter_is_named_at_its_position() {
        let source = "fn f() {\n    if x {\n        g();\n}\n";
        let error = syn::parse_file(source).unwrap_err();
        let described = describe(source, &error, Edition::E2021);
        assert_eq!(
            described.message,
            "unclosed delimiter: this `{` is never closed"
        );
        let span = described.span.unwrap();
        assert_eq!((span.line, span.column), (1, 8));
    }

    #[test]
    fn the_delimiters_around_an_unclosed_one_are_named_too() {
        assert_eq!(
            message("pub fn oops( {\n"),
            "unclosed delimiter: this `{` is never closed (nor the `(` at 1:12)"
        );
    }

    #[test]
    fn a_mismatched_closer_names_the_delimiter_still_open() {
        assert_eq!(
            message("fn f() {\n    g(1, 2];\n}\n"),
            "mismatched closing delimiter `]`: the `(` opened at 2:6 is still open"
        );
    }

    #[test]
    fn delimiters_in_strings_chars_and_comments_do_not_count() {
        assert_eq!(
            message("fn f() {\n    let s = \"(\"; // [\n    let c = '{'; /* ( */\n    g(1];\n}\n"),
            "mismatched closing delimiter `]`: the `(` opened at 4:6 is still open"
        );
    }

    #[test]
    fn a_closer_with_nothing_open_is_unexpected() {
        assert_eq!(
            message("fn f() {}\n}\n"),
            "unexpected closing delimiter `}`: nothing is open here"
        );
    }

    #[test]
    fn unterminated_strings_and_comments_are_named() {
        assert_eq!(
            message("fn f() { let s = \"abc;\n}\n"),
            "unterminated string literal: it runs to the end of the file"
        );
        assert_eq!(
            message("fn f() { let s = r#\"abc\"; }\n"),
            "unterminated string literal: it runs to the end of the file"
        );
        assert_eq!(
            message("fn f() { /* abc\n}\n"),
            "unterminated block comment"
        );
    }

    #[test]
    fn a_character_that_starts_no_token_is_named() {
        assert_eq!(
            message("fn f() { let x = 1 € 2; }\n"),
            "unexpected character `€` (U+20AC), which starts no Rust token"
        );
    }

    #[test]
    fn a_bare_trait_object_is_named_with_its_fix() {
        for (source, word) in [
            ("fn a() -> Box<Fn()> { todo!() }\n", "Fn"),
            ("fn b(x: &mut FnMut(u8)) {}\n", "FnMut"),
            ("struct S { f: Box<FnOnce() + Send> }\n", "FnOnce"),
        ] {
            assert_eq!(
                message(source),
                format!(
                    "`{word}(..)` is a bare trait object (no `dyn`): rustc accepts it before edition 2021, \
                     but stallcheck's parser (syn 2) does not; write `dyn {word}(..)`"
                ),
                "{source}"
            );
        }
    }

    #[test]
    fn an_edition_2015_keyword_used_as_a_name_is_explained_in_2015_only() {
        let source = "fn async() {}\n";
        assert_eq!(
            message_in(Edition::E2015, source),
            "expected identifier, found keyword `async`: `async` is a name in edition 2015, but \
             stallcheck's parser (syn 2) reads it as the keyword of later editions; rename it or write `r#async`"
        );
        assert_eq!(
            message_in(Edition::E2018, source),
            "expected identifier, found keyword `async`"
        );
    }

    #[test]
    fn an_anonymous_trait_parameter_is_explained_in_2015() {
        let expected = "a parameter without a name (`fn f(u8);`, allowed in trait methods in edition 2015): \
                        stallcheck's parser (syn 2) needs `_: Type`";
        assert_eq!(
            message_in(Edition::E2015, "trait T {\n    fn f(&self, u8);\n}\n"),
            expected
        );
        assert_eq!(
            message_in(Edition::E2015, "trait T { fn g<X>(&u8) -> X; }\n"),
            expected
        );
    }

    #[test]
    fn other_syntax_errors_keep_syns_message() {
        for (edition, source) in [
            (Edition::E2021, "fn f() { g(1 2); }\n"),
            (Edition::E2021, "fn f(u8) {}\n"),
            (Edition::E2015, "fn f(a u8) {}\n"),
            (Edition::E2015, "fn f() { let x = Fn; x(1 2) }\n"),
        ] {
            let error = syn::parse_file(source).unwrap_err();
            assert_ne!(error.to_string(), LEX_ERROR);
            assert_eq!(
                describe(source, &error, edition).message,
                error.to_string(),
                "{source}"
            );
        }
    }
}
