//! Which command the user typed, `stallcheck` or `cargo stallcheck`, so
//! that messages telling them what to run next (`stallcheck rules`,
//! `stallcheck explain RULE`) name the command they actually use.
//!
//! A process-wide setting rather than a parameter: the messages are made
//! deep inside configuration, catalog and rule code, and one process is
//! only ever one of the two commands.

use std::sync::OnceLock;

static UNDER_CARGO: OnceLock<bool> = OnceLock::new();

/// Called by `cargo stallcheck`'s entry point before anything is printed.
pub fn set_cargo_subcommand() {
    let _ = UNDER_CARGO.set(true);
}

/// `cargo stallcheck` under cargo, else `stallcheck`.
pub fn command() -> &'static str {
    if UNDER_CARGO.get().copied().unwrap_or(false) {
        "cargo stallcheck"
    } else {
        "stallcheck"
    }
}

/// The hint that ends every "unknown rule" message.
pub fn rules_hint() -> String {
    format!("`{} rules` lists them", command())
}
