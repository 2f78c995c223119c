//! Call-graph summaries, addresses, closures and parameters handed on.

use super::*;

// Call-graph summaries (the solver's specs are in `crate::callgraph`).

/// The file's summary when it is module `store::disk` of its crate, with
/// `util` another library of the workspace.
fn summary_of(source: &str) -> summary::FileSummary {
    let catalog = Catalog::builtin();
    let module_path = ["store".to_string(), "disk".to_string()];
    let workspace_crates = ["util".to_string()];
    let ctx = FileContext {
        rel_path: "src/store/disk.rs",
        module_path: &module_path,
        workspace_crates: &workspace_crates,
        ..FileContext::spec(&catalog)
    };
    analyze_file(source, &ctx)
        .expect("test source parses")
        .summary
}

/// `key: callee@line` for each call of each function.
fn summary_calls(summary: &summary::FileSummary) -> Vec<String> {
    let mut calls = Vec::new();
    for function in &summary.functions {
        for call in &function.calls {
            let callee = match &call.callee {
                summary::Callee::Path(path) => path.clone(),
                summary::Callee::Method { receiver, method } => format!("{receiver:?}.{method}"),
                summary::Callee::Dispatch { traits, method } => {
                    format!("<{}>.{method}", traits.join(" + "))
                }
            };
            calls.push(format!("{}: {callee}@{}", function.key, call.span.line));
        }
    }
    calls
}

#[test]
fn summary_keys_and_calls_are_named_under_the_files_module_path() {
    let summary = summary_of(
        "struct Disk;\nimpl Disk {\n    fn flush(&self) {\n        sync();\n        super::index::rebuild();\n        util::io::load();\n        self.size();\n    }\n    fn size(&self) {}\n}\nfn sync() {}\n",
    );
    let keys: Vec<&str> = summary.functions.iter().map(|f| f.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "crate::store::disk::Disk::flush",
            "crate::store::disk::Disk::size",
            "crate::store::disk::sync"
        ]
    );
    assert_eq!(
        summary_calls(&summary),
        [
            "crate::store::disk::Disk::flush: crate::store::disk::sync@4",
            "crate::store::disk::Disk::flush: crate::store::index::rebuild@5",
            "crate::store::disk::Disk::flush: util::io::load@6",
            "crate::store::disk::Disk::flush: crate::store::disk::Disk::size@7",
        ]
    );
}

#[test]
fn summary_blocking_calls_are_sync_code_of_propagated_rules_only() {
    let summary = summary_of(
        "fn f(m: &std::sync::Mutex<u8>) {\n    std::fs::read(p);\n    m.lock();\n    std::thread::spawn(|| std::thread::sleep(d));\n    let _ = async { std::fs::read(p) };\n}\n",
    );
    let [function] = summary.functions.as_slice() else {
        panic!("{summary:?}")
    };
    let blocking: Vec<(usize, &str)> = function
        .blocking
        .iter()
        .map(|call| (call.span.line, call.rule))
        .collect();
    assert_eq!(blocking, [(2, "blocking-fs")]);
}

#[test]
fn summary_keeps_calls_outside_the_crate_out() {
    let summary = summary_of(
        "fn f(v: Vec<u8>) {\n    v.len();\n    std::mem::drop(v);\n    other::g();\n}\n",
    );
    assert_eq!(summary_calls(&summary), Vec::<String>::new());
}

// Addresses that need no name resolution (`blocks = "on-name-resolution"`).

/// The `blocking-net` findings of `body`, written in an async fn that
/// imports the `std::net` types, as `line:callee` (line 1 is the body's).
fn net_findings(body: &str) -> Vec<String> {
    let source = format!(
        "use std::net::{{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket}};\nasync fn f(host: &str, name: String, port: u16, ip: IpAddr, sock: UdpSocket) {{\n{body}\n}}\n"
    );
    analyze(&source)
        .findings
        .iter()
        .filter(|finding| finding.rule == "blocking-net")
        .map(|finding| format!("{}:{}", finding.span.line - 2, finding.callee))
        .collect()
}

#[test]
fn bind_on_a_literal_ip_socket_address_resolves_no_name_and_is_not_reported() {
    let body = "TcpListener::bind(\"127.0.0.1:0\");\nUdpSocket::bind(\"[::1]:8080\");\nsock.connect(\"10.0.0.1:53\");\nstd::net::TcpListener::bind(&\"0.0.0.0:80\");";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn bind_on_a_host_name_or_an_unknown_string_is_reported() {
    let body = "TcpListener::bind(\"localhost:80\");\nUdpSocket::bind(host);\nsock.connect(name);\nTcpListener::bind(\"127.0.0.1\");";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpListener::bind",
            "2:std::net::UdpSocket::bind",
            "3:std::net::UdpSocket::connect",
            "4:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn format_with_placeholders_only_in_the_port_is_an_ip_socket_address() {
    let body = "TcpListener::bind(format!(\"[::1]:{port}\"));\nTcpListener::bind(format!(\"127.0.0.1:{}\", port));\nTcpListener::bind(&format!(\"0.0.0.0:80{}\", 8));\nUdpSocket::bind(concat!(\"127.0.0.1:\", 9000));";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn format_with_a_placeholder_in_the_host_or_a_format_spec_is_reported() {
    let body = "TcpListener::bind(format!(\"{host}:80\"));\nTcpListener::bind(format!(\"{}:{}\", ip, port));\nTcpListener::bind(format!(\"[::1]:{port:?}\"));\nTcpListener::bind(format!(\"127.0.0.1:{{port}}\"));\nUdpSocket::bind(concat!(\"localhost:\", 9000));\nTcpListener::bind(format!(\"{}\", \"127.0.0.1:0\"));";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpListener::bind",
            "2:std::net::TcpListener::bind",
            "3:std::net::TcpListener::bind",
            "4:std::net::TcpListener::bind",
            "5:std::net::UdpSocket::bind",
            "6:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn socket_address_values_and_constructors_resolve_no_name() {
    let body = "let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));\nlet v4: SocketAddrV4 = make();\nUdpSocket::bind(any);\nsock.connect(&any);\nTcpListener::bind(v4);\nTcpListener::bind(SocketAddr::new(ip, port));\nTcpListener::bind(\"[::1]:0\".parse::<SocketAddr>().unwrap());\nUdpSocket::connect(&sock, any);\nTcpListener::bind(&[any, any][..]);";
    assert_eq!(net_findings(body), Vec::<String>::new());
}

#[test]
fn ip_and_port_tuples_resolve_no_name_unless_the_host_is_a_name() {
    let body = "TcpListener::bind((Ipv4Addr::LOCALHOST, 0));\nTcpListener::bind((ip, port));\nTcpListener::bind((Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 1), 0));\nTcpListener::bind((\"127.0.0.1\", port));\nTcpListener::bind((IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0));\nTcpListener::bind((\"localhost\", 80));\nTcpListener::bind((host, 80));";
    assert_eq!(
        net_findings(body),
        [
            "6:std::net::TcpListener::bind",
            "7:std::net::TcpListener::bind",
        ]
    );
}

#[test]
fn calls_that_wait_whatever_the_address_are_still_reported() {
    let body = "TcpStream::connect(\"127.0.0.1:80\");\nlet any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));\nTcpStream::connect(any);\nsock.send_to(b\"x\", any);\nTcpListener::bind(any).unwrap().accept();";
    assert_eq!(
        net_findings(body),
        [
            "1:std::net::TcpStream::connect",
            "3:std::net::TcpStream::connect",
            "4:std::net::UdpSocket::send_to",
            "5:std::net::TcpListener::accept",
        ]
    );
}

#[test]
fn a_sync_helper_binding_an_ip_socket_address_blocks_no_caller() {
    let summary = summary_of(
        "fn listen() {\n    std::net::TcpListener::bind(\"127.0.0.1:0\");\n}\nfn resolve(host: &str) {\n    std::net::TcpListener::bind(host);\n}\n",
    );
    let blocking: Vec<(String, usize)> = summary
        .functions
        .iter()
        .flat_map(|function| {
            function
                .blocking
                .iter()
                .map(|call| (function.key.clone(), call.span.line))
        })
        .collect();
    assert_eq!(blocking, [("crate::store::disk::resolve".to_string(), 5)]);
}

// Closures handed on: block-tail and parenthesised closures, and the
// parameters a function forwards (offload wrappers, see `crate::callgraph`).

#[test]
fn a_closure_at_the_tail_of_a_block_argument_runs_off_the_executor() {
    // The block's leading statements run in the async function.
    check(
        "use std::sync::{Arc, Barrier};\n\
         async fn run(barrier: Arc<Barrier>) {\n\
         \x20   tokio::task::spawn_blocking({\n\
         \x20       std::thread::sleep(d);\n\
         \x20       let barrier = barrier.clone();\n\
         \x20       move || {\n\
         \x20           barrier.wait();\n\
         \x20       }\n\
         \x20   });\n\
         \x20   tokio::task::spawn_blocking((move || std::fs::read(p)));\n\
         \x20   barrier.wait();\n\
         }\n",
        &["4:blocking-sleep", "11:blocking-wait"],
    );
}

#[test]
fn a_block_argument_without_a_closure_tail_stays_on_the_executor() {
    check(
        "async fn run() {\n\
         \x20   tokio::task::spawn_blocking({ std::thread::sleep(d); work });\n\
         \x20   consume({ move || std::fs::read(p) });\n\
         }\n",
        &["2:blocking-sleep", "3:blocking-fs"],
    );
}

/// `key: param -> target` for each forwarded parameter of each function.
fn summary_forwarded(source: &str) -> Vec<String> {
    let summary = summary_of(source);
    let mut forwarded = Vec::new();
    for function in &summary.functions {
        for param in &function.forwarded {
            let to = match &param.to {
                summary::HandedTo::Offload => "offload".to_string(),
                summary::HandedTo::Stored => "stored".to_string(),
                summary::HandedTo::Arg(summary::Callee::Path(path), arg) => format!("{path}#{arg}"),
                summary::HandedTo::Arg(summary::Callee::Method { receiver, method }, arg) => {
                    format!("{receiver:?}.{method}#{arg}")
                }
                summary::HandedTo::Arg(summary::Callee::Dispatch { traits, method }, arg) => {
                    format!("<{}>.{method}#{arg}", traits.join(" + "))
                }
            };
            forwarded.push(format!("{}: {} -> {to}", function.key, param.param));
        }
    }
    forwarded
}

#[test]
fn summary_forwarded_parameters_are_those_only_handed_on_bare() {
    assert_eq!(
        summary_forwarded(
            "struct Pool;\n\
             impl Pool {\n\
             \x20   fn run<F: FnOnce()>(&self, f: F) { tokio::task::spawn_blocking(f); }\n\
             \x20   fn via(&self, n: u8, f: impl FnOnce()) { self.run(f) }\n\
             }\n\
             fn outer<F: FnOnce()>(f: F) { inner(f) }\n\
             fn inner<F: FnOnce()>(f: F) { f() }\n\
             fn called<F: FnOnce()>(f: F) { f() }\n\
             fn captured<F: FnOnce()>(f: F) { tokio::task::spawn_blocking(move || f()); }\n\
             fn both<F: FnOnce() + Clone>(f: F) { tokio::task::spawn_blocking(f.clone()); inner(f) }\n\
             fn shadowed<F: FnOnce()>(f: F) { let f = wrap(f); tokio::task::spawn_blocking(f); }\n\
             fn elsewhere<F: FnOnce()>(f: F) { std::mem::drop(f) }\n",
        ),
        [
            "crate::store::disk::Pool::run: 1 -> offload",
            "crate::store::disk::Pool::via: 2 -> crate::store::disk::Pool::run#1",
            "crate::store::disk::outer: 0 -> crate::store::disk::inner#0",
        ]
    );
}

#[test]
fn summary_parameters_kept_in_a_struct_are_stored_not_run() {
    assert_eq!(
        summary_forwarded(
            "struct P(std::sync::Arc<dyn Fn()>);\n\
             struct Q { f: Box<dyn Fn()>, n: u8 }\n\
             impl P { fn new(read: impl Fn() + 'static) -> Self { Self(std::sync::Arc::new(read)) } }\n\
             fn q(f: impl Fn() + 'static, n: u8) -> Q { Q { f: Box::new(f), n } }\n\
             fn kept_and_called(f: impl Fn() + Clone + 'static) -> P { f(); P::new(f) }\n",
        ),
        [
            "crate::store::disk::P::new: 0 -> stored",
            "crate::store::disk::q: 0 -> stored",
            "crate::store::disk::q: 1 -> stored",
        ]
    );
}

#[test]
fn summary_closures_kept_in_a_struct_are_not_run_where_written() {
    let analysis = analyze(
        "struct Q { f: Box<dyn Fn()> }\n\
         struct P(Box<dyn Fn()>);\n\
         async fn run() {\n\
         \x20   let q = Q { f: Box::new(|| std::thread::sleep(d)) };\n\
         \x20   let p = P(Box::new(|| std::thread::sleep(d)));\n\
         \x20   (|| std::thread::sleep(d))();\n\
         }\n",
    );
    assert_eq!(lines_and_rules(&analysis), ["6:blocking-sleep"]);
}

#[test]
fn summary_findings_in_a_closure_handed_to_a_crate_function_are_guarded() {
    let analysis = analyze(
        "fn wrap<F: FnOnce()>(f: F) { f() }\n\
         async fn run() {\n\
         \x20   wrap(|| std::thread::sleep(d));\n\
         \x20   wrap(async || std::thread::sleep(d));\n\
         \x20   std::thread::sleep(d);\n\
         }\n",
    );
    assert_eq!(
        lines_and_rules(&analysis),
        ["3:blocking-sleep", "4:blocking-sleep", "5:blocking-sleep"]
    );
    let guarded: Vec<(usize, &str, String)> = analysis
        .summary
        .guarded
        .iter()
        .map(|finding| {
            let guards: Vec<String> = finding
                .guards
                .iter()
                .map(|guard| format!("{:?}#{}", guard.callee, guard.arg))
                .collect();
            (finding.span.line, finding.rule, guards.join(","))
        })
        .collect();
    assert_eq!(
        guarded,
        [(3, "blocking-sleep", "Path(\"crate::wrap\")#0".to_string())]
    );
}

#[test]
fn an_address_bound_by_an_address_enum_pattern_has_its_variants_type() {
    let body = "match ip {\n    IpAddr::V4(v4) if TcpListener::bind((v4, 0)).is_ok() => {}\n    IpAddr::V6(v6) => { UdpSocket::bind(SocketAddr::from((v6, port))); }\n}\nif let Ok(host) = name.parse::<String>() { TcpListener::bind((host, 0)); }";
    assert_eq!(net_findings(body), ["5:std::net::TcpListener::bind"]);
}

#[test]
fn a_cfg_test_import_is_not_in_scope_when_tests_are_not_linted() {
    // tokio's `src/fs/mod.rs`: the mock is imported for tests only.
    let source = "#[cfg(not(test))]\nuse std::thread::sleep;\n#[cfg(test)]\nuse mocks::sleep;\n\
                  async fn run() {\n    sleep(d);\n}\n";
    check(source, &["6:blocking-sleep"]);
}
