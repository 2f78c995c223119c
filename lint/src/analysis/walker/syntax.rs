//! Syntax-only helpers of the walker: shapes of expressions and patterns.

use super::*;

/// The closure an argument is: itself, in parentheses, or the tail of a
/// block (`{ let b = b.clone(); move || b.wait() }`, whose statements run
/// where the call is written and are walked as such).
pub(super) fn closure_arg(arg: &Expr) -> Option<&ExprClosure> {
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
pub(super) fn has_let(cond: &Expr) -> bool {
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
pub(super) fn bare_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

pub(super) fn is_vec_macro(mac: &syn::Macro) -> bool {
    mac.path
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "vec")
}

/// The address `Walker::let_aggregate` compares against: the aggregate an
/// initializer is (through parentheses), or null.
pub(super) fn aggregate_address(init: &Expr) -> *const () {
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
pub(super) fn block_diverges(block: &Block) -> bool {
    match block.stmts.last() {
        Some(Stmt::Expr(expr, _)) => expr_diverges(expr),
        Some(Stmt::Macro(mac)) => is_panicking_macro(&mac.mac),
        _ => false,
    }
}

pub(super) fn expr_diverges(expr: &Expr) -> bool {
    match expr {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Block(block) => block_diverges(&block.block),
        Expr::Macro(mac) => is_panicking_macro(&mac.mac),
        _ => false,
    }
}

pub(super) fn is_panicking_macro(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|segment| {
        ["panic", "unreachable", "todo", "unimplemented"]
            .iter()
            .any(|name| segment.ident == name)
    })
}

/// Finds which of some names a closure or async block body mentions.
pub(super) struct NameScan<'a> {
    pub(super) wanted: Vec<&'a str>,
    pub(super) found: Vec<String>,
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
pub(super) fn pattern_names(pat: &Pat, names: &mut Vec<String>) {
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
pub(super) fn binding_name(pat: &Pat) -> Option<String> {
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
pub(super) fn unwrap_result(expr: &Expr) -> &Expr {
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
pub(super) fn yielded_call(expr: &Expr) -> Option<CallId> {
    match unwrap_result(expr) {
        Expr::MethodCall(call) => Some(call as CallId),
        _ => None,
    }
}

/// The parameters a bare path can name: `f`, `mut f`, `f: F` (not
/// patterns), with their index in the inputs (a receiver counts).
pub(super) fn params_of(sig: &Signature) -> Vec<Param> {
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

pub(super) fn is_poll_trait(resolved: &str) -> bool {
    !resolved.starts_with("crate")
        && resolved
            .rsplit("::")
            .next()
            .is_some_and(|name| POLL_TRAITS.contains(&name))
}

pub(super) fn span_between(start: LineColumn, end: LineColumn) -> Span {
    Span {
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

/// Where the call chain an expression belongs to starts: the innermost
/// receiver of `a.b()?.c().await.d()`.
pub(super) fn chain_start(expr: &Expr) -> LineColumn {
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
pub(super) fn expr_start(expr: &Expr) -> LineColumn {
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

/// The value a struct field or constructor argument keeps, under the
/// wrappers that only box it: `Arc::new(f)`, `Rc::new(f)`, `Box::new(f)`,
/// `Box::pin(f)`, `Some(f)`.
/// Methods that keep their arguments in the receiver, or hand them to
/// whoever holds its other end, instead of calling them: `jobs.push(f)`,
/// `map.insert(k, f)`, `tx.send(f)`, `cell.set(f)`. (`or_insert_with` and
/// `get_or_insert_with` call their closure at once, so they are not here.)
pub(super) const STORING_METHODS: &[&str] = &[
    "push",
    "push_back",
    "push_front",
    "insert",
    "or_insert",
    "send",
    "try_send",
    "set",
    "replace",
];

pub(super) fn stored_value(expr: &Expr) -> &Expr {
    match expr {
        Expr::Paren(paren) => stored_value(&paren.expr),
        Expr::Group(group) => stored_value(&group.expr),
        // `Box::new(f) as Job`: an unsizing cast keeps the value.
        Expr::Cast(cast) => stored_value(&cast.expr),
        Expr::Call(call) if call.args.len() == 1 && boxes(&call.func) => {
            stored_value(&call.args[0])
        }
        _ => expr,
    }
}

fn boxes(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    let mut names = path.path.segments.iter().rev().map(|s| s.ident.to_string());
    matches!(
        (names.next().as_deref(), names.next().as_deref()),
        (Some("new"), Some("Arc" | "Rc" | "Box"))
            | (Some("pin"), Some("Box"))
            | (Some("Some"), None)
    )
}

/// `Self(..)`, `Wrapper(..)`, `Kind::Variant(..)`: a call of a tuple
/// struct's or variant's constructor (by Rust's naming: functions are
/// snake case), which keeps its arguments and runs none of them.
pub(super) fn is_constructor(func: &Expr) -> bool {
    let Expr::Path(path) = func else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident.to_string().starts_with(char::is_uppercase))
}
