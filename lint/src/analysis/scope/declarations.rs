//! Names a scope declares: items and `use` trees.

use syn::{Item, UseTree};

use super::{Binding, Glob, INDEX_THRESHOLD, Name, Ns, Scope};

impl Scope {
    pub(super) fn add(&mut self, name: Name) {
        let position = self.names.len();
        if position >= INDEX_THRESHOLD {
            if position == INDEX_THRESHOLD {
                for (earlier, existing) in self.names.iter().enumerate() {
                    self.index
                        .entry(existing.ident.clone())
                        .or_default()
                        .push(earlier);
                }
            }
            self.index
                .entry(name.ident.clone())
                .or_default()
                .push(position);
        }
        self.names.push(name);
    }

    /// The names bound to `ident` here, latest first.
    pub(super) fn named<'s>(&'s self, ident: &'s str) -> impl Iterator<Item = &'s Name> + 's {
        let indexed = self.names.len() > INDEX_THRESHOLD;
        let positions = if indexed {
            self.index.get(ident).map_or(&[][..], Vec::as_slice)
        } else {
            &[]
        };
        let unindexed = if indexed {
            &self.names[..0]
        } else {
            &self.names[..]
        };
        positions
            .iter()
            .rev()
            .map(|&position| &self.names[position])
            .chain(
                unindexed
                    .iter()
                    .rev()
                    .filter(move |name| name.ident == ident),
            )
    }

    pub(super) fn declare_item(&mut self, item: &Item) {
        let (ident, ns) = match item {
            Item::Use(item_use) => {
                lower_use_tree(
                    &item_use.tree,
                    &mut Vec::new(),
                    item_use.leading_colon.is_some(),
                    self,
                );
                return;
            }
            Item::ExternCrate(extern_crate) => {
                let name = extern_crate
                    .rename
                    .as_ref()
                    .map_or(&extern_crate.ident, |(_, rename)| rename);
                self.add(Name {
                    ident: name.to_string(),
                    binding: Binding::Import {
                        segments: vec![extern_crate.ident.to_string()],
                        absolute: true,
                    },
                });
                return;
            }
            Item::Fn(item) => (&item.sig.ident, Ns::Value),
            Item::Const(item) => (&item.ident, Ns::Value),
            Item::Static(item) => (&item.ident, Ns::Value),
            Item::Struct(item) => (&item.ident, Ns::Type),
            Item::Enum(item) => (&item.ident, Ns::Type),
            Item::Union(item) => (&item.ident, Ns::Type),
            Item::Trait(item) => (&item.ident, Ns::Type),
            Item::TraitAlias(item) => (&item.ident, Ns::Type),
            Item::Type(item) => (&item.ident, Ns::Type),
            Item::Mod(item) => (&item.ident, Ns::Type),
            _ => return,
        };
        self.add(Name {
            ident: ident.to_string(),
            binding: Binding::Item { ns, module: None },
        });
    }
}

/// Flattens a `use` tree into named imports and globs.
fn lower_use_tree(tree: &UseTree, prefix: &mut Vec<String>, absolute: bool, scope: &mut Scope) {
    match tree {
        UseTree::Path(path) => {
            prefix.push(path.ident.to_string());
            lower_use_tree(&path.tree, prefix, absolute, scope);
            prefix.pop();
        }
        UseTree::Name(name) => {
            if name.ident == "self" {
                if let Some(last) = prefix.last() {
                    scope.add(Name {
                        ident: last.clone(),
                        binding: Binding::Import {
                            segments: prefix.clone(),
                            absolute,
                        },
                    });
                }
            } else {
                let mut segments = prefix.clone();
                segments.push(name.ident.to_string());
                scope.add(Name {
                    ident: name.ident.to_string(),
                    binding: Binding::Import { segments, absolute },
                });
            }
        }
        UseTree::Rename(rename) => {
            let mut segments = prefix.clone();
            if rename.ident != "self" {
                segments.push(rename.ident.to_string());
            }
            scope.add(Name {
                ident: rename.rename.to_string(),
                binding: Binding::Import { segments, absolute },
            });
        }
        UseTree::Glob(_) => scope.globs.push(Glob {
            segments: prefix.clone(),
            absolute,
        }),
        UseTree::Group(group) => {
            for tree in &group.items {
                lower_use_tree(tree, prefix, absolute, scope);
            }
        }
    }
}
