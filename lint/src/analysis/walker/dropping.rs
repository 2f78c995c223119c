//! Values of workspace types dropped in the code being walked: `drop(x)`,
//! `let _ = value;` and a binding's end of scope in async code. Each is a
//! call of `Type::drop` for the call graph (`summary::Dropped`): whether the
//! type has a `Drop` impl, and whether it blocks, is the solver's question,
//! answered like any other call of a crate function.
//!
//! Implicit drops are followed in async code only (where they are
//! findings), and only for bindings the walker saw typed. A binding stops
//! being pending where it is moved: passed as an argument, returned, stored
//! in an aggregate, assigned, awaited, bound to another name, or the tail of
//! its block.

use super::*;
use crate::analysis::scope::owned_as_written;
use crate::analysis::summary::{DropKind, Dropped};

/// Methods that, by the naming conventions of std and the ecosystem, take
/// `self` by value and end the value's life (`tx.commit()`,
/// `file.into_inner()`): after one of them the end of scope drops nothing.
const CONSUMING_METHODS: &[&str] = &[
    "close", "commit", "rollback", "finish", "shutdown", "join", "abort", "cancel", "persist",
    "keep", "disarm", "defuse", "leak", "forget",
];

/// A binding that its block's end will drop, unless it is moved first.
pub(super) struct PendingDrop {
    name: String,
    /// The type's resolved path.
    ty: String,
    /// The block it was bound in.
    depth: usize,
}

impl Walker<'_> {
    /// The workspace type `expr` evaluates to, when the value is owned
    /// there (dropping it runs that type's `Drop`): a struct literal or
    /// constructor, a call of a function of the file written to return the
    /// type by value (`-> Journal`, `-> io::Result<Self>`, through `?`,
    /// `.await`, `.unwrap()`), or a binding of such a value. A value typed
    /// only through `Arc`, `Rc` or a reference is not: its drop may run
    /// nothing.
    fn owned_value_type(&self, expr: &Expr) -> Option<String> {
        let path = match types::infer(&self.resolver, expr)? {
            Ty::Named(path) if self.is_crate_path(&path) => path,
            _ => return None,
        };
        let owned = match unwrapped_value(expr) {
            Expr::Struct(_) => true,
            Expr::Call(call) => match &*call.func {
                Expr::Path(func) if func.qself.is_none() => {
                    match self.resolver.resolve_to_path(&func.path, Ns::Value) {
                        Some(called) => called == path || self.resolver.returns_owned(&called),
                        None => false,
                    }
                }
                _ => false,
            },
            value => bare_name(value).is_some_and(|name| {
                self.pending_drops
                    .iter()
                    .rev()
                    .find(|pending| pending.name == name)
                    .is_some_and(|pending| pending.ty == path)
            }),
        };
        owned.then_some(path)
    }

    /// `drop(x)` of an owned value of a workspace type.
    pub(super) fn note_explicit_drop(&mut self, callee: &str, node: &ExprCall, span: Span) {
        if !matches!(callee, "std::mem::drop" | "core::mem::drop") || node.args.len() != 1 {
            return;
        }
        if let Some(path) = self.owned_value_type(&node.args[0]) {
            self.record_drop(path, DropKind::Explicit, span);
        }
    }

    /// A `let` of an owned value of a workspace type: `let _ = value;`
    /// drops it at once; `let x = value;` at the end of the block (reported
    /// in async code only) unless `x` is moved first.
    pub(super) fn note_let_drop(&mut self, local: &syn::Local) {
        if !self.summarising() {
            return;
        }
        let Some(init) = &local.init else {
            return;
        };
        let (pat, path) = match &local.pat {
            Pat::Type(typed) => {
                let annotated = match self.resolver.resolve_type(&typed.ty) {
                    Some(Ty::Named(path))
                        if self.is_crate_path(&path) && owned_as_written(&typed.ty) =>
                    {
                        Some(path)
                    }
                    _ => None,
                };
                (&*typed.pat, annotated)
            }
            pat => (pat, self.owned_value_type(&init.expr)),
        };
        let Some(path) = path else {
            return;
        };
        match pat {
            Pat::Wild(_) if self.in_async() => {
                let span = span_between(local.let_token.span.start(), local.semi_token.span.end());
                self.record_drop(path, DropKind::Discarded, span);
            }
            Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                self.pending_drops.push(PendingDrop {
                    name: ident.ident.to_string(),
                    ty: path,
                    depth: self.block_depth,
                });
            }
            _ => {}
        }
    }

    /// A parameter taken by value (`journal: Journal`): the function owns
    /// it and drops it at the end of its body unless it moves it.
    pub(super) fn note_param_drop(&mut self, param: &syn::PatType) {
        let Pat::Ident(ident) = &*param.pat else {
            return;
        };
        if !self.summarising() || ident.by_ref.is_some() || !owned_as_written(&param.ty) {
            return;
        }
        if let Some(Ty::Named(path)) = self.resolver.resolve_type(&param.ty)
            && self.is_crate_path(&path)
        {
            self.pending_drops.push(PendingDrop {
                name: ident.ident.to_string(),
                ty: path,
                // The body's block, entered next.
                depth: self.block_depth + 1,
            });
        }
    }

    /// `name` is moved: the newest binding of that name is no longer
    /// dropped where its block ends.
    pub(super) fn note_drop_moved(&mut self, name: &str) {
        if let Some(index) = self.pending_drops.iter().rposition(|p| p.name == name) {
            self.pending_drops.remove(index);
        }
    }

    /// `expr` used in a way that moves it when it is a bare binding: bound
    /// to another name, awaited, or consumed by a method named like one
    /// that takes `self` (`CONSUMING_METHODS`, `into_*`).
    pub(super) fn note_drop_use(&mut self, expr: &Expr, method: Option<&syn::Ident>) {
        if self.pending_drops.is_empty() {
            return;
        }
        let consuming = method.is_none_or(|method| {
            let method = method.to_string();
            method.starts_with("into_") || CONSUMING_METHODS.contains(&method.as_str())
        });
        if consuming && let Some(name) = bare_name(expr) {
            self.note_drop_moved(&name);
        }
    }

    /// The end of a block: its pending bindings are dropped at its closing
    /// brace (a tail expression naming one returns it instead).
    pub(super) fn end_of_scope_drops(&mut self, block: &Block) {
        if self.pending_drops.is_empty() {
            return;
        }
        if let Some(Stmt::Expr(tail, None)) = block.stmts.last() {
            self.note_drop_use(tail, None);
        }
        let depth = self.block_depth;
        let (ending, outer): (Vec<PendingDrop>, Vec<PendingDrop>) =
            std::mem::take(&mut self.pending_drops)
                .into_iter()
                .partition(|pending| pending.depth >= depth);
        self.pending_drops = outer;
        if !self.in_async() {
            return;
        }
        let close = block.brace_token.span.close();
        let span = span_between(close.start(), close.end());
        // Bindings are dropped in the reverse order of their declaration.
        for pending in ending.into_iter().rev() {
            let how = DropKind::ScopeEnd {
                binding: pending.name,
            };
            self.record_drop(pending.ty, how, span);
        }
    }

    fn record_drop(&mut self, path: String, how: DropKind, span: Span) {
        let Some(function) = self.summary_fn.filter(|_| !self.off_executor) else {
            return;
        };
        let ty = path.rsplit("::").next().unwrap_or(&path).to_string();
        let mut site = self.call_site(Callee::Path(format!("{path}::drop")), span);
        site.dropped = Some(Dropped { ty, how });
        self.record_in(function, Record::Call(site));
    }
}

/// The value an expression hands over, through `?`, `.await`, parentheses
/// and `.unwrap()`/`.expect(..)`.
fn unwrapped_value(expr: &Expr) -> &Expr {
    match expr {
        Expr::Try(inner) => unwrapped_value(&inner.expr),
        Expr::Await(inner) => unwrapped_value(&inner.base),
        Expr::Paren(inner) => unwrapped_value(&inner.expr),
        Expr::Group(inner) => unwrapped_value(&inner.expr),
        Expr::MethodCall(call) if call.method == "unwrap" || call.method == "expect" => {
            unwrapped_value(&call.receiver)
        }
        _ => expr,
    }
}
