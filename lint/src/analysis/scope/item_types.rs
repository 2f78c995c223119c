//! What the file's own items say about types: aliases, struct fields and
//! return types, and how a written type resolves.

use foldhash::HashMap;

use syn::Item;

use super::{Binding, ItemTypes, MAX_RESOLUTION_DEPTH, Name, Ns, Resolver, Ty};

impl Resolver<'_> {
    /// Records what the file's own items say about types, resolved in the
    /// module that declares them: type aliases first (fields and signatures
    /// may use them), then struct fields and function return types.
    pub(super) fn collect_item_types(&mut self, items: &[Item], module: usize, phase: ItemTypes) {
        for item in items {
            self.current_module = module;
            let module_path = &self.modules[module].path;
            match (item, phase) {
                (Item::Type(alias), ItemTypes::Aliases) => {
                    let path = format!("{module_path}::{}", alias.ident);
                    if let Some(ty) = self.resolve_type(&alias.ty) {
                        self.aliases.insert(path, ty);
                    }
                }
                (Item::Struct(item_struct), ItemTypes::FieldsAndReturns) => {
                    let path = format!("{module_path}::{}", item_struct.ident);
                    // `struct Service<S: Store> { store: S }`: known by its bounds.
                    self.push_scope(false);
                    self.declare_generics(&item_struct.generics);
                    let fields = item_struct
                        .fields
                        .iter()
                        .enumerate()
                        .map(|(index, field)| {
                            let name = field
                                .ident
                                .as_ref()
                                .map_or_else(|| index.to_string(), ToString::to_string);
                            (name, self.resolve_type(&field.ty))
                        })
                        .collect();
                    self.pop_scope();
                    self.fields.insert(path, fields);
                }
                (Item::Fn(function), ItemTypes::FieldsAndReturns) => {
                    let path = format!("{module_path}::{}", function.sig.ident);
                    self.record_return(path, &function.sig.output);
                }
                (Item::Impl(item_impl), ItemTypes::FieldsAndReturns) => {
                    let Some(Ty::Named(owner)) = self.resolve_type(&item_impl.self_ty) else {
                        continue;
                    };
                    let saved = self.set_self_ty(Some(owner.clone()));
                    for impl_item in &item_impl.items {
                        if let syn::ImplItem::Fn(method) = impl_item {
                            let path = format!("{owner}::{}", method.sig.ident);
                            self.record_return(path, &method.sig.output);
                        }
                    }
                    self.set_self_ty(saved);
                }
                (Item::Mod(item_mod), _) => {
                    if let (Some(&child), Some((_, inner))) = (
                        self.module_ids.get(&(item_mod as *const _)),
                        &item_mod.content,
                    ) {
                        self.collect_item_types(inner, child, phase);
                    }
                }
                _ => {}
            }
        }
    }

    pub(super) fn record_return(&mut self, path: String, output: &syn::ReturnType) {
        if let syn::ReturnType::Type(_, written) = output
            && let Some(ty) = self.resolve_type(written)
        {
            if owned_as_written(written) {
                self.owned_returns.insert(path.clone());
            }
            self.returns.insert(path, ty);
        }
    }

    /// Whether the file's function or method at `path` returns its type by
    /// value (see `owned_returns`).
    pub fn returns_owned(&self, path: &str) -> bool {
        self.owned_returns.contains(path)
    }

    /// What the file's own function or method at `path` returns (through
    /// `Result`/`Option` and other transparent wrappers).
    pub fn local_return(&self, path: &str) -> Option<&Ty> {
        self.returns.get(path)
    }

    /// The file's struct fields, type aliases and return types (by path),
    /// for the call graph's summary.
    #[allow(clippy::type_complexity)]
    pub fn item_types(
        &self,
    ) -> (
        &HashMap<String, Vec<(String, Option<Ty>)>>,
        &HashMap<String, Ty>,
        &HashMap<String, Ty>,
    ) {
        (&self.fields, &self.aliases, &self.returns)
    }

    /// The type of field `field` of the file's struct at path `owner`.
    pub fn field_type(&self, owner: &str, field: &str) -> Option<Ty> {
        self.fields
            .get(owner)?
            .iter()
            .find(|(name, _)| name == field)
            .and_then(|(_, ty)| ty.clone())
    }

    /// Resolves a type written in the source to the receiver type it gives:
    /// references and transparent wrappers (`Arc<T>`, `Box<T>`, `Option<T>`,
    /// `Result<T, E>`, ...) are looked through.
    pub fn resolve_type(&self, ty: &syn::Type) -> Option<Ty> {
        self.resolve_type_at(ty, 0)
    }

    fn resolve_type_at(&self, ty: &syn::Type, depth: usize) -> Option<Ty> {
        if depth > MAX_RESOLUTION_DEPTH {
            return None;
        }
        match ty {
            syn::Type::Reference(reference) => self.resolve_type_at(&reference.elem, depth + 1),
            syn::Type::Paren(paren) => self.resolve_type_at(&paren.elem, depth + 1),
            syn::Type::Group(group) => self.resolve_type_at(&group.elem, depth + 1),
            syn::Type::Tuple(tuple) => Some(Ty::Tuple(
                tuple
                    .elems
                    .iter()
                    .map(|elem| self.resolve_type_at(elem, depth + 1))
                    .collect(),
            )),
            syn::Type::ImplTrait(bounded) => Some(Ty::Bounded(self.trait_bounds(&bounded.bounds))),
            syn::Type::TraitObject(bounded) => {
                Some(Ty::Bounded(self.trait_bounds(&bounded.bounds)))
            }
            syn::Type::Path(type_path)
                if type_path.qself.is_none()
                    && let Some(ident) = type_path.path.get_ident()
                    && let Some(bounds) = self.generic_bounds(&ident.to_string()) =>
            {
                Some(Ty::Bounded(bounds.to_vec()))
            }
            syn::Type::Path(type_path) if type_path.qself.is_none() => {
                let resolved = self.resolve_to_path(&type_path.path, Ns::Type)?;
                if self.catalog.is_transparent(&resolved) {
                    let last = type_path.path.segments.last()?;
                    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
                        return None;
                    };
                    let first_type = args.args.iter().find_map(|arg| match arg {
                        syn::GenericArgument::Type(inner) => Some(inner),
                        _ => None,
                    })?;
                    self.resolve_type_at(first_type, depth + 1)
                } else if let Some(mut aliased) = self.aliases.get(&resolved) {
                    // An alias of an alias declared after it.
                    for _ in 0..MAX_RESOLUTION_DEPTH {
                        match aliased {
                            Ty::Named(path) if self.aliases.contains_key(path) => {
                                aliased = &self.aliases[path];
                            }
                            _ => break,
                        }
                    }
                    Some(aliased.clone())
                } else {
                    Some(Ty::Named(resolved))
                }
            }
            _ => None,
        }
    }

    /// Declares an `impl`'s or a `fn`'s generic type parameters in the
    /// innermost scope, each with the traits its bounds and `where` clause
    /// name: a value of such a type is `Ty::Bounded`.
    pub fn declare_generics(&mut self, generics: &syn::Generics) {
        let mut declared: Vec<(String, Vec<String>)> = generics
            .type_params()
            .map(|param| (param.ident.to_string(), self.trait_bounds(&param.bounds)))
            .collect();
        if let Some(clause) = &generics.where_clause {
            for predicate in &clause.predicates {
                let syn::WherePredicate::Type(predicate) = predicate else {
                    continue;
                };
                let syn::Type::Path(bounded) = &predicate.bounded_ty else {
                    continue;
                };
                let Some(ident) = bounded.path.get_ident() else {
                    continue;
                };
                if let Some((_, bounds)) = declared.iter_mut().find(|(name, _)| ident == name) {
                    bounds.extend(self.trait_bounds(&predicate.bounds));
                }
            }
        }
        for (ident, bounds) in declared {
            self.declare_generic(ident, bounds);
        }
    }

    /// Declares one generic type parameter (or a trait's `Self`) with the
    /// traits it is known to implement, in the innermost scope.
    pub fn declare_generic(&mut self, ident: String, bounds: Vec<String>) {
        if let Some(scope) = self.blocks.last_mut() {
            scope.add(Name {
                ident,
                binding: Binding::Generic(bounds),
            });
        }
    }

    /// The bounds of the generic type parameter `ident` in scope here.
    pub fn generic_bounds<'s>(&'s self, ident: &'s str) -> Option<&'s [String]> {
        self.blocks.iter().rev().find_map(|scope| {
            scope.named(ident).find_map(|name| match &name.binding {
                Binding::Generic(bounds) => Some(bounds.as_slice()),
                _ => None,
            })
        })
    }

    /// The traits a bound list names, resolved (lifetimes and `?Sized` left out).
    fn trait_bounds<'b>(
        &self,
        bounds: impl IntoIterator<Item = &'b syn::TypeParamBound>,
    ) -> Vec<String> {
        bounds
            .into_iter()
            .filter_map(|bound| match bound {
                syn::TypeParamBound::Trait(bound)
                    if matches!(bound.modifier, syn::TraitBoundModifier::None) =>
                {
                    self.resolve_to_path(&bound.path, Ns::Type)
                }
                _ => None,
            })
            .collect()
    }
}

/// Whether a value of this written type owns the named type inside it:
/// dropping it runs that type's `Drop`. `Result`, `Option` and `Box` are
/// looked through (dropping them drops what they hold); a reference, `Arc`,
/// `Rc`, `Weak`, `ManuallyDrop` or any other generic wrapper is not owned
/// (its `Drop` is its own, or runs only with the last reference).
pub fn owned_as_written(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Paren(inner) => owned_as_written(&inner.elem),
        syn::Type::Group(inner) => owned_as_written(&inner.elem),
        syn::Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return false;
            };
            match &last.arguments {
                syn::PathArguments::None => true,
                syn::PathArguments::AngleBracketed(args)
                    if ["Result", "Option", "Box"]
                        .iter()
                        .any(|name| last.ident == name) =>
                {
                    args.args.iter().find_map(|arg| match arg {
                        syn::GenericArgument::Type(inner) => Some(owned_as_written(inner)),
                        _ => None,
                    }) == Some(true)
                }
                _ => false,
            }
        }
        _ => false,
    }
}
