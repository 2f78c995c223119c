//! The walker's call-graph side: what each function calls, blocks on
//! and hands on, recorded in the file's summary (`super::super::summary`).

use super::*;

impl Walker<'_> {
    /// Whether calls are summarised here: in a function's body, outside
    /// closures that run off the executor.
    pub(super) fn summarising(&self) -> bool {
        self.summary_fn.is_some() && !self.off_executor
    }

    /// Records a resolved call for the call graph: a catalogued call of a
    /// propagated rule in sync code (resolved, never inferred), or a call to
    /// a path of the crate or of a workspace member.
    pub(super) fn summarise_call(
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
                if !in_async && confidence == Confidence::Resolved && entry.rule.propagates =>
            {
                Record::Blocking(BlockingCall {
                    rule: entry.rule.id,
                    severity: entry.severity,
                    callee: callee.to_string(),
                    span,
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
    pub(super) fn call_site(&self, callee: Callee, span: Span) -> CallSite {
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
            dropped: None,
        }
    }

    /// Files a summary record under `function`, or under the local closure
    /// whose body is being walked (its records wait for how it is used).
    pub(super) fn record_in(&mut self, function: usize, record: Record) {
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
    pub(super) fn summarise_untyped_method(&mut self, call: &ExprMethodCall, span: Span) {
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
    pub(super) fn untyped_method_callee(&self, call: &ExprMethodCall) -> Option<Callee> {
        let method = call.method.to_string();
        if types::is_self_preserving(&method) {
            return None;
        }
        if let Some(traits) = types::bounds(&self.resolver, &call.receiver) {
            let traits: Vec<String> = traits
                .into_iter()
                .filter(|path| self.is_crate_path(path))
                .collect();
            return (!traits.is_empty()).then_some(Callee::Dispatch { traits, method });
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
    pub(super) fn mark_wrapped<'ast>(
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
    pub(super) fn note_call_args(
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
    pub(super) fn note_crate_call(
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
    pub(super) fn note_forwarded<'ast>(
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
            self.note_param_use(path, || match to {
                Some(callee) => HandedTo::Arg(callee.clone(), first + index),
                None => HandedTo::Offload,
            });
        }
    }

    /// A value kept where the analysis does not follow it (a struct field,
    /// a tuple struct's constructor argument), through `Arc::new` and its
    /// kind: a closure there does not run here, nor does a parameter.
    /// A value kept rather than run: an element of an array or `vec!`, an
    /// argument of a method that stores it (`STORING_METHODS`), a returned
    /// value. A closure there, or a local closure named there, runs
    /// wherever whoever takes it out calls it, which the walker cannot
    /// follow: like a struct field's closure, nothing in it is reported.
    pub(super) fn note_kept(&mut self, value: &Expr) {
        self.note_stored(value);
        self.note_closure_use(stored_value(value), true, false);
    }

    pub(super) fn note_stored(&mut self, value: &Expr) {
        let value = stored_value(value);
        if let Some(closure) = closure_arg(value) {
            self.offloaded.push(closure as *const _);
        } else if let Expr::Path(path) = value {
            self.note_param_use(path, || HandedTo::Stored);
        }
    }

    fn note_param_use(&mut self, path: &syn::ExprPath, to: impl FnOnce() -> HandedTo) {
        if self.params.is_empty() || path.qself.is_some() {
            return;
        }
        let Some(ident) = path.path.get_ident() else {
            return;
        };
        if let Some(param) = self
            .params
            .iter_mut()
            .find(|param| !param.escaped && *ident == param.name)
        {
            param.uses.push(to());
            self.forwarded_uses.push(path as *const _);
        }
    }

    /// Whether some argument is a bare parameter that may be handed on.
    pub(super) fn hands_on_param(&self, args: &Punctuated<Expr, Token![,]>) -> bool {
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
    pub(super) fn shadow_param(&mut self, name: &syn::Ident) {
        if let Some(param) = self.params.iter_mut().find(|param| *name == param.name) {
            param.escaped = true;
        }
    }

    pub(super) fn add_record(&mut self, function: usize, record: Record) {
        let function = &mut self.summary.functions[function];
        match record {
            Record::Blocking(call) => function.blocking.push(call),
            Record::Call(call) => function.calls.push(call),
        }
    }

    /// `crate::..`, or a path into another library of the workspace.
    pub(super) fn is_crate_path(&self, path: &str) -> bool {
        let first = path.split("::").next().unwrap_or(path);
        first == "crate" || self.ctx.workspace_crates.iter().any(|name| name == first)
    }

    /// The summary key of a function being entered: `Type::name` under the
    /// `impl`'s type or the trait's path, else `name` in the current module
    /// (in a `{block}` scope for items inside a body, as the resolver
    /// names them).
    pub(super) fn function_key(&self, ident: &syn::Ident, nested: bool) -> Option<String> {
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
    pub(super) fn sync_callee_of_method(
        &self,
        call: &ExprMethodCall,
    ) -> Option<(String, Option<Entry>)> {
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

    /// The parameters the function only ever handed on (see `Param`).
    pub(super) fn record_forwarded(&mut self, summary_fn: Option<usize>) {
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
}
