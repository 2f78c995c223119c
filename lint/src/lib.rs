//! stallcheck-lint: finds what stalls an async executor, from source alone.
//!
//! The analyzer never executes target code: targets are discovered with
//! `cargo metadata --no-deps`, files are parsed with `syn`, nothing is built.

pub mod analysis;
pub mod baseline;
pub mod callgraph;
pub mod catalog;
pub mod cli;
pub mod color;
pub mod config;
pub mod driver;
pub mod evidence;
pub mod finding;
pub mod fix;
pub mod fix_safety;
pub mod input;
pub mod invocation;
pub mod model;
pub mod output;
pub mod relevance;
pub mod rules;
pub mod suppress;
pub mod vocab;
pub mod workspace;
