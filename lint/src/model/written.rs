//! Types and receiver expressions as the source writes them: plain data, no
//! syntax tree, nothing resolved. A file's pass produces them; the model
//! (`super::Model`) resolves them once every file is indexed.

use std::sync::Arc;

/// A type as written: `Arc<parking_lot::Mutex<Inner>>`, `&Path`, `(A, B)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TypeRef {
    Path(PathRef),
    /// `&T`, `&mut T`.
    Ref(Box<TypeRef>),
    Tuple(Vec<TypeRef>),
    /// `[T]`, `[T; N]`: the element type.
    Slice(Box<TypeRef>),
    /// `impl Trait + ..`: the trait paths.
    ImplTrait(Vec<PathRef>),
    /// `dyn Trait + ..`: the trait paths.
    DynTrait(Vec<PathRef>),
    /// Anything else (fn pointers, `Self::Assoc`, macros, `_`).
    Unknown,
}

/// A path as written, with the generic arguments of its last segment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathRef {
    /// `::std::fs` (leading `::`).
    pub absolute: bool,
    pub segments: Vec<String>,
    /// Type arguments of the last segment (`Mutex<T>` -> `[T]`); lifetimes
    /// and const arguments are left out.
    pub args: Vec<TypeRef>,
}

impl PathRef {
    pub fn plain(segments: &[&str]) -> PathRef {
        PathRef {
            absolute: false,
            segments: segments.iter().map(|segment| segment.to_string()).collect(),
            args: Vec::new(),
        }
    }
}

/// A receiver expression as written, reduced to what types it: `self.db`,
/// `CLIENT.get_or_init(..)`, `BufReader::new(File::open(p)?)`. `?`,
/// `.await`, parentheses, `&` and `*` are looked through (the model derefs
/// automatically, as method calls do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recv {
    /// A value of a written type: a parameter, an annotated `let`, `self`.
    Typed(TypeRef),
    /// A path in value position: a static, a const, a unit struct.
    Path(PathRef),
    /// `base.field` (tuple fields are named `0`, `1`, ..).
    Field(Arc<Recv>, String),
    /// `path(args)`: a function or an associated function.
    Call(PathRef, Vec<Recv>),
    /// `base.method(args)`.
    Method(Arc<Recv>, String, Vec<Recv>),
    /// `Path { .. }`, `Self { .. }`.
    Struct(PathRef),
    /// An element of a collection or iterator: a `for` pattern, the
    /// parameter of a closure handed to an iterator adapter.
    Element(Arc<Recv>),
    /// `if`/`match` branches that give a value: typed when all agree.
    Agree(Vec<Recv>),
    Unknown,
}

impl Recv {
    /// Whether nothing in it can be typed (not worth a query).
    pub fn is_unknown(&self) -> bool {
        match self {
            Recv::Unknown => true,
            Recv::Typed(ty) => matches!(ty, TypeRef::Unknown),
            Recv::Path(_) | Recv::Call(..) | Recv::Struct(_) => false,
            Recv::Field(base, _) | Recv::Method(base, _, _) | Recv::Element(base) => {
                base.is_unknown()
            }
            Recv::Agree(branches) => branches.iter().any(Recv::is_unknown),
        }
    }
}
