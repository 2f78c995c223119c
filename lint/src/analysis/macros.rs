//! The bodies of well-known macros whose arguments are Rust code: the
//! `format!`/`println!`/`write!`/`assert*!`/`vec!`/log and tracing families
//! (comma-separated expressions), `join!`/`try_join!`/`pin!`, and the
//! branches of `select!`. Their token streams keep the source positions,
//! so findings inside them point at the real call.
//!
//! A body that does not parse in the expected shape (tracing's `?field`
//! syntax, a user macro sharing a name) is skipped, never reported.

use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Token};

/// Macros whose body is a comma-separated list of expressions.
const EXPRESSION_LIST_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "dbg",
    "unreachable",
    "todo",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "join",
    "try_join",
    "pin",
];

/// What a macro's body holds, as far as the analysis is concerned.
pub enum MacroBody {
    Expressions(Vec<Expr>),
    /// `select!` branches: the futures, guards and handlers.
    Select(Vec<Expr>),
}

/// Whether a macro body may call something: it has a parenthesised group
/// (`load()`, `x.len()`, `(a, b)`), at any depth.
pub fn may_call(tokens: &proc_macro2::TokenStream) -> bool {
    tokens.clone().into_iter().any(|token| match token {
        proc_macro2::TokenTree::Group(group) => {
            group.delimiter() == proc_macro2::Delimiter::Parenthesis || may_call(&group.stream())
        }
        _ => false,
    })
}

/// Parses the body of `mac` if it is one of the known macros.
pub fn parse_body(mac: &syn::Macro) -> Option<MacroBody> {
    let name = mac.path.segments.last()?.ident.to_string();
    if name == "select" || name == "select_biased" {
        return SelectBody::parse
            .parse2(mac.tokens.clone())
            .ok()
            .map(|body| MacroBody::Select(body.0));
    }
    if !EXPRESSION_LIST_MACROS.contains(&name.as_str()) {
        return None;
    }
    Punctuated::<Expr, Token![,]>::parse_terminated
        .parse2(mac.tokens.clone())
        .ok()
        .map(|list| MacroBody::Expressions(list.into_iter().collect()))
}

/// `[biased;] pat = future [, if guard] => handler [,] ... [else => handler]`
struct SelectBody(Vec<Expr>);

impl Parse for SelectBody {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut exprs = Vec::new();
        if input.peek(syn::Ident) && input.peek2(Token![;]) {
            input.parse::<syn::Ident>()?;
            input.parse::<Token![;]>()?;
        }
        while !input.is_empty() {
            if input.peek(Token![else]) {
                input.parse::<Token![else]>()?;
            } else {
                syn::Pat::parse_single(input)?;
                input.parse::<Token![=]>()?;
                exprs.push(input.parse::<Expr>()?);
                if input.peek(Token![,]) && input.peek2(Token![if]) {
                    input.parse::<Token![,]>()?;
                    input.parse::<Token![if]>()?;
                    exprs.push(input.parse::<Expr>()?);
                }
            }
            input.parse::<Token![=>]>()?;
            exprs.push(input.parse::<Expr>()?);
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(SelectBody(exprs))
    }
}
