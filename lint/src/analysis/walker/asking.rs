//! The walker's questions for the semantic model (`crate::model`):
//! locals described as plain data, method and function calls only the
//! model can resolve.

use super::*;

impl Walker<'_> {
    /// Binds every name a pattern introduces (shadowing functions and
    /// imports of the same name), with its type when known.
    /// Binds a pattern whose whole value the model can describe: a plain
    /// name (or `Ok(name)`/`Some(name)`, `name: T`) keeps the description;
    /// other patterns bind as `bind_pattern` does.
    pub(super) fn bind_described(&mut self, pat: &Pat, ty: Option<Ty>, described: Arc<Recv>) {
        match pat {
            Pat::Ident(ident) if ident.subpat.is_none() => {
                self.shadow_param(&ident.ident);
                let described = (!described.is_unknown()).then_some(described);
                self.resolver
                    .bind_described(ident.ident.to_string(), ty, described);
            }
            Pat::Type(typed) => {
                let annotated = self.resolver.resolve_type(&typed.ty);
                let written = questions::typed(&typed.ty, self.model_self.as_ref());
                self.bind_described(&typed.pat, annotated.or(ty), written);
            }
            Pat::TupleStruct(tuple_struct)
                if tuple_struct.elems.len() == 1
                    && tuple_struct.path.segments.last().is_some_and(|segment| {
                        segment.ident == "Ok" || segment.ident == "Some"
                    }) =>
            {
                self.bind_described(&tuple_struct.elems[0], ty, described);
            }
            Pat::Reference(reference) => self.bind_described(&reference.pat, ty, described),
            Pat::Paren(paren) => self.bind_described(&paren.pat, ty, described),
            _ => self.bind_pattern(pat, ty),
        }
    }

    /// A question for the model about the method call `call` (see
    /// `crate::model::queries`); `None` when the receiver says nothing the
    /// model could type, or inside a closure whose use is not known yet.
    pub(super) fn question(&self, call: &ExprMethodCall, kind: QueryKind) -> Option<ModelQuery> {
        if self.deferred.iter().any(|closure| closure.capturing) {
            return None;
        }
        let receiver =
            questions::describe(&self.resolver, self.model_self.as_ref(), &call.receiver);
        if receiver.is_unknown() {
            return None;
        }
        let chain = chain_start(&call.receiver);
        Some(ModelQuery {
            query: Query {
                module: questions::model_module(&self.resolver),
                receiver: Arc::unwrap_or_clone(receiver),
                method: call.method.to_string(),
                span: span_between(
                    call.method.span().start(),
                    call.paren_token.span.close().end(),
                ),
                kind,
                context: self.describe_context(),
                function: self.function.clone(),
                flagged: self
                    .flagged_chains
                    .iter()
                    .filter(|(start, _)| *start == chain)
                    .map(|(_, rule)| *rule)
                    .collect(),
                chain: (chain.line, chain.column),
            },
            guards: self.guard_stack.clone(),
        })
    }

    pub(super) fn ask(&mut self, call: &ExprMethodCall, kind: QueryKind) {
        if kind == QueryKind::Call && types::is_self_preserving(&call.method.to_string()) {
            return;
        }
        if let Some(question) = self.question(call, kind) {
            self.summary.queries.push(question);
        }
    }

    /// Whether a function path the file resolved to no catalog entry may
    /// still name one through other files' items: a path of the crate (a
    /// `pub use` elsewhere) or one whose first segment nothing here names
    /// (a glob import of another module).
    pub(super) fn only_the_model_knows(&self, callee: &str) -> bool {
        let catalog = self.resolver.catalog();
        if catalog.is_offload(callee) || catalog.is_executor_callback(callee) {
            return false;
        }
        let first = callee.split("::").next().unwrap_or(callee);
        // `Some(..)`, `Ok(..)`, tuple structs: constructors, never blocking.
        let constructor = first == callee && first.starts_with(char::is_uppercase);
        first == "crate" || (!constructor && !catalog.knows(first))
    }

    /// Asks the model about a function call (`QueryKind::Function`).
    pub(super) fn ask_function(&mut self, call: &ExprCall, start: LineColumn) {
        if self.deferred.iter().any(|closure| closure.capturing) {
            return;
        }
        let Expr::Path(func) = &*call.func else {
            return;
        };
        if func.qself.is_some() {
            return;
        }
        self.summary.queries.push(ModelQuery {
            query: Query {
                module: questions::model_module(&self.resolver),
                receiver: Recv::Path(crate::model::lower::path_ref(
                    &func.path,
                    self.model_self.as_ref(),
                )),
                method: String::new(),
                span: span_between(start, call.paren_token.span.close().end()),
                kind: QueryKind::Function,
                context: self.describe_context(),
                function: self.function.clone(),
                flagged: Vec::new(),
                chain: (start.line, start.column),
            },
            guards: self.guard_stack.clone(),
        });
    }
}
