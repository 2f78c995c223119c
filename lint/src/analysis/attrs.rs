//! Attribute predicates shared by the module walk and the analysis pass.

use syn::{Attribute, Meta};

/// `#[cfg(test)]`, or a `cfg` that can only hold under test
/// (`#[cfg(all(test, unix))]`). `cfg(any(test, ..))` is not test-only.
pub fn is_cfg_test(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && match &attr.meta {
                Meta::List(list) => list
                    .parse_args::<Meta>()
                    .is_ok_and(|meta| cfg_requires_test(&meta)),
                _ => false,
            }
    })
}

fn cfg_requires_test(meta: &Meta) -> bool {
    match meta {
        Meta::Path(path) => path.is_ident("test"),
        Meta::List(list) if list.path.is_ident("all") => list
            .parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|metas| metas.iter().any(cfg_requires_test)),
        _ => false,
    }
}

/// A test function: `#[test]`, `#[tokio::test]`, `#[async_std::test]`, ...
/// (any attribute path ending in `test`).
pub fn is_test_fn(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "test")
    })
}

/// Whether an item is test-only code.
pub fn is_test_item(attrs: &[Attribute]) -> bool {
    is_cfg_test(attrs) || is_test_fn(attrs)
}

/// The value of `#[path = "..."]`.
pub fn path_attr(attrs: &[Attribute]) -> Option<String> {
    attrs.iter().find_map(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => Some(text.value()),
            _ => None,
        },
        _ => None,
    })
}

/// `#[allow(clippy::await_holding_lock)]` or
/// `#[allow(clippy::await_holding_refcell_ref)]` (also inside `expect`, or
/// as an inner `#![allow(..)]`): the item's guards across awaits were
/// already triaged for clippy.
pub fn allows_await_holding(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        (attr.path().is_ident("allow") || attr.path().is_ident("expect"))
            && attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| {
                    paths.iter().any(|path| {
                        let segments: Vec<String> = path
                            .segments
                            .iter()
                            .map(|segment| segment.ident.to_string())
                            .collect();
                        segments.len() == 2
                            && segments[0] == "clippy"
                            && (segments[1] == "await_holding_lock"
                                || segments[1] == "await_holding_refcell_ref")
                    })
                })
    })
}
