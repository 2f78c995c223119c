//! The questions a file's pass leaves for the model, and their answers.
//!
//! A file is walked once, before other files' items are known, so where
//! its own items cannot type a receiver the walker records a `Query`
//! (plain data: the receiver as written, the method, where and in what
//! context) instead of a finding. After every file is indexed the model
//! answers them all in one serial pass:
//! - `Call`: is `receiver.method(..)` a catalogued blocking call?
//! - `HeldGuard`: a lock-shaped call whose guard the walker saw alive at an
//!   `.await`: is it a lock guard?
//! - `ConfirmLock`: the `.lock().unwrap()` shape fallback fired on a
//!   receiver the file could not type: if the model types it, the finding
//!   becomes `resolved`, or goes when the type is no lock (the crate's own
//!   `Mutex`-named type).

use super::Model;
use super::defmap::Res;
use super::infer::At;
use super::ty::{Def, Type};
use super::written::Recv;
use crate::catalog::{Blocks, Entry};
use crate::finding::{Confidence, Finding, Label, Span};
use crate::rules;
use crate::vocab::AsyncRuntime;

/// How many derefs a method lookup follows.
const MAX_DEREFS: usize = 8;

/// A question about one method call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The module the call is written in, inside its crate (`store::disk`).
    pub module: String,
    pub receiver: Recv,
    pub method: String,
    /// The call, as a finding would underline it (`method(..)`).
    pub span: Span,
    pub kind: QueryKind,
    /// The async context as messages describe it.
    pub context: String,
    /// The enclosing function as findings name it.
    pub function: Option<String>,
    /// Rules the walker already reported on this call chain (one finding
    /// per chain and rule, as the walker does).
    pub flagged: Vec<&'static str>,
    /// Where the call chain starts (line, column): model findings on one
    /// chain are deduplicated per rule too.
    pub chain: (usize, usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryKind {
    Call,
    /// A function call whose path the file could not resolve to a catalog
    /// entry (`disk::read(..)` through another module's `pub use std::fs as
    /// disk`, `Client::new()` through `use super::*`): `receiver` is the
    /// path as written (`Recv::Path`), `method` is empty.
    Function,
    HeldGuard {
        await_span: Span,
    },
    ConfirmLock,
}

/// What the model says about one query.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// A new finding.
    Finding(Box<Finding>),
    /// The shape-fallback lock findings at this span are about no lock.
    Drop(Span),
    /// The shape-fallback lock findings at this span are resolved.
    Confirm(Span),
}

/// A catalogued call found by the model: the callee as findings name it.
pub struct Found {
    pub callee: String,
    pub entry: Entry,
}

impl Model<'_> {
    /// Answers one file's queries (`rel_path` in crate `krate`), each
    /// answer with its query's index.
    pub fn answer(
        &self,
        krate: usize,
        runtime: AsyncRuntime,
        rel_path: &str,
        queries: &[Query],
    ) -> Vec<(usize, Answer)> {
        let mut answers = Vec::new();
        let mut flagged: Vec<((usize, usize), &'static str)> = Vec::new();
        // Held guards first: a lock reported as held needs no
        // `sync-lock-in-async` note at the same call.
        let mut held_spans = Vec::new();
        let order = queries
            .iter()
            .enumerate()
            .filter(|(_, query)| matches!(query.kind, QueryKind::HeldGuard { .. }))
            .chain(
                queries
                    .iter()
                    .enumerate()
                    .filter(|(_, query)| !matches!(query.kind, QueryKind::HeldGuard { .. })),
            );
        for (index, query) in order {
            let at = At {
                krate,
                module: &query.module,
            };
            if query.kind == QueryKind::Function {
                let Some(found) = self.catalogued_function(at, &query.receiver) else {
                    continue;
                };
                let rule = found.entry.rule.id;
                if found.entry.blocks == Blocks::OnNameResolution
                    || flagged.contains(&(query.chain, rule))
                {
                    continue;
                }
                flagged.push((query.chain, rule));
                let finding = finding(query, rel_path, runtime, &found.callee, found.entry);
                answers.push((index, Answer::Finding(Box::new(finding))));
                continue;
            }
            let receiver = self.type_of(at, &query.receiver);
            if receiver.is_unknown() {
                continue;
            }
            match &query.kind {
                QueryKind::Call => {
                    let Some(found) = self.catalogued(&receiver, &query.method) else {
                        continue;
                    };
                    let rule = found.entry.rule.id;
                    if found.entry.blocks == Blocks::OnNameResolution
                        || query.flagged.contains(&rule)
                        || flagged.contains(&(query.chain, rule))
                        || (rule == rules::SYNC_LOCK_IN_ASYNC.id
                            && held_spans.contains(&query.span))
                    {
                        continue;
                    }
                    flagged.push((query.chain, rule));
                    let finding = finding(query, rel_path, runtime, &found.callee, found.entry);
                    answers.push((index, Answer::Finding(Box::new(finding))));
                }
                QueryKind::HeldGuard { await_span } => {
                    let Some(callee) = self.guard(&receiver, &query.method) else {
                        continue;
                    };
                    held_spans.push(query.span);
                    let rule = &rules::LOCK_HELD_ACROSS_AWAIT;
                    let mut finding = finding(
                        query,
                        rel_path,
                        runtime,
                        &callee,
                        Entry {
                            rule,
                            severity: rule.default_severity,
                            blocks: Blocks::Always,
                        },
                    );
                    finding.labels.push(Label {
                        span: *await_span,
                        message: rules::LOCK_HELD_AWAIT_LABEL.to_string(),
                    });
                    answers.push((index, Answer::Finding(Box::new(finding))));
                }
                QueryKind::Function => {}
                QueryKind::ConfirmLock => {
                    let answer = if self.guard(&receiver, &query.method).is_some() {
                        Answer::Confirm(query.span)
                    } else {
                        Answer::Drop(query.span)
                    };
                    answers.push((index, answer));
                }
            }
        }
        answers
    }

    /// The catalog entry a function path names, resolved through the def
    /// map (re-exports, globs, renames) to an external path.
    fn catalogued_function(&self, at: At<'_>, callee: &Recv) -> Option<Found> {
        let Recv::Path(path) = callee else {
            return None;
        };
        let Res::External(external) = self.resolve_type_path(at.krate, at.module, path)? else {
            return None;
        };
        let callee = self.catalog.canonical(&external);
        let entry = self.catalog.lookup(&callee)?;
        Some(Found { callee, entry })
    }

    /// The catalog entry `receiver.method(..)` calls, after auto-deref: the
    /// first type on the deref chain with an entry for the method; a
    /// workspace type with its own method of that name ends the search (the
    /// call graph follows those). std::io wrappers (`BufReader<File>`)
    /// block when the wrapped value's read or write does.
    pub fn catalogued(&self, receiver: &Type, method: &str) -> Option<Found> {
        let mut current = receiver.clone();
        for _ in 0..MAX_DEREFS {
            match &current {
                Type::Named(Def::External(path), args) => {
                    let callee = format!("{path}::{method}");
                    if let Some(entry) = self.catalog.lookup(&callee) {
                        return Some(Found { callee, entry });
                    }
                    if let (Some(wrapped), Some(primitive)) =
                        (self.sigs.io_wrapped(path), self.sigs.io_primitive(method))
                    {
                        let inner = args.get(wrapped)?;
                        let found = self
                            .catalogued(inner, method)
                            .or_else(|| self.catalogued(inner, primitive))?;
                        return Some(Found {
                            callee,
                            entry: found.entry,
                        });
                    }
                }
                Type::Named(def @ Def::Local(..), _) => {
                    let own = self
                        .impls_of(def)
                        .iter()
                        .any(|declared| declared.item.methods.iter().any(|f| f.name == method));
                    if own {
                        return None;
                    }
                }
                _ => {}
            }
            current = self.deref(&current)?;
        }
        None
    }

    /// The guard path (`parking_lot::Mutex::lock`) when `receiver.method()`
    /// returns a lock guard or a `RefCell` borrow, after auto-deref.
    pub fn guard(&self, receiver: &Type, method: &str) -> Option<String> {
        let mut current = receiver.clone();
        for _ in 0..MAX_DEREFS {
            match &current {
                Type::Named(Def::External(path), _) => {
                    let callee = format!("{path}::{method}");
                    if self.catalog.is_guard(&callee) {
                        return Some(callee);
                    }
                }
                Type::Named(def @ Def::Local(..), _) => {
                    let own = self
                        .impls_of(def)
                        .iter()
                        .any(|declared| declared.item.methods.iter().any(|f| f.name == method));
                    if own {
                        return None;
                    }
                }
                _ => {}
            }
            current = self.deref(&current)?;
        }
        None
    }
}

fn finding(
    query: &Query,
    rel_path: &str,
    runtime: AsyncRuntime,
    callee: &str,
    entry: Entry,
) -> Finding {
    Finding {
        rule: entry.rule.id,
        severity: entry.severity,
        path: rel_path.to_string(),
        span: query.span,
        message: (entry.rule.message)(callee, &query.context),
        help: (entry.rule.help)(runtime, callee),
        function: query.function.clone(),
        notes: Vec::new(),
        labels: Vec::new(),
        confidence: Confidence::Resolved,
        callee: callee.to_string(),
        chain: Vec::new(),
        fix: None,
    }
}
