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
//! Cost: one pass; per call in a function body, one path resolution (no
//! allocation beyond the resolved path; a method call in sync code also
//! types its receiver); per `let`, one type inference bounded in depth.
//! Only the summary is retained after the file.

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
use super::scope::{Ns, Resolver, Target, Ty};
use super::socket_addr;
use super::summary::{
    self, BlockingCall, CallSite, Callee, FileSummary, ForwardedParam, FunctionSummary, Guard,
    GuardedFinding,
};
use super::types;
use super::{AsyncRuntime, Edition, FileContext};
use crate::catalog::Entry;
use crate::finding::{Confidence, Edit, Finding, Fix, Label, Span};
use crate::rules;

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

/// The note `lock-held-across-await` replaces for the same call.
const SYNC_LOCK_RULE: &str = "sync-lock-in-async";

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
}

/// A parameter of the function being walked, named by a plain identifier.
struct Param {
    name: String,
    /// Index in the function's inputs, receiver included.
    index: usize,
    /// Where it is handed on unchanged (see `ForwardedParam::to`).
    uses: Vec<Option<(Callee, usize)>>,
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
        }
    }

    pub fn finish(mut self) -> (Vec<Finding>, FileSummary) {
        self.report_held_guards();
        self.findings
            .sort_by(|a, b| (a.span, a.rule).cmp(&(b.span, b.rule)));
        summary::item_types(&self.resolver, &mut self.summary);
        (self.findings, self.summary)
    }

    /// Whether calls are summarised here: in a function's body, outside
    /// closures that run off the executor.
    fn summarising(&self) -> bool {
        self.summary_fn.is_some() && !self.off_executor
    }

    /// Records a resolved call for the call graph: a catalogued call of a
    /// propagated rule in sync code (resolved, never inferred), or a call to
    /// a path of the crate or of a workspace member.
    fn summarise_call(
        &mut self,
        callee: &str,
        entry: Option<Entry>,
        confidence: Confidence,
        span: Span,
    ) {
        let Some(function) = self.summary_fn.filter(|_| !self.off_executor) else {
            return;
        };
        let in_async = self.in_async();
        let record = match entry {
            Some(entry)
                if !in_async
                    && confidence == Confidence::Resolved
                    && summary::propagates(entry.rule.id) =>
            {
                Record::Blocking(BlockingCall {
                    rule: entry.rule.id,
                    severity: entry.severity,
                    callee: callee.to_string(),
                    line: span.line,
                    guards: self.guard_stack.clone(),
                })
            }
            Some(_) => return,
            None if self.is_crate_path(callee) => {
                Record::Call(self.call_site(Callee::Path(callee.to_string()), span))
            }
            None => return,
        };
        self.record_in(function, record);
    }

    /// A call to a crate function as the call graph sees it from here.
    fn call_site(&self, callee: Callee, span: Span) -> CallSite {
        let in_async = self.in_async();
        CallSite {
            callee,
            span,
            in_async,
            context: if in_async {
                self.describe_context()
            } else {
                String::new()
            },
            function: self.function.clone(),
            guards: self.guard_stack.clone(),
        }
    }

    /// Files a summary record under `function`, or under the local closure
    /// whose body is being walked (its records wait for how it is used).
    fn record_in(&mut self, function: usize, record: Record) {
        match self
            .deferred
            .iter_mut()
            .rev()
            .find(|closure| closure.capturing)
        {
            Some(closure) => closure.records.push((function, record)),
            None => self.add_record(function, record),
        }
    }

    /// A method call whose receiver the file cannot type but other files'
    /// items may (`self.store.save()` with `Store`'s fields declared
    /// elsewhere): recorded with the receiver described for the solver.
    fn summarise_untyped_method(&mut self, call: &ExprMethodCall, span: Span) {
        let Some(function) = self.summary_fn.filter(|_| !self.off_executor) else {
            return;
        };
        let Some(callee) = self.untyped_method_callee(call) else {
            return;
        };
        let record = Record::Call(self.call_site(callee, span));
        self.record_in(function, record);
    }

    /// A method of a receiver only other files' items may type, described
    /// for the solver (`None` unless every path in it is the crate's).
    fn untyped_method_callee(&self, call: &ExprMethodCall) -> Option<Callee> {
        let method = call.method.to_string();
        if types::is_self_preserving(&method) {
            return None;
        }
        let is_crate = |path: &str| self.is_crate_path(path);
        let receiver = summary::receiver_expr(&self.resolver, &call.receiver, &is_crate, 0)?;
        Some(Callee::Method { receiver, method })
    }

    /// A call of a crate function (not itself an offloading call or an
    /// executor callback): its closure arguments run wherever the callee
    /// runs them, so what they do is conditional on the callee not being an
    /// offload wrapper (`Guard`). `first` is the index of `args[0]` (1 for a
    /// method: the receiver is argument 0).
    fn mark_wrapped<'ast>(
        &mut self,
        callee: &Callee,
        first: usize,
        args: impl Iterator<Item = &'ast Expr>,
    ) {
        for (index, arg) in args.enumerate() {
            if let Some(closure) = closure_arg(arg)
                && closure.asyncness.is_none()
            {
                let guard = Guard {
                    callee: callee.clone(),
                    arg: first + index,
                };
                self.wrapped.push((closure as *const _, guard));
            }
        }
    }

    /// What a call of a resolved path does with the closures and parameters
    /// it is given: an offloading call takes parameters off the executor; a
    /// crate function may (see `note_crate_call`).
    fn note_call_args(
        &mut self,
        callee: &str,
        first: usize,
        args: &Punctuated<Expr, Token![,]>,
        has_closure: bool,
    ) {
        let catalog = self.resolver.catalog();
        if catalog.is_offload(callee) {
            self.note_forwarded(None, first, args.iter());
        } else if self.is_crate_path(callee) && !catalog.is_executor_callback(callee) {
            self.note_crate_call(Callee::Path(callee.to_string()), first, args, has_closure);
        }
    }

    /// A call of a crate function: its closure arguments are guarded by it,
    /// the parameters handed to it are forwarded.
    fn note_crate_call(
        &mut self,
        callee: Callee,
        first: usize,
        args: &Punctuated<Expr, Token![,]>,
        has_closure: bool,
    ) {
        self.note_forwarded(Some(&callee), first, args.iter());
        if has_closure {
            self.mark_wrapped(&callee, first, args.iter());
        }
    }

    /// Notes the current function's parameters passed bare to a call: to an
    /// offloading call (`to` is `None`) or as argument `first + i` of a
    /// crate function. Any other use of them escapes (`visit_expr_path`).
    fn note_forwarded<'ast>(
        &mut self,
        to: Option<&Callee>,
        first: usize,
        args: impl Iterator<Item = &'ast Expr>,
    ) {
        if self.params.is_empty() {
            return;
        }
        for (index, arg) in args.enumerate() {
            let Expr::Path(path) = arg else { continue };
            let Some(ident) = path.path.get_ident().filter(|_| path.qself.is_none()) else {
                continue;
            };
            if let Some(param) = self
                .params
                .iter_mut()
                .find(|param| !param.escaped && *ident == param.name)
            {
                param
                    .uses
                    .push(to.map(|callee| (callee.clone(), first + index)));
                self.forwarded_uses.push(path as *const _);
            }
        }
    }

    /// Whether some argument is a bare parameter that may be handed on.
    fn hands_on_param(&self, args: &Punctuated<Expr, Token![,]>) -> bool {
        args.iter().any(|arg| {
            bare_name(arg).is_some_and(|name| {
                self.params
                    .iter()
                    .any(|param| !param.escaped && param.name == name)
            })
        })
    }

    /// A binding named like a parameter hides it: from then on the
    /// function is no wrapper for it (lexical scopes are not tracked).
    fn shadow_param(&mut self, name: &syn::Ident) {
        if let Some(param) = self.params.iter_mut().find(|param| *name == param.name) {
            param.escaped = true;
        }
    }

    fn add_record(&mut self, function: usize, record: Record) {
        let function = &mut self.summary.functions[function];
        match record {
            Record::Blocking(call) => function.blocking.push(call),
            Record::Call(call) => function.calls.push(call),
        }
    }

    /// `crate::..`, or a path into another library of the workspace.
    fn is_crate_path(&self, path: &str) -> bool {
        let first = path.split("::").next().unwrap_or(path);
        first == "crate" || self.ctx.workspace_crates.iter().any(|name| name == first)
    }

    /// The summary key of a function being entered: `Type::name` under the
    /// `impl`'s type or the trait's path, else `name` in the current module
    /// (in a `{block}` scope for items inside a body, as the resolver
    /// names them).
    fn function_key(&self, ident: &syn::Ident, nested: bool) -> Option<String> {
        match &self.owner {
            Some(owner) => Some(format!("{}::{ident}", owner.path.as_ref()?)),
            None if nested => Some(format!(
                "{}::{{block}}::{ident}",
                self.resolver.module_path()
            )),
            None => Some(format!("{}::{ident}", self.resolver.module_path())),
        }
    }

    /// The receiver-typed callee of a method call in sync code, and its
    /// catalog entry: the cheap part of `callee_of_method` (no trait-in-scope
    /// search, no inferred shapes: only resolved facts make a root cause).
    fn sync_callee_of_method(&self, call: &ExprMethodCall) -> Option<(String, Option<Entry>)> {
        let method = call.method.to_string();
        if types::is_self_preserving(&method) {
            return None;
        }
        let Some(Ty::Named(ty)) = types::infer(&self.resolver, &call.receiver) else {
            return None;
        };
        let catalog = self.resolver.catalog();
        let mut current = ty.as_str();
        loop {
            let candidate = format!("{current}::{method}");
            if let Some(entry) = catalog.lookup(&candidate) {
                return Some((candidate, Some(entry)));
            }
            match catalog.deref_target(current) {
                Some(target) => current = target,
                None => return Some((format!("{ty}::{method}"), None)),
            }
        }
    }

    /// Turns the guards held across an `.await` into findings; the
    /// `sync-lock-in-async` note for the same call goes (this says more).
    fn report_held_guards(&mut self) {
        let held = std::mem::take(&mut self.guards).finish();
        if held.is_empty() {
            return;
        }
        let rule = &rules::LOCK_HELD_ACROSS_AWAIT;
        let spans: Vec<Span> = held.iter().map(|held| held.lock.span).collect();
        self.findings
            .retain(|finding| !(finding.rule == SYNC_LOCK_RULE && spans.contains(&finding.span)));
        for held in held {
            let lock = held.lock;
            self.findings.push(Finding {
                rule: rule.id,
                severity: rule.default_severity,
                path: self.ctx.rel_path.to_string(),
                span: lock.span,
                message: (rule.message)(&lock.callee, &lock.context),
                help: (rule.help)(self.ctx.runtime, &lock.callee),
                function: lock.function,
                notes: Vec::new(),
                labels: vec![Label {
                    span: held.await_span,
                    message: rules::LOCK_HELD_AWAIT_LABEL.to_string(),
                }],
                confidence: lock.confidence,
                callee: lock.callee,
                chain: Vec::new(),
                fix: None,
            });
        }
    }

    /// Runs `visit` with the item's `#[allow(clippy::await_holding_*)]`
    /// in force.
    fn with_item_allows(&mut self, item_attrs: &[syn::Attribute], visit: impl FnOnce(&mut Self)) {
        let allows = attrs::allows_await_holding(item_attrs);
        self.await_holding_allowed += usize::from(allows);
        visit(self);
        self.await_holding_allowed -= usize::from(allows);
    }

    /// Whether a method call returns a lock guard or a `RefCell` borrow: by
    /// the receiver's type, or for an unknown receiver by the
    /// `.lock().unwrap()` shape.
    fn guard_callee(&self, call: &ExprMethodCall) -> Option<(String, Confidence)> {
        let catalog = self.resolver.catalog();
        let method = call.method.to_string();
        if !catalog.is_guard_method(&method) {
            return None;
        }
        match types::infer(&self.resolver, &call.receiver) {
            Some(Ty::Named(ty)) => {
                let mut current = ty.as_str();
                loop {
                    let candidate = format!("{current}::{method}");
                    if catalog.is_guard(&candidate) {
                        return Some((candidate, Confidence::Resolved));
                    }
                    current = catalog.deref_target(current)?;
                }
            }
            Some(Ty::Tuple(_)) => None,
            None if call.args.is_empty() && self.unwrapped == Some(call as *const _) => {
                let path = match method.as_str() {
                    "lock" => "std::sync::Mutex::lock",
                    "read" => "std::sync::RwLock::read",
                    "write" => "std::sync::RwLock::write",
                    _ => return None,
                };
                Some((path.to_string(), Confidence::Inferred))
            }
            None => None,
        }
    }

    /// Arguments passed by name are moved into the call: a guard so passed
    /// (`drop(guard)`) dies there.
    fn note_moves<'ast>(&mut self, args: impl Iterator<Item = &'ast Expr>) {
        for arg in args {
            if let Expr::Path(path) = arg
                && path.qself.is_none()
                && let Some(ident) = path.path.get_ident()
            {
                self.guards.moved(&ident.to_string());
            }
        }
    }

    /// Guards moved into an aggregate (`S { g }`, `(g, 1)`, `[g]`,
    /// `vec![g]`, a `move` closure or `async move` block naming `g`) die
    /// there, unless a `let` binds the aggregate: then they live on in it.
    fn note_aggregate_moves(&mut self, aggregate: *const (), names: Vec<String>) {
        if self.let_aggregate == Some(aggregate) {
            return;
        }
        for name in names {
            self.guards.moved(&name);
        }
    }

    /// The live guards a `move` closure or `async move` block names (and so
    /// captures by value). Other closures capture by reference unless their
    /// body moves the value; telling those apart needs types, so they are
    /// left holding nothing (the guard stays alive outside: conservative).
    fn captured_guards(&self, scan_body: impl FnOnce(&mut NameScan<'_>)) -> Vec<String> {
        let live = self.guards.live_names();
        if live.is_empty() {
            return Vec::new();
        }
        let mut scan = NameScan {
            wanted: live,
            found: Vec::new(),
        };
        scan_body(&mut scan);
        scan.found
    }

    /// Whether a `let` initializer is an aggregate taking live guards (then
    /// they live on in the binding).
    fn let_binds_aggregate(&self, init: &Expr) -> bool {
        !aggregate_address(init).is_null() && !self.aggregate_moves(init).is_empty()
    }

    /// The live guards a `move` closure captures: named in its body and not
    /// rebound by its parameters (`move |g| g.len()` takes none).
    fn closure_captures(&self, closure: &ExprClosure) -> Vec<String> {
        let mut captured = self.captured_guards(|scan| scan.visit_expr(&closure.body));
        if !captured.is_empty() {
            let mut params = Vec::new();
            for input in &closure.inputs {
                pattern_names(input, &mut params);
            }
            captured.retain(|name| !params.contains(name));
        }
        captured
    }

    /// The live guards an initializer moves into an aggregate it builds.
    fn aggregate_moves(&self, init: &Expr) -> Vec<String> {
        let bare = |expr: &Expr| bare_name(expr);
        let mut names: Vec<String> = match init {
            Expr::Paren(paren) => return self.aggregate_moves(&paren.expr),
            Expr::Struct(literal) => literal
                .fields
                .iter()
                .filter_map(|field| bare(&field.expr))
                .collect(),
            Expr::Tuple(tuple) => tuple.elems.iter().filter_map(bare).collect(),
            Expr::Array(array) => array.elems.iter().filter_map(bare).collect(),
            Expr::Macro(mac) if is_vec_macro(&mac.mac) => match macros::parse_body(&mac.mac) {
                Some(MacroBody::Expressions(exprs)) => exprs.iter().filter_map(bare).collect(),
                _ => Vec::new(),
            },
            Expr::Closure(closure) if closure.capture.is_some() => self.closure_captures(closure),
            Expr::Async(block) if block.capture.is_some() => {
                self.captured_guards(|scan| scan.visit_block(&block.block))
            }
            _ => Vec::new(),
        };
        let live = self.guards.live_names();
        names.retain(|name| live.contains(&name.as_str()));
        names
    }

    /// The guard bookkeeping of a `let` whose initializer was just visited:
    /// names it introduces shadow older guards; a guard it binds by name
    /// lives to the end of the block; `let other = guard;` renames one.
    fn note_let_guard(&mut self, node: &syn::Local) {
        let mut names = Vec::new();
        pattern_names(&node.pat, &mut names);
        let bound = binding_name(&node.pat);
        for name in &names {
            if Some(name) != bound.as_ref() {
                self.guards.shadow(name);
            }
        }
        let Some(name) = bound else {
            return;
        };
        let Some(init) = &node.init else {
            self.guards.shadow(&name);
            return;
        };
        match &*init.expr {
            Expr::Path(path) if path.qself.is_none() && path.path.get_ident().is_some() => {
                let from = path.path.segments[0].ident.to_string();
                self.guards.rename(&from, name, self.block_depth);
            }
            expr if self.let_binds_aggregate(expr) => {
                let moved = self.aggregate_moves(expr);
                let moved: Vec<&str> = moved.iter().map(String::as_str).collect();
                self.guards.transfer(&moved, name, self.block_depth);
            }
            expr => {
                self.guards.shadow(&name);
                let bound = yielded_call(expr)
                    .is_some_and(|call| self.guards.bind(call, name.clone(), self.block_depth));
                if !bound && self.in_async() && self.await_holding_allowed == 0 {
                    self.note_guard_returning_call(expr, name);
                }
            }
        }
    }

    /// `let name = call(..);` where `call` is known (by the crate's own
    /// signature) to return a guard type: the guard lives in `name`.
    fn note_guard_returning_call(&mut self, init: &Expr, name: String) {
        let Some(Ty::Named(ty)) = types::infer(&self.resolver, init) else {
            return;
        };
        if !self.resolver.catalog().is_guard_type(&ty) {
            return;
        }
        let (span, callee) = match unwrap_result(init) {
            Expr::Call(call) => (
                span_between(expr_start(&call.func), call.paren_token.span.close().end()),
                self.callee_of_call(call),
            ),
            Expr::MethodCall(call) => (
                span_between(
                    call.method.span().start(),
                    call.paren_token.span.close().end(),
                ),
                match types::infer(&self.resolver, &call.receiver) {
                    Some(Ty::Named(owner)) => Some(format!("{owner}::{}", call.method)),
                    _ => None,
                },
            ),
            _ => return,
        };
        let lock = Lock {
            span,
            callee: callee.unwrap_or(ty),
            confidence: Confidence::Resolved,
            context: self.describe_context(),
            function: self.function.clone(),
        };
        self.guards.lock_bound(lock, name, self.block_depth);
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
        self.with_context(exec, Some(name), |walker| {
            walker.resolver.push_scope(true);
            for input in &sig.inputs {
                match input {
                    syn::FnArg::Typed(typed) => {
                        let ty = walker.resolver.resolve_type(&typed.ty);
                        walker.bind_pattern(&typed.pat, ty);
                    }
                    syn::FnArg::Receiver(_) => {
                        let ty = walker
                            .resolver
                            .self_ty()
                            .map(|path| Ty::Named(path.to_string()));
                        walker.resolver.bind_local("self".to_string(), ty);
                    }
                }
            }
            walker.params = params_of(sig);
            walker.guards.enter_body();
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
    }

    /// The parameters the function only ever handed on (see `Param`).
    fn record_forwarded(&mut self, summary_fn: Option<usize>) {
        let params = std::mem::take(&mut self.params);
        let Some(function) = summary_fn else { return };
        let forwarded = &mut self.summary.functions[function].forwarded;
        for param in params.into_iter().filter(|param| !param.escaped) {
            forwarded.extend(param.uses.into_iter().map(|to| ForwardedParam {
                param: param.index,
                to,
            }));
        }
    }

    /// Binds every name a pattern introduces (shadowing functions and
    /// imports of the same name), with its type when known.
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
                Ty::Tuple(_) => None,
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
        if types::is_self_preserving(&method) {
            return None;
        }
        let receiver = types::infer(&self.resolver, &call.receiver);
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

    /// The `--fix` rewrite of a reported function call, when it is safe: the
    /// catalog has one for `callee` (`[fixes]`), the call is a plain path
    /// call written directly in async code, the target's tokio enables the
    /// feature the rewrite needs, and `tokio::..` names the tokio crate here.
    fn fix_of_call(&self, call: &ExprCall, callee: &str) -> Option<Fix> {
        let entry = self.resolver.catalog().fix(callee)?;
        let features = self.ctx.tokio_features;
        let enabled = features
            .iter()
            .any(|feature| *feature == entry.feature || feature == "full");
        if !self.fix_site
            || self.in_macro
            || !enabled
            || self.ctx.runtime != AsyncRuntime::Tokio
            || self.ctx.edition < Edition::E2018
        {
            return None;
        }
        let Expr::Path(func) = &*call.func else {
            return None;
        };
        // A turbofish would not fit the async twin's `impl Trait` parameters.
        let plain = func.qself.is_none()
            && func.attrs.is_empty()
            && func
                .path
                .segments
                .iter()
                .all(|segment| segment.arguments.is_none());
        let with: syn::Path = syn::parse_str(&entry.with).ok()?;
        // A local `mod tokio` or `use x as tokio` would capture the path.
        let names_tokio =
            self.resolver.resolve_to_path(&with, Ns::Value).as_deref() == Some(entry.with.as_str());
        if !plain || !names_tokio {
            return None;
        }
        let close = call.paren_token.span.close().end();
        Some(Fix {
            description: format!("replace with `{}(..).await`", entry.with),
            edits: vec![
                Edit {
                    span: span_between(expr_start(&call.func), func.path.span().end()),
                    replacement: entry.with.clone(),
                },
                Edit {
                    span: span_between(close, close),
                    replacement: ".await".to_string(),
                },
            ],
            // Revised after the walk by `fix_safety::classify` (it needs the
            // function's attributes: which runtime runs this code).
            safety: crate::finding::FixSafety::Safe,
        })
    }

    /// Analyses the body of a well-known macro in async context (outside it,
    /// only async blocks inside a macro could matter; they are rare enough
    /// not to pay for parsing every `format!` of a crate).
    fn visit_macro_body(&mut self, mac: &syn::Macro) {
        if !self.in_async() {
            return;
        }
        let exprs = match macros::parse_body(mac) {
            Some(MacroBody::Expressions(exprs) | MacroBody::Select(exprs)) => exprs,
            None => return,
        };
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
    fn note_closure_use(&mut self, expr: &Expr, offloaded: bool, called: bool) {
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

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item_mod(&mut self, node: &'ast ItemMod) {
        if self.skips(&node.attrs) {
            return;
        }
        let Some((_, items)) = &node.content else {
            return;
        };
        let allows = attrs::allows_await_holding(&node.attrs);
        self.await_holding_allowed += usize::from(allows);
        self.with_context(Exec::Sync, None, |walker| {
            match walker.resolver.enter_module(node) {
                Some(previous) => {
                    for item in items {
                        walker.visit_item(item);
                    }
                    walker.resolver.leave_module(previous);
                }
                // A module inside a function body: its items form a scope of
                // their own.
                None => {
                    walker.resolver.push_scope(true);
                    walker.resolver.declare_items(items.iter());
                    for item in items {
                        walker.visit_item(item);
                    }
                    walker.resolver.pop_scope();
                }
            }
        });
        self.await_holding_allowed -= usize::from(allows);
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {
        // Declared by the resolver's pre-pass (module) or `visit_block`.
    }

    fn visit_item_fn(&mut self, node: &'ast ItemFn) {
        if self.skips(&node.attrs) {
            return;
        }
        let exec = if node.sig.asyncness.is_some() {
            Exec::Async(AsyncKind::Function)
        } else {
            Exec::Sync
        };
        let saved_owner = self.owner.take();
        self.with_item_allows(&node.attrs, |walker| {
            walker.visit_fn(exec, node.sig.ident.to_string(), &node.sig, &node.block);
        });
        self.owner = saved_owner;
    }

    fn visit_item_const(&mut self, node: &'ast syn::ItemConst) {
        self.with_context(Exec::Sync, None, |walker| {
            visit::visit_item_const(walker, node)
        });
    }

    fn visit_item_static(&mut self, node: &'ast syn::ItemStatic) {
        self.with_context(Exec::Sync, None, |walker| {
            visit::visit_item_static(walker, node)
        });
    }

    fn visit_item_impl(&mut self, node: &'ast ItemImpl) {
        if self.skips(&node.attrs) {
            return;
        }
        let name = match &*node.self_ty {
            syn::Type::Path(path) => path
                .path
                .segments
                .last()
                .map_or_else(|| "_".to_string(), |segment| segment.ident.to_string()),
            _ => "_".to_string(),
        };
        let polls = node.trait_.as_ref().is_some_and(|(_, path, _)| {
            self.resolver
                .resolve_to_path(path, Ns::Type)
                .is_some_and(|resolved| is_poll_trait(&resolved))
        });
        let self_path = match self.resolver.resolve_type(&node.self_ty) {
            Some(Ty::Named(path)) => Some(path),
            _ => None,
        };
        let saved_self = self.resolver.set_self_ty(self_path.clone());
        let saved_owner = self.owner.replace(Owner {
            name,
            polls,
            path: self_path,
        });
        self.with_item_allows(&node.attrs, |walker| {
            for item in &node.items {
                walker.visit_impl_item(item);
            }
        });
        self.owner = saved_owner;
        self.resolver.set_self_ty(saved_self);
    }

    fn visit_impl_item_fn(&mut self, node: &'ast ImplItemFn) {
        if self.skips(&node.attrs) {
            return;
        }
        let (owner_name, polls) = self
            .owner
            .as_ref()
            .map_or(("_", false), |owner| (owner.name.as_str(), owner.polls));
        let name = format!("{owner_name}::{}", node.sig.ident);
        let exec = if node.sig.asyncness.is_some() {
            Exec::Async(AsyncKind::Function)
        } else if polls && node.sig.ident.to_string().starts_with("poll") {
            Exec::Async(AsyncKind::Poll)
        } else {
            Exec::Sync
        };
        self.with_item_allows(&node.attrs, |walker| {
            walker.visit_fn(exec, name, &node.sig, &node.block);
        });
    }

    fn visit_item_trait(&mut self, node: &'ast ItemTrait) {
        if self.skips(&node.attrs) {
            return;
        }
        let path = if self.function.is_some() {
            format!("{}::{{block}}::{}", self.resolver.module_path(), node.ident)
        } else {
            format!("{}::{}", self.resolver.module_path(), node.ident)
        };
        let saved_owner = self.owner.replace(Owner {
            name: node.ident.to_string(),
            polls: false,
            path: Some(path),
        });
        self.with_item_allows(&node.attrs, |walker| {
            for item in &node.items {
                walker.visit_trait_item(item);
            }
        });
        self.owner = saved_owner;
    }

    fn visit_trait_item_fn(&mut self, node: &'ast TraitItemFn) {
        let Some(block) = &node.default else {
            return;
        };
        if self.skips(&node.attrs) {
            return;
        }
        let owner_name = self.owner.as_ref().map_or("_", |owner| owner.name.as_str());
        let name = format!("{owner_name}::{}", node.sig.ident);
        let exec = if node.sig.asyncness.is_some() {
            Exec::Async(AsyncKind::Function)
        } else {
            Exec::Sync
        };
        self.with_item_allows(&node.attrs, |walker| {
            walker.visit_fn(exec, name, &node.sig, block);
        });
    }

    fn visit_block(&mut self, node: &'ast Block) {
        self.resolver.push_scope(false);
        if node.stmts.iter().any(|stmt| matches!(stmt, Stmt::Item(_))) {
            self.resolver
                .declare_items(node.stmts.iter().filter_map(|stmt| match stmt {
                    Stmt::Item(item) => Some(item),
                    _ => None,
                }));
        }
        self.block_depth += 1;
        for stmt in &node.stmts {
            // A statement is its temporaries' scope (a tail expression's
            // too: edition 2024 drops them at the end of the block).
            let temp_scope = self.guards.open_temp_scope();
            self.visit_stmt(stmt);
            self.guards.close_temp_scope(temp_scope);
        }
        self.guards.end_block(self.block_depth);
        self.settle_deferred();
        self.block_depth -= 1;
        self.resolver.pop_scope();
    }

    fn visit_local(&mut self, node: &'ast syn::Local) {
        if let Some(init) = &node.init {
            let closure_name = match (&node.pat, &*init.expr) {
                (Pat::Ident(ident), Expr::Closure(closure))
                    if closure.asyncness.is_none() && ident.subpat.is_none() =>
                {
                    Some(ident.ident.to_string())
                }
                _ => None,
            };
            let deferred = closure_name.is_some();
            // Only a `let` that names the whole value keeps an aggregate's
            // guards alive in it (`let _ = S { g }` drops it at once).
            let aggregate = binding_name(&node.pat)
                .is_some()
                .then(|| aggregate_address(&init.expr));
            let saved_aggregate = std::mem::replace(&mut self.let_aggregate, aggregate);
            if let Some(name) = closure_name {
                self.deferred.push(DeferredClosure {
                    name,
                    depth: self.block_depth,
                    findings: Vec::new(),
                    capturing: true,
                    offloaded: false,
                    called_in_async: false,
                    called_in_sync: false,
                    records: Vec::new(),
                });
            }
            self.visit_expr(&init.expr);
            self.let_aggregate = saved_aggregate;
            if deferred && let Some(closure) = self.deferred.last_mut() {
                closure.capturing = false;
            }
            if let Some((_, diverge)) = &init.diverge {
                // The `else` always diverges: a guard it moves is alive
                // after the `let`.
                self.guards.open_branching();
                self.visit_expr(diverge);
                self.guards.end_arm(true);
                self.guards.close_branching(false);
            }
        }
        self.note_let_guard(node);
        let ty = node
            .init
            .as_ref()
            .and_then(|init| types::infer(&self.resolver, &init.expr));
        self.bind_pattern(&node.pat, ty);
    }

    fn visit_arm(&mut self, node: &'ast syn::Arm) {
        self.resolver.push_scope(false);
        self.bind_pattern(&node.pat, None);
        if let Some((_, guard)) = &node.guard {
            let temp_scope = self.guards.open_temp_scope();
            self.visit_expr(guard);
            self.guards.close_temp_scope(temp_scope);
        }
        // An arm's body is a temporary scope of its own (the scrutinee's
        // temporaries outlive it; the body's own do not).
        let temp_scope = self.guards.open_temp_scope();
        self.visit_expr(&node.body);
        self.guards.close_temp_scope(temp_scope);
        self.resolver.pop_scope();
    }

    fn visit_expr_let(&mut self, node: &'ast syn::ExprLet) {
        self.visit_expr(&node.expr);
        let ty = types::infer(&self.resolver, &node.expr);
        self.bind_pattern(&node.pat, ty);
    }

    fn visit_expr_if(&mut self, node: &'ast syn::ExprIf) {
        // `if let` bindings are visible in the then-branch only.
        // A plain condition is a temporary scope of its own; an `if let`
        // scrutinee's temporaries live through the body, and through the
        // `else` branch before edition 2024.
        let is_let = has_let(&node.cond);
        let mark = self.guards.mark();
        self.resolver.push_scope(false);
        self.visit_condition(&node.cond, is_let);
        self.guards.open_branching();
        self.visit_block(&node.then_branch);
        self.guards.end_arm(block_diverges(&node.then_branch));
        self.resolver.pop_scope();
        if is_let && self.ctx.edition >= Edition::E2024 {
            self.guards.drop_temporaries_since(mark);
        }
        if let Some((_, else_branch)) = &node.else_branch {
            self.visit_expr(else_branch);
            self.guards.end_arm(expr_diverges(else_branch));
        }
        self.guards.close_branching(node.else_branch.is_some());
    }

    fn visit_expr_match(&mut self, node: &'ast syn::ExprMatch) {
        self.visit_expr(&node.expr);
        self.guards.open_branching();
        for arm in &node.arms {
            self.visit_arm(arm);
            self.guards.end_arm(expr_diverges(&arm.body));
        }
        self.guards.close_branching(true);
    }

    fn visit_expr_while(&mut self, node: &'ast syn::ExprWhile) {
        self.resolver.push_scope(false);
        self.visit_condition(&node.cond, has_let(&node.cond));
        self.visit_block(&node.body);
        self.resolver.pop_scope();
    }

    fn visit_expr_for_loop(&mut self, node: &'ast syn::ExprForLoop) {
        self.visit_expr(&node.expr);
        self.resolver.push_scope(false);
        self.bind_pattern(&node.pat, None);
        self.visit_block(&node.body);
        self.resolver.pop_scope();
    }

    fn visit_expr_async(&mut self, node: &'ast syn::ExprAsync) {
        if node.capture.is_some() {
            let captured = self.captured_guards(|scan| scan.visit_block(&node.block));
            self.note_aggregate_moves(node as *const _ as *const (), captured);
        }
        let function = self.function.clone();
        // Its body runs where the future is polled, not where it is made.
        let saved_guards = std::mem::take(&mut self.guard_stack);
        self.with_context(Exec::Async(AsyncKind::Block), function, |walker| {
            walker.guards.enter_body();
            walker.visit_block(&node.block);
            walker.guards.leave_body();
        });
        self.guard_stack = saved_guards;
    }

    fn visit_expr_closure(&mut self, node: &'ast ExprClosure) {
        let address = node as *const ExprClosure;
        if node.capture.is_some() {
            let captured = self.closure_captures(node);
            self.note_aggregate_moves(address as *const (), captured);
        }
        let offloaded = match self
            .offloaded
            .iter()
            .position(|&closure| closure == address)
        {
            Some(index) => {
                self.offloaded.swap_remove(index);
                true
            }
            None => false,
        };
        let scoped_ty = self
            .scoped
            .iter()
            .position(|(closure, _)| *closure == address)
            .map(|index| Ty::Named(self.scoped.swap_remove(index).1));
        let callback = self
            .callbacks
            .iter()
            .position(|(closure, _)| *closure == address)
            .map(|index| self.callbacks.swap_remove(index).1);
        let guard = self
            .wrapped
            .iter()
            .position(|(closure, _)| *closure == address)
            .map(|index| self.wrapped.swap_remove(index).1);
        // An async closure's body runs where its future is polled.
        let saved_guards = if node.asyncness.is_some() {
            Some(std::mem::take(&mut self.guard_stack))
        } else {
            None
        };
        let guarded = guard.is_some();
        self.guard_stack.extend(guard);
        let exec = if node.asyncness.is_some() {
            Exec::Async(AsyncKind::Closure)
        } else if offloaded {
            Exec::Sync
        } else if callback.is_some() {
            Exec::Async(AsyncKind::Callback)
        } else {
            self.exec
        };
        let function = self.function.clone();
        // Its calls run off the executor: no function of the summary makes them.
        let saved_off_executor = self.off_executor;
        self.off_executor |= offloaded && node.asyncness.is_none();
        let saved_callback = match callback {
            Some(callee) => self.callback.replace(callee),
            None => self.callback.clone(),
        };
        self.with_context(exec, function, |walker| {
            // A sync closure's body cannot `.await`.
            walker.fix_site &= node.asyncness.is_some();
            walker.resolver.push_scope(false);
            for (index, input) in node.inputs.iter().enumerate() {
                let ty = if index == 0 { scoped_ty.clone() } else { None };
                walker.bind_pattern(input, ty);
            }
            walker.guards.enter_body();
            walker.visit_expr(&node.body);
            walker.guards.leave_body();
            walker.resolver.pop_scope();
        });
        self.callback = saved_callback;
        self.off_executor = saved_off_executor;
        if guarded {
            self.guard_stack.pop();
        }
        if let Some(saved) = saved_guards {
            self.guard_stack = saved;
        }
    }

    fn visit_expr_call(&mut self, node: &'ast ExprCall) {
        self.visit_expr(&node.func);
        self.note_closure_use(&node.func, false, true);
        let has_closure = node.args.iter().any(|arg| closure_arg(arg).is_some());
        if (self.in_async() || has_closure || self.summarising())
            && let Some(callee) = self.callee_of_call(node)
        {
            if has_closure {
                self.mark_closures(&callee, node.args.iter());
            }
            self.note_call_args(&callee, 0, &node.args, has_closure);
            if self.resolver.catalog().is_offload(&callee) {
                for arg in &node.args {
                    self.note_closure_use(arg, true, false);
                }
            }
            // `TcpListener::bind("127.0.0.1:0")` resolves no name: no wait.
            let entry =
                self.resolver.catalog().lookup(&callee).filter(|entry| {
                    socket_addr::may_block(&self.resolver, entry, node.args.iter())
                });
            let start = expr_start(&node.func);
            let span = span_between(start, node.paren_token.span.close().end());
            self.summarise_call(&callee, entry, Confidence::Resolved, span);
            if self.in_async()
                && let Some(entry) = entry
            {
                let fix = self.fix_of_call(node, &callee);
                self.report(entry, callee, span, start, Confidence::Resolved, fix);
            }
        }
        for arg in &node.args {
            self.visit_expr(arg);
        }
        self.note_moves(node.args.iter());
    }

    fn visit_expr_method_call(&mut self, node: &'ast ExprMethodCall) {
        let saved_unwrapped = self.unwrapped;
        self.unwrapped = match &*node.receiver {
            Expr::MethodCall(inner) if node.method == "unwrap" || node.method == "expect" => {
                Some(inner as *const _)
            }
            _ => None,
        };
        self.visit_expr(&node.receiver);
        self.unwrapped = saved_unwrapped;
        let guard = if self.in_async() && self.await_holding_allowed == 0 {
            self.guard_callee(node)
        } else {
            None
        };

        let has_closure = node.args.iter().any(|arg| closure_arg(arg).is_some());
        let resolved = if self.in_async() || has_closure {
            self.callee_of_method(node)
        } else if self.summarising() {
            self.sync_callee_of_method(node)
                .map(|(callee, entry)| (callee, entry, Confidence::Resolved))
        } else {
            None
        };
        let untyped = resolved
            .as_ref()
            .is_none_or(|(callee, entry, _)| entry.is_none() && !self.is_crate_path(callee));
        if untyped && self.summarising() {
            let span = span_between(
                node.method.span().start(),
                node.paren_token.span.close().end(),
            );
            self.summarise_untyped_method(node, span);
        }
        if untyped
            && (has_closure || self.hands_on_param(&node.args))
            && let Some(callee) = self.untyped_method_callee(node)
        {
            self.note_crate_call(callee, 1, &node.args, has_closure);
        }
        if let Some((callee, entry, confidence)) = resolved {
            // `socket.connect(addr)` with `addr: SocketAddr` resolves no name: no wait.
            let entry = entry
                .filter(|entry| socket_addr::may_block(&self.resolver, entry, node.args.iter()));
            let span = span_between(
                node.method.span().start(),
                node.paren_token.span.close().end(),
            );
            self.summarise_call(&callee, entry, confidence, span);
            if has_closure {
                self.mark_closures(&callee, node.args.iter());
            }
            self.note_call_args(&callee, 1, &node.args, has_closure);
            if self.resolver.catalog().is_offload(&callee) {
                for arg in &node.args {
                    self.note_closure_use(arg, true, false);
                }
            }
            if self.in_async()
                && let Some(entry) = entry
            {
                let chain = chain_start(&node.receiver);
                self.report(entry, callee, span, chain, confidence, None);
            }
        }
        for arg in &node.args {
            self.visit_expr(arg);
        }
        self.note_moves(node.args.iter());
        if let Some((callee, confidence)) = guard {
            let lock = Lock {
                span: span_between(
                    node.method.span().start(),
                    node.paren_token.span.close().end(),
                ),
                callee,
                confidence,
                context: self.describe_context(),
                function: self.function.clone(),
            };
            self.guards.lock(node as CallId, lock);
        }
    }

    fn visit_expr_path(&mut self, node: &'ast syn::ExprPath) {
        // A parameter used other than handed on bare: not a wrapper's.
        if !self.params.is_empty()
            && node.qself.is_none()
            && let Some(ident) = node.path.get_ident()
            && !self.forwarded_uses.contains(&(node as *const _))
            && let Some(param) = self.params.iter_mut().find(|param| *ident == param.name)
        {
            param.escaped = true;
        }
        visit::visit_expr_path(self, node);
    }

    fn visit_expr_binary(&mut self, node: &'ast syn::ExprBinary) {
        // The second operand of `&&`/`||` is a temporary scope of its own
        // (unless it is a `let` of a let chain, whose scrutinee lives on).
        let lazy = matches!(node.op, syn::BinOp::And(_) | syn::BinOp::Or(_));
        if !lazy || has_let(&node.right) {
            visit::visit_expr_binary(self, node);
            return;
        }
        self.visit_expr(&node.left);
        let temp_scope = self.guards.open_temp_scope();
        self.visit_expr(&node.right);
        self.guards.close_temp_scope(temp_scope);
    }

    fn visit_expr_assign(&mut self, node: &'ast syn::ExprAssign) {
        visit::visit_expr_assign(self, node);
        // `slot = guard;` moves the guard out of its name.
        self.note_moves(std::iter::once(&*node.right));
    }

    fn visit_expr_struct(&mut self, node: &'ast syn::ExprStruct) {
        visit::visit_expr_struct(self, node);
        let names = node
            .fields
            .iter()
            .filter_map(|field| bare_name(&field.expr))
            .collect();
        self.note_aggregate_moves(node as *const _ as *const (), names);
    }

    fn visit_expr_tuple(&mut self, node: &'ast syn::ExprTuple) {
        visit::visit_expr_tuple(self, node);
        let names = node.elems.iter().filter_map(bare_name).collect();
        self.note_aggregate_moves(node as *const _ as *const (), names);
    }

    fn visit_expr_array(&mut self, node: &'ast syn::ExprArray) {
        visit::visit_expr_array(self, node);
        let names = node.elems.iter().filter_map(bare_name).collect();
        self.note_aggregate_moves(node as *const _ as *const (), names);
    }

    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        visit::visit_expr_return(self, node);
        // `return guard` hands it to the caller.
        self.note_moves(node.expr.as_deref().into_iter());
    }

    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        self.visit_expr(&node.base);
        if self.in_async() {
            let span = span_between(node.dot_token.spans[0].start(), node.await_token.span.end());
            self.guards.await_point(span);
        }
    }

    fn visit_macro(&mut self, _: &'ast syn::Macro) {
        // Item macros (`macro_rules!`, user macros) are not code to analyse;
        // expression and statement macros go through `visit_macro_body`.
    }

    fn visit_expr_macro(&mut self, node: &'ast syn::ExprMacro) {
        self.visit_macro_body(&node.mac);
    }

    fn visit_stmt_macro(&mut self, node: &'ast syn::StmtMacro) {
        self.visit_macro_body(&node.mac);
    }
}

/// The closure an argument is: itself, in parentheses, or the tail of a
/// block (`{ let b = b.clone(); move || b.wait() }`, whose statements run
/// where the call is written and are walked as such).
fn closure_arg(arg: &Expr) -> Option<&ExprClosure> {
    match arg {
        Expr::Closure(closure) => Some(closure),
        Expr::Paren(paren) => closure_arg(&paren.expr),
        Expr::Group(group) => closure_arg(&group.expr),
        Expr::Block(block) if block.label.is_none() => match block.block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => closure_arg(tail),
            _ => None,
        },
        _ => None,
    }
}

/// `let` in a condition (`if let`, a `let` chain).
fn has_let(cond: &Expr) -> bool {
    match cond {
        Expr::Let(_) => true,
        Expr::Binary(binary) if matches!(binary.op, syn::BinOp::And(_)) => {
            has_let(&binary.left) || has_let(&binary.right)
        }
        Expr::Paren(paren) => has_let(&paren.expr),
        _ => false,
    }
}

/// The local a bare path expression names (`guard`), if that is all it is.
fn bare_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

fn is_vec_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "vec")
}

/// The address `Walker::let_aggregate` compares against: the aggregate an
/// initializer is (through parentheses), or null.
fn aggregate_address(init: &Expr) -> *const () {
    match init {
        Expr::Paren(paren) => aggregate_address(&paren.expr),
        Expr::Struct(node) => node as *const _ as *const (),
        Expr::Tuple(node) => node as *const _ as *const (),
        Expr::Array(node) => node as *const _ as *const (),
        Expr::Closure(node) => node as *const _ as *const (),
        Expr::Async(node) => node as *const _ as *const (),
        Expr::Macro(node) => &node.mac as *const _ as *const (),
        _ => std::ptr::null(),
    }
}

/// Whether no path leaves a block at its end: it ends in `return`,
/// `break`, `continue` or a panicking macro. (`break` leaves a loop, not
/// the function: after the loop a guard it moved is counted alive, which
/// only over-reports the rare `loop { drop(g); break }`.)
fn block_diverges(block: &Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(expr, _)) => expr_diverges(expr),
        Some(Stmt::Macro(mac)) => is_panicking_macro(&mac.mac),
        _ => false,
    }
}

fn expr_diverges(expr: &Expr) -> bool {
    match expr {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Block(block) => block_diverges(&block.block),
        Expr::Macro(mac) => is_panicking_macro(&mac.mac),
        _ => false,
    }
}

fn is_panicking_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|segment| {
        ["panic", "unreachable", "todo", "unimplemented"]
            .iter()
            .any(|name| segment.ident == name)
    })
}

/// Finds which of some names a closure or async block body mentions.
struct NameScan<'a> {
    wanted: Vec<&'a str>,
    found: Vec<String>,
}

impl NameScan<'_> {
    fn saw(&mut self, ident: &proc_macro2::Ident) {
        if let Some(name) = self.wanted.iter().find(|name| ident == *name)
            && !self.found.iter().any(|found| found == name)
        {
            self.found.push((*name).to_string());
        }
    }

    fn scan_tokens(&mut self, tokens: proc_macro2::TokenStream) {
        for token in tokens {
            match token {
                proc_macro2::TokenTree::Ident(ident) => self.saw(&ident),
                proc_macro2::TokenTree::Group(group) => self.scan_tokens(group.stream()),
                _ => {}
            }
        }
    }
}

impl<'ast> Visit<'ast> for NameScan<'_> {
    fn visit_expr_path(&mut self, node: &'ast syn::ExprPath) {
        if node.qself.is_none()
            && let Some(ident) = node.path.get_ident()
        {
            self.saw(ident);
        }
    }

    // Macro arguments are tokens: a guard named in `println!("{}", *g)` is
    // captured too.
    fn visit_macro(&mut self, node: &'ast syn::Macro) {
        self.scan_tokens(node.tokens.clone());
    }
}

/// Every name a pattern binds.
fn pattern_names(pat: &Pat, names: &mut Vec<String>) {
    match pat {
        Pat::Ident(ident) => {
            names.push(ident.ident.to_string());
            if let Some((_, sub)) = &ident.subpat {
                pattern_names(sub, names);
            }
        }
        Pat::Type(typed) => pattern_names(&typed.pat, names),
        Pat::Tuple(tuple) => tuple
            .elems
            .iter()
            .for_each(|elem| pattern_names(elem, names)),
        Pat::TupleStruct(tuple) => tuple
            .elems
            .iter()
            .for_each(|elem| pattern_names(elem, names)),
        Pat::Struct(pat_struct) => pat_struct
            .fields
            .iter()
            .for_each(|field| pattern_names(&field.pat, names)),
        Pat::Slice(slice) => slice
            .elems
            .iter()
            .for_each(|elem| pattern_names(elem, names)),
        Pat::Reference(reference) => pattern_names(&reference.pat, names),
        Pat::Paren(paren) => pattern_names(&paren.pat, names),
        Pat::Or(or) => or.cases.iter().for_each(|case| pattern_names(case, names)),
        _ => {}
    }
}

/// The name a `let` binds its whole value to: `guard`, `mut guard`,
/// `guard: T`, or `Ok(guard)`/`Some(guard)` (`let Ok(g) = m.lock() else ..`).
fn binding_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => {
            Some(ident.ident.to_string())
        }
        Pat::Type(typed) => binding_name(&typed.pat),
        Pat::TupleStruct(tuple)
            if tuple.elems.len() == 1
                && tuple
                    .path
                    .segments
                    .last()
                    .is_some_and(|segment| segment.ident == "Ok" || segment.ident == "Some") =>
        {
            binding_name(&tuple.elems[0])
        }
        _ => None,
    }
}

/// An initializer without its `?`, `.unwrap()`/`.expect(..)` and
/// parentheses.
fn unwrap_result(expr: &Expr) -> &Expr {
    let mut current = expr;
    for _ in 0..MAX_CHAIN_WALK {
        current = match current {
            Expr::Try(inner) => &inner.expr,
            Expr::Paren(inner) => &inner.expr,
            Expr::MethodCall(call)
                if GUARD_PRESERVING_METHODS.contains(&call.method.to_string().as_str()) =>
            {
                &call.receiver
            }
            _ => return current,
        };
    }
    current
}

/// The method call whose result an initializer is, through `?`,
/// `.unwrap()`/`.expect(..)` and parentheses (`m.lock().unwrap()` is the
/// `lock()` call; `m.lock().unwrap().len()` is not).
fn yielded_call(expr: &Expr) -> Option<CallId> {
    match unwrap_result(expr) {
        Expr::MethodCall(call) => Some(call as CallId),
        _ => None,
    }
}

/// The parameters a bare path can name: `f`, `mut f`, `f: F` (not
/// patterns), with their index in the inputs (a receiver counts).
fn params_of(sig: &Signature) -> Vec<Param> {
    sig.inputs
        .iter()
        .enumerate()
        .filter_map(|(index, input)| match input {
            syn::FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => {
                    Some(Param {
                        name: ident.ident.to_string(),
                        index,
                        uses: Vec::new(),
                        escaped: false,
                    })
                }
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect()
}

fn is_poll_trait(resolved: &str) -> bool {
    !resolved.starts_with("crate")
        && resolved
            .rsplit("::")
            .next()
            .is_some_and(|name| POLL_TRAITS.contains(&name))
}

fn span_between(start: LineColumn, end: LineColumn) -> Span {
    Span {
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

/// Where the call chain an expression belongs to starts: the innermost
/// receiver of `a.b()?.c().await.d()`.
fn chain_start(expr: &Expr) -> LineColumn {
    let mut current = expr;
    for _ in 0..MAX_CHAIN_WALK {
        current = match current {
            Expr::MethodCall(call) => &call.receiver,
            Expr::Try(inner) => &inner.expr,
            Expr::Await(inner) => &inner.base,
            Expr::Field(field) => &field.base,
            Expr::Call(call) => return expr_start(&call.func),
            _ => return expr_start(current),
        };
    }
    // A chain longer than the walk: any stable point of it will do.
    match current {
        Expr::MethodCall(call) => call.method.span().start(),
        other => expr_start(other),
    }
}

/// The start of an expression, cheaply for the shapes calls have (the
/// generic `Spanned` walks every token of the expression).
fn expr_start(expr: &Expr) -> LineColumn {
    match expr {
        Expr::Path(path) => match (&path.qself, &path.path.leading_colon) {
            (Some(qself), _) => qself.lt_token.span.start(),
            (None, Some(colon)) => colon.spans[0].start(),
            (None, None) => path.path.segments.first().map_or_else(
                || expr.span().start(),
                |segment| segment.ident.span().start(),
            ),
        },
        Expr::MethodCall(call) => chain_start(&call.receiver),
        Expr::Call(call) => expr_start(&call.func),
        Expr::Paren(paren) => paren.paren_token.span.open().start(),
        Expr::Lit(lit) => lit.lit.span().start(),
        Expr::Reference(reference) => reference.and_token.span.start(),
        _ => expr.span().start(),
    }
}
