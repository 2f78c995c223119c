//! The walker's side of the semantic model (`crate::model`): describing
//! receivers and locals as plain data, and asking the model what the file
//! alone cannot answer. The walker decides *when* to ask; this module
//! decides *what* a question says.

use std::sync::Arc;

use syn::Expr;

use super::scope::Resolver;
use crate::model::lower::{self, Locals};
use crate::model::written::{Recv, TypeRef};

/// The walk's locals as the model's lowering sees them.
pub struct WalkLocals<'r, 'c> {
    pub resolver: &'r Resolver<'c>,
    pub self_ty: Option<&'r TypeRef>,
}

impl Locals for WalkLocals<'_, '_> {
    fn local(&self, name: &str) -> Option<Option<Arc<Recv>>> {
        self.resolver.local_description(name)
    }

    fn self_ty(&self) -> Option<&TypeRef> {
        self.self_ty
    }
}

/// Describes an expression (a receiver, a `let` initialiser).
pub fn describe(resolver: &Resolver<'_>, self_ty: Option<&TypeRef>, expr: &Expr) -> Arc<Recv> {
    lower::recv(expr, &WalkLocals { resolver, self_ty })
}

/// A value of a written type (a parameter, an annotated `let`).
pub fn typed(ty: &syn::Type, self_ty: Option<&TypeRef>) -> Arc<Recv> {
    Arc::new(Recv::Typed(lower::type_ref(ty, self_ty)))
}

/// The module being walked as the model names it (`store::disk`; empty for
/// a crate root), from the resolver's `crate::store::disk`.
pub fn model_module(resolver: &Resolver<'_>) -> String {
    let path = resolver.module_path();
    path.strip_prefix("crate::")
        .map_or_else(String::new, str::to_string)
}

/// Iterator methods whose closure argument receives the receiver's elements.
pub fn hands_elements_to_closure(method: &str) -> bool {
    matches!(
        method,
        "filter"
            | "map"
            | "for_each"
            | "any"
            | "all"
            | "find"
            | "position"
            | "filter_map"
            | "flat_map"
            | "inspect"
            | "take_while"
            | "skip_while"
            | "find_map"
            | "partition"
            | "max_by_key"
            | "min_by_key"
    )
}
