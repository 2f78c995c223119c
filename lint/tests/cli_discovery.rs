//! Discovery specs: which files a run reads, from a manifest's targets and
//! their module trees, or from a directory without a manifest.

use std::path::Path;

use stallcheck_lint::driver::{self, Options, Report};

#[allow(dead_code)] // Only `tree` is used here.
mod support;

use support::tree;

const MANIFEST: &str = "[package]\nname = \"sample\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

fn lint(path: &Path, options: Options) -> Report {
    driver::run(
        path,
        &Options {
            no_config: true,
            ..options
        },
    )
    .unwrap_or_else(|err| panic!("run failed: {err}"))
}

fn errors(report: &Report) -> Vec<(String, String)> {
    report
        .errors
        .iter()
        .map(|error| (error.path.clone(), error.message.clone()))
        .collect()
}

/// Every layout rustc accepts, plus a file no target reaches.
fn layouts_crate() -> tempfile::TempDir {
    tree(&[
        ("crate/Cargo.toml", MANIFEST),
        (
            "crate/src/lib.rs",
            "mod a;\nmod b;\n#[path = \"other/c_impl.rs\"]\nmod c;\nmod inline {\n    mod d;\n    #[path = \"renamed\"]\n    mod e {\n        mod f;\n    }\n}\n#[cfg(feature = \"never\")]\nmod gated;\n",
        ),
        ("crate/src/a.rs", "mod nested;\n"),
        ("crate/src/a/nested.rs", "pub fn x() {}\n"),
        ("crate/src/b/mod.rs", "mod child;\n"),
        ("crate/src/b/child.rs", ""),
        ("crate/src/other/c_impl.rs", "mod sub;\n"),
        ("crate/src/other/sub.rs", ""),
        ("crate/src/inline/d.rs", ""),
        ("crate/src/inline/renamed/f.rs", ""),
        ("crate/src/gated.rs", ""),
        (
            "crate/src/unreachable.rs",
            "this is not rust, and nobody reads it\n",
        ),
        (
            "crate/src/main.rs",
            "#[path = \"b/child.rs\"]\nmod shared_with_lib;\nfn main() {}\n",
        ),
        ("crate/src/bin/tool.rs", "fn main() {}\n"),
        ("crate/examples/demo.rs", "fn main() {}\n"),
        ("crate/tests/it.rs", "#[test]\nfn t() {}\n"),
        ("crate/benches/speed.rs", "fn main() {}\n"),
        ("crate/build.rs", "fn main() {}\n"),
    ])
}

#[test]
fn module_trees_are_walked_from_every_target_root() {
    let dir = layouts_crate();
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(errors(&report), vec![]);
    assert_eq!(
        report.paths,
        [
            "examples/demo.rs",
            "src/a.rs",
            "src/a/nested.rs",
            "src/b/child.rs",
            "src/b/mod.rs",
            "src/bin/tool.rs",
            "src/gated.rs",
            "src/inline/d.rs",
            "src/inline/renamed/f.rs",
            "src/lib.rs",
            "src/main.rs",
            "src/other/c_impl.rs",
            "src/other/sub.rs",
        ]
    );
    assert_eq!(report.files, report.paths.len());
}

#[test]
fn test_and_bench_targets_are_read_only_with_include_tests() {
    let dir = layouts_crate();
    let report = lint(
        &dir.path().join("crate"),
        Options {
            include_tests: true,
            ..Options::default()
        },
    );
    assert!(
        report.paths.contains(&"tests/it.rs".to_string()),
        "{:?}",
        report.paths
    );
    assert!(
        report.paths.contains(&"benches/speed.rs".to_string()),
        "{:?}",
        report.paths
    );
    assert!(
        !report.paths.contains(&"build.rs".to_string()),
        "build scripts are never linted"
    );
}

#[test]
fn a_manifest_path_is_the_same_as_its_directory() {
    let dir = layouts_crate();
    let by_dir = lint(&dir.path().join("crate"), Options::default());
    let by_manifest = lint(&dir.path().join("crate/Cargo.toml"), Options::default());
    assert_eq!(by_dir.paths, by_manifest.paths);
}

#[test]
fn path_attribute_leaving_the_package_is_refused_and_not_read() {
    let dir = tree(&[
        ("secret.rs", "fn not_yours() {}\n"),
        ("crate/Cargo.toml", MANIFEST),
        (
            "crate/src/lib.rs",
            "#[path = \"../../secret.rs\"]\nmod escape;\n",
        ),
    ]);
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(report.paths, ["src/lib.rs"]);
    let [error] = report.errors.as_slice() else {
        panic!("one error expected: {:?}", report.errors)
    };
    assert_eq!(error.path, "src/lib.rs");
    assert!(
        error.message.contains("points outside the package"),
        "{}",
        error.message
    );
    assert!(
        error.span.is_some_and(|span| span.line <= 2),
        "points at the declaration: {:?}",
        error.span
    );
}

#[cfg(unix)]
#[test]
fn symbolic_link_out_of_the_package_is_refused() {
    let dir = tree(&[
        ("secret.rs", "fn not_yours() {}\n"),
        ("crate/Cargo.toml", MANIFEST),
        ("crate/src/lib.rs", "mod linked;\n"),
    ]);
    std::os::unix::fs::symlink(
        dir.path().join("secret.rs"),
        dir.path().join("crate/src/linked.rs"),
    )
    .unwrap();
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(report.paths, ["src/lib.rs"]);
    assert!(
        report.errors[0].message.contains("outside the package"),
        "{:?}",
        report.errors
    );
}

#[test]
fn missing_module_file_is_an_input_error_not_fatal() {
    let dir = tree(&[
        ("crate/Cargo.toml", MANIFEST),
        ("crate/src/lib.rs", "mod here;\nmod gone;\n"),
        ("crate/src/here.rs", ""),
    ]);
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(report.paths, ["src/here.rs", "src/lib.rs"]);
    assert_eq!(
        errors(&report),
        [(
            "src/lib.rs".to_string(),
            "file not found for module `gone`: looked for `src/gone.rs` or `src/gone/mod.rs`"
                .to_string()
        )]
    );
}

#[test]
fn workspace_root_lints_every_member_with_paths_relative_to_the_root() {
    let dir = tree(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"one\", \"two\"]\nresolver = \"2\"\n",
        ),
        ("one/Cargo.toml", &MANIFEST.replace("sample", "one")),
        ("one/src/lib.rs", "mod m;\n"),
        ("one/src/m.rs", ""),
        ("two/Cargo.toml", &MANIFEST.replace("sample", "two")),
        ("two/src/main.rs", "fn main() {}\n"),
    ]);
    let whole = lint(dir.path(), Options::default());
    assert_eq!(
        whole.paths,
        ["one/src/lib.rs", "one/src/m.rs", "two/src/main.rs"]
    );
    let member = lint(&dir.path().join("one"), Options::default());
    assert_eq!(member.paths, ["src/lib.rs", "src/m.rs"]);
}

#[test]
fn directory_without_manifest_lints_every_rs_file_honouring_gitignore() {
    let dir = tree(&[
        (".gitignore", "generated/\n"),
        ("a.rs", ""),
        ("nested/b.rs", ""),
        ("generated/c.rs", ""),
        ("notes.txt", "not rust"),
    ]);
    let report = lint(dir.path(), Options::default());
    assert_eq!(report.paths, ["a.rs", "nested/b.rs"]);
}

#[test]
fn one_rs_file_is_linted_alone() {
    let dir = tree(&[("one.rs", "mod other;\n"), ("other.rs", "")]);
    let report = lint(&dir.path().join("one.rs"), Options::default());
    assert_eq!(report.paths, ["one.rs"]);
    assert!(
        report.errors.is_empty(),
        "loose files do not follow `mod`: {:?}",
        report.errors
    );
}

#[test]
fn excluded_loose_files_are_not_read() {
    let dir = tree(&[("keep.rs", ""), ("gen/skip.rs", "not rust at all")]);
    let report = lint(
        dir.path(),
        Options {
            exclude: vec!["gen".to_string()],
            ..Options::default()
        },
    );
    assert_eq!(report.paths, ["keep.rs"]);
    assert!(report.errors.is_empty());
}

#[test]
fn excluded_module_files_report_nothing_but_their_children_are_still_reached() {
    let dir = tree(&[
        ("crate/Cargo.toml", MANIFEST),
        ("crate/src/lib.rs", "mod gen;\n"),
        ("crate/src/gen.rs", "mod missing;\nmod kept;\n"),
        ("crate/src/gen/kept.rs", ""),
    ]);
    let report = lint(
        &dir.path().join("crate"),
        Options {
            exclude: vec!["src/gen.rs".to_string()],
            ..Options::default()
        },
    );
    assert!(
        report.paths.contains(&"src/gen/kept.rs".to_string()),
        "{:?}",
        report.paths
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
}

#[test]
fn configuration_file_at_the_root_is_used_unless_disabled() {
    let dir = tree(&[
        ("crate/Cargo.toml", MANIFEST),
        ("crate/stallcheck.toml", "exclude = [\"src/skip.rs\"]\n"),
        ("crate/src/lib.rs", "mod skip;\n"),
        ("crate/src/skip.rs", "mod absent;\n"),
    ]);
    let root = dir.path().join("crate");
    let configured = driver::run(&root, &Options::default()).unwrap();
    assert!(configured.errors.is_empty(), "{:?}", configured.errors);
    assert!(
        configured
            .config_source
            .as_deref()
            .is_some_and(|source| source.ends_with("stallcheck.toml"))
    );
    let raw = lint(&root, Options::default());
    assert_eq!(raw.errors.len(), 1, "{:?}", raw.errors);
}

#[test]
fn manifest_metadata_table_is_the_last_resort_configuration() {
    let manifest =
        format!("{MANIFEST}\n[package.metadata.stallcheck]\nexclude = [\"src/skip.rs\"]\n");
    let dir = tree(&[
        ("crate/Cargo.toml", manifest.as_str()),
        ("crate/src/lib.rs", "mod skip;\n"),
        ("crate/src/skip.rs", "mod absent;\n"),
    ]);
    let report = driver::run(&dir.path().join("crate"), &Options::default()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert!(
        report
            .config_source
            .unwrap()
            .contains("[package.metadata.stallcheck]")
    );
}

#[test]
fn bad_manifest_metadata_key_is_fatal_and_named() {
    let manifest = format!("{MANIFEST}\n[package.metadata.stallcheck]\nexclusions = []\n");
    let dir = tree(&[
        ("crate/Cargo.toml", manifest.as_str()),
        ("crate/src/lib.rs", ""),
    ]);
    let err = driver::run(&dir.path().join("crate"), &Options::default()).unwrap_err();
    assert!(
        err.0.contains("[package.metadata.stallcheck]") && err.0.contains("exclusions"),
        "{err}"
    );
}

#[test]
fn modules_declared_inside_item_macros_are_walked() {
    let dir = tree(&[
        ("crate/Cargo.toml", MANIFEST),
        (
            "crate/src/lib.rs",
            "macro_rules! cfg_rt {\n    ($($item:item)*) => { $($item)* };\n}\ncfg_rt! {\n    pub mod runtime;\n}\n",
        ),
        ("crate/src/runtime.rs", "cfg_rt! { mod inner; }\n"),
        ("crate/src/runtime/inner.rs", ""),
    ]);
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(errors(&report), vec![]);
    assert_eq!(
        report.paths,
        ["src/lib.rs", "src/runtime.rs", "src/runtime/inner.rs"]
    );
}

#[test]
fn parse_only_baseline_reads_the_same_files_as_the_analysis() {
    let dir = tree(&[
        ("a.rs", "fn a() {}\n"),
        ("b/c.rs", "fn c() {}\nfn d() {}\n"),
        ("broken.rs", "fn ("),
    ]);
    let report = lint(dir.path(), Options::default());
    let files: Vec<std::path::PathBuf> = report
        .paths
        .iter()
        .map(|path| dir.path().join(path))
        .collect();
    let baseline = driver::parse_only(&files, Some(2)).unwrap();
    assert_eq!(baseline.files, report.files);
    assert_eq!(baseline.lines, report.lines);
    assert_eq!(baseline.failures, report.errors.len());
    assert_eq!(baseline.items, 3);
}

#[test]
fn target_root_outside_the_package_is_refused() {
    let manifest = format!("{MANIFEST}\n[lib]\npath = \"../shared/lib.rs\"\n");
    let dir = tree(&[
        ("shared/lib.rs", "pub fn shared() {}\n"),
        ("crate/Cargo.toml", &manifest),
    ]);
    let report = lint(&dir.path().join("crate"), Options::default());
    assert!(report.paths.is_empty(), "{:?}", report.paths);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report.errors[0].message.contains("outside its package"),
        "{:?}",
        report.errors
    );
}

#[test]
fn every_cfg_attr_path_of_a_module_is_read() {
    let dir = tree(&[
        ("crate/Cargo.toml", MANIFEST),
        (
            "crate/src/lib.rs",
            "#[cfg_attr(unix, path = \"sys/unix.rs\")]\n#[cfg_attr(windows, path = \"sys/windows.rs\")]\nmod sys;\ncfg_net! {\n    #[cfg_attr(target_os = \"linux\", path = \"poll/epoll.rs\")]\n    mod poll;\n}\n",
        ),
        ("crate/src/sys/unix.rs", ""),
        ("crate/src/sys/windows.rs", ""),
        ("crate/src/poll/epoll.rs", ""),
        ("crate/src/poll.rs", ""),
    ]);
    let report = lint(&dir.path().join("crate"), Options::default());
    assert_eq!(errors(&report), vec![]);
    assert_eq!(
        report.paths,
        [
            "src/lib.rs",
            "src/poll.rs",
            "src/poll/epoll.rs",
            "src/sys/unix.rs",
            "src/sys/windows.rs"
        ]
    );
}
