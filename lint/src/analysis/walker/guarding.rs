//! The walker's side of `lock-held-across-await`: which calls return
//! guards, where guards are bound, moved and captured (the drop scopes
//! themselves are `super::super::guards`).

use super::*;

impl Walker<'_> {
    /// Turns the guards held across an `.await` into findings; the
    /// `sync-lock-in-async` note for the same call goes (this says more).
    pub(super) fn report_held_guards(&mut self) {
        let held = std::mem::take(&mut self.guards).finish();
        if held.is_empty() {
            return;
        }
        let rule = &rules::LOCK_HELD_ACROSS_AWAIT;
        // Candidates only the model can tell: asked, not reported.
        let (questions, held): (Vec<_>, Vec<_>) = held
            .into_iter()
            .partition(|held| held.lock.question.is_some());
        for held in questions {
            if let Some(mut question) = held.lock.question {
                question.query.kind = QueryKind::HeldGuard {
                    await_span: held.await_span,
                };
                self.summary.queries.push(*question);
            }
        }
        let spans: Vec<Span> = held.iter().map(|held| held.lock.span).collect();
        self.findings.retain(|finding| {
            !(finding.rule == rules::SYNC_LOCK_IN_ASYNC.id && spans.contains(&finding.span))
        });
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
    pub(super) fn with_item_allows(
        &mut self,
        item_attrs: &[syn::Attribute],
        visit: impl FnOnce(&mut Self),
    ) {
        let allows = attrs::allows_await_holding(item_attrs);
        self.await_holding_allowed += usize::from(allows);
        visit(self);
        self.await_holding_allowed -= usize::from(allows);
    }

    /// Whether a method call returns a lock guard or a `RefCell` borrow: by
    /// the receiver's type, or for an unknown receiver by the
    /// `.lock().unwrap()` shape.
    pub(super) fn guard_callee(&self, call: &ExprMethodCall) -> Option<(String, Confidence)> {
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
            Some(Ty::Tuple(_) | Ty::Bounded(_)) => None,
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

    /// A lock-shaped call (`.lock()`, `.read()`, `.borrow()`, ..) on a
    /// receiver only the model can type: tracked like a guard, and asked
    /// about if it is alive at an `.await` (`report_held_guards`).
    #[allow(clippy::type_complexity)]
    pub(super) fn candidate_guard(
        &self,
        call: &ExprMethodCall,
    ) -> Option<(String, Confidence, Option<Box<ModelQuery>>)> {
        let method = call.method.to_string();
        let file_knows = match types::infer(&self.resolver, &call.receiver) {
            None => false,
            // A crate type may be an alias of a lock declared elsewhere.
            Some(Ty::Named(path)) => !self.is_crate_path(&path),
            Some(Ty::Tuple(_) | Ty::Bounded(_)) => true,
        };
        if !self.resolver.catalog().is_guard_method(&method) || file_knows {
            return None;
        }
        let question = self.question(call, QueryKind::ConfirmLock)?;
        Some((method, Confidence::Resolved, Some(Box::new(question))))
    }

    /// Arguments passed by name are moved into the call: a guard so passed
    /// (`drop(guard)`) dies there.
    pub(super) fn note_moves<'ast>(&mut self, args: impl Iterator<Item = &'ast Expr>) {
        for arg in args {
            if let Expr::Path(path) = arg
                && path.qself.is_none()
                && let Some(ident) = path.path.get_ident()
            {
                let name = ident.to_string();
                self.guards.moved(&name);
                self.note_drop_moved(&name);
            }
        }
    }

    /// Guards moved into an aggregate (`S { g }`, `(g, 1)`, `[g]`,
    /// `vec![g]`, a `move` closure or `async move` block naming `g`) die
    /// there, unless a `let` binds the aggregate: then they live on in it.
    pub(super) fn note_aggregate_moves(&mut self, aggregate: *const (), names: Vec<String>) {
        if self.let_aggregate == Some(aggregate) {
            return;
        }
        for name in names {
            self.guards.moved(&name);
            self.note_drop_moved(&name);
        }
    }

    /// The live guards a `move` closure or `async move` block names (and so
    /// captures by value). Other closures capture by reference unless their
    /// body moves the value; telling those apart needs types, so they are
    /// left holding nothing (the guard stays alive outside: conservative).
    pub(super) fn captured_guards(&self, scan_body: impl FnOnce(&mut NameScan<'_>)) -> Vec<String> {
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
    pub(super) fn let_binds_aggregate(&self, init: &Expr) -> bool {
        !aggregate_address(init).is_null() && !self.aggregate_moves(init).is_empty()
    }

    /// The live guards a `move` closure captures: named in its body and not
    /// rebound by its parameters (`move |g| g.len()` takes none).
    pub(super) fn closure_captures(&self, closure: &ExprClosure) -> Vec<String> {
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
    pub(super) fn aggregate_moves(&self, init: &Expr) -> Vec<String> {
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
    pub(super) fn note_let_guard(&mut self, node: &syn::Local) {
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
    pub(super) fn note_guard_returning_call(&mut self, init: &Expr, name: String) {
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
            question: None,
        };
        self.guards.lock_bound(lock, name, self.block_depth);
    }
}
