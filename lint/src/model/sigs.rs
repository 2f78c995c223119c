//! The catalog's `[model]` library signatures, parsed once per run into
//! the model's type language: method and function return types, deref
//! targets, element types and std::io wrappers. Data, not match arms.

use std::collections::{HashMap, HashSet};

use super::lower::type_ref;
use super::ty::Type;
use super::written::TypeRef;
use crate::catalog::Catalog;

/// Stands for the n-th argument's type in a `[model.functions]` value.
const ARG_PREFIX: &str = "__arg";

/// A signature: the owner's generic parameter names and the result.
#[derive(Clone, Debug)]
pub struct Signature {
    pub generics: Vec<String>,
    pub result: TypeRef,
}

#[derive(Debug, Default)]
pub struct Signatures {
    /// (owner path, method) -> signature.
    methods: HashMap<(String, String), Signature>,
    functions: HashMap<String, Signature>,
    deref: HashMap<String, Signature>,
    elements: HashMap<String, Signature>,
    /// Wrapper path -> (generic parameters, index of the wrapped one).
    io_wrappers: HashMap<String, usize>,
    io_reads: HashSet<String>,
    io_writes: HashSet<String>,
    adapters: HashSet<String>,
}

impl Signatures {
    /// Parses the catalog's `[model]` tables; an entry that does not parse
    /// is an error naming it (the builtin catalog is checked by a test).
    pub fn from_catalog(catalog: &Catalog) -> Result<Signatures, String> {
        let data = catalog.model_data();
        let mut signatures = Signatures::default();
        for (key, value) in &data.methods {
            let (owner, method) = split_method(key)
                .ok_or_else(|| format!("[model.methods] `{key}`: expected `Owner::method`"))?;
            let (path, generics) = owner_type(owner, key)?;
            let result = parse_type(value, key)?;
            signatures
                .methods
                .insert((path, method.to_string()), Signature { generics, result });
        }
        for (key, value) in &data.functions {
            let result = parse_type(value, key)?;
            signatures.functions.insert(
                key.clone(),
                Signature {
                    generics: Vec::new(),
                    result,
                },
            );
        }
        for (table, target) in [
            (&data.deref, &mut signatures.deref),
            (&data.elements, &mut signatures.elements),
        ] {
            for (key, value) in table {
                let (path, generics) = owner_type(key, key)?;
                let result = parse_type(value, key)?;
                target.insert(path, Signature { generics, result });
            }
        }
        for (key, inner) in &data.io.wrappers {
            let (path, generics) = owner_type(key, key)?;
            let position = generics
                .iter()
                .position(|name| name == inner)
                .ok_or_else(|| format!("[model.io] `{key}`: no generic parameter `{inner}`"))?;
            signatures.io_wrappers.insert(path, position);
        }
        signatures.io_reads = data.io.reads.iter().cloned().collect();
        signatures.io_writes = data.io.writes.iter().cloned().collect();
        signatures.adapters = data.io.adapters.iter().cloned().collect();
        Ok(signatures)
    }

    pub fn method(&self, owner: &str, method: &str) -> Option<&Signature> {
        self.methods.get(&(owner.to_string(), method.to_string()))
    }

    pub fn function(&self, path: &str) -> Option<&Signature> {
        self.functions.get(path)
    }

    pub fn deref(&self, owner: &str) -> Option<&Signature> {
        self.deref.get(owner)
    }

    pub fn element(&self, owner: &str) -> Option<&Signature> {
        self.elements.get(owner)
    }

    /// Which argument of an io wrapper is the wrapped value.
    pub fn io_wrapped(&self, owner: &str) -> Option<usize> {
        self.io_wrappers.get(owner).copied()
    }

    /// `Some("read")`/`Some("write")`: the primitive an io method reaches.
    pub fn io_primitive(&self, method: &str) -> Option<&'static str> {
        if self.io_reads.contains(method) {
            Some("read")
        } else if self.io_writes.contains(method) {
            Some("write")
        } else {
            None
        }
    }

    pub fn is_adapter(&self, method: &str) -> bool {
        self.adapters.contains(method)
    }
}

/// Lowers a signature's result with the owner's generics bound to `args`
/// and `$n` to `call_args[n]`; other paths are external and canonical.
pub fn instantiate(
    signature: &Signature,
    args: &[Type],
    call_args: &[Type],
    canonical: &dyn Fn(&str) -> String,
) -> Type {
    lower(
        &signature.result,
        &signature.generics,
        args,
        call_args,
        canonical,
    )
}

fn lower(
    written: &TypeRef,
    generics: &[String],
    args: &[Type],
    call_args: &[Type],
    canonical: &dyn Fn(&str) -> String,
) -> Type {
    let recurse = |written: &TypeRef| lower(written, generics, args, call_args, canonical);
    match written {
        TypeRef::Path(path) => {
            if let [single] = path.segments.as_slice() {
                if let Some(position) = generics.iter().position(|name| name == single) {
                    return args.get(position).cloned().unwrap_or(Type::Unknown);
                }
                if let Some(index) = single
                    .strip_prefix(ARG_PREFIX)
                    .and_then(|index| index.parse::<usize>().ok())
                {
                    return call_args.get(index).cloned().unwrap_or(Type::Unknown);
                }
            }
            Type::external(
                &canonical(&path.segments.join("::")),
                path.args.iter().map(recurse).collect(),
            )
        }
        TypeRef::Ref(inner) => Type::Ref(Box::new(recurse(inner))),
        TypeRef::Tuple(elems) => Type::Tuple(elems.iter().map(recurse).collect()),
        TypeRef::Slice(elem) => Type::Slice(Box::new(recurse(elem))),
        TypeRef::ImplTrait(_) | TypeRef::DynTrait(_) | TypeRef::Unknown => Type::Unknown,
    }
}

/// `std::sync::Mutex<T>::lock` -> (`std::sync::Mutex<T>`, `lock`).
fn split_method(key: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    let mut split = None;
    let bytes = key.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(index + 1) == Some(&b':') => split = Some(index),
            _ => {}
        }
    }
    let index = split?;
    Some((&key[..index], &key[index + 2..]))
}

/// `std::sync::Mutex<T>` -> (`std::sync::Mutex`, `[T]`).
fn owner_type(text: &str, key: &str) -> Result<(String, Vec<String>), String> {
    let TypeRef::Path(path) = parse_type(text, key)? else {
        return Err(format!("[model] `{key}`: `{text}` is not a type path"));
    };
    let generics = path
        .args
        .iter()
        .map(|arg| match arg {
            TypeRef::Path(param) if param.segments.len() == 1 && param.args.is_empty() => {
                Ok(param.segments[0].clone())
            }
            _ => Err(format!(
                "[model] `{key}`: generic parameters must be plain names"
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok((path.segments.join("::"), generics))
}

fn parse_type(text: &str, key: &str) -> Result<TypeRef, String> {
    let text = text.replace('$', ARG_PREFIX);
    let ty: syn::Type = syn::parse_str(&text)
        .map_err(|error| format!("[model] `{key}`: `{text}` is not a type: {error}"))?;
    Ok(type_ref(&ty, None))
}
