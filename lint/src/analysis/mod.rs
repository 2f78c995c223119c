//! Per-file analysis: parse one file, find async contexts, resolve calls
//! against the blocking-API catalog, report findings.
//!
//! CONTRACT (shared by the driver): `analyze_file` is a pure function of its
//! inputs; it never touches the filesystem and never panics on any input.
//!
//! Code map: `modules` lists out-of-line `mod` declarations for the driver;
//! `scope` resolves paths (a cheap pre-pass over items builds the file's
//! module table, the walker pushes block scopes); `types` types receivers;
//! `walker` is the single pass that tracks async context and reports;
//! `socket_addr` tells the addresses that need no name resolution (for
//! catalog entries that block only on it, `TcpListener::bind`);
//! `macros` parses the bodies of well-known macros; `attrs` holds the
//! attribute predicates (`#[cfg(test)]`, `#[test]`, `#[path]`, clippy's
//! `await_holding_*` allows); `summary` is the plain data the walker
//! gathers for the call graph (`crate::callgraph`); `guards` applies Rust's drop scopes to the
//! lock guards the walker sees, for `lock-held-across-await` (the walker
//! feeds it events in evaluation order: guard-returning call, `let`, move,
//! `.await`, end of statement/block/body).
//!
//! Invariants: findings are matched on resolved, canonical paths against
//! the catalog, never on raw text (the one exception, documented in
//! `sync-lock-in-async`, is the `.lock().unwrap()` shape on a receiver of
//! unknown type, reported with `Confidence::Inferred`); the syntax tree is
//! dropped before `analyze_file` returns; recursion is bounded by the input's
//! nesting, which the driver's worker stack accommodates.

mod attrs;
mod guards;
mod macros;
mod modules;
mod parse_error;
mod questions;
mod scope;
mod socket_addr;
pub mod summary;
#[cfg(test)]
mod tests;
mod types;
mod walker;

pub use scope::Ty;

use crate::catalog::Catalog;
use crate::finding::{Finding, Span};

pub use crate::vocab::{AsyncRuntime, Edition, ItemLines};

/// Everything `analyze_file` needs to know about the file besides its text.
#[derive(Clone, Copy, Debug)]
pub struct FileContext<'a> {
    /// Path relative to the analysed root, `/`-separated (goes into findings).
    pub rel_path: &'a str,
    pub edition: Edition,
    pub runtime: AsyncRuntime,
    /// The features the target's `tokio` dependency enables, as its manifest
    /// lists them (`full`, `fs`, ..): which `[fixes]` of the catalog apply.
    /// Empty without such a dependency, or when it is renamed, optional,
    /// dev-only or platform-specific (a rewrite to `tokio::..` might not
    /// compile).
    pub tokio_features: &'a [String],
    /// When false, `#[cfg(test)]` modules and `#[test]`/`#[tokio::test]`
    /// functions are skipped (and their `mod` declarations not returned).
    pub include_tests: bool,
    pub catalog: &'a Catalog,
    /// The file's module path inside its crate (`["store", "disk"]` for
    /// `crate::store::disk`; empty for a crate root or a loose file): the
    /// file's own items are `crate::store::disk::..` in its summary.
    pub module_path: &'a [String],
    /// Library crate names of the analysed workspace: calls to their paths
    /// (`util::load`) are summarised like calls to `crate::` paths.
    pub workspace_crates: &'a [String],
}

impl<'a> FileContext<'a> {
    /// `src/lib.rs` of a tokio crate (edition 2024, no tokio features, tests
    /// skipped, the crate root, no other workspace crates): what specs vary
    /// from with struct update syntax.
    #[cfg(test)]
    pub(crate) fn spec(catalog: &'a Catalog) -> FileContext<'a> {
        FileContext {
            rel_path: "src/lib.rs",
            edition: Edition::E2024,
            runtime: AsyncRuntime::Tokio,
            tokio_features: &[],
            include_tests: false,
            catalog,
            module_path: &[],
            workspace_crates: &[],
        }
    }
}

/// A `mod name;` declaration (a module whose body lives in another file).
/// Inline modules are analysed in place; only out-of-line ones are returned,
/// with the inline modules that enclose them (outermost first), because they
/// change where the file is looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleDecl {
    pub name: String,
    /// The value of `#[path = "..."]` on the declaration, if any.
    pub path_attr: Option<String>,
    /// Enclosing inline modules, outermost first: (name, `#[path]` value).
    pub inline_parents: Vec<(String, Option<String>)>,
    /// Where the declaration is (for "file not found" errors).
    pub span: Span,
}

/// What one file yields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAnalysis {
    pub findings: Vec<Finding>,
    pub modules: Vec<ModuleDecl>,
    /// Every item's lines (nested ones too), in source order, for the
    /// suppression comments written above items (see `crate::suppress`);
    /// empty when the file has no `stallcheck:` comment to read them.
    pub items: Vec<ItemLines>,
    /// The file's functions and their calls, for the call graph.
    pub summary: summary::FileSummary,
}

/// The file did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// syn's message, or its cause when syn's says nothing (see `parse_error`).
    pub message: String,
    pub span: Option<Span>,
}

/// Analyses one file's source text.
pub fn analyze_file(source: &str, ctx: &FileContext<'_>) -> Result<FileAnalysis, ParseError> {
    let file = syn::parse_file(source)
        .map_err(|error| parse_error::describe(source, &error, ctx.edition))?;
    let modules = modules::collect(&file.items, ctx.include_tests);
    // Only suppression comments read item lines; most files have none.
    let items = if source.contains(crate::suppress::PREFIX) {
        item_lines(&file, ctx.include_tests)
    } else {
        Vec::new()
    };
    let mut walker = walker::Walker::new(&file, ctx);
    syn::visit::Visit::visit_file(&mut walker, &file);
    let (findings, mut summary) = walker.finish();
    let skip = |attrs: &[syn::Attribute]| !ctx.include_tests && attrs::is_test_item(attrs);
    summary.index = crate::model::items::index_file(&file.items, ctx.module_path, &skip);
    Ok(FileAnalysis {
        findings,
        modules,
        items,
        summary,
    })
}

/// Only parses the file and lists its out-of-line modules (so the driver
/// follows the same module trees): the baseline `driver::parse_workspace`
/// measures the analysis against.
pub fn parse_only(source: &str, ctx: &FileContext<'_>) -> Result<FileAnalysis, ParseError> {
    let file = syn::parse_file(source)
        .map_err(|error| parse_error::describe(source, &error, ctx.edition))?;
    Ok(FileAnalysis {
        modules: modules::collect(&file.items, ctx.include_tests),
        ..FileAnalysis::default()
    })
}

fn item_lines(file: &syn::File, include_tests: bool) -> Vec<ItemLines> {
    let mut collector = ItemLinesCollector {
        include_tests,
        skipped_depth: 0,
        items: Vec::new(),
    };
    syn::visit::Visit::visit_file(&mut collector, file);
    collector.items
}

/// Records every item, impl item and trait item with its attributes.
struct ItemLinesCollector {
    include_tests: bool,
    /// How many enclosing items are skipped test code.
    skipped_depth: usize,
    items: Vec<ItemLines>,
}

impl ItemLinesCollector {
    /// Records one item and visits its contents with `visit`.
    fn record(
        &mut self,
        span: proc_macro2::Span,
        attrs: &[syn::Attribute],
        visit: impl FnOnce(&mut Self),
    ) {
        let skipped = !self.include_tests && attrs::is_test_item(attrs);
        // `Spanned::span` covers the item's tokens, outer attributes first.
        let span = Span::from_proc_macro2(span);
        self.items.push(ItemLines {
            first: span.line,
            last: span.end_line,
            analysed: self.skipped_depth == 0 && !skipped,
        });
        self.skipped_depth += usize::from(skipped);
        visit(self);
        self.skipped_depth -= usize::from(skipped);
    }
}

impl<'ast> syn::visit::Visit<'ast> for ItemLinesCollector {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let span = syn::spanned::Spanned::span(item);
        self.record(span, item_attrs(item), |this| {
            syn::visit::visit_item(this, item);
        });
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs: &[syn::Attribute] = match item {
            syn::ImplItem::Const(item) => &item.attrs,
            syn::ImplItem::Fn(item) => &item.attrs,
            syn::ImplItem::Type(item) => &item.attrs,
            syn::ImplItem::Macro(item) => &item.attrs,
            _ => &[],
        };
        let span = syn::spanned::Spanned::span(item);
        self.record(span, attrs, |this| syn::visit::visit_impl_item(this, item));
    }

    fn visit_trait_item(&mut self, item: &'ast syn::TraitItem) {
        let attrs: &[syn::Attribute] = match item {
            syn::TraitItem::Const(item) => &item.attrs,
            syn::TraitItem::Fn(item) => &item.attrs,
            syn::TraitItem::Type(item) => &item.attrs,
            syn::TraitItem::Macro(item) => &item.attrs,
            _ => &[],
        };
        let span = syn::spanned::Spanned::span(item);
        self.record(span, attrs, |this| syn::visit::visit_trait_item(this, item));
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(item) => &item.attrs,
        syn::Item::Enum(item) => &item.attrs,
        syn::Item::ExternCrate(item) => &item.attrs,
        syn::Item::Fn(item) => &item.attrs,
        syn::Item::ForeignMod(item) => &item.attrs,
        syn::Item::Impl(item) => &item.attrs,
        syn::Item::Macro(item) => &item.attrs,
        syn::Item::Mod(item) => &item.attrs,
        syn::Item::Static(item) => &item.attrs,
        syn::Item::Struct(item) => &item.attrs,
        syn::Item::Trait(item) => &item.attrs,
        syn::Item::TraitAlias(item) => &item.attrs,
        syn::Item::Type(item) => &item.attrs,
        syn::Item::Union(item) => &item.attrs,
        syn::Item::Use(item) => &item.attrs,
        _ => &[],
    }
}
