//! Fix safety, as ruff classifies it: whether a rewrite keeps the
//! program's behaviour (safe: plain `--fix`) or may change it (unsafe:
//! `--fix --unsafe-fixes`), and the check that refuses a rewrite whose
//! re-analysed text has a new guard held across an `.await`.
//!
//! A `std::thread::sleep` rewrite needs tokio's timers on the runtime that
//! polls the code: `tokio::time::sleep` panics on a runtime built without
//! `enable_time()` ("timers are disabled") and under any other executor.
//! The timers are known to be there in two places only:
//! - a `#[tokio::main]` or `#[tokio::test]` function (both build a runtime
//!   with every driver enabled);
//! - an `async` block written in a sync function whose every tokio runtime
//!   builder (`Builder::new_multi_thread()` / `new_current_thread()`) calls
//!   `enable_all()` or `enable_time()`: the block is what that function's
//!   `block_on` runs.
//!
//! Code reached from those through calls is not traced (that needs the call
//! graph), so a sleep there gets an unsafe fix: conservative, never wrong.
//! The `tokio::fs` rewrites need only a tokio runtime, which the walker
//! already required of the package: safe.

use std::collections::BTreeMap;
use std::path::Path;

use crate::finding::{Finding, FixSafety, InputError, Span};
use crate::fix::Plan;

/// The rule whose new findings make a rewrite unacceptable: a guard held
/// across an `.await` the rewrite added (the future also becomes `!Send`,
/// so a `tokio::spawn` of it no longer compiles).
const HAZARD_RULE: &str = crate::rules::LOCK_HELD_ACROSS_AWAIT.id;

/// Drops from `plan` each file whose fixed text has more
/// [`HAZARD_RULE`] findings than its original: `before` are the findings of
/// the original files, `after` those of the fixed texts (same root).
pub fn refuse_new_hazards(plan: &mut Plan, before: &[Finding], after: &[Finding]) {
    let hazards = |findings: &[Finding], path: &str| -> Vec<Span> {
        findings
            .iter()
            .filter(|finding| finding.rule == HAZARD_RULE && finding.path == path)
            .map(|finding| finding.span)
            .collect()
    };
    let mut kept = Vec::new();
    for file in std::mem::take(&mut plan.files) {
        let (old, new) = (hazards(before, &file.path), hazards(after, &file.path));
        if new.len() <= old.len() {
            kept.push(file);
            continue;
        }
        let first = new
            .iter()
            .find(|span| !old.contains(span))
            .unwrap_or(&new[0]);
        plan.errors.push(InputError {
            path: file.path.clone(),
            span: None,
            message: format!(
                "not fixed: the rewrite would hold a lock across an `.await` (a new `{HAZARD_RULE}` at {}:{}); left unchanged",
                first.line, first.column
            ),
        });
    }
    plan.files = kept;
}

/// The reason a `thread::sleep` rewrite is unsafe outside a known runtime.
const SLEEP_REASON: &str = "`tokio::time::sleep` panics on a runtime built without `enable_time()` or under another executor, and this code is not known to run on a runtime with timers (a `#[tokio::main]`/`#[tokio::test]` function, or an async block of a function whose runtime builders enable them)";

/// Decides each fix's [`FixSafety`] (see the module documentation).
pub fn classify(root: &Path, findings: &mut [Finding]) {
    let mut known: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
    for finding in findings {
        let Some(fix) = &mut finding.fix else {
            continue;
        };
        if finding.callee != "std::thread::sleep" {
            continue;
        }
        let ranges = known
            .entry(finding.path.clone())
            .or_insert_with(|| timer_lines(&root.join(&finding.path)));
        let line = finding.span.line;
        let with_timers = ranges
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&line));
        fix.safety = if with_timers {
            FixSafety::Safe
        } else {
            FixSafety::Unsafe(SLEEP_REASON.to_string())
        };
    }
}

/// The line ranges known to run on a tokio runtime with timers (empty if
/// the file cannot be read or parsed).
fn timer_lines(file: &Path) -> Vec<(usize, usize)> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    let Ok(parsed) = syn::parse_file(&text) else {
        return Vec::new();
    };
    let mut found = TimerLines(Vec::new());
    syn::visit::Visit::visit_file(&mut found, &parsed);
    found.0
}

struct TimerLines(Vec<(usize, usize)>);

impl<'ast> syn::visit::Visit<'ast> for TimerLines {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        if item.attrs.iter().any(is_tokio_entry_attribute) {
            self.0.push(lines_of(item));
        } else if item.sig.asyncness.is_none() {
            let mut builders = Builders::default();
            syn::visit::Visit::visit_block(&mut builders, &item.block);
            if builders.with_timers > 0 && builders.without_timers == 0 {
                self.0.extend(builders.async_blocks);
            }
        }
        syn::visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if item.attrs.iter().any(is_tokio_entry_attribute) {
            self.0.push(lines_of(item));
        }
        syn::visit::visit_impl_item_fn(self, item);
    }
}

fn is_tokio_entry_attribute(attr: &syn::Attribute) -> bool {
    let names: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    names == ["tokio", "main"] || names == ["tokio", "test"]
}

fn lines_of(node: &impl syn::spanned::Spanned) -> (usize, usize) {
    let span = node.span();
    (span.start().line, span.end().line)
}

/// The runtime builders of one sync function body and its async blocks.
#[derive(Default)]
struct Builders {
    with_timers: usize,
    without_timers: usize,
    async_blocks: Vec<(usize, usize)>,
}

impl<'ast> syn::visit::Visit<'ast> for Builders {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if call.method == "build" && starts_at_runtime_builder(&call.receiver) {
            if chain_calls(&call.receiver, &["enable_all", "enable_time"]) {
                self.with_timers += 1;
            } else {
                self.without_timers += 1;
            }
        }
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        self.async_blocks.push(lines_of(block));
        syn::visit::visit_expr_async(self, block);
    }

    fn visit_item(&mut self, _: &'ast syn::Item) {
        // Nested items are other functions.
    }
}

/// Whether a method chain starts at `Builder::new_multi_thread()` or
/// `Builder::new_current_thread()` (any path ending so).
fn starts_at_runtime_builder(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::MethodCall(call) => starts_at_runtime_builder(&call.receiver),
        syn::Expr::Call(call) => match &*call.func {
            syn::Expr::Path(path) => {
                let names: Vec<String> = path
                    .path
                    .segments
                    .iter()
                    .map(|segment| segment.ident.to_string())
                    .collect();
                names.len() >= 2
                    && names[names.len() - 2] == "Builder"
                    && matches!(
                        names[names.len() - 1].as_str(),
                        "new_multi_thread" | "new_current_thread"
                    )
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether a method chain calls one of `methods`.
fn chain_calls(expr: &syn::Expr, methods: &[&str]) -> bool {
    match expr {
        syn::Expr::MethodCall(call) => {
            methods.iter().any(|method| call.method == method)
                || chain_calls(&call.receiver, methods)
        }
        _ => false,
    }
}
