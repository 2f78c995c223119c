//! The item index: one file's items as plain data, built in the file's own
//! pass (in parallel with every other file) and kept after its syntax tree
//! is dropped. Like rust-analyzer's item tree, it holds no bodies and
//! resolves nothing: names and types are as written, resolved later by the
//! def map (`super::defmap`) in the module that wrote them.

use syn::{Item, UseTree};

use super::lower::{path_ref, type_ref};
use super::written::{PathRef, TypeRef};

/// One file's items, per module (the file's root module first, then its
/// inline modules, outermost first).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemIndex {
    pub modules: Vec<ModuleItems>,
}

/// The items one module declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleItems {
    /// The module's path inside its crate (`["store", "disk"]`).
    pub path: Vec<String>,
    /// `path` joined with `::` (empty for a crate root).
    pub joined: String,
    pub uses: Vec<UseDecl>,
    /// Every declared name with what it is (child modules included).
    pub names: Vec<(String, DeclKind)>,
    pub structs: Vec<StructDef>,
    pub aliases: Vec<AliasDef>,
    pub fns: Vec<FnDef>,
    pub impls: Vec<ImplDef>,
    pub traits: Vec<TraitDef>,
    /// Statics and consts.
    pub statics: Vec<StaticDef>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeclKind {
    Module,
    Struct,
    Enum,
    Alias,
    Trait,
    Fn,
    Static,
}

/// `use a::b::c;`, `use a::b as c;`, `use a::*;`, `pub use ..`,
/// `extern crate a as b;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UseDecl {
    pub path: PathRef,
    /// The name it binds; `None` for a glob (`path` is then the module).
    pub name: Option<String>,
    pub public: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructDef {
    pub name: String,
    pub generics: Vec<String>,
    /// Named fields, or `0`, `1`, .. for a tuple struct.
    pub fields: Vec<(String, TypeRef)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasDef {
    pub name: String,
    pub generics: Vec<String>,
    pub ty: TypeRef,
}

/// A function, method or trait method (its body summarised elsewhere).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FnDef {
    pub name: String,
    /// Generic parameters with their trait bounds (`<B: Backend>` and
    /// `where B: Backend` alike).
    pub generics: Vec<(String, Vec<PathRef>)>,
    /// Parameter types, a `self` receiver first as the impl's type.
    pub params: Vec<TypeRef>,
    pub ret: Option<TypeRef>,
    pub is_async: bool,
    /// A trait method with a default body.
    pub has_body: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImplDef {
    pub generics: Vec<String>,
    pub self_ty: TypeRef,
    pub trait_path: Option<PathRef>,
    pub methods: Vec<FnDef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraitDef {
    pub name: String,
    pub methods: Vec<FnDef>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticDef {
    pub name: String,
    pub ty: TypeRef,
}

/// Indexes a file whose root module is `module_path` in its crate; items
/// for which `skip` holds (test code when tests are not linted) are left out.
pub fn index_file(
    items: &[Item],
    module_path: &[String],
    skip: &dyn Fn(&[syn::Attribute]) -> bool,
) -> ItemIndex {
    let mut index = ItemIndex::default();
    index_module(items, module_path.to_vec(), skip, &mut index);
    index
}

fn index_module(
    items: &[Item],
    path: Vec<String>,
    skip: &dyn Fn(&[syn::Attribute]) -> bool,
    index: &mut ItemIndex,
) {
    let position = index.modules.len();
    index.modules.push(ModuleItems {
        joined: path.join("::"),
        path: path.clone(),
        ..ModuleItems::default()
    });
    let mut inline = Vec::new();
    for item in items {
        let module = &mut index.modules[position];
        match item {
            Item::Use(item_use) if !skip(&item_use.attrs) => {
                let public = matches!(item_use.vis, syn::Visibility::Public(_));
                let mut prefix = PathRef {
                    absolute: item_use.leading_colon.is_some(),
                    segments: Vec::new(),
                    args: Vec::new(),
                };
                lower_use(&item_use.tree, &mut prefix, public, &mut module.uses);
            }
            Item::ExternCrate(krate) if !skip(&krate.attrs) => {
                let name = krate
                    .rename
                    .as_ref()
                    .map_or_else(|| krate.ident.to_string(), |(_, rename)| rename.to_string());
                if krate.ident != "self" {
                    module.uses.push(UseDecl {
                        path: PathRef {
                            absolute: true,
                            segments: vec![krate.ident.to_string()],
                            args: Vec::new(),
                        },
                        name: Some(name),
                        public: matches!(krate.vis, syn::Visibility::Public(_)),
                    });
                }
            }
            Item::Struct(item) if !skip(&item.attrs) => {
                let name = item.ident.to_string();
                let self_ty = self_type(&name, &item.generics);
                let fields = item
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(position, field)| {
                        let field_name = field
                            .ident
                            .as_ref()
                            .map_or_else(|| position.to_string(), ToString::to_string);
                        (field_name, type_ref(&field.ty, Some(&self_ty)))
                    })
                    .collect();
                module.names.push((name.clone(), DeclKind::Struct));
                module.structs.push(StructDef {
                    name,
                    generics: type_params(&item.generics),
                    fields,
                });
            }
            Item::Enum(item) if !skip(&item.attrs) => {
                module.names.push((item.ident.to_string(), DeclKind::Enum));
            }
            Item::Union(item) if !skip(&item.attrs) => {
                module
                    .names
                    .push((item.ident.to_string(), DeclKind::Struct));
            }
            Item::Type(item) if !skip(&item.attrs) => {
                let name = item.ident.to_string();
                module.names.push((name.clone(), DeclKind::Alias));
                module.aliases.push(AliasDef {
                    name,
                    generics: type_params(&item.generics),
                    ty: type_ref(&item.ty, None),
                });
            }
            Item::Fn(item) if !skip(&item.attrs) => {
                module
                    .names
                    .push((item.sig.ident.to_string(), DeclKind::Fn));
                module.fns.push(fn_def(&item.sig, None, true));
            }
            Item::Static(item) if !skip(&item.attrs) => {
                let name = item.ident.to_string();
                module.names.push((name.clone(), DeclKind::Static));
                module.statics.push(StaticDef {
                    name,
                    ty: type_ref(&item.ty, None),
                });
            }
            Item::Const(item) if !skip(&item.attrs) => {
                let name = item.ident.to_string();
                module.names.push((name.clone(), DeclKind::Static));
                module.statics.push(StaticDef {
                    name,
                    ty: type_ref(&item.ty, None),
                });
            }
            Item::Trait(item) if !skip(&item.attrs) => {
                let name = item.ident.to_string();
                let self_ty = TypeRef::Path(PathRef::plain(&[&name]));
                let methods = item
                    .items
                    .iter()
                    .filter_map(|trait_item| match trait_item {
                        syn::TraitItem::Fn(method) if !skip(&method.attrs) => Some(fn_def(
                            &method.sig,
                            Some(&self_ty),
                            method.default.is_some(),
                        )),
                        _ => None,
                    })
                    .collect();
                module.names.push((name.clone(), DeclKind::Trait));
                module.traits.push(TraitDef { name, methods });
            }
            Item::Impl(item) if !skip(&item.attrs) => {
                let self_ty = type_ref(&item.self_ty, None);
                let methods = item
                    .items
                    .iter()
                    .filter_map(|impl_item| match impl_item {
                        syn::ImplItem::Fn(method) if !skip(&method.attrs) => {
                            Some(fn_def(&method.sig, Some(&self_ty), true))
                        }
                        _ => None,
                    })
                    .collect();
                module.impls.push(ImplDef {
                    generics: type_params(&item.generics),
                    trait_path: item
                        .trait_
                        .as_ref()
                        .map(|(_, path, _)| path_ref(path, Some(&self_ty))),
                    self_ty,
                    methods,
                });
            }
            Item::Mod(item) if !skip(&item.attrs) => {
                module
                    .names
                    .push((item.ident.to_string(), DeclKind::Module));
                if let Some((_, items)) = &item.content {
                    inline.push((item.ident.to_string(), items));
                }
            }
            _ => {}
        }
    }
    for (name, items) in inline {
        let mut child = path.clone();
        child.push(name);
        index_module(items, child, skip, index);
    }
}

fn lower_use(tree: &UseTree, prefix: &mut PathRef, public: bool, uses: &mut Vec<UseDecl>) {
    match tree {
        UseTree::Path(path) => {
            prefix.segments.push(path.ident.to_string());
            lower_use(&path.tree, prefix, public, uses);
            prefix.segments.pop();
        }
        UseTree::Name(name) => {
            let ident = name.ident.to_string();
            let mut path = prefix.clone();
            // `use a::{self}` binds `a`.
            let bound = if ident == "self" {
                path.segments.last().cloned()
            } else {
                path.segments.push(ident.clone());
                Some(ident)
            };
            if let Some(bound) = bound {
                uses.push(UseDecl {
                    path,
                    name: Some(bound),
                    public,
                });
            }
        }
        UseTree::Rename(rename) => {
            let mut path = prefix.clone();
            if rename.ident != "self" {
                path.segments.push(rename.ident.to_string());
            }
            let bound = rename.rename.to_string();
            if bound != "_" {
                uses.push(UseDecl {
                    path,
                    name: Some(bound),
                    public,
                });
            }
        }
        UseTree::Glob(_) => uses.push(UseDecl {
            path: prefix.clone(),
            name: None,
            public,
        }),
        UseTree::Group(group) => {
            for tree in &group.items {
                lower_use(tree, prefix, public, uses);
            }
        }
    }
}

fn type_params(generics: &syn::Generics) -> Vec<String> {
    generics
        .type_params()
        .map(|param| param.ident.to_string())
        .collect()
}

/// `Name<T, U>` for a struct's own `Self`.
fn self_type(name: &str, generics: &syn::Generics) -> TypeRef {
    TypeRef::Path(PathRef {
        absolute: false,
        segments: vec![name.to_string()],
        args: type_params(generics)
            .into_iter()
            .map(|param| TypeRef::Path(PathRef::plain(&[&param])))
            .collect(),
    })
}

fn fn_def(sig: &syn::Signature, self_ty: Option<&TypeRef>, has_body: bool) -> FnDef {
    let mut generics: Vec<(String, Vec<PathRef>)> = sig
        .generics
        .type_params()
        .map(|param| {
            let bounds = param
                .bounds
                .iter()
                .filter_map(|bound| match bound {
                    syn::TypeParamBound::Trait(bound) => Some(path_ref(&bound.path, self_ty)),
                    _ => None,
                })
                .collect();
            (param.ident.to_string(), bounds)
        })
        .collect();
    if let Some(clause) = &sig.generics.where_clause {
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
            if let Some((_, bounds)) = generics.iter_mut().find(|(name, _)| ident == name) {
                bounds.extend(predicate.bounds.iter().filter_map(|bound| match bound {
                    syn::TypeParamBound::Trait(bound) => Some(path_ref(&bound.path, self_ty)),
                    _ => None,
                }));
            }
        }
    }
    let params = sig
        .inputs
        .iter()
        .map(|input| match input {
            syn::FnArg::Receiver(_) => self_ty.cloned().unwrap_or(TypeRef::Unknown),
            syn::FnArg::Typed(typed) => type_ref(&typed.ty, self_ty),
        })
        .collect();
    let ret = match &sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => Some(type_ref(ty, self_ty)),
    };
    FnDef {
        name: sig.ident.to_string(),
        generics,
        params,
        ret,
        is_async: sig.asyncness.is_some(),
        has_body,
    }
}
