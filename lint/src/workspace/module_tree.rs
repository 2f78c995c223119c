//! Module trees: where rustc finds the file of `mod a;` ([`child_module_location`]),
//! and a cheap scan of a file's `mod` declarations, including those inside
//! item macros, that the driver follows from each target's root file.

use std::path::{Component, Path, PathBuf};

use crate::analysis::ModuleDecl;

/// A module file being walked: its path and the directory where its
/// `mod child;` declarations are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: PathBuf,
    /// For crate roots, `mod.rs` files and files loaded through `#[path]`: the
    /// file's own directory. For `a.rs`: the sibling directory `a/`.
    pub child_dir: PathBuf,
}

impl ModuleFile {
    /// A target's root file (`lib.rs`, `main.rs`, `src/bin/x.rs`, ...).
    pub fn crate_root(path: PathBuf) -> ModuleFile {
        let child_dir = parent_dir(&path);
        ModuleFile { path, child_dir }
    }
}

/// Where rustc looks for the file of a `mod name;` declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildLocation {
    /// Tried in order; the first that exists is the module's file.
    pub candidates: Vec<ModuleFile>,
}

/// Applies rustc's rules for out-of-line modules (`rustc_expand::module`'s
/// `mod_dir_path` and `default_submod_path`). A file's module directory is
/// its own directory; a non-`mod.rs` file `a.rs` also carries a pending
/// relative offset `a/` (its [`ModuleFile::child_dir`] is `a/`):
/// - `mod x;` is `D/x.rs` or `D/x/mod.rs`, `D` the module directory with the
///   pending offset applied;
/// - `#[path = "p"] mod x;` is `p` relative to the module directory *without*
///   the pending offset (beside `a.rs`, not in `a/`);
/// - an inline `mod m { .. }` without `#[path]` applies the pending offset
///   and adds `m/`; one with `#[path = "p"]` makes the module directory the
///   current one (offset not applied) joined with `p`. Either way the offset
///   is used up: `#[path = "."] mod tests { #[path = "x.rs"] mod x; }` in
///   `src/a.rs` loads `src/x.rs`;
/// - a file loaded through `#[path]` carries no offset: it owns its
///   directory, like a `mod.rs` or a crate root.
pub fn child_module_location(parent: &ModuleFile, decl: &ModuleDecl) -> ChildLocation {
    let file_dir = parent_dir(&parent.path);
    // `dir` is the module directory, `offset_pending` whether the non-mod.rs
    // offset (the difference between `child_dir` and the file's directory)
    // is still to be applied to it.
    let mut offset_pending = parent.child_dir != file_dir;
    let mut dir = file_dir;
    for (name, path_attr) in &decl.inline_parents {
        match path_attr {
            Some(path_attr) => dir.push(path_attr),
            None => {
                if offset_pending {
                    dir.clone_from(&parent.child_dir);
                }
                dir.push(unraw(name));
            }
        }
        offset_pending = false;
    }
    if let Some(path_attr) = &decl.path_attr {
        return ChildLocation {
            candidates: vec![path_loaded(dir.join(path_attr))],
        };
    }
    let base = normalize_lexically(if offset_pending {
        &parent.child_dir
    } else {
        &dir
    });
    let name = unraw(&decl.name);
    let own_dir = base.join(name);
    ChildLocation {
        candidates: vec![
            ModuleFile {
                path: base.join(format!("{name}.rs")),
                child_dir: own_dir.clone(),
            },
            ModuleFile {
                path: own_dir.join("mod.rs"),
                child_dir: own_dir,
            },
        ],
    }
}

/// `r#ref` is the module `ref`, in `ref.rs`.
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

fn path_loaded(path: PathBuf) -> ModuleFile {
    let path = normalize_lexically(&path);
    let child_dir = parent_dir(&path);
    ModuleFile { path, child_dir }
}

fn parent_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Removes `.` and folds `..` without touching the filesystem, so that a
/// `#[path = "../../x.rs"]` is judged by where it points, not by its text.
pub fn normalize_lexically(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `/..` is `/`, as the OS has it; a relative path keeps
                // its leading `..`s.
                let at_root = out.has_root() && out.parent().is_none();
                if !at_root && !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// What the token scan of a file finds that the per-file analysis does not
/// report (see [`scan_module_decls`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleScan {
    /// `mod name;` inside item-position macro invocations, such as tokio's
    /// `cfg_rt! { pub mod runtime; }`: rustc expands the macro and loads the
    /// module, but syn leaves the body as tokens.
    pub in_macros: Vec<ModuleDecl>,
    /// `#[cfg_attr(pred, path = "x.rs")] mod name;` (anywhere): the paths one
    /// configuration or another loads; like modules behind `#[cfg]`, all of
    /// them are read.
    pub cfg_attr_paths: Vec<(ModuleDecl, Vec<String>)>,
}

/// Scans a file's tokens (no parse) for the module declarations of
/// [`ModuleScan`]. `macro_rules!` definitions are templates, not expansions,
/// and are skipped; `#[cfg(test)]` modules are left out unless tests are
/// included.
pub fn scan_module_decls(source: &str, include_tests: bool) -> ModuleScan {
    let Ok(tokens) = source.parse::<proc_macro2::TokenStream>() else {
        return ModuleScan::default();
    };
    let mut scan = MacroModuleScan {
        include_tests,
        parents: Vec::new(),
        found: ModuleScan::default(),
    };
    scan.walk(tokens, false);
    scan.found
}

/// Whether a file may declare modules its analysis did not return or did
/// not return fully: it spells `mod <name>;` more often than `reported`, or
/// it has a `cfg_attr` that may carry a `path` (a cheap byte scan that
/// decides whether the token scan of [`scan_module_decls`] is worth running).
pub fn may_hide_module_decls(source: &str, reported: usize) -> bool {
    if source.contains("cfg_attr") && source.contains("path") {
        return true;
    }
    let bytes = source.as_bytes();
    let mut spelled = 0;
    let mut from = 0;
    while let Some(at) = source[from..].find("mod ") {
        let start = from + at;
        from = start + 4;
        let preceded_by_ident = start > 0 && is_ident_byte(bytes[start - 1]);
        let name_end = from
            + bytes[from..]
                .iter()
                .take_while(|byte| is_ident_byte(**byte))
                .count();
        let rest = source[name_end..].trim_start();
        if !preceded_by_ident && name_end > from && rest.starts_with(';') {
            spelled += 1;
            if spelled > reported {
                return true;
            }
        }
    }
    false
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

struct MacroModuleScan {
    include_tests: bool,
    parents: Vec<(String, Option<String>)>,
    found: ModuleScan,
}

/// The attributes seen since the last item.
#[derive(Default)]
struct PendingAttrs {
    path: Option<String>,
    cfg_attr_paths: Vec<String>,
    cfg_test: bool,
}

impl MacroModuleScan {
    fn walk(&mut self, tokens: proc_macro2::TokenStream, in_macro: bool) {
        use proc_macro2::{Delimiter, TokenTree};
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut attrs = PendingAttrs::default();
        let mut index = 0;
        while index < trees.len() {
            match (&trees[index], trees.get(index + 1), trees.get(index + 2)) {
                (TokenTree::Punct(hash), Some(TokenTree::Group(attr)), _)
                    if hash.as_char() == '#' && attr.delimiter() == Delimiter::Bracket =>
                {
                    let text = attr.stream().to_string();
                    if let Some(value) = path_attribute_value(&text) {
                        attrs.path = Some(value);
                    }
                    if let Some(value) = cfg_attr_path_value(&text) {
                        attrs.cfg_attr_paths.push(value);
                    }
                    attrs.cfg_test |= text.replace(' ', "") == "cfg(test)";
                    index += 2;
                }
                (TokenTree::Ident(word), Some(TokenTree::Punct(bang)), _)
                    if word == "macro_rules" && bang.as_char() == '!' =>
                {
                    // A definition, not an expansion: its `mod`s are templates.
                    index += 4;
                }
                (
                    TokenTree::Ident(word),
                    Some(TokenTree::Punct(bang)),
                    Some(TokenTree::Group(body)),
                ) if bang.as_char() == '!' && word != "mod" => {
                    self.walk(body.stream(), true);
                    index += 3;
                }
                (TokenTree::Ident(word), Some(TokenTree::Ident(name)), Some(next))
                    if word == "mod" =>
                {
                    let attrs = std::mem::take(&mut attrs);
                    if !attrs.cfg_test || self.include_tests {
                        self.module(name.to_string(), word.span(), next, attrs, in_macro);
                    }
                    index += 3;
                }
                (TokenTree::Punct(punct), _, _) if punct.as_char() == ';' => {
                    attrs = PendingAttrs::default();
                    index += 1;
                }
                (TokenTree::Group(group), _, _) if group.delimiter() == Delimiter::Brace => {
                    // Inside a macro, a block is a branch of a conditional
                    // item macro (`cfg_if! { if #[cfg(unix)] { mod a; } else
                    // { mod b; } }`, `match_cfg!`, `cfg_match!`): rustc loads
                    // the branch its configuration picks, the linter all of
                    // them (as for `#[cfg]` modules), save `cfg(test)` ones.
                    // Outside macros a block is a body: no `mod x;` there.
                    let attrs = std::mem::take(&mut attrs);
                    if in_macro && (!attrs.cfg_test || self.include_tests) {
                        self.walk(group.stream(), true);
                    }
                    index += 1;
                }
                _ => index += 1,
            }
        }
    }

    /// `mod name` followed by `next` (`;` or a `{ .. }` body).
    fn module(
        &mut self,
        name: String,
        start: proc_macro2::Span,
        next: &proc_macro2::TokenTree,
        attrs: PendingAttrs,
        in_macro: bool,
    ) {
        use proc_macro2::{Delimiter, TokenTree};
        match next {
            TokenTree::Punct(semi) if semi.as_char() == ';' => {
                let decl = ModuleDecl {
                    name,
                    path_attr: attrs.path,
                    inline_parents: self.parents.clone(),
                    span: token_span(start, semi.span()),
                };
                if !attrs.cfg_attr_paths.is_empty() {
                    self.found
                        .cfg_attr_paths
                        .push((decl.clone(), attrs.cfg_attr_paths));
                }
                if in_macro {
                    self.found.in_macros.push(decl);
                }
            }
            TokenTree::Group(body) if body.delimiter() == Delimiter::Brace => {
                self.parents.push((name, attrs.path));
                self.walk(body.stream(), in_macro);
                self.parents.pop();
            }
            _ => {}
        }
    }
}

/// `cfg_attr(pred, path = "x.rs")` (as tokens print) to `x.rs`.
fn cfg_attr_path_value(attr: &str) -> Option<String> {
    let inner = attr.trim().strip_prefix("cfg_attr")?.trim_start();
    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
    let at = inner.match_indices("path").find(|(at, _)| {
        let before = inner[..*at].trim_end();
        before.ends_with(',')
    })?;
    let attr = &inner[at.0..];
    let end = attr.find(',').unwrap_or(attr.len());
    path_attribute_value(&attr[..end])
}

/// `path = "x.rs"` (as tokens print) to `x.rs`.
fn path_attribute_value(attr: &str) -> Option<String> {
    let rest = attr
        .trim()
        .strip_prefix("path")?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    let literal = rest.strip_prefix('"')?.strip_suffix('"')?;
    Some(literal.replace("\\\\", "\\"))
}

fn token_span(start: proc_macro2::Span, end: proc_macro2::Span) -> crate::finding::Span {
    let (start, end) = (start.start(), end.end());
    crate::finding::Span {
        line: start.line,
        column: start.column + 1,
        end_line: end.line,
        end_column: end.column + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Span;

    fn decl(name: &str, path_attr: Option<&str>, parents: &[(&str, Option<&str>)]) -> ModuleDecl {
        ModuleDecl {
            name: name.to_string(),
            path_attr: path_attr.map(str::to_string),
            inline_parents: parents
                .iter()
                .map(|(name, attr)| (name.to_string(), attr.map(str::to_string)))
                .collect(),
            span: Span {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            },
        }
    }

    fn check(parent: &ModuleFile, decl: ModuleDecl, expected: &[(&str, &str)]) {
        let location = child_module_location(parent, &decl);
        let actual: Vec<(String, String)> = location
            .candidates
            .iter()
            .map(|file| {
                (
                    file.path.display().to_string(),
                    file.child_dir.display().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(path, dir)| (path.to_string(), dir.to_string()))
            .collect();
        assert_eq!(actual, expected);
    }

    fn non_mod_rs(path: &str, child_dir: &str) -> ModuleFile {
        ModuleFile {
            path: PathBuf::from(path),
            child_dir: PathBuf::from(child_dir),
        }
    }

    #[test]
    fn plain_mod_in_crate_root_is_sibling_file_or_mod_rs() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("a", None, &[]),
            &[("/p/src/a.rs", "/p/src/a"), ("/p/src/a/mod.rs", "/p/src/a")],
        );
    }

    #[test]
    fn mod_in_non_mod_rs_file_lives_in_its_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("b", None, &[]),
            &[
                ("/p/src/a/b.rs", "/p/src/a/b"),
                ("/p/src/a/b/mod.rs", "/p/src/a/b"),
            ],
        );
    }

    #[test]
    fn inline_parents_add_directories() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("c", None, &[("outer", None), ("inner", Some("renamed"))]),
            &[
                ("/p/src/outer/renamed/c.rs", "/p/src/outer/renamed/c"),
                ("/p/src/outer/renamed/c/mod.rs", "/p/src/outer/renamed/c"),
            ],
        );
    }

    #[test]
    fn path_attribute_is_relative_to_the_declaring_files_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("other/x_impl.rs"), &[]),
            &[("/p/src/other/x_impl.rs", "/p/src/other")],
        );
    }

    #[test]
    fn path_attribute_inside_inline_module_of_non_mod_rs_file_starts_at_its_module_directory() {
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("x_impl.rs"), &[("inline", None)]),
            &[("/p/src/a/inline/x_impl.rs", "/p/src/a/inline")],
        );
    }

    // rustc's rules, one test each (the Reference's "Module Source
    // Filenames" and "The `path` attribute", checked against
    // `rustc_expand::module::mod_dir_path`). "mod-rs" files are crate roots,
    // `mod.rs` files and `#[path]`-loaded files; "non-mod-rs" files are the
    // others (`src/a/b.rs`).

    #[test]
    fn rule_path_attribute_in_inline_module_of_mod_rs_file() {
        // src/a/mod.rs: `mod inline { #[path = "other.rs"] mod inner; }`
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/a/mod.rs")),
            decl("inner", Some("other.rs"), &[("inline", None)]),
            &[("/p/src/a/inline/other.rs", "/p/src/a/inline")],
        );
    }

    #[test]
    fn rule_path_attribute_in_inline_module_of_non_mod_rs_file() {
        // src/a/b.rs: `mod inline { #[path = "other.rs"] mod inner; }`
        check(
            &non_mod_rs("/p/src/a/b.rs", "/p/src/a/b"),
            decl("inner", Some("other.rs"), &[("inline", None)]),
            &[("/p/src/a/b/inline/other.rs", "/p/src/a/b/inline")],
        );
    }

    #[test]
    fn rule_path_attribute_on_the_inline_parent_of_a_crate_root() {
        // src/lib.rs: `#[path = "thread_files"] mod thread { #[path = "tls.rs"] mod state; }`
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("state", Some("tls.rs"), &[("thread", Some("thread_files"))]),
            &[("/p/src/thread_files/tls.rs", "/p/src/thread_files")],
        );
    }

    #[test]
    fn rule_path_attribute_on_the_inline_parent_of_a_non_mod_rs_file_skips_its_directory() {
        // src/a.rs: `#[path = "."] mod tests { #[path = "x.rs"] mod x; }`
        // loads `src/x.rs`, beside `a.rs`: an inline module's `#[path]` is
        // joined to the file's module directory before the non-mod-rs `a/`.
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("x.rs"), &[("tests", Some("."))]),
            &[("/p/src/x.rs", "/p/src")],
        );
        // Without `#[path]` on the child: `src/tests_dir/y.rs`.
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("y", None, &[("tests", Some("tests_dir"))]),
            &[
                ("/p/src/tests_dir/y.rs", "/p/src/tests_dir/y"),
                ("/p/src/tests_dir/y/mod.rs", "/p/src/tests_dir/y"),
            ],
        );
    }

    #[test]
    fn rule_non_mod_rs_directory_is_used_by_the_first_inline_level() {
        // src/a.rs: `mod outer { #[path = "p"] mod inner { #[path = "x.rs"] mod x; } }`:
        // `outer` applies `a/`, so `inner`'s `#[path]` is below it.
        check(
            &non_mod_rs("/p/src/a.rs", "/p/src/a"),
            decl("x", Some("x.rs"), &[("outer", None), ("inner", Some("p"))]),
            &[("/p/src/a/outer/p/x.rs", "/p/src/a/outer/p")],
        );
    }

    #[test]
    fn rule_path_attribute_on_the_inline_parent_of_a_mod_rs_file() {
        // src/a/mod.rs: `#[path = "."] mod tests { #[path = "x.rs"] mod x; }`
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/a/mod.rs")),
            decl("x", Some("x.rs"), &[("tests", Some("."))]),
            &[("/p/src/a/x.rs", "/p/src/a")],
        );
    }

    #[test]
    fn rule_a_path_loaded_file_owns_its_directory() {
        // `#[path = "other/impl_x.rs"] mod x;` then `mod y;` in that file.
        let loaded = path_loaded(PathBuf::from("/p/src/other/impl_x.rs"));
        check(
            &loaded,
            decl("y", None, &[]),
            &[
                ("/p/src/other/y.rs", "/p/src/other/y"),
                ("/p/src/other/y/mod.rs", "/p/src/other/y"),
            ],
        );
        check(
            &loaded,
            decl("z", Some("z.rs"), &[("inline", Some("."))]),
            &[("/p/src/other/z.rs", "/p/src/other")],
        );
    }

    #[test]
    fn modules_in_every_branch_of_conditional_item_macros_are_found() {
        let source = "cfg_if::cfg_if! {\n    if #[cfg(unix)] {\n        mod unix;\n    } else if #[cfg(windows)] {\n        #[path = \"win/mod.rs\"]\n        mod windows;\n    } else {\n        mod fallback;\n    }\n}\ncfg_if! {\n    if #[cfg(test)] {\n        mod test_only;\n    }\n}\nmatch_cfg! {\n    #[cfg(feature = \"a\")] => { mod a; }\n    _ => { mod outer { mod b; } }\n}\nfn body() { cfg_if! { if #[cfg(x)] { } } }\n";
        assert_eq!(
            macro_decls(source),
            vec![
                ("unix".to_string(), None, vec![]),
                (
                    "windows".to_string(),
                    Some("win/mod.rs".to_string()),
                    vec![]
                ),
                ("fallback".to_string(), None, vec![]),
                ("a".to_string(), None, vec![]),
                ("b".to_string(), None, vec![("outer".to_string(), None)]),
            ]
        );
        let with_tests: Vec<String> = scan_module_decls(source, true)
            .in_macros
            .into_iter()
            .map(|decl| decl.name)
            .collect();
        assert!(
            with_tests.contains(&"test_only".to_string()),
            "{with_tests:?}"
        );
        assert!(may_hide_module_decls(source, 0));
    }

    /// (name, `#[path]`, inline parents) of each declaration found in macros.
    type FoundDecl = (String, Option<String>, Vec<(String, Option<String>)>);

    fn macro_decls(source: &str) -> Vec<FoundDecl> {
        scan_module_decls(source, false)
            .in_macros
            .into_iter()
            .map(|decl| (decl.name, decl.path_attr, decl.inline_parents))
            .collect()
    }

    #[test]
    fn modules_declared_inside_item_macros_are_found() {
        let source = "mod plain;\ncfg_rt! {\n    pub(crate) mod runtime;\n    #[path = \"x/imp.rs\"]\n    mod imp;\n}\nmod outer {\n    cfg_io! { mod io; }\n}\n";
        assert_eq!(
            macro_decls(source),
            vec![
                ("runtime".to_string(), None, vec![]),
                ("imp".to_string(), Some("x/imp.rs".to_string()), vec![]),
                ("io".to_string(), None, vec![("outer".to_string(), None)]),
            ]
        );
    }

    #[test]
    fn macro_definitions_and_test_modules_are_not_expansions() {
        let source = "macro_rules! m { () => { mod template; } }\ncfg_x! {\n    #[cfg(test)]\n    mod tests;\n}\n";
        assert_eq!(macro_decls(source), vec![]);
    }

    #[test]
    fn every_cfg_attr_path_of_a_module_is_found() {
        let source = "#[cfg_attr(\n    any(unix, target_os = \"wasi\"),\n    path = \"sys/unix.rs\"\n)]\n#[cfg_attr(windows, path = \"sys/windows.rs\", allow(dead_code))]\nmod sys;\n#[cfg_attr(feature = \"path\", derive(Debug))]\nstruct NotAModule;\n";
        let scan = scan_module_decls(source, false);
        let found: Vec<(String, Vec<String>)> = scan
            .cfg_attr_paths
            .into_iter()
            .map(|(decl, paths)| (decl.name, paths))
            .collect();
        assert_eq!(
            found,
            vec![(
                "sys".to_string(),
                vec!["sys/unix.rs".to_string(), "sys/windows.rs".to_string()]
            )]
        );
        assert!(may_hide_module_decls(source, 1));
    }

    #[test]
    fn byte_scan_counts_spelled_module_declarations() {
        assert!(may_hide_module_decls("cfg_rt! { mod a; }", 0));
        assert!(!may_hide_module_decls(
            "mod a;\nmod b { }\nlet model = 1;",
            1
        ));
        assert!(!may_hide_module_decls("fn f() { let x = y % mod_; }", 0));
    }

    #[test]
    fn raw_identifiers_name_plain_files() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("r#ref", None, &[("r#type", None)]),
            &[
                ("/p/src/type/ref.rs", "/p/src/type/ref"),
                ("/p/src/type/ref/mod.rs", "/p/src/type/ref"),
            ],
        );
    }

    #[test]
    fn parent_directories_past_the_root_stay_at_the_root() {
        assert_eq!(
            normalize_lexically(Path::new("/p/src/../../../../../etc/passwd")),
            PathBuf::from("/etc/passwd")
        );
        assert_eq!(
            normalize_lexically(Path::new("a/../../b")),
            PathBuf::from("../b")
        );
    }

    #[test]
    fn path_attribute_is_normalized() {
        check(
            &ModuleFile::crate_root(PathBuf::from("/p/src/lib.rs")),
            decl("x", Some("../../outside.rs"), &[]),
            &[("/outside.rs", "/")],
        );
    }
}
