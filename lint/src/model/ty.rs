//! The model's type language: small and explicit. A named type is a
//! workspace item or an external path, with its generic arguments;
//! references, tuples, slices, `impl Trait` and `dyn Trait` are kept; what
//! the model cannot know is `Unknown`, never a guess.

/// A named type's definition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Def {
    /// An item of a workspace crate: (crate id, path inside the crate).
    Local(usize, String),
    /// A canonical external path, as the catalog writes it
    /// (`std::sync::Mutex`, `rusqlite::Connection`).
    External(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    Named(Def, Vec<Type>),
    Ref(Box<Type>),
    Tuple(Vec<Type>),
    Slice(Box<Type>),
    Impl(Vec<Def>),
    Dyn(Vec<Def>),
    Unknown,
}

impl Type {
    pub fn external(path: &str, args: Vec<Type>) -> Type {
        Type::Named(Def::External(path.to_string()), args)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Type::Unknown)
    }

    /// The external path of a named type (`None` for the workspace's own).
    pub fn external_path(&self) -> Option<&str> {
        match self {
            Type::Named(Def::External(path), _) => Some(path),
            _ => None,
        }
    }

    /// Renders the type with `names` naming the workspace crates by id.
    pub fn display(&self, names: &[String]) -> String {
        let list = |types: &[Type]| {
            types
                .iter()
                .map(|ty| ty.display(names))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let def = |def: &Def| match def {
            Def::Local(krate, path) => {
                let name = names.get(*krate).map_or("crate", String::as_str);
                format!("{name}::{path}")
            }
            Def::External(path) => path.clone(),
        };
        match self {
            Type::Named(named, args) if args.is_empty() => def(named),
            Type::Named(named, args) => format!("{}<{}>", def(named), list(args)),
            Type::Ref(inner) => format!("&{}", inner.display(names)),
            Type::Tuple(elems) => format!("({})", list(elems)),
            Type::Slice(elem) => format!("[{}]", elem.display(names)),
            Type::Impl(traits) => format!(
                "impl {}",
                traits.iter().map(def).collect::<Vec<_>>().join(" + ")
            ),
            Type::Dyn(traits) => format!(
                "dyn {}",
                traits.iter().map(def).collect::<Vec<_>>().join(" + ")
            ),
            Type::Unknown => "?".to_string(),
        }
    }
}
