use std::borrow::Cow;
use std::collections::HashMap;

use super::{Crates, Node, Unit};
use crate::analysis::summary::{Callee, FileSummary, TyExpr};

/// How many aliases of aliases are followed (guards against alias cycles).
const MAX_ALIAS_DEPTH: usize = 8;

/// A type as the solver knows it: (crate id, path inside the crate).
type Located<'a> = (usize, std::borrow::Cow<'a, str>);

/// A type path as the file that wrote it spells it: (its crate id, path).
type Spelled<'a> = (usize, &'a str);

/// Every function definition, and every file's type facts, per crate.
pub(super) struct Index<'a> {
    crates: &'a Crates,
    pub(super) nodes: Vec<Node>,
    /// Per crate: definitions by path inside the crate.
    functions: Vec<HashMap<&'a str, Vec<usize>>>,
    /// Per crate: (struct path, field name) -> its type, as `crate_id`
    /// spells it.
    fields: Vec<HashMap<(&'a str, &'a str), Spelled<'a>>>,
    aliases: Vec<HashMap<&'a str, Spelled<'a>>>,
    returns: Vec<HashMap<&'a str, Spelled<'a>>>,
    /// Per crate: trait path -> the self types of its impls, as the
    /// implementing file spells them.
    implementors: Vec<HashMap<&'a str, Vec<Spelled<'a>>>>,
    /// Per crate: type path -> the workspace traits it implements
    /// (crate id, trait path): where its inherited default methods live.
    traits_of: Vec<HashMap<String, Vec<(usize, &'a str)>>>,
}

impl<'a> Index<'a> {
    pub(super) fn new(units: &[Unit<'a>], crates: &'a Crates) -> Index<'a> {
        let count = crates.names.len();
        let mut index = Index {
            crates,
            nodes: Vec::new(),
            functions: vec![HashMap::new(); count],
            fields: vec![HashMap::new(); count],
            aliases: vec![HashMap::new(); count],
            returns: vec![HashMap::new(); count],
            implementors: vec![HashMap::new(); count],
            traits_of: vec![HashMap::new(); count],
        };
        for (unit_index, unit) in units.iter().enumerate() {
            let own = unit.crate_id;
            let summary: &'a FileSummary = unit.summary;
            for (function_index, function) in summary.functions.iter().enumerate() {
                if let Some((id, rest)) = crates.locate(own, &function.key) {
                    let node = index.nodes.len();
                    index.functions[id].entry(rest).or_default().push(node);
                    index.nodes.push((unit_index, function_index));
                }
            }
            for (owner, field, ty) in &summary.fields {
                if let Some((id, rest)) = crates.locate(own, owner) {
                    index.fields[id].insert((rest, field), (own, ty));
                }
            }
            for (path, ty) in &summary.aliases {
                if let Some((id, rest)) = crates.locate(own, path) {
                    index.aliases[id].insert(rest, (own, ty));
                }
            }
            for (path, ty) in &summary.returns {
                if let Some((id, rest)) = crates.locate(own, path) {
                    index.returns[id].insert(rest, (own, ty));
                }
            }
        }
        // Once every alias is known: impls name their types through them.
        for unit in units {
            let own = unit.crate_id;
            for (trait_path, self_ty) in &unit.summary.impls {
                let Some((trait_crate, trait_rest)) = crates.locate(own, trait_path) else {
                    continue;
                };
                index.implementors[trait_crate]
                    .entry(trait_rest)
                    .or_default()
                    .push((own, self_ty));
                if let Some((id, ty)) = index.locate_type(own, self_ty, 0) {
                    index.traits_of[id]
                        .entry(ty.into_owned())
                        .or_default()
                        .push((trait_crate, trait_rest));
                }
            }
        }
        index
    }

    /// The definitions a call made in crate `own` names.
    pub(super) fn definitions(&self, own: usize, callee: &Callee) -> Cow<'_, [usize]> {
        let found = match callee {
            Callee::Path(path) => self.path_definitions(own, path),
            Callee::Method { receiver, method } => self
                .evaluate(own, receiver, 0)
                .and_then(|(id, ty)| self.method_definitions(id, &ty, method)),
            Callee::Dispatch { traits, method } => {
                return Cow::Owned(self.dispatch(own, traits, method));
            }
        };
        found.unwrap_or(Cow::Borrowed(&[]))
    }

    /// `crate::a::f`, or `Type::method` where `Type` may be an alias.
    fn path_definitions(&self, own: usize, path: &str) -> Option<Cow<'_, [usize]>> {
        let (id, rest) = self.crates.locate(own, path)?;
        if let Some(found) = self.functions[id].get(rest) {
            return Some(Cow::Borrowed(found));
        }
        let (ty, method) = path.rsplit_once("::")?;
        let (id, ty) = self.locate_type(own, ty, 0)?;
        self.method_definitions(id, &ty, method)
    }

    /// The type's own method, else the default body of a workspace trait
    /// it implements (the first such trait that has one).
    fn method_definitions(&self, id: usize, ty: &str, method: &str) -> Option<Cow<'_, [usize]>> {
        if let Some(found) = self.functions[id].get(format!("{ty}::{method}").as_str()) {
            return Some(Cow::Borrowed(found));
        }
        self.traits_of[id]
            .get(ty)?
            .iter()
            .find_map(|&(trait_crate, trait_path)| {
                self.functions[trait_crate].get(format!("{trait_path}::{method}").as_str())
            })
            .map(|found| Cow::Borrowed(found.as_slice()))
    }

    /// Every implementation of `method` over the workspace impls of the
    /// traits (spelled as crate `own` spells them): each impl's own
    /// method, or the trait's default body. Sorted, without repeats.
    pub(super) fn dispatch(&self, own: usize, traits: &[String], method: &str) -> Vec<usize> {
        let mut found = Vec::new();
        for trait_path in traits {
            let Some((trait_crate, trait_rest)) = self.crates.locate(own, trait_path) else {
                continue;
            };
            let default =
                self.functions[trait_crate].get(format!("{trait_rest}::{method}").as_str());
            let impls = self.implementors[trait_crate].get(trait_rest);
            for &(spelled_in, self_ty) in impls.map_or(&[][..], Vec::as_slice) {
                let Some((id, ty)) = self.locate_type(spelled_in, self_ty, 0) else {
                    continue;
                };
                match self.functions[id].get(format!("{ty}::{method}").as_str()) {
                    Some(own_method) => found.extend_from_slice(own_method),
                    None => found.extend(default.into_iter().flatten()),
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// A type path as crate `own` spells it, aliases followed.
    fn locate_type<'p>(&self, own: usize, path: &'p str, depth: usize) -> Option<Located<'p>>
    where
        'a: 'p,
    {
        let (id, rest) = self.crates.locate(own, path)?;
        match self.aliases[id].get(rest) {
            Some(&(spelled_in, aliased)) if depth < MAX_ALIAS_DEPTH => {
                self.locate_type(spelled_in, aliased, depth + 1)
            }
            _ => Some((id, rest.into())),
        }
    }

    /// The type a receiver description names, with every file's facts.
    fn evaluate(&self, own: usize, receiver: &TyExpr, depth: usize) -> Option<Located<'a>> {
        if depth > MAX_ALIAS_DEPTH {
            return None;
        }
        match receiver {
            TyExpr::Path(path) => self.owned(self.locate_type(own, path, 0)?),
            TyExpr::Field(base, field) => {
                let (id, ty) = self.evaluate(own, base, depth + 1)?;
                let &(spelled_in, field_ty) =
                    self.fields[id].get(&(ty.as_ref(), field.as_str()))?;
                self.locate_type(spelled_in, field_ty, 0)
            }
            TyExpr::Returns(path) => {
                let (id, rest) = self.crates.locate(own, path)?;
                let &(spelled_in, returned) = self.returns[id].get(rest)?;
                self.locate_type(spelled_in, returned, 0)
            }
            TyExpr::MethodReturns(base, method) => {
                let (id, ty) = self.evaluate(own, base, depth + 1)?;
                let &(spelled_in, returned) =
                    self.returns[id].get(format!("{ty}::{method}").as_str())?;
                self.locate_type(spelled_in, returned, 0)
            }
        }
    }

    /// Detaches a located type from a path borrowed for a moment.
    fn owned(&self, (id, ty): Located<'_>) -> Option<Located<'a>> {
        Some((id, ty.into_owned().into()))
    }
}
