//! Property test over mutated fixtures: the fixture files, with token ranges
//! cut and pasted elsewhere, duplicated or deleted, linted as a tokio crate.
//! For every mutant:
//! - nothing panics (no "analyzer panicked" input error, no panic here);
//! - the JSON and SARIF renderings are valid JSON;
//! - every fixed text parses, and `--fix` is idempotent: fixing the fixed
//!   crate again changes nothing.
//!
//! Mutants come from a seeded generator, so a failure names the seed and
//! the mutation that reproduce it. The suite runs `STALLCHECK_MUTANTS`
//! mutants (default 24, a few seconds); `cargo xtask mutate --mutants N`
//! runs a long campaign in release mode.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use stallcheck_lint::driver::{self, Options, Report};
use stallcheck_lint::fix;
use stallcheck_lint::output::{self, Format, RenderOptions};

const DEFAULT_MUTANTS: usize = 24;
const SEED: u64 = 0x5eed_cafe_f00d_0014;

const MANIFEST: &str = "[package]\nname = \"mutant\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

/// splitmix64: a deterministic stream of mutation choices (a dependency
/// would be more than these lines).
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// The fixtures' Rust files, by name.
fn fixtures() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/src");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("the fixtures are in the repository")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Byte ranges of the file's tokens (leaves, and groups' delimiters).
fn token_ranges(source: &str) -> Vec<std::ops::Range<usize>> {
    lexed(source).0
}

/// Byte ranges of the file's whole token trees (a leaf, or a group with
/// its delimiters): balanced, so moving them keeps more mutants parsing.
fn tree_ranges(source: &str) -> Vec<std::ops::Range<usize>> {
    lexed(source).1
}

/// (tokens, trees) of [`token_ranges`] and [`tree_ranges`].
fn lexed(source: &str) -> (Vec<std::ops::Range<usize>>, Vec<std::ops::Range<usize>>) {
    let Ok(tokens) = source.parse::<TokenStream>() else {
        return (Vec::new(), Vec::new());
    };
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(source.match_indices('\n').map(|(at, _)| at + 1))
        .collect();
    let offset = |at: proc_macro2::LineColumn| -> usize {
        let start = line_starts[at.line - 1];
        let line = &source[start..];
        start
            + line
                .char_indices()
                .nth(at.column)
                .map_or(line.len(), |(byte, _)| byte)
    };
    let mut ranges = Vec::new();
    let mut trees = Vec::new();
    let mut stack: Vec<TokenTree> = tokens.into_iter().collect();
    stack.reverse();
    while let Some(tree) = stack.pop() {
        match tree {
            TokenTree::Group(group) => {
                let open = group.span_open();
                let close = group.span_close();
                ranges.push(offset(open.start())..offset(open.end()));
                ranges.push(offset(close.start())..offset(close.end()));
                trees.push(offset(open.start())..offset(close.end()));
                let mut inner: Vec<TokenTree> = group.stream().into_iter().collect();
                inner.reverse();
                stack.extend(inner);
            }
            other => {
                let span = other.span();
                ranges.push(offset(span.start())..offset(span.end()));
                trees.push(offset(span.start())..offset(span.end()));
            }
        }
    }
    ranges.sort_by_key(|range| range.start);
    trees.sort_by_key(|range| range.start);
    (ranges, trees)
}

/// One mutation of a token range (or, one time in three, of whole lines:
/// statements mostly, so that more mutants parse and have fixes to
/// apply), described for the failure message.
fn mutate(source: &str, choices: &mut Choices) -> (String, String) {
    if choices.below(3) == 0 {
        return mutate_lines(source, choices);
    }
    let tokens = token_ranges(source);
    if tokens.len() < 2 {
        return (source.to_string(), "unchanged (no tokens)".to_string());
    }
    // Half the time a whole token tree (balanced), else a run of tokens.
    let range = if choices.below(2) == 0 {
        let trees = tree_ranges(source);
        trees[choices.below(trees.len())].clone()
    } else {
        let first = choices.below(tokens.len());
        let length = 1 + choices.below(12.min(tokens.len() - first));
        tokens[first].start..tokens[first + length - 1].end
    };
    let piece = &source[range.clone()];
    match choices.below(3) {
        0 => (
            format!("{}{}", &source[..range.start], &source[range.end..]),
            format!("delete bytes {range:?}"),
        ),
        1 => (
            format!(
                "{}{piece} {piece}{}",
                &source[..range.start],
                &source[range.end..]
            ),
            format!("duplicate bytes {range:?}"),
        ),
        _ => {
            let without = format!("{}{}", &source[..range.start], &source[range.end..]);
            let boundaries: Vec<usize> = token_ranges(&without)
                .into_iter()
                .map(|token| token.start)
                .collect();
            let at = boundaries
                .get(choices.below(boundaries.len()))
                .copied()
                .unwrap_or(0);
            (
                format!("{}{piece} {}", &without[..at], &without[at..]),
                format!("cut bytes {range:?} and paste at {at}"),
            )
        }
    }
}

/// Deletes or duplicates one to three whole lines.
fn mutate_lines(source: &str, choices: &mut Choices) -> (String, String) {
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    if lines.is_empty() {
        return (source.to_string(), "unchanged (no lines)".to_string());
    }
    let first = choices.below(lines.len());
    let last = (first + choices.below(3)).min(lines.len() - 1);
    let piece: String = lines[first..=last].concat();
    let before: String = lines[..first].concat();
    let after: String = lines[last + 1..].concat();
    if choices.below(2) == 0 {
        (
            format!("{before}{after}"),
            format!("delete lines {}..={}", first + 1, last + 1),
        )
    } else {
        (
            format!("{before}{piece}{piece}{after}"),
            format!("duplicate lines {}..={}", first + 1, last + 1),
        )
    }
}

fn lint(dir: &Path) -> Report {
    let options = Options {
        no_config: true,
        jobs: Some(1),
        ..Options::default()
    };
    driver::run(dir, &options).unwrap_or_else(|err| panic!("run failed: {err}"))
}

/// Checks every property on one mutant; `case` says how to reproduce it.
/// Returns whether `--fix` had something to rewrite.
fn check_mutant(dir: &Path, lib: &Path, text: &str, case: &str) -> bool {
    std::fs::write(lib, text).unwrap();
    let report = lint(dir);
    for error in &report.errors {
        assert!(
            !error.message.contains("panicked"),
            "{case}: {}\n--- mutant ---\n{text}",
            error.message
        );
    }
    for format in [Format::Json, Format::Sarif] {
        let rendered = output::render(format, &report, RenderOptions::default(), &|_| None);
        if let Err(err) = serde_json::from_str::<serde_json::Value>(&rendered) {
            panic!("{case}: {format:?} output is not JSON ({err})");
        }
    }
    let plan = fix::plan(&report.root, &report.findings, true);
    for file in &plan.files {
        if let Err(err) = syn::parse_file(&file.fixed) {
            panic!("{case}: fixed text does not parse ({err})\n{}", file.fixed);
        }
        std::fs::write(&file.file, &file.fixed).unwrap();
    }
    if !plan.files.is_empty() {
        let again = lint(dir);
        let second = fix::plan(&again.root, &again.findings, true);
        let changed: Vec<String> = second.files.iter().map(FileFix::diff).collect();
        assert!(
            changed.is_empty(),
            "{case}: a second --fix changed the fixed text:\n{}",
            changed.concat()
        );
    }
    !plan.files.is_empty()
}

use stallcheck_lint::fix::FileFix;

#[test]
fn mutated_fixtures_never_panic_render_json_and_fix_idempotently() {
    let mutants = std::env::var("STALLCHECK_MUTANTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_MUTANTS);
    let seed = std::env::var("STALLCHECK_MUTATION_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(SEED);
    let fixtures = fixtures();
    assert!(!fixtures.is_empty(), "no fixture files found");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), MANIFEST).unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    let lib: PathBuf = dir.path().join("src/lib.rs");
    // The unmutated fixtures first; those with fixes are mutated two times
    // in three, so that fixing mutants is exercised, not only parsing them.
    let fixable: Vec<usize> = (0..fixtures.len())
        .filter(|&index| {
            let (name, source) = &fixtures[index];
            check_mutant(dir.path(), &lib, source, &format!("unmutated {name}"))
        })
        .collect();
    assert!(!fixable.is_empty(), "no fixture has a fix to apply");
    let mut choices = Choices(seed);
    let mut fixed = 0;
    for index in 0..mutants {
        let pick = if choices.below(3) < 2 {
            fixable[choices.below(fixable.len())]
        } else {
            choices.below(fixtures.len())
        };
        let (name, source) = &fixtures[pick];
        // One or two mutations stacked.
        let mut text = source.clone();
        let mut steps = Vec::new();
        for _ in 0..=choices.below(2) {
            let (mutated, step) = mutate(&text, &mut choices);
            text = mutated;
            steps.push(step);
        }
        let case = format!(
            "mutant {index} (STALLCHECK_MUTATION_SEED={seed}) of {name}: {}",
            steps.join(", then ")
        );
        fixed += usize::from(check_mutant(dir.path(), &lib, &text, &case));
    }
    // Otherwise the idempotency property was never exercised.
    assert!(
        mutants < 8 || fixed > 0,
        "none of {mutants} mutants had a fix to apply"
    );
    eprintln!("{mutants} mutants, {fixed} with fixes applied");
}
