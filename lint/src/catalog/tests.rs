use super::*;

#[test]
fn builtin_catalog_loads() {
    let catalog = Catalog::from_toml(BUILTIN).unwrap();
    assert_eq!(
        catalog
            .lookup("std::thread::sleep")
            .map(|entry| entry.rule.id),
        Some("blocking-sleep")
    );
}

#[test]
fn every_builtin_entry_names_a_known_rule() {
    let file: CatalogFile = toml::from_str(BUILTIN).unwrap();
    for (path, entry) in file.blocking {
        let rule = entry.into_table(&path).unwrap().rule;
        assert!(
            rules::find(&rule).is_some(),
            "`{path}` names unknown rule `{rule}`"
        );
    }
}

#[test]
fn aliases_make_reexports_canonical() {
    let catalog = Catalog::builtin();
    assert_eq!(
        catalog.canonical("smol::future::block_on"),
        "futures_lite::future::block_on"
    );
    assert!(
        catalog
            .lookup(&catalog.canonical("smol::future::block_on"))
            .is_some()
    );
}

#[test]
fn wildcards_cover_everything_below_their_prefix() {
    let catalog = Catalog::builtin();
    let rule = |path: &str| catalog.lookup(path).map(|entry| entry.rule.id);
    assert_eq!(rule("ureq::get"), Some("blocking-client"));
    assert_eq!(rule("ureqx::get"), None);
}

#[test]
fn user_entries_are_added_and_allowed() {
    let mut catalog = Catalog::builtin();
    catalog
        .add("mycrate::db::query", "blocking-client")
        .unwrap();
    assert_eq!(
        catalog
            .lookup("mycrate::db::query")
            .map(|entry| entry.rule.id),
        Some("blocking-client")
    );
    catalog.allow("std::fs");
    assert!(catalog.lookup("std::fs::read").is_none());
    assert!(catalog.lookup("std::thread::sleep").is_some());
}

#[test]
fn bad_user_entries_name_the_problem() {
    let mut catalog = Catalog::builtin();
    assert_eq!(
        catalog.add("a::b", "no-such-rule").unwrap_err(),
        "`a::b`: unknown rule `no-such-rule` (`stallcheck rules` lists them)"
    );
    assert!(
        catalog
            .add("a::::b", "blocking-fs")
            .unwrap_err()
            .contains("is not a path")
    );
    assert!(catalog.add("", "blocking-fs").is_err());
}

#[test]
fn offloading_calls_match_inside_their_own_crate() {
    let catalog = Catalog::builtin();
    assert!(catalog.is_offload("tokio::task::spawn_blocking"));
    assert!(catalog.is_offload("crate::task::spawn_blocking"));
    assert!(catalog.is_offload("crate::blocking::spawn_blocking"));
    assert!(!catalog.is_offload("crate::runtime::spawn"));
    assert!(!catalog.is_offload("other::spawn_blocking"));
    assert!(!catalog.is_offload("tokio::spawn"));
}

#[test]
fn configured_context_calls_are_known_by_path() {
    let mut catalog = Catalog::builtin();
    catalog
        .add_executor_callback("mystream::Stream::from_producer")
        .unwrap();
    catalog.add_offload("myrt::run_offloaded").unwrap();
    assert!(catalog.is_executor_callback("mystream::Stream::from_producer"));
    assert!(!catalog.is_executor_callback("mystream::Stream::from_iter"));
    assert!(!catalog.is_offload("mystream::Stream::from_producer"));
    assert!(catalog.is_offload("myrt::run_offloaded"));
    assert!(catalog.knows("mystream::Stream"));
    assert!(
        catalog
            .add_offload("myrt::*")
            .unwrap_err()
            .contains("wildcard")
    );
    assert!(
        catalog
            .add_executor_callback("myrt spawn")
            .unwrap_err()
            .contains("is not a path")
    );
}

#[test]
fn user_entries_get_their_crate_spelling_for_that_crate_only() {
    let mut catalog = Catalog::builtin();
    assert!(catalog.for_crate("mystream").is_none());
    catalog
        .add_executor_callback("mystream::Stream::from_producer")
        .unwrap();
    catalog.add_offload("mystream::pool::offload").unwrap();
    catalog
        .add("mystream::db::query", "blocking-client")
        .unwrap();
    assert!(catalog.for_crate("other").is_none());
    let own = catalog.for_crate("mystream").unwrap();
    assert!(own.is_executor_callback("crate::Stream::from_producer"));
    assert!(own.is_offload("crate::pool::offload"));
    assert!(own.lookup("crate::db::query").is_some());
    assert!(own.is_executor_callback("mystream::Stream::from_producer"));
    assert!(!catalog.is_executor_callback("crate::Stream::from_producer"));
}

#[test]
fn fixes_name_the_async_twin_and_the_tokio_feature_it_needs() {
    let catalog = Catalog::builtin();
    let fix = |path: &str| {
        catalog
            .fix(path)
            .map(|fix| (fix.with.as_str(), fix.feature.as_str()))
    };
    assert_eq!(fix("std::fs::read"), Some(("tokio::fs::read", "fs")));
    assert_eq!(
        fix("std::fs::exists"),
        Some(("tokio::fs::try_exists", "fs"))
    );
    assert_eq!(
        fix("std::thread::sleep"),
        Some(("tokio::time::sleep", "time"))
    );
    // Twins of another type keep their help only.
    assert_eq!(fix("std::fs::read_dir"), None);
    assert_eq!(fix("std::fs::File::open"), None);
}

#[test]
fn bad_fixes_are_refused() {
    let with_fix = |entry: &str| {
        Catalog::from_toml(&BUILTIN.replace("[fixes]\n", &format!("[fixes]\n{entry}\n")))
            .map(|_| ())
    };
    assert_eq!(
        with_fix(r#""std::mem::drop" = { with = "tokio::x", feature = "fs" }"#),
        Err("[fixes] `std::mem::drop`: not a blocking path of the catalog".to_string())
    );
    assert!(
        with_fix(r#""std::fs::read_dir" = { with = "async_std::fs::read_dir", feature = "fs" }"#)
            .unwrap_err()
            .contains("expected a `tokio::` path")
    );
    assert!(
        with_fix(r#""std::fs::read_dir" = { with = "tokio::fs::read_dir", feature = "fs", runtime = "tokio" }"#)
            .unwrap_err()
            .contains("unknown field `runtime`")
    );
}

#[test]
fn bind_and_udp_connect_block_only_on_name_resolution() {
    let catalog = Catalog::builtin();
    let blocks = |path: &str| catalog.lookup(path).map(|entry| entry.blocks);
    assert_eq!(
        blocks("std::net::TcpListener::bind"),
        Some(Blocks::OnNameResolution)
    );
    assert_eq!(
        blocks("std::net::UdpSocket::connect"),
        Some(Blocks::OnNameResolution)
    );
    // The TCP handshake and a full send buffer wait whatever the address.
    assert_eq!(blocks("std::net::TcpStream::connect"), Some(Blocks::Always));
    assert_eq!(blocks("std::net::UdpSocket::send_to"), Some(Blocks::Always));
}

#[test]
fn bad_blocking_tables_name_the_key_or_value() {
    let with_entry = |entry: &str| {
        Catalog::from_toml(&BUILTIN.replace("[blocking]\n", &format!("[blocking]\n{entry}\n")))
            .map(|_| ())
    };
    assert!(
        with_entry(r#""a::b" = { rule = "blocking-net", severity = "error", blocks = "always" }"#)
            .is_ok()
    );
    let unknown_key =
        with_entry(r#""a::b" = { rule = "blocking-net", block = "on-name-resolution" }"#)
            .unwrap_err();
    assert!(
        unknown_key.starts_with("[blocking] `a::b`: unknown field `block`"),
        "{unknown_key}"
    );
    let unknown_value =
        with_entry(r#""a::b" = { rule = "blocking-net", blocks = "sometimes" }"#).unwrap_err();
    assert!(
        unknown_value.contains("unknown variant `sometimes`"),
        "{unknown_value}"
    );
    assert!(
        with_entry(r#""a::*" = { rule = "blocking-net", blocks = "on-name-resolution" }"#)
            .unwrap_err()
            .contains("needs one function")
    );
}

#[test]
fn entry_severity_overrides_the_rule_default() {
    let catalog = Catalog::builtin();
    let entry = catalog.lookup("tokio::sync::Mutex::blocking_lock").unwrap();
    assert_eq!(
        (entry.rule.id, entry.severity),
        ("blocking-wait", Severity::Error)
    );
    let entry = catalog.lookup("std::sync::mpsc::Receiver::recv").unwrap();
    assert_eq!(
        (entry.rule.id, entry.severity),
        ("blocking-wait", Severity::Warning)
    );
}
