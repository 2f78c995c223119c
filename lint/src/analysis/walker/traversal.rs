//! The walk itself: `syn::visit` over the file, tracking async context
//! and handing each construct to the walker's parts.

use super::*;

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
        // The impl's generic parameters (`impl<B: Backend> ..`): values of
        // those types are known by their bounds.
        self.resolver.push_scope(false);
        self.resolver.declare_generics(&node.generics);
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
        if let (Some((_, trait_path, _)), Some(self_path)) = (&node.trait_, &self_path)
            && let Some(trait_path) = self.resolver.resolve_to_path(trait_path, Ns::Type)
            && self.is_crate_path(&trait_path)
        {
            self.summary.impls.push((trait_path, self_path.clone()));
        }
        let saved_self = self.resolver.set_self_ty(self_path.clone());
        let saved_model_self = self
            .model_self
            .replace(crate::model::lower::type_ref(&node.self_ty, None));
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
        self.model_self = saved_model_self;
        self.resolver.pop_scope();
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
        // In a default body, `self` is some implementor of the trait: its
        // method calls dispatch over the workspace's impls.
        self.resolver.push_scope(false);
        self.resolver
            .declare_generic("Self".to_string(), vec![path.clone()]);
        self.resolver.declare_generics(&node.generics);
        let saved_self = self.resolver.set_self_ty(None);
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
        self.resolver.set_self_ty(saved_self);
        self.resolver.pop_scope();
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
        self.end_of_scope_drops(node);
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
        // Typed before `x` in `let y = x;` stops being pending: its drop is
        // `y`'s now.
        self.note_let_drop(node);
        if let Some(init) = &node.init {
            self.note_drop_use(&init.expr, None);
        }
        match &node.init {
            Some(init) => {
                let described =
                    questions::describe(&self.resolver, self.model_self.as_ref(), &init.expr);
                self.bind_described(&node.pat, ty, described);
            }
            None => self.bind_pattern(&node.pat, ty),
        }
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
        if self.in_async() {
            self.report_blocking_iteration(&node.expr);
        }
        self.resolver.push_scope(false);
        let collection = questions::describe(&self.resolver, self.model_self.as_ref(), &node.expr);
        self.bind_described(&node.pat, None, Arc::new(Recv::Element(collection)));
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
        let mut element = self
            .element_closures
            .iter()
            .position(|(closure, _)| *closure == address)
            .map(|index| self.element_closures.swap_remove(index).1);
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
                match element.take() {
                    Some(element) => walker.bind_described(input, ty, element),
                    None => walker.bind_pattern(input, ty),
                }
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
        if is_constructor(&node.func) {
            for arg in &node.args {
                self.note_stored(arg);
            }
        }
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
            self.note_explicit_drop(&callee, node, span);
            if self.in_async() && entry.is_none() && self.only_the_model_knows(&callee) {
                self.ask_function(node, start);
            }
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
        if STORING_METHODS.iter().any(|method| node.method == method) {
            for arg in &node.args {
                self.note_kept(arg);
            }
        }
        let saved_unwrapped = self.unwrapped;
        self.unwrapped = match &*node.receiver {
            Expr::MethodCall(inner) if node.method == "unwrap" || node.method == "expect" => {
                Some(inner as *const _)
            }
            _ => None,
        };
        self.visit_expr(&node.receiver);
        self.unwrapped = saved_unwrapped;
        self.note_drop_use(&node.receiver, Some(&node.method));
        let guard = if self.in_async() && self.await_holding_allowed == 0 {
            self.guard_callee(node)
                .map(|(callee, confidence)| (callee, confidence, None))
                .or_else(|| self.candidate_guard(node))
        } else {
            None
        };
        if questions::hands_elements_to_closure(&node.method.to_string())
            && let Some(closure) = node.args.first().and_then(closure_arg)
        {
            let collection =
                questions::describe(&self.resolver, self.model_self.as_ref(), &node.receiver);
            if !collection.is_unknown() {
                self.element_closures
                    .push((closure as *const _, Arc::new(Recv::Element(collection))));
            }
        }

        let has_closure = node.args.iter().any(|arg| closure_arg(arg).is_some());
        let resolved = if self.in_async() || has_closure {
            self.callee_of_method(node)
        } else if self.summarising() {
            self.sync_callee_of_method(node)
                .map(|(callee, entry)| (callee, entry, Confidence::Resolved))
        } else {
            None
        };
        // No real API names anything else `spawn_blocking`/`block_in_place`:
        // on a receiver of unknown type (`handle.spawn_blocking(..)`) it offloads.
        if resolved.is_none()
            && UNTYPED_OFFLOAD_METHODS
                .iter()
                .any(|name| node.method == name)
        {
            for arg in &node.args {
                if let Some(closure) = closure_arg(arg) {
                    self.offloaded.push(closure as *const _);
                }
                self.note_closure_use(arg, true, false);
            }
            self.note_forwarded(None, 1, node.args.iter());
        }
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
        if self.in_async() {
            match &resolved {
                // The `.lock().unwrap()` shape on an unknown receiver: the
                // model may know it (and that it is no lock).
                Some((_, Some(_), Confidence::Inferred)) => self.ask(node, QueryKind::ConfirmLock),
                Some((_, Some(_), _)) => {}
                // Unresolved, or a path of the crate (perhaps an alias of
                // a library type declared in another file).
                _ => self.ask(node, QueryKind::Call),
            }
        }
        if let Some((callee, entry, confidence)) = resolved {
            // `socket.connect(addr)` with `addr: SocketAddr` resolves no name: no
            // wait. The receiver comes first, so `"[::1]:1".to_socket_addrs()`
            // (no argument) is judged by its receiver.
            let address_and_args = std::iter::once(&*node.receiver).chain(node.args.iter());
            let entry = entry
                .filter(|entry| socket_addr::may_block(&self.resolver, entry, address_and_args));
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
        if let Some((callee, confidence, question)) = guard {
            let lock = Lock {
                question,
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
        for field in &node.fields {
            self.note_stored(&field.expr);
        }
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
        for elem in &node.elems {
            self.note_kept(elem);
        }
        visit::visit_expr_array(self, node);
        let names = node.elems.iter().filter_map(bare_name).collect();
        self.note_aggregate_moves(node as *const _ as *const (), names);
    }

    fn visit_expr_return(&mut self, node: &'ast syn::ExprReturn) {
        if let Some(value) = &node.expr {
            self.note_kept(value);
        }
        visit::visit_expr_return(self, node);
        // `return guard` hands it to the caller.
        self.note_moves(node.expr.as_deref().into_iter());
    }

    fn visit_expr_await(&mut self, node: &'ast syn::ExprAwait) {
        self.visit_expr(&node.base);
        self.note_drop_use(&node.base, None);
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
