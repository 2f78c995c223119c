//! From syntax to the model's plain data: written types (`TypeRef`) and
//! receiver descriptions (`Recv`). The only part of the model that sees
//! `syn`; everything it returns outlives the syntax tree.

use std::sync::Arc;

use syn::{Expr, GenericArgument, PathArguments};

use super::written::{PathRef, Recv, TypeRef};

/// Deeper types and receiver chains than this are `Unknown` (keeps the
/// descriptions small on machine-generated code).
const MAX_DEPTH: usize = 24;

/// A written type; `Self` becomes `self_ty` (the enclosing impl's type).
pub fn type_ref(ty: &syn::Type, self_ty: Option<&TypeRef>) -> TypeRef {
    type_at(ty, self_ty, 0)
}

fn type_at(ty: &syn::Type, self_ty: Option<&TypeRef>, depth: usize) -> TypeRef {
    if depth > MAX_DEPTH {
        return TypeRef::Unknown;
    }
    let inner = |ty: &syn::Type| type_at(ty, self_ty, depth + 1);
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            let segments = &path.path.segments;
            if segments.len() == 1 && segments[0].ident == "Self" {
                return self_ty.cloned().unwrap_or(TypeRef::Unknown);
            }
            if segments.iter().any(|segment| segment.ident == "Self") {
                return TypeRef::Unknown;
            }
            TypeRef::Path(path_at(&path.path, self_ty, depth))
        }
        syn::Type::Reference(reference) => TypeRef::Ref(Box::new(inner(&reference.elem))),
        syn::Type::Paren(paren) => inner(&paren.elem),
        syn::Type::Group(group) => inner(&group.elem),
        syn::Type::Tuple(tuple) => TypeRef::Tuple(tuple.elems.iter().map(inner).collect()),
        syn::Type::Slice(slice) => TypeRef::Slice(Box::new(inner(&slice.elem))),
        syn::Type::Array(array) => TypeRef::Slice(Box::new(inner(&array.elem))),
        syn::Type::ImplTrait(bounds) => {
            TypeRef::ImplTrait(trait_paths(bounds.bounds.iter(), self_ty, depth))
        }
        syn::Type::TraitObject(bounds) => {
            TypeRef::DynTrait(trait_paths(bounds.bounds.iter(), self_ty, depth))
        }
        _ => TypeRef::Unknown,
    }
}

fn trait_paths<'a>(
    bounds: impl Iterator<Item = &'a syn::TypeParamBound>,
    self_ty: Option<&TypeRef>,
    depth: usize,
) -> Vec<PathRef> {
    bounds
        .filter_map(|bound| match bound {
            syn::TypeParamBound::Trait(bound) => Some(path_at(&bound.path, self_ty, depth)),
            _ => None,
        })
        .collect()
}

/// A written path with its last segment's type arguments.
pub fn path_ref(path: &syn::Path, self_ty: Option<&TypeRef>) -> PathRef {
    path_at(path, self_ty, 0)
}

fn path_at(path: &syn::Path, self_ty: Option<&TypeRef>, depth: usize) -> PathRef {
    let args = match path.segments.last().map(|segment| &segment.arguments) {
        Some(PathArguments::AngleBracketed(args)) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(type_at(ty, self_ty, depth + 1)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut segments: Vec<String> = path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    // `Self::new`: the impl's type path, then the rest.
    if segments.len() > 1
        && segments[0] == "Self"
        && let Some(TypeRef::Path(self_path)) = self_ty
    {
        segments.splice(0..1, self_path.segments.iter().cloned());
    }
    PathRef {
        absolute: path.leading_colon.is_some(),
        segments,
        args,
    }
}

/// What describes receivers needs from the walk: the description of a
/// local variable, and the enclosing impl's type.
pub trait Locals {
    /// `None` for a name that is not a local (a static, a unit struct).
    fn local(&self, name: &str) -> Option<Option<Arc<Recv>>>;
    fn self_ty(&self) -> Option<&TypeRef>;
}

/// Describes a receiver expression. A local's description is shared, not
/// copied: describing stays linear in the expression's size.
pub fn recv(expr: &Expr, locals: &dyn Locals) -> Arc<Recv> {
    shared(expr, locals, 0)
}

fn shared(expr: &Expr, locals: &dyn Locals, depth: usize) -> Arc<Recv> {
    if let Expr::Path(path) = expr
        && path.qself.is_none()
        && let Some(ident) = path.path.get_ident()
        && let Some(local) = locals.local(&ident.to_string())
    {
        return local.unwrap_or_else(|| Arc::new(Recv::Unknown));
    }
    match expr {
        Expr::Await(expr) => shared(&expr.base, locals, depth + 1),
        Expr::Paren(expr) => shared(&expr.expr, locals, depth + 1),
        Expr::Reference(expr) => shared(&expr.expr, locals, depth + 1),
        _ => Arc::new(recv_at(expr, locals, depth)),
    }
}

fn recv_at(expr: &Expr, locals: &dyn Locals, depth: usize) -> Recv {
    if depth > MAX_DEPTH {
        return Recv::Unknown;
    }
    let inner = |expr: &Expr| recv_at(expr, locals, depth + 1);
    let base = |expr: &Expr| shared(expr, locals, depth + 1);
    match expr {
        Expr::Path(path) if path.qself.is_none() => {
            if let Some(ident) = path.path.get_ident()
                && let Some(local) = locals.local(&ident.to_string())
            {
                return local.map_or(Recv::Unknown, |recv| (*recv).clone());
            }
            Recv::Path(path_ref(&path.path, locals.self_ty()))
        }
        Expr::Field(field) => {
            let name = match &field.member {
                syn::Member::Named(name) => name.to_string(),
                syn::Member::Unnamed(index) => index.index.to_string(),
            };
            Recv::Field(base(&field.base), name)
        }
        Expr::Call(call) => match &*call.func {
            Expr::Path(func) if func.qself.is_none() => Recv::Call(
                path_ref(&func.path, locals.self_ty()),
                call.args.iter().map(inner).collect(),
            ),
            _ => Recv::Unknown,
        },
        // Method arguments type no library signature of the catalog: not
        // described (keeps descriptions small).
        Expr::MethodCall(call) => {
            Recv::Method(base(&call.receiver), call.method.to_string(), Vec::new())
        }
        Expr::Struct(literal) if literal.qself.is_none() => {
            let path = &literal.path;
            if path.is_ident("Self") {
                match locals.self_ty() {
                    Some(TypeRef::Path(path)) => Recv::Struct(path.clone()),
                    _ => Recv::Unknown,
                }
            } else {
                Recv::Struct(path_ref(path, locals.self_ty()))
            }
        }
        // `x?` is the success value, as `x.unwrap()` is.
        Expr::Try(expr) => Recv::Method(base(&expr.expr), "unwrap".to_string(), Vec::new()),
        Expr::Await(expr) => inner(&expr.base),
        Expr::Paren(expr) => inner(&expr.expr),
        Expr::Group(expr) => inner(&expr.expr),
        Expr::Reference(expr) => inner(&expr.expr),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => inner(&unary.expr),
        Expr::Cast(cast) => Recv::Typed(type_ref(&cast.ty, locals.self_ty())),
        Expr::If(expr_if) => agreeing(
            expr_if
                .then_branch
                .stmts
                .last()
                .into_iter()
                .chain(else_tail(expr_if)),
            locals,
            depth,
        ),
        Expr::Match(expr_match) => {
            let arms: Vec<Recv> = expr_match
                .arms
                .iter()
                .filter(|arm| !diverges(&arm.body))
                .map(|arm| inner(&arm.body))
                .collect();
            all_agree(arms)
        }
        Expr::Block(syn::ExprBlock { block, .. }) | Expr::Unsafe(syn::ExprUnsafe { block, .. }) => {
            match block.stmts.last() {
                Some(syn::Stmt::Expr(expr, None)) => inner(expr),
                _ => Recv::Unknown,
            }
        }
        _ => Recv::Unknown,
    }
}

fn else_tail(expr_if: &syn::ExprIf) -> Option<&syn::Stmt> {
    match expr_if.else_branch.as_ref().map(|(_, expr)| &**expr) {
        Some(Expr::Block(block)) => block.block.stmts.last(),
        _ => None,
    }
}

/// `if`/`else` tails: a type only when there is an `else` and every
/// branch that gives a value describes the same.
fn agreeing<'a>(
    tails: impl Iterator<Item = &'a syn::Stmt>,
    locals: &dyn Locals,
    depth: usize,
) -> Recv {
    let mut branches = 0;
    let mut described = Vec::new();
    for stmt in tails {
        branches += 1;
        match stmt {
            syn::Stmt::Expr(expr, None) if diverges(expr) => {}
            syn::Stmt::Expr(expr, None) => described.push(recv_at(expr, locals, depth + 1)),
            _ => return Recv::Unknown,
        }
    }
    if branches < 2 {
        return Recv::Unknown;
    }
    all_agree(described)
}

fn all_agree(branches: Vec<Recv>) -> Recv {
    if branches.is_empty() || branches.iter().any(Recv::is_unknown) {
        return Recv::Unknown;
    }
    Recv::Agree(branches)
}

/// `return ..`, `continue`, `break`, `panic!(..)`: an arm that gives no value.
fn diverges(expr: &Expr) -> bool {
    match expr {
        Expr::Return(_) | Expr::Continue(_) | Expr::Break(_) => true,
        Expr::Macro(mac) => mac.mac.path.segments.last().is_some_and(|segment| {
            matches!(
                segment.ident.to_string().as_str(),
                "panic" | "unreachable" | "todo" | "unimplemented"
            )
        }),
        Expr::Block(block) => matches!(
            block.block.stmts.last(),
            Some(syn::Stmt::Expr(expr, _)) if diverges(expr)
        ),
        _ => false,
    }
}
