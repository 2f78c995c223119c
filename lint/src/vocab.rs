//! The shared vocabulary: small plain types every layer of the linter
//! names (the analysis, the model, the catalog, the rules, the call graph).
//! This module imports nothing of the linter, so no import circle can
//! pass through it.

/// A receiver type as far as it is known: a resolved type path (generic
/// arguments dropped), a tuple of such (for destructuring `let`s), or a
/// type known only by the traits it implements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Named(String),
    Tuple(Vec<Option<Ty>>),
    /// Some type implementing these traits (resolved paths): a generic
    /// parameter with bounds (`B: Backend`), `impl Backend`, `dyn Backend`.
    /// Its methods are the implementations' (the call graph dispatches
    /// them); it is no catalogued type.
    Bounded(Vec<String>),
}

/// The Rust edition of the crate a file belongs to (from its manifest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Edition {
    E2015,
    E2018,
    E2021,
    E2024,
}

impl Edition {
    pub fn parse(text: &str) -> Option<Edition> {
        match text {
            "2015" => Some(Edition::E2015),
            "2018" => Some(Edition::E2018),
            "2021" => Some(Edition::E2021),
            "2024" => Some(Edition::E2024),
            _ => None,
        }
    }
}

/// The async runtime the target depends on (read from its manifest); the help
/// line names this runtime's alternative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AsyncRuntime {
    Tokio,
    AsyncStd,
    Smol,
    /// No known runtime among the dependencies (or no manifest): help names tokio.
    Unknown,
}

/// The lines an item spans, outer attributes and doc comments included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemLines {
    pub first: usize,
    pub last: usize,
    /// False for test code the analysis skipped (`include_tests` off): an
    /// allow inside it may well be needed when tests are linted.
    pub analysed: bool,
}

/// The run could not happen at all (exit code 2): bad path, no Rust source,
/// broken manifest, bad configuration. One line, names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FatalError(pub String);

impl std::fmt::Display for FatalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FatalError {}
