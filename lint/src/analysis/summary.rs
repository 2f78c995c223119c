//! What one file tells the call graph (`crate::callgraph`): its functions,
//! the blocking calls each makes on its own thread, and the calls each makes
//! to functions of the crate (or of another workspace member).
//!
//! Plain data, built by the walker during its single pass and sent back to
//! the driver; the graph is solved over these summaries once every file is
//! analysed, never over syntax trees.
//!
//! Offload wrappers are inferred from the same data: each function's
//! parameters that it only hands on bare (`ForwardedParam`) to offloading
//! calls, to struct fields, or to other functions, and the `Guard`s of what
//! was seen in closures handed to crate functions.
//!
//! Paths are as the file's resolver spells them: the crate's own items start
//! with `crate::` (the file's module path included, see
//! `FileContext::module_path`), another member's with its crate name
//! (`util::io::load`). Methods are `Type::method` under the type's path.

use syn::Expr;

use super::scope::{Ns, Resolver, Ty};
use super::types;
use crate::finding::{Severity, Span};
use crate::model::items::ItemIndex;
use crate::model::queries::Query;

/// How deep a receiver the file cannot type is described for the solver.
const MAX_RECEIVER_DEPTH: usize = 8;

/// One file's functions, in source order, and what its items say about
/// types (for receivers other files cannot type on their own).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSummary {
    pub functions: Vec<FunctionSummary>,
    /// (struct path, field name, field type path) of the file's structs.
    pub fields: Vec<(String, String, String)>,
    /// (alias path, aliased type path) of the file's type aliases.
    pub aliases: Vec<(String, String)>,
    /// (function or `Type::method` path, returned type path).
    pub returns: Vec<(String, String)>,
    /// (trait path, self type path) of the file's impls of workspace
    /// traits: what a call on a value known only by its bounds dispatches to.
    pub impls: Vec<(String, String)>,
    /// The walker's findings made inside closures handed to crate functions:
    /// dropped after the solve if a guard turns out to offload its closure.
    pub guarded: Vec<GuardedFinding>,
    /// The file's items, for the semantic model (`crate::model`).
    pub index: ItemIndex,
    /// What only the model can answer (receivers other files type).
    pub queries: Vec<ModelQuery>,
}

/// A question for the model, with the guards of the closures it was asked
/// in (its finding is dropped if one of them offloads, as `GuardedFinding`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelQuery {
    pub query: Query,
    pub guards: Vec<Guard>,
}

/// One function, inherent or trait method, or trait default method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionSummary {
    /// `crate::store::Store::load`, `crate::config::load_config`.
    pub key: String,
    /// As findings name it: `load_config`, `Store::load`.
    pub name: String,
    /// An `async fn` or a `poll*` method of a future: it reports its own
    /// findings and never blocks its callers.
    pub is_async: bool,
    /// Catalogued calls of a propagated rule, made in the function's own
    /// sync code (not in an async block, not in an offloaded closure).
    pub blocking: Vec<BlockingCall>,
    /// Calls to paths that may be functions of the crate.
    pub calls: Vec<CallSite>,
    /// Parameters (by index, a `self` receiver counting as the first) the
    /// function uses only as bare arguments of offloading calls or of crate
    /// functions (`spawn_blocking(f)`, `inner(f)`): the solver makes it an
    /// offload wrapper for them when every such use offloads.
    pub forwarded: Vec<ForwardedParam>,
}

/// Where a function hands one of its parameters on, unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedParam {
    /// Index in the function's inputs, receiver included.
    pub param: usize,
    pub to: HandedTo,
}

/// Where a parameter goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandedTo {
    /// A known offloading call (catalog, `context.offload`).
    Offload,
    /// Kept, not run: a struct literal's field or a tuple struct's (or
    /// variant's) constructor, directly or through `Arc::new`/`Box::new`/
    /// `Rc::new`/`Box::pin`. Whoever later calls it is not this call.
    Stored,
    /// Argument `.1` of that crate function (receiver counted as argument
    /// 0 of a method), which may or may not run it here.
    Arg(Callee, usize),
}

/// A closure handed to a crate function as argument `arg` (receiver
/// counted as argument 0 of a method): what runs inside it runs off the
/// executor if the callee turns out to be an offload wrapper for `arg`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    pub callee: Callee,
    pub arg: usize,
}

/// A walker finding made inside closures handed to crate functions
/// (innermost last): it is dropped if any of them offloads its closure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardedFinding {
    pub rule: &'static str,
    pub span: Span,
    pub guards: Vec<Guard>,
}

/// A catalogued blocking call in sync code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockingCall {
    pub rule: &'static str,
    /// The catalog entry's severity (the configuration may override it).
    pub severity: Severity,
    /// The resolved callee, `std::fs::read_to_string`.
    pub callee: String,
    pub span: Span,
    /// Made inside closures handed to crate functions (see [`Guard`]).
    pub guards: Vec<Guard>,
}

/// What a call names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A resolved path: `crate::io::load`, `crate::Store::save`.
    Path(String),
    /// A method of a receiver whose type needs other files' items (a field
    /// of a struct declared elsewhere, another file's function's return type).
    Method { receiver: TyExpr, method: String },
    /// A method of a value known only by the workspace traits it
    /// implements (`b.query()` with `b: &B` and `B: Backend`, `impl
    /// Backend`, `dyn Backend`): every implementation in the workspace, or
    /// the trait's default body where an impl does not override it.
    Dispatch { traits: Vec<String>, method: String },
}

/// A receiver type as far as the file knows it, finished by the solver with
/// every file's fields, aliases and return types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TyExpr {
    /// A resolved type path (perhaps an alias declared in another file).
    Path(String),
    /// The type of the named field of a value of the inner type.
    Field(Box<TyExpr>, String),
    /// What the function at this path returns.
    Returns(String),
    /// What the named method of a value of the inner type returns.
    MethodReturns(Box<TyExpr>, String),
}

/// A call to a path that may name a function of the crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    pub callee: Callee,
    /// The call, as a finding would underline it.
    pub span: Span,
    /// Made in async context: a finding goes here if the callee blocks.
    /// Otherwise it is an edge of the enclosing (sync) function.
    pub in_async: bool,
    /// For calls in async context: the context as messages describe it
    /// (``async function `run` ``).
    pub context: String,
    /// The enclosing function as findings name it.
    pub function: Option<String>,
    /// Made inside closures handed to crate functions (see [`Guard`]).
    pub guards: Vec<Guard>,
    /// Not a call written in the source: a value dropped here, whose type's
    /// `drop` is the callee (`crate::db::Conn::drop`).
    pub dropped: Option<Dropped>,
}

/// A value of a workspace type dropped in the code: its `Drop` impl runs
/// here, on this thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// The type as messages name it: `Conn`.
    pub ty: String,
    pub how: DropKind,
}

/// How a value comes to be dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropKind {
    /// `drop(x)`, `std::mem::drop(x)`.
    Explicit,
    /// `let _ = value;`: dropped at once.
    Discarded,
    /// A binding whose block ends here. A method that takes `self` may have
    /// consumed it earlier: not certain, so never more than a warning.
    ScopeEnd { binding: String },
}

/// Describes a receiver the file could not type, when every path in it is
/// one of the crate's (`is_crate`): `self.store` where the struct is
/// declared in another file, `open_store()` returning another file's type.
pub fn receiver_expr(
    resolver: &Resolver<'_>,
    expr: &Expr,
    is_crate: &dyn Fn(&str) -> bool,
    depth: usize,
) -> Option<TyExpr> {
    if depth > MAX_RECEIVER_DEPTH {
        return None;
    }
    if let Some(ty) = types::infer(resolver, expr) {
        return match ty {
            Ty::Named(path) if is_crate(&path) => Some(TyExpr::Path(path)),
            _ => None,
        };
    }
    let inner = |expr: &Expr| receiver_expr(resolver, expr, is_crate, depth + 1);
    match expr {
        Expr::Field(field) => match &field.member {
            syn::Member::Named(name) => Some(TyExpr::Field(
                Box::new(inner(&field.base)?),
                name.to_string(),
            )),
            syn::Member::Unnamed(index) => Some(TyExpr::Field(
                Box::new(inner(&field.base)?),
                index.index.to_string(),
            )),
        },
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return None;
            };
            if func.qself.is_some() {
                return None;
            }
            let path = resolver.resolve_to_path(&func.path, Ns::Value)?;
            is_crate(&path).then_some(TyExpr::Returns(path))
        }
        Expr::MethodCall(call) => {
            let receiver = inner(&call.receiver)?;
            let method = call.method.to_string();
            if types::is_self_preserving(&method) {
                Some(receiver)
            } else {
                Some(TyExpr::MethodReturns(Box::new(receiver), method))
            }
        }
        Expr::Try(inner_expr) => inner(&inner_expr.expr),
        Expr::Await(inner_expr) => inner(&inner_expr.base),
        Expr::Paren(inner_expr) => inner(&inner_expr.expr),
        Expr::Group(inner_expr) => inner(&inner_expr.expr),
        Expr::Reference(inner_expr) => inner(&inner_expr.expr),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => inner(&unary.expr),
        _ => None,
    }
}

/// The file's own struct fields, aliases and return types whose type is a
/// named path, for the solver.
pub fn item_types(resolver: &Resolver<'_>, summary: &mut FileSummary) {
    let (fields, aliases, returns) = resolver.item_types();
    let named = |ty: &Option<Ty>| match ty {
        Some(Ty::Named(path)) => Some(path.clone()),
        _ => None,
    };
    for (owner, owner_fields) in fields {
        for (name, ty) in owner_fields {
            if let Some(ty) = named(ty) {
                summary.fields.push((owner.clone(), name.clone(), ty));
            }
        }
    }
    for (path, ty) in aliases {
        if let Ty::Named(ty) = ty {
            summary.aliases.push((path.clone(), ty.clone()));
        }
    }
    for (path, ty) in returns {
        if let Ty::Named(ty) = ty {
            summary.returns.push((path.clone(), ty.clone()));
        }
    }
    // Hash maps iterate in any order: keep summaries deterministic.
    summary.fields.sort();
    summary.aliases.sort();
    summary.returns.sort();
}
