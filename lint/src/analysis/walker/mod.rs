//! The single pass over a file's syntax tree: tracks whether the code being
//! visited runs on the executor (async context), keeps the scopes the
//! resolver needs, resolves calls in async context and reports those the
//! catalog lists.
//!
//! Async context: the body of an `async fn`, an `async` block or closure,
//! and the `poll*` methods of `impl Future/Stream/AsyncRead/.. for ..`.
//! Closures nested in async context inherit it, except those handed to an
//! offloading call (`spawn_blocking`, `std::thread::spawn`, ...: catalog
//! `[offload]`, user `context.offload`; a closure in parentheses or at the
//! tail of a block argument is handed over too). What runs in a closure
//! handed to a crate function is guarded by it (`summary::Guard`): the
//! call graph drops it if that function turns out to be an offload
//! wrapper. A closure handed to a configured
//! executor callback (user `context.executor-callbacks`) is async context
//! wherever it is written. Nested `fn` items start over.
//!
//! Spans: a function call is reported over the whole call
//! (`std::fs::read(p)`); a method call from the method name to its closing
//! parenthesis (`lock()` in `self.state.lock()`), so a finding in a
//! multi-line chain points at its own line. Only the first finding of a rule
//! in one call chain is reported (`stdin().lock().lines()` is one finding).
//!
//! A closure bound to a local (`let work = || ..;`) is async context like
//! any closure, but its findings are held until the end of the local's
//! block and dropped if it only runs off the executor (`spawn_blocking(work)`,
//! or called inside an offloaded closure).
//!
//! The bodies of well-known macros (`println!`, `select!`, ...) are parsed
//! and walked in async context only (see `macros`).
//!
//! Summary (see `summary`): every function's key, and the resolved calls
//! of its body that may matter to the call graph: catalogued calls of a
//! propagated rule in sync code, and calls to paths of the crate or of a
//! workspace member. Calls in closures handed to offloading calls are
//! nobody's; a local closure's calls wait like its findings do. Sync code
//! resolves method calls by receiver type only (no trait-in-scope search,
//! no inferred shapes).
//!
//! Model questions (see `asking` and `crate::model::queries`): where the
//! file alone cannot resolve a call in async context (a receiver typed by
//! other files' items, a path reaching another module's `pub use` or
//! glob), the walker leaves a question instead of guessing; lock-shaped
//! calls on such receivers are tracked as candidate guards.
//!
//! Parts: `traversal` (the `syn::visit` impl), `summarising` (call-graph
//! records), `guarding` (guard bindings, moves and captures), `asking`
//! (model questions), `fixing` (`--fix` rewrites), `syntax` (shape helpers).
//!
//! Cost: one pass; per call in a function body, one path resolution (no
//! allocation beyond the resolved path; a method call in sync code also
//! types its receiver); per `let`, one type inference and one description
//! bounded in depth. Only the summary is retained after the file.

use std::sync::Arc;

use proc_macro2::LineColumn;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{
    Block, Expr, ExprCall, ExprClosure, ExprMethodCall, ImplItemFn, ItemFn, ItemImpl, ItemMod,
    ItemTrait, Pat, Signature, Stmt, Token, TraitItemFn,
};

use super::attrs;
use super::guards::{CallId, GuardTracker, Lock};
use super::macros::{self, MacroBody};
use super::questions;
use super::scope::{Ns, Resolver, Target, Ty};
use super::socket_addr;
use super::summary::{
    self, BlockingCall, CallSite, Callee, FileSummary, ForwardedParam, FunctionSummary, Guard,
    GuardedFinding, HandedTo, ModelQuery,
};
use super::types;
use super::{AsyncRuntime, Edition, FileContext};
use crate::catalog::Entry;
use crate::finding::{Confidence, Edit, Finding, Fix, Label, Span};
use crate::model::queries::{Query, QueryKind};
use crate::model::written::{Recv, TypeRef};
use crate::rules;

mod asking;
mod dropping;
mod fixing;
mod guarding;
mod summarising;
mod syntax;
mod traversal;

use self::syntax::*;

/// Traits whose `poll*` methods run on the executor.
const POLL_TRAITS: &[&str] = &[
    "Future",
    "Stream",
    "AsyncRead",
    "AsyncWrite",
    "AsyncBufRead",
    "AsyncSeek",
    "Sink",
    "TryFuture",
    "TryStream",
    "FusedFuture",
    "FusedStream",
];

/// How far down a method chain the chain's start is looked for.
const MAX_CHAIN_WALK: usize = 64;

/// Methods that offload their closure even when the receiver's type is
/// unknown: no real API uses these names for anything else.
const UNTYPED_OFFLOAD_METHODS: &[&str] = &["spawn_blocking", "block_in_place"];

/// Macros that await the futures they are given.
const AWAITING_MACROS: &[&str] = &["select", "select_biased", "join", "try_join"];

/// Methods through which a `let` still binds the guard itself
/// (`m.lock().unwrap()`, `.expect(..)`, poison recovery).
const GUARD_PRESERVING_METHODS: &[&str] = &["unwrap", "expect", "unwrap_or_else", "unwrap_or"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exec {
    Sync,
    Async(AsyncKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AsyncKind {
    Function,
    Block,
    Closure,
    Poll,
    /// A closure handed to a configured executor callback (`Walker::callback`).
    Callback,
}

/// A closure bound to a local (`let work = || ..;`): its findings wait
/// until the end of the local's block, and are dropped if the closure only
/// ever runs off the executor (`spawn_blocking(work)`).
struct DeferredClosure {
    name: String,
    /// Block depth of the `let`.
    depth: usize,
    findings: Vec<Finding>,
    /// Its body is being visited: findings go here.
    capturing: bool,
    /// Handed to an offloading call, or called from sync code.
    offloaded: bool,
    /// Called from async code.
    called_in_async: bool,
    /// Called from sync code (its calls are the enclosing function's).
    called_in_sync: bool,
    /// Its calls for the summary, by function index, held like `findings`.
    records: Vec<(usize, Record)>,
}

/// A call the summary records (see `Walker::summarise_call`).
enum Record {
    Blocking(BlockingCall),
    Call(CallSite),
}

/// The `impl` or `trait` whose items are being visited.
struct Owner {
    /// The type's (or trait's) name, for `Type::method` function names.
    name: String,
    /// `impl Future/Stream/AsyncRead/.. for ..`: `poll*` methods are async context.
    polls: bool,
    /// The type's (or trait's) resolved path, for the summary's keys.
    path: Option<String>,
}

pub struct Walker<'c> {
    ctx: &'c FileContext<'c>,
    resolver: Resolver<'c>,
    exec: Exec,
    function: Option<String>,
    owner: Option<Owner>,
    findings: Vec<Finding>,
    /// (start of the call chain, rule) already reported in this function.
    flagged_chains: Vec<(LineColumn, &'static str)>,
    deferred: Vec<DeferredClosure>,
    block_depth: usize,
    /// Closures handed to offloading calls, by address, until visited.
    offloaded: Vec<*const ExprClosure>,
    /// Closures whose first parameter has a known type (`thread::scope(|s| ..)`).
    scoped: Vec<(*const ExprClosure, String)>,
    /// Closures handed to executor callbacks, by address, with the callee.
    callbacks: Vec<(*const ExprClosure, String)>,
    /// The executor callback whose closure is being visited, for messages.
    callback: Option<String>,
    /// The method call that `.unwrap()`/`.expect(..)` is applied to.
    unwrapped: Option<*const ExprMethodCall>,
    /// Code written directly in an async fn, block or closure body (not a
    /// `poll` method or sync closure): where `.await` may be inserted
    /// (`--fix`, see `fix_of_call`).
    fix_site: bool,
    /// Inside a macro's body, where nothing is rewritten.
    in_macro: bool,
    /// Lock guards alive in the bodies being walked (`lock-held-across-await`).
    guards: GuardTracker,
    /// How many enclosing items allow clippy's `await_holding_*` lints.
    await_holding_allowed: usize,
    /// The aggregate (struct, tuple, array, `vec!`, `move` closure or
    /// `async move` block) a `let` is binding, while its initializer is
    /// visited: the guards it takes live on in the binding
    /// (`note_let_guard`) instead of dying where they are moved.
    let_aggregate: Option<*const ()>,
    /// The file's functions and their calls, for the call graph.
    summary: FileSummary,
    /// The function whose body is being walked, as an index into
    /// `summary.functions`.
    summary_fn: Option<usize>,
    /// Inside a closure handed to an offloading call: its calls are nobody's.
    off_executor: bool,
    /// The parameters of the function being walked that a bare path names,
    /// and where each is handed on (see `note_forwarded`).
    params: Vec<Param>,
    /// Bare parameter paths already counted as handed on by a call.
    forwarded_uses: Vec<*const syn::ExprPath>,
    /// Closures handed to crate functions, by address, until visited.
    wrapped: Vec<(*const ExprClosure, Guard)>,
    /// The guards of the closures being visited, outermost first: what is
    /// found there is conditional (`GuardedFinding`, `CallSite::guards`).
    guard_stack: Vec<Guard>,
    /// The enclosing impl's type as written, for the model's descriptions.
    model_self: Option<TypeRef>,
    /// Closures whose first parameter is an element of a described
    /// collection (`paths.iter().filter(|p| ..)`), by address.
    element_closures: Vec<(*const ExprClosure, Arc<Recv>)>,
    /// Bindings of workspace types in async code, dropped at the end of
    /// their block unless moved first (`dropping`).
    pending_drops: Vec<dropping::PendingDrop>,
}

/// A parameter of the function being walked, named by a plain identifier.
struct Param {
    name: String,
    /// Index in the function's inputs, receiver included.
    index: usize,
    /// Where it is handed on unchanged (see `ForwardedParam::to`).
    uses: Vec<HandedTo>,
    /// Used any other way (called, captured, moved elsewhere) or shadowed:
    /// the function may run it on the executor.
    escaped: bool,
}

impl<'c> Walker<'c> {
    pub fn new(file: &syn::File, ctx: &'c FileContext<'c>) -> Walker<'c> {
        Walker {
            ctx,
            resolver: Resolver::new(file, ctx.catalog, ctx.include_tests, ctx.module_path),
            exec: Exec::Sync,
            function: None,
            owner: None,
            findings: Vec::new(),
            flagged_chains: Vec::new(),
            deferred: Vec::new(),
            block_depth: 0,
            offloaded: Vec::new(),
            scoped: Vec::new(),
            callbacks: Vec::new(),
            callback: None,
            unwrapped: None,
            fix_site: false,
            in_macro: false,
            guards: GuardTracker::default(),
            await_holding_allowed: usize::from(attrs::allows_await_holding(&file.attrs)),
            let_aggregate: None,
            summary: FileSummary::default(),
            summary_fn: None,
            off_executor: false,
            params: Vec::new(),
            forwarded_uses: Vec::new(),
            wrapped: Vec::new(),
            guard_stack: Vec::new(),
            model_self: None,
            element_closures: Vec::new(),
            pending_drops: Vec::new(),
        }
    }

    pub fn finish(mut self) -> (Vec<Finding>, FileSummary) {
        self.report_held_guards();
        self.findings
            .sort_by(|a, b| (a.span, a.rule).cmp(&(b.span, b.rule)));
        summary::item_types(&self.resolver, &mut self.summary);
        (self.findings, self.summary)
    }

    fn skips(&self, item_attrs: &[syn::Attribute]) -> bool {
        !self.ctx.include_tests && attrs::is_test_item(item_attrs)
    }

    fn in_async(&self) -> bool {
        matches!(self.exec, Exec::Async(_))
    }

    /// Runs `visit` with the given execution context and enclosing function.
    fn with_context(
        &mut self,
        exec: Exec,
        function: Option<String>,
        visit: impl FnOnce(&mut Self),
    ) {
        let saved_exec = std::mem::replace(&mut self.exec, exec);
        let saved_function = std::mem::replace(&mut self.function, function);
        let fix_site = matches!(
            exec,
            Exec::Async(AsyncKind::Function | AsyncKind::Block | AsyncKind::Closure)
        );
        let saved_fix_site = std::mem::replace(&mut self.fix_site, fix_site);
        visit(self);
        self.exec = saved_exec;
        self.function = saved_function;
        self.fix_site = saved_fix_site;
    }

    /// An `if`/`while` condition: a temporary scope of its own unless it
    /// binds with `let` (whose scrutinee lives through the body).
    fn visit_condition(&mut self, cond: &Expr, is_let: bool) {
        if is_let {
            self.visit_expr(cond);
        } else {
            let temp_scope = self.guards.open_temp_scope();
            self.visit_expr(cond);
            self.guards.close_temp_scope(temp_scope);
        }
    }

    fn visit_fn<'ast>(
        &mut self,
        exec: Exec,
        name: String,
        sig: &'ast Signature,
        block: &'ast Block,
    ) {
        // Call chains never span functions: keep the set small, so a file
        // with thousands of findings stays linear.
        self.flagged_chains.clear();
        let summary_fn = self
            .function_key(&sig.ident, self.function.is_some())
            .map(|key| {
                self.summary.functions.push(FunctionSummary {
                    key,
                    name: name.clone(),
                    is_async: matches!(exec, Exec::Async(AsyncKind::Function | AsyncKind::Poll)),
                    blocking: Vec::new(),
                    calls: Vec::new(),
                    forwarded: Vec::new(),
                });
                self.summary.functions.len() - 1
            });
        let saved_summary_fn = std::mem::replace(&mut self.summary_fn, summary_fn);
        let saved_off_executor = std::mem::replace(&mut self.off_executor, false);
        // A nested fn runs where it is called, not where it is written.
        let saved_guards = std::mem::take(&mut self.guard_stack);
        let saved_params = std::mem::take(&mut self.params);
        let saved_forwarded_uses = std::mem::take(&mut self.forwarded_uses);
        let saved_pending_drops = std::mem::take(&mut self.pending_drops);
        self.with_context(exec, Some(name), |walker| {
            walker.resolver.push_scope(true);
            walker.resolver.declare_generics(&sig.generics);
            for input in &sig.inputs {
                match input {
                    syn::FnArg::Typed(typed) => {
                        let ty = walker.resolver.resolve_type(&typed.ty);
                        let described = questions::typed(&typed.ty, walker.model_self.as_ref());
                        walker.bind_described(&typed.pat, ty, described);
                        walker.note_param_drop(typed);
                    }
                    syn::FnArg::Receiver(_) => {
                        let ty = match walker.resolver.self_ty() {
                            Some(path) => Some(Ty::Named(path.to_string())),
                            // A trait's default method: some implementor.
                            None => walker
                                .resolver
                                .generic_bounds("Self")
                                .map(|bounds| Ty::Bounded(bounds.to_vec())),
                        };
                        let described = walker
                            .model_self
                            .clone()
                            .map(|self_ty| Arc::new(Recv::Typed(self_ty)));
                        walker
                            .resolver
                            .bind_described("self".to_string(), ty, described);
                    }
                }
            }
            walker.params = params_of(sig);
            walker.guards.enter_body();
            // The function's value is returned, not run here.
            if let Some(Stmt::Expr(tail, None)) = block.stmts.last() {
                walker.note_kept(tail);
            }
            walker.visit_block(block);
            walker.guards.leave_body();
            walker.resolver.pop_scope();
        });
        self.record_forwarded(summary_fn);
        self.summary_fn = saved_summary_fn;
        self.off_executor = saved_off_executor;
        self.guard_stack = saved_guards;
        self.params = saved_params;
        self.forwarded_uses = saved_forwarded_uses;
        self.pending_drops = saved_pending_drops;
    }

    fn bind_pattern(&mut self, pat: &Pat, ty: Option<Ty>) {
        match pat {
            Pat::Ident(ident) => {
                self.shadow_param(&ident.ident);
                self.resolver.bind_local(ident.ident.to_string(), ty);
                if let Some((_, sub)) = &ident.subpat {
                    self.bind_pattern(sub, None);
                }
            }
            Pat::Type(typed) => {
                let annotated = self.resolver.resolve_type(&typed.ty);
                self.bind_pattern(&typed.pat, annotated.or(ty));
            }
            Pat::Tuple(tuple) => {
                for (index, elem) in tuple.elems.iter().enumerate() {
                    self.bind_pattern(elem, types::tuple_element(ty.as_ref(), index));
                }
            }
            Pat::TupleStruct(tuple_struct) => {
                // `Ok(file)` / `Some(file)` unwrap like `?` does.
                let unwraps =
                    tuple_struct.elems.len() == 1
                        && tuple_struct.path.segments.last().is_some_and(|segment| {
                            segment.ident == "Ok" || segment.ident == "Some"
                        });
                // `IpAddr::V4(ip)`: `ip` is an `Ipv4Addr`.
                let payload = || {
                    let variant = self
                        .resolver
                        .resolve_to_path(&tuple_struct.path, Ns::Value)?;
                    socket_addr::variant_payload(&variant)
                };
                let payload = (tuple_struct.elems.len() == 1 && !unwraps)
                    .then(payload)
                    .flatten();
                for elem in &tuple_struct.elems {
                    self.bind_pattern(elem, if unwraps { ty.clone() } else { payload.clone() });
                }
            }
            Pat::Struct(pat_struct) => {
                for field in &pat_struct.fields {
                    self.bind_pattern(&field.pat, None);
                }
            }
            Pat::Slice(slice) => {
                for elem in &slice.elems {
                    self.bind_pattern(elem, None);
                }
            }
            Pat::Reference(reference) => self.bind_pattern(&reference.pat, ty),
            Pat::Paren(paren) => self.bind_pattern(&paren.pat, ty),
            Pat::Or(or) => {
                for case in &or.cases {
                    self.bind_pattern(case, ty.clone());
                }
            }
            _ => {}
        }
    }

    /// The canonical path a function call resolves to (`None` for calls of
    /// local variables, closures and expressions).
    fn callee_of_call(&self, call: &ExprCall) -> Option<String> {
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        match &func.qself {
            None => match self.resolver.resolve(&func.path, Ns::Value)? {
                Target::Path(path) => Some(self.resolver.catalog().canonical(&path)),
                Target::Module(_) | Target::Local(_) => None,
            },
            // `<File as Read>::read(..)`: the type and the method name.
            Some(qself) => match self.resolver.resolve_type(&qself.ty)? {
                Ty::Named(ty) => Some(format!("{ty}::{}", func.path.segments.last()?.ident)),
                Ty::Tuple(_) | Ty::Bounded(_) => None,
            },
        }
    }

    /// What a method call is, as far as the receiver's type, the traits in
    /// scope or a high-confidence shape tell.
    fn callee_of_method(
        &self,
        call: &ExprMethodCall,
    ) -> Option<(String, Option<Entry>, Confidence)> {
        let catalog = self.resolver.catalog();
        let method = call.method.to_string();
        // `clone`, `unwrap`, ... are the wrapper's or every type's, unless
        // the receiver's type has a method of that name catalogued by name
        // (not by a `Type::*` wildcard), which Rust picks first: git2's
        // `RepoBuilder::clone` clones a remote repository. The receiver is
        // typed for them only when some such method exists.
        let self_preserving = types::is_self_preserving(&method);
        if self_preserving && !catalog.has_exact_name(&method) {
            return None;
        }
        let receiver = types::infer(&self.resolver, &call.receiver);
        if self_preserving {
            let Some(Ty::Named(ty)) = &receiver else {
                return None;
            };
            let path = format!("{ty}::{method}");
            let entry = catalog.lookup_exact(&path)?;
            return Some((path, Some(entry), Confidence::Resolved));
        }
        let mut first_candidate = None;
        if let Some(Ty::Named(ty)) = &receiver {
            let mut current = ty.as_str();
            loop {
                let candidate = format!("{current}::{method}");
                if let Some(entry) = catalog.lookup(&candidate) {
                    return Some((candidate, Some(entry), Confidence::Resolved));
                }
                if catalog.is_offload(&candidate)
                    || catalog.scoped_param(&candidate).is_some()
                    || catalog.is_executor_callback(&candidate)
                {
                    return Some((candidate, None, Confidence::Resolved));
                }
                first_candidate.get_or_insert(candidate);
                match catalog.deref_target(current) {
                    Some(target) => current = target,
                    None => break,
                }
            }
        }
        // A trait method needs its trait in scope; the receiver's type says
        // nothing against it (the trait may be implemented for it).
        let confidence = if receiver.is_some() {
            Confidence::Resolved
        } else {
            Confidence::Inferred
        };
        for path in catalog.trait_methods(&method) {
            if let Some((trait_path, _)) = path.rsplit_once("::")
                && self.resolver.trait_in_scope(trait_path)
            {
                return Some((path.clone(), catalog.lookup(path), confidence));
            }
        }
        if receiver.is_none() && call.args.is_empty() && self.unwrapped == Some(call as *const _) {
            let lock = match method.as_str() {
                "lock" => Some("std::sync::Mutex::lock"),
                "read" => Some("std::sync::RwLock::read"),
                "write" => Some("std::sync::RwLock::write"),
                _ => None,
            };
            if let Some(path) = lock {
                return Some((path.to_string(), catalog.lookup(path), Confidence::Inferred));
            }
        }
        first_candidate.map(|path| (path, None, Confidence::Resolved))
    }

    /// Notes which closure arguments of a call run off the executor, and
    /// which get a typed first parameter.
    fn mark_closures<'ast>(&mut self, callee: &str, args: impl Iterator<Item = &'ast Expr>) {
        let catalog = self.resolver.catalog();
        let offloads = catalog.is_offload(callee);
        let scoped = catalog.scoped_param(callee);
        let callback = catalog.is_executor_callback(callee);
        for arg in args {
            if let Some(closure) = closure_arg(arg) {
                if offloads {
                    self.offloaded.push(closure as *const _);
                }
                if let Some(ty) = scoped {
                    self.scoped.push((closure as *const _, ty.to_string()));
                }
                if callback {
                    self.callbacks
                        .push((closure as *const _, callee.to_string()));
                }
            }
        }
    }

    fn describe_context(&self) -> String {
        let function = self.function.as_deref();
        match (self.exec, function) {
            (Exec::Async(AsyncKind::Function), Some(name)) => format!("async function `{name}`"),
            (Exec::Async(AsyncKind::Poll), Some(name)) => format!("poll method `{name}`"),
            (Exec::Async(AsyncKind::Block), Some(name)) => format!("async block in `{name}`"),
            (Exec::Async(AsyncKind::Closure), Some(name)) => format!("async closure in `{name}`"),
            (Exec::Async(AsyncKind::Closure), None) => "async closure".to_string(),
            (Exec::Async(AsyncKind::Callback), _) => match &self.callback {
                Some(callee) => format!("closure passed to `{callee}`"),
                None => "closure run on the executor".to_string(),
            },
            _ => "async block".to_string(),
        }
    }

    fn report(
        &mut self,
        entry: Entry,
        callee: String,
        span: Span,
        chain: LineColumn,
        confidence: Confidence,
        fix: Option<Fix>,
    ) {
        let key = (chain, entry.rule.id);
        if self.flagged_chains.contains(&key) {
            return;
        }
        self.flagged_chains.push(key);
        let context = self.describe_context();
        let sink = match self
            .deferred
            .iter_mut()
            .rev()
            .find(|closure| closure.capturing)
        {
            Some(closure) => &mut closure.findings,
            None => &mut self.findings,
        };
        if !self.guard_stack.is_empty() {
            self.summary.guarded.push(GuardedFinding {
                rule: entry.rule.id,
                span,
                guards: self.guard_stack.clone(),
            });
        }
        sink.push(Finding {
            rule: entry.rule.id,
            severity: entry.severity,
            path: self.ctx.rel_path.to_string(),
            span,
            message: (entry.rule.message)(&callee, &context),
            help: (entry.rule.help)(self.ctx.runtime, &callee),
            function: self.function.clone(),
            notes: Vec::new(),
            labels: Vec::new(),
            confidence,
            callee,
            chain: Vec::new(),
            fix,
        });
    }

    /// A `for` loop over a value whose iteration blocks: `for msg in &rx`
    /// is `rx.iter()` (a std or crossbeam `Receiver`), `for entry in dir`
    /// calls `ReadDir::next`. Only catalogue entries written for that
    /// method count, not a `Type::*` wildcard.
    fn report_blocking_iteration(&mut self, iterated: &Expr) {
        let value = match iterated {
            Expr::Reference(reference) => &*reference.expr,
            other => other,
        };
        let Some(Ty::Named(ty)) = types::infer(&self.resolver, value) else {
            return;
        };
        let catalog = self.resolver.catalog();
        let found = ["iter", "next"].iter().find_map(|method| {
            let callee = format!("{ty}::{method}");
            catalog.lookup_exact(&callee).map(|entry| (callee, entry))
        });
        if let Some((callee, entry)) = found {
            let start = expr_start(iterated);
            let span = span_between(start, iterated.span().end());
            self.report(entry, callee, span, start, Confidence::Resolved, None);
        }
    }

    /// Analyses the body of a well-known macro in async context, or in a
    /// sync function whose calls the call graph follows.
    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        // A sync function's summary needs the calls in its macros too
        // (`format!("{}", load()?)`); only bodies with a parenthesised group
        // can hold one, so a crate's many `format!("{x}")` are not parsed.
        let followed = self.summarising() && macros::may_call(&mac.tokens);
        if !(self.in_async() || followed) {
            return;
        }
        let exprs = match macros::parse_body(mac) {
            Some(MacroBody::Expressions(exprs) | MacroBody::Select(exprs)) => exprs,
            None => return,
        };
        if is_vec_macro(mac) {
            for expr in &exprs {
                self.note_kept(expr);
            }
        }
        // A macro's tokens are not rewritten, even in an async block.
        let saved_in_macro = std::mem::replace(&mut self.in_macro, true);
        for expr in &exprs {
            <Self as Visit<'_>>::visit_expr(self, expr);
        }
        if is_vec_macro(mac) {
            let names = exprs.iter().filter_map(bare_name).collect();
            self.note_aggregate_moves(mac as *const _ as *const (), names);
        }
        self.in_macro = saved_in_macro;
        // `select!`/`join!` await the futures they are given: a guard alive
        // around the macro is held across that await.
        if mac
            .path
            .segments
            .last()
            .is_some_and(|segment| AWAITING_MACROS.iter().any(|name| segment.ident == name))
        {
            let start = mac.path.segments.first().map_or_else(
                || mac.bang_token.span.start(),
                |segment| segment.ident.span().start(),
            );
            self.guards
                .await_point(span_between(start, mac.bang_token.span.end()));
        }
    }

    /// Notes how a local closure is used: handed to an offloading call
    /// (`spawn_blocking(work)`), or called (`work()`) from sync or async code.
    pub(super) fn note_closure_use(&mut self, expr: &Expr, offloaded: bool, called: bool) {
        let Expr::Path(path) = expr else { return };
        let Some(ident) = path.path.get_ident() else {
            return;
        };
        let in_async = self.in_async();
        if let Some(closure) = self
            .deferred
            .iter_mut()
            .rev()
            .find(|closure| !closure.capturing && *ident == closure.name)
        {
            if offloaded || (called && !in_async) {
                closure.offloaded = true;
            } else if called {
                closure.called_in_async = true;
            }
            closure.called_in_sync |= called && !in_async;
        }
    }

    /// At the end of a block, the findings of the closures bound in it are
    /// kept unless the closure only ran off the executor.
    fn settle_deferred(&mut self) {
        while let Some(closure) = self.deferred.last() {
            if closure.depth < self.block_depth {
                break;
            }
            let closure = self.deferred.pop().expect("checked above");
            let on_executor = closure.called_in_async || !closure.offloaded;
            // Its sync calls are its function's unless it only ran offloaded.
            let runs_inline = on_executor || closure.called_in_sync;
            let records = closure
                .records
                .into_iter()
                .filter(|(_, record)| match record {
                    Record::Call(call) if call.in_async => on_executor,
                    _ => runs_inline,
                });
            match self.deferred.iter_mut().rev().find(|outer| outer.capturing) {
                Some(outer) => outer.records.extend(records),
                None => {
                    for (function, record) in records.collect::<Vec<_>>() {
                        self.add_record(function, record);
                    }
                }
            }
            if on_executor {
                let sink = match self.deferred.iter_mut().rev().find(|outer| outer.capturing) {
                    Some(outer) => &mut outer.findings,
                    None => &mut self.findings,
                };
                sink.extend(closure.findings);
            }
        }
    }
}
