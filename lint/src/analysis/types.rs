//! Receiver types without a compiler: what an expression is known to be,
//! from constructor calls (`File::open(..)`, `Mutex::new(..)`,
//! `mpsc::channel()`), the catalog's return types, builder chains and the
//! types of local variables (annotations, or the expression they were bound
//! to), and the file's own items: struct fields (`self.state`), type
//! aliases and function return types.
//!
//! `Result`/`Option` plumbing (`?`, `.unwrap()`, `.expect(..)`), `.await`,
//! references, `.clone()` and transparent wrappers (`Arc::new(x)`) keep the
//! type of what they wrap.

use syn::Expr;

use super::scope::{Ns, Resolver, Target, Ty};

/// Deeper receiver chains than this are not typed (keeps typing linear on
/// machine-generated 5,000-call chains).
const MAX_INFERENCE_DEPTH: usize = 32;

/// Methods that return their receiver's type, for any type.
const SELF_PRESERVING_METHODS: &[&str] = &[
    "unwrap",
    "expect",
    "unwrap_or_default",
    // Error adapters keep the `Ok` type: `Client::open(url).map_err(..)?`.
    "map_err",
    "inspect_err",
    "context",
    "with_context",
    "clone",
    "to_owned",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "by_ref",
];

/// Associated functions of transparent wrappers that wrap their argument.
const WRAPPING_FUNCTIONS: &[&str] = &["new", "clone", "from", "pin", "new_cyclic"];

/// `unwrap`, `clone`, `as_ref`, ...: methods of the wrapper or of every
/// type, never the receiver type's own API (a `rusqlite::Connection::*`
/// catalog entry does not cover `Result<Connection>::unwrap`).
pub fn is_self_preserving(method: &str) -> bool {
    SELF_PRESERVING_METHODS.contains(&method)
}

/// The expression's type, when it is a named type or a tuple of them.
pub fn infer(resolver: &Resolver<'_>, expr: &Expr) -> Option<Ty> {
    infer_at(resolver, expr, 0).filter(|ty| !matches!(ty, Ty::Bounded(_)))
}

/// The traits of a value known only by its bounds (a generic parameter,
/// `impl Trait`, `dyn Trait`, through references, `Box`/`Arc` and
/// `clone()`): what the call graph dispatches its method calls over.
pub fn bounds(resolver: &Resolver<'_>, expr: &Expr) -> Option<Vec<String>> {
    match infer_at(resolver, expr, 0)? {
        Ty::Bounded(traits) => Some(traits),
        _ => None,
    }
}

fn infer_at(resolver: &Resolver<'_>, expr: &Expr, depth: usize) -> Option<Ty> {
    if depth > MAX_INFERENCE_DEPTH {
        return None;
    }
    match expr {
        Expr::Path(path) if path.qself.is_none() => {
            match resolver.resolve(&path.path, Ns::Value)? {
                Target::Local(ty) => ty,
                Target::Path(_) | Target::Module(_) => None,
            }
        }
        Expr::Call(call) => {
            let Expr::Path(func) = &*call.func else {
                return None;
            };
            if func.qself.is_some() {
                return None;
            }
            let callee = resolver.resolve_to_path(&func.path, Ns::Value)?;
            infer_call(resolver, &callee, call.args.first(), depth)
        }
        Expr::MethodCall(call) => {
            let method = call.method.to_string();
            let receiver = infer_at(resolver, &call.receiver, depth + 1);
            if SELF_PRESERVING_METHODS.contains(&method.as_str()) {
                return receiver;
            }
            method_return(resolver, receiver?, &method)
        }
        Expr::Field(field) => {
            let owner = infer_at(resolver, &field.base, depth + 1)?;
            match (&field.member, owner) {
                (syn::Member::Unnamed(index), Ty::Tuple(elems)) => {
                    elems.get(index.index as usize).cloned().flatten()
                }
                (syn::Member::Unnamed(index), Ty::Named(owner)) => {
                    resolver.field_type(&owner, &index.index.to_string())
                }
                (syn::Member::Named(name), Ty::Named(owner)) => {
                    resolver.field_type(&owner, &name.to_string())
                }
                (syn::Member::Named(_), Ty::Tuple(_)) | (_, Ty::Bounded(_)) => None,
            }
        }
        Expr::Try(inner) => infer_at(resolver, &inner.expr, depth + 1),
        Expr::Await(inner) => infer_at(resolver, &inner.base, depth + 1),
        Expr::Paren(inner) => infer_at(resolver, &inner.expr, depth + 1),
        Expr::Group(inner) => infer_at(resolver, &inner.expr, depth + 1),
        Expr::Reference(inner) => infer_at(resolver, &inner.expr, depth + 1),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => {
            infer_at(resolver, &unary.expr, depth + 1)
        }
        Expr::Tuple(tuple) => Some(Ty::Tuple(
            tuple
                .elems
                .iter()
                .map(|elem| infer_at(resolver, elem, depth + 1))
                .collect(),
        )),
        _ => None,
    }
}

/// The type a call to the (canonical) path `callee` returns.
fn infer_call(
    resolver: &Resolver<'_>,
    callee: &str,
    first_arg: Option<&Expr>,
    depth: usize,
) -> Option<Ty> {
    let catalog = resolver.catalog();
    if let Some(ty) = catalog
        .returns(callee)
        .or_else(|| resolver.local_return(callee))
    {
        return Some(ty.clone());
    }
    let (owner, function) = callee.rsplit_once("::")?;
    if catalog.is_transparent(owner) && WRAPPING_FUNCTIONS.contains(&function) {
        return infer_at(resolver, first_arg?, depth + 1);
    }
    let owner_is_type = owner
        .rsplit("::")
        .next()
        .and_then(|name| name.chars().next())
        .is_some_and(char::is_uppercase);
    (owner_is_type && is_constructor_name(function)).then(|| Ty::Named(owner.to_string()))
}

/// `new`, `new_*`, `with_*`, `open`, `create`, `connect`, `bind`, `from_*`,
/// `default`: names that, on a type, return that type (possibly in a
/// `Result`).
fn is_constructor_name(function: &str) -> bool {
    matches!(
        function,
        "new" | "open" | "create" | "create_new" | "connect" | "bind" | "default" | "from"
    ) || ["new_", "with_", "from_", "open_", "connect_"]
        .iter()
        .any(|prefix| function.starts_with(prefix))
}

/// The type `receiver.method(..)` returns, when the catalog knows it.
fn method_return(resolver: &Resolver<'_>, receiver: Ty, method: &str) -> Option<Ty> {
    let Ty::Named(owner) = receiver else {
        return None;
    };
    let catalog = resolver.catalog();
    let mut current = owner.as_str();
    loop {
        let path = format!("{current}::{method}");
        if let Some(ty) = catalog
            .returns(&path)
            .or_else(|| resolver.local_return(&path))
        {
            return Some(ty.clone());
        }
        match catalog.deref_target(current) {
            Some(target) => current = target,
            None => break,
        }
    }
    catalog.is_builder(&owner).then(|| Ty::Named(owner.clone()))
}

/// The element `index` of a tuple type (for `let (tx, rx) = channel();`).
pub fn tuple_element(ty: Option<&Ty>, index: usize) -> Option<Ty> {
    match ty? {
        Ty::Tuple(elems) => elems.get(index).cloned().flatten(),
        Ty::Named(_) | Ty::Bounded(_) => None,
    }
}
