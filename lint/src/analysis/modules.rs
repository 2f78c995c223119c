//! Collects the out-of-line `mod name;` declarations of a file, with the
//! inline modules that enclose them (they change where the file is looked
//! for). Modules behind any `#[cfg(..)]` are returned; `#[cfg(test)]` ones
//! only when tests are included.

use syn::Item;

use super::ModuleDecl;
use super::attrs;
use crate::finding::Span;

pub fn collect(items: &[Item], include_tests: bool) -> Vec<ModuleDecl> {
    let mut out = Vec::new();
    let mut parents = Vec::new();
    walk(items, include_tests, &mut parents, &mut out);
    out
}

fn walk(
    items: &[Item],
    include_tests: bool,
    parents: &mut Vec<(String, Option<String>)>,
    out: &mut Vec<ModuleDecl>,
) {
    for item in items {
        let Item::Mod(module) = item else { continue };
        if !include_tests && attrs::is_cfg_test(&module.attrs) {
            continue;
        }
        let name = module.ident.to_string();
        let path_attr = attrs::path_attr(&module.attrs);
        match &module.content {
            None => out.push(ModuleDecl {
                name,
                path_attr,
                inline_parents: parents.clone(),
                span: Span::from_proc_macro2(syn::spanned::Spanned::span(module)),
            }),
            Some((_, inner)) => {
                parents.push((name, path_attr));
                walk(inner, include_tests, parents, out);
                parents.pop();
            }
        }
    }
}
