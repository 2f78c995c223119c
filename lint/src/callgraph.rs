//! Blocking reached through the target's own functions: an async fn calls
//! `load_config()`, a sync function of the crate that reads a file two
//! calls down. Each file's walk yields a [`FileSummary`] (its functions,
//! the blocking calls each makes in its own sync code, its calls to paths of
//! the crate); once every file is analysed the driver calls [`solve`],
//! which joins the summaries into one graph over the whole workspace and
//! reports each call, made in async context, of a crate function that
//! blocks.
//!
//! CONTRACT: `solve(units, crates) -> Vec<(unit index, Finding)>`, linear in
//! the summaries' size; deterministic for units given in the same order.
//!
//! Rules:
//! - a sync function blocks if it makes a catalogued call of a propagated
//!   rule (`summary::PROPAGATED_RULES`: not the lock rules) in its own sync
//!   code, or calls a crate function that blocks, at any depth; cycles are
//!   fine (a reverse breadth-first search from the root causes visits each
//!   function once and keeps one shortest path to a root cause);
//! - async functions and `poll` methods never block their callers: they
//!   report their own findings;
//! - an edge exists only where the walker resolved the callee to a path
//!   (through `use`, `self`, `Self::`, type paths, known receiver types);
//!   a method of an unknown receiver is no edge, whatever its name;
//! - calls in closures handed to offloading calls are nobody's, and a fn
//!   item passed by name (`spawn_blocking(helper)`) is not a call.
//!
//! Keys: the walker spells the crate's own items `crate::module::item`; the
//! solver names them by crate (a package's library is one crate, whose
//! name other members use: `util::load` from `app` is `crate::load` in
//! `util`; each binary, example or loose file is a crate of its own). A key
//! defined more than once (`#[cfg]` alternatives) blocks if any definition
//! does.

use std::collections::{HashMap, VecDeque};

use crate::analysis::AsyncRuntime;
use crate::analysis::summary::{BlockingCall, Callee, FileSummary, TyExpr};
use crate::finding::{ChainStep, Confidence, Finding};
use crate::rules;

/// The crates of a run, by id: their names as findings show them, and the
/// libraries by name (how other crates call into them).
#[derive(Clone, Debug, Default)]
pub struct Crates {
    names: Vec<String>,
    libs: HashMap<String, usize>,
}

impl Crates {
    /// Registers a crate and returns its id; a library registered twice
    /// (several targets of one package) keeps its first id.
    pub fn add(&mut self, name: &str, is_lib: bool) -> usize {
        if is_lib && let Some(&id) = self.libs.get(name) {
            return id;
        }
        self.names.push(name.to_string());
        let id = self.names.len() - 1;
        if is_lib {
            self.libs.insert(name.to_string(), id);
        }
        id
    }

    /// The library names, sorted (what `FileContext::workspace_crates` lists).
    pub fn lib_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.libs.keys().cloned().collect();
        names.sort();
        names
    }

    /// `(crate id, path inside it)` for a path as a file of crate `own`
    /// spells it; `None` for paths outside the workspace's crates.
    fn locate<'p>(&self, own: usize, path: &'p str) -> Option<(usize, &'p str)> {
        let (first, rest) = path.split_once("::")?;
        if first == "crate" {
            return Some((own, rest));
        }
        Some((*self.libs.get(first)?, rest))
    }

    fn display(&self, id: usize, rest: &str) -> String {
        let name = self.names.get(id).map_or("crate", String::as_str);
        format!("{name}::{rest}")
    }
}

/// One analysed file, as the solver sees it.
#[derive(Clone, Copy, Debug)]
pub struct Unit<'a> {
    /// Relative to the analysed root, `/`-separated.
    pub path: &'a str,
    /// Index into the run's [`Crates`].
    pub crate_id: usize,
    /// For the help line of the findings reported in this file.
    pub runtime: AsyncRuntime,
    pub summary: &'a FileSummary,
}

/// A function definition: (unit index, function index in its summary).
type Node = (usize, usize);

/// How a blocking function blocks: the call it makes on the way to a root
/// cause (the next function and the line of that call), or the root
/// cause itself.
#[derive(Clone, Copy)]
enum Via<'a> {
    Root(&'a BlockingCall),
    Call { next: usize, line: usize },
}

/// Solves the graph; returns the findings with the index of the unit whose
/// file they belong to.
pub fn solve(units: &[Unit<'_>], crates: &Crates) -> Vec<(usize, Finding)> {
    let index = Index::new(units, crates);
    let nodes = &index.nodes;
    let function = |node: usize| {
        let (unit, index) = nodes[node];
        &units[unit].summary.functions[index]
    };
    let crate_of = |node: usize| units[nodes[node].0].crate_id;

    // Reverse edges of the sync functions' own sync calls, in a fixed order.
    let mut callers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes.len()];
    for caller in 0..nodes.len() {
        if function(caller).is_async {
            continue;
        }
        for call in function(caller).calls.iter().filter(|call| !call.in_async) {
            for &callee in index.definitions(crate_of(caller), &call.callee) {
                callers[callee].push((caller, call.span.line));
            }
        }
    }

    // Breadth-first from the root causes: each function is reached once,
    // through one of its shortest paths to a root cause.
    let mut via: Vec<Option<Via<'_>>> = vec![None; nodes.len()];
    let mut queue = VecDeque::new();
    for (node, slot) in via.iter_mut().enumerate() {
        let summary = function(node);
        if !summary.is_async
            && let Some(root) = summary.blocking.iter().min_by_key(|call| call.line)
        {
            *slot = Some(Via::Root(root));
            queue.push_back(node);
        }
    }
    while let Some(node) = queue.pop_front() {
        for &(caller, line) in &callers[node] {
            if via[caller].is_none() {
                via[caller] = Some(Via::Call { next: node, line });
                queue.push_back(caller);
            }
        }
    }

    let mut findings = Vec::new();
    for node in 0..nodes.len() {
        let unit_index = nodes[node].0;
        for call in function(node).calls.iter().filter(|call| call.in_async) {
            let Some(&callee) = index
                .definitions(crate_of(node), &call.callee)
                .iter()
                .find(|&&callee| via[callee].is_some())
            else {
                continue;
            };
            let Some(finding) = report(units, crates, nodes, &via, unit_index, call, callee) else {
                continue;
            };
            findings.push((unit_index, finding));
        }
    }
    findings
}

/// How many aliases of aliases are followed (guards against alias cycles).
const MAX_ALIAS_DEPTH: usize = 8;

/// A type as the solver knows it: (crate id, path inside the crate).
type Located<'a> = (usize, std::borrow::Cow<'a, str>);

/// A type path as the file that wrote it spells it: (its crate id, path).
type Spelled<'a> = (usize, &'a str);

/// Every function definition, and every file's type facts, per crate.
struct Index<'a> {
    crates: &'a Crates,
    nodes: Vec<Node>,
    /// Per crate: definitions by path inside the crate.
    functions: Vec<HashMap<&'a str, Vec<usize>>>,
    /// Per crate: (struct path, field name) -> its type, as `crate_id`
    /// spells it.
    fields: Vec<HashMap<(&'a str, &'a str), Spelled<'a>>>,
    aliases: Vec<HashMap<&'a str, Spelled<'a>>>,
    returns: Vec<HashMap<&'a str, Spelled<'a>>>,
}

impl<'a> Index<'a> {
    fn new(units: &[Unit<'a>], crates: &'a Crates) -> Index<'a> {
        let count = crates.names.len();
        let mut index = Index {
            crates,
            nodes: Vec::new(),
            functions: vec![HashMap::new(); count],
            fields: vec![HashMap::new(); count],
            aliases: vec![HashMap::new(); count],
            returns: vec![HashMap::new(); count],
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
        index
    }

    /// The definitions a call made in crate `own` names.
    fn definitions(&self, own: usize, callee: &Callee) -> &[usize] {
        let found = match callee {
            Callee::Path(path) => self.path_definitions(own, path),
            Callee::Method { receiver, method } => self
                .evaluate(own, receiver, 0)
                .and_then(|(id, ty)| self.functions[id].get(format!("{ty}::{method}").as_str())),
        };
        found.map_or(&[], Vec::as_slice)
    }

    /// `crate::a::f`, or `Type::method` where `Type` may be an alias.
    fn path_definitions(&self, own: usize, path: &str) -> Option<&Vec<usize>> {
        let (id, rest) = self.crates.locate(own, path)?;
        if let Some(found) = self.functions[id].get(rest) {
            return Some(found);
        }
        let (ty, method) = path.rsplit_once("::")?;
        let (id, ty) = self.locate_type(own, ty, 0)?;
        self.functions[id].get(format!("{ty}::{method}").as_str())
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

/// The finding for an async call of the blocking function `callee`.
fn report(
    units: &[Unit<'_>],
    crates: &Crates,
    nodes: &[Node],
    via: &[Option<Via<'_>>],
    unit_index: usize,
    call: &crate::analysis::summary::CallSite,
    callee: usize,
) -> Option<Finding> {
    let summary_of = |node: usize| {
        let (unit, index) = nodes[node];
        (&units[unit], &units[unit].summary.functions[index])
    };
    let key_of = |node: usize| {
        let (unit, function) = summary_of(node);
        let (id, rest) = crates
            .locate(unit.crate_id, &function.key)
            .unwrap_or((unit.crate_id, function.key.as_str()));
        crates.display(id, rest)
    };
    let mut chain = Vec::new();
    let mut notes = Vec::new();
    let mut current = callee;
    // The breadth-first search makes the path acyclic; the bound is a guard.
    let root = loop {
        if chain.len() > nodes.len() {
            return None;
        }
        let (unit, function) = summary_of(current);
        let step = |line| ChainStep {
            function: key_of(current),
            path: unit.path.to_string(),
            line,
        };
        match via[current]? {
            Via::Root(root) => {
                chain.push(step(root.line));
                notes.push(format!(
                    "`{}` ({}:{}) calls `{}`",
                    function.name, unit.path, root.line, root.callee
                ));
                break root;
            }
            Via::Call { next, line } => {
                chain.push(step(line));
                notes.push(format!(
                    "`{}` ({}:{line}) calls `{}`",
                    function.name,
                    unit.path,
                    summary_of(next).1.name
                ));
                current = next;
            }
        }
    };
    let rule = rules::find(root.rule)?;
    let (_, called) = summary_of(callee);
    let reaches = if chain.len() == 1 {
        "it calls"
    } else {
        "it ends up calling"
    };
    let site = &units[unit_index];
    Some(Finding {
        rule: rule.id,
        severity: root.severity,
        path: site.path.to_string(),
        span: call.span,
        message: format!(
            "`{}` blocks the executor in {}: {reaches} `{}`",
            called.name, call.context, root.callee
        ),
        help: helper_help(
            &called.name,
            (rule.help)(site.runtime, &root.callee),
            site.runtime,
        ),
        function: call.function.clone(),
        notes,
        labels: Vec::new(),
        confidence: Confidence::Resolved,
        callee: key_of(callee),
        chain,
        fix: None,
    })
}

/// The help of a finding reached through a helper: the call site can
/// offload the helper, or the chain can become async down to its root, where
/// the root rule's own advice applies.
fn helper_help(helper: &str, root_help: String, runtime: AsyncRuntime) -> String {
    let offload = rules::offload_call(runtime);
    format!("call `{helper}` inside `{offload}`, or make the chain async; at its root: {root_help}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Edition, FileContext, analyze_file};
    use crate::catalog::Catalog;

    /// One file of a spec: its path, module path and source.
    type SpecFile<'a> = (&'a str, &'a [&'a str], &'a str);

    /// Analyses the files as one crate `app` and solves the graph; the
    /// findings as `path:line:rule`, sorted.
    fn findings(files: &[SpecFile<'_>]) -> Vec<Finding> {
        let catalog = Catalog::builtin();
        let mut crates = Crates::default();
        let app = crates.add("app", true);
        let summaries: Vec<FileSummary> = files
            .iter()
            .map(|(path, module_path, source)| {
                let module_path: Vec<String> = module_path.iter().map(|s| s.to_string()).collect();
                let ctx = FileContext {
                    rel_path: path,
                    edition: Edition::E2024,
                    runtime: AsyncRuntime::Tokio,
                    tokio_features: &[],
                    include_tests: false,
                    catalog: &catalog,
                    module_path: &module_path,
                    workspace_crates: &[],
                };
                analyze_file(source, &ctx)
                    .expect("spec source parses")
                    .summary
            })
            .collect();
        let units: Vec<Unit<'_>> = files
            .iter()
            .zip(&summaries)
            .map(|((path, _, _), summary)| Unit {
                path,
                crate_id: app,
                runtime: AsyncRuntime::Tokio,
                summary,
            })
            .collect();
        let mut findings: Vec<Finding> = solve(&units, &crates)
            .into_iter()
            .map(|(_, finding)| finding)
            .collect();
        findings.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
        findings
    }

    fn check(files: &[SpecFile<'_>], expected: &[&str]) {
        let found: Vec<String> = findings(files)
            .iter()
            .map(|finding| format!("{}:{}:{}", finding.path, finding.span.line, finding.rule))
            .collect();
        assert_eq!(found, expected);
    }

    fn check_one(source: &str, expected: &[&str]) {
        check(&[("src/lib.rs", &[], source)], expected);
    }

    #[test]
    fn a_helper_that_reads_a_file_is_reported_at_the_async_call() {
        check_one(
            "fn load() -> Vec<u8> { std::fs::read(\"a\").unwrap() }\n\
             async fn run() {\n    load();\n}\n",
            &["src/lib.rs:3:blocking-fs"],
        );
    }

    #[test]
    fn a_chain_three_deep_is_reported_with_every_step() {
        let [finding] = findings(&[(
            "src/lib.rs",
            &[],
            "fn a() { b() }\nfn b() { c() }\nfn c() { std::thread::sleep(d) }\n\
             async fn run() {\n    a();\n}\n",
        )])
        .try_into()
        .expect("one finding");
        assert_eq!(finding.rule, "blocking-sleep");
        assert_eq!(finding.callee, "app::a");
        assert_eq!(
            finding.message,
            "`a` blocks the executor in async function `run`: it ends up calling `std::thread::sleep`"
        );
        let steps: Vec<(String, usize)> = finding
            .chain
            .iter()
            .map(|step| (step.function.clone(), step.line))
            .collect();
        assert_eq!(
            steps,
            [
                ("app::a".to_string(), 1),
                ("app::b".to_string(), 2),
                ("app::c".to_string(), 3)
            ]
        );
        assert_eq!(
            finding.notes,
            [
                "`a` (src/lib.rs:1) calls `b`",
                "`b` (src/lib.rs:2) calls `c`",
                "`c` (src/lib.rs:3) calls `std::thread::sleep`",
            ]
        );
    }

    #[test]
    fn cycles_terminate_and_block_when_any_member_blocks() {
        check_one(
            "fn ping(n: u32) { pong(n) }\n\
             fn pong(n: u32) { if n > 0 { ping(n - 1) } else { std::thread::sleep(d) } }\n\
             fn spin(n: u32) { spin(n) }\n\
             async fn run() {\n    ping(3);\n    spin(1);\n}\n",
            &["src/lib.rs:5:blocking-sleep"],
        );
    }

    #[test]
    fn the_shortest_chain_is_kept() {
        let [finding] = findings(&[(
            "src/lib.rs",
            &[],
            "fn a() { b(); c() }\nfn b() { c() }\nfn c() { std::fs::read(p); }\n\
             async fn run() {\n    a();\n}\n",
        )])
        .try_into()
        .expect("one finding");
        assert_eq!(finding.chain.len(), 2, "{:?}", finding.chain);
    }

    #[test]
    fn offloaded_helpers_are_not_reported() {
        check_one(
            "fn load() { std::fs::read(p); }\n\
             async fn run() {\n\
                 tokio::task::spawn_blocking(load);\n\
                 tokio::task::spawn_blocking(move || load());\n\
                 let work = || load();\n\
                 tokio::task::spawn_blocking(work);\n\
             }\n",
            &[],
        );
    }

    #[test]
    fn a_helper_that_blocks_only_in_its_own_spawn_blocking_does_not_block() {
        check_one(
            "fn start() { tokio::task::spawn_blocking(|| std::fs::read(p)); }\n\
             async fn run() {\n    start();\n}\n",
            &[],
        );
    }

    #[test]
    fn async_helpers_do_not_propagate() {
        check_one(
            "async fn fetch() { std::fs::read(p); }\n\
             fn sync_caller() { let _ = fetch(); }\n\
             async fn run() {\n    fetch().await;\n    sync_caller();\n}\n",
            &[],
        );
    }

    #[test]
    fn an_unknown_receiver_is_no_edge() {
        check_one(
            "struct Disk;\nimpl Disk { fn flush(&self) { std::fs::write(p, b); } }\n\
             async fn run(x: impl Flush) {\n    x.flush();\n}\n",
            &[],
        );
    }

    #[test]
    fn methods_resolve_through_self_self_type_paths_and_fields() {
        check_one(
            "use std::sync::Arc;\n\
             struct Disk;\nimpl Disk { fn flush(&self) { std::fs::write(p, b); } }\n\
             struct Store { disk: Arc<Disk> }\n\
             impl Store {\n\
                 fn save(&self) { self.disk.flush() }\n\
                 async fn run(&self) {\n\
                     self.save();\n\
                     Self::save(self);\n\
                     Store::save(self);\n\
                     self.disk.flush();\n\
                 }\n\
             }\n",
            &[
                "src/lib.rs:8:blocking-fs",
                "src/lib.rs:9:blocking-fs",
                "src/lib.rs:10:blocking-fs",
                "src/lib.rs:11:blocking-fs",
            ],
        );
    }

    #[test]
    fn the_crates_own_lock_method_is_not_a_finding() {
        check_one(
            "struct Db { m: std::sync::Mutex<u32> }\n\
             impl Db { fn lock(&self) -> std::sync::MutexGuard<'_, u32> { self.m.lock().unwrap() } }\n\
             async fn run(db: &Db) {\n    db.lock();\n}\n",
            &[],
        );
    }

    #[test]
    fn helpers_in_other_files_join_through_use_and_super() {
        check(
            &[
                (
                    "src/lib.rs",
                    &[],
                    "mod config;\nuse crate::config::load;\nasync fn run() {\n    load();\n}\n",
                ),
                (
                    "src/config.rs",
                    &["config"],
                    "pub fn load() { super::disk::read_all() }\n",
                ),
                (
                    "src/disk.rs",
                    &["disk"],
                    "pub fn read_all() { std::fs::read(p); }\n",
                ),
            ],
            &["src/lib.rs:4:blocking-fs"],
        );
    }

    /// `Disk` and its blocking method, declared in `src/disk.rs`.
    const DISK: SpecFile<'static> = (
        "src/disk.rs",
        &["disk"],
        "pub struct Disk;\nimpl Disk { pub fn flush(&self) { std::fs::write(p, b); } }\n\
         pub struct Store { pub disk: Disk }\n\
         pub type Shared = std::sync::Arc<Store>;\n\
         pub fn open() -> Store { todo!() }\n\
         impl Store { pub fn disk(&self) -> &Disk { &self.disk } }\n",
    );

    #[test]
    fn receivers_are_typed_by_other_files_fields_aliases_and_return_types() {
        check(
            &[
                (
                    "src/lib.rs",
                    &[],
                    "mod disk;\nuse crate::disk::{open, Shared, Store};\n\
                     impl Store {\n    async fn save(&self) {\n        self.disk.flush();\n    }\n}\n\
                     async fn run(shared: Shared) {\n\
                         shared.disk.flush();\n\
                         open().disk.flush();\n\
                         open().disk().flush();\n\
                     }\n",
                ),
                DISK,
            ],
            &[
                "src/lib.rs:5:blocking-fs",
                "src/lib.rs:9:blocking-fs",
                "src/lib.rs:10:blocking-fs",
                "src/lib.rs:11:blocking-fs",
            ],
        );
    }

    #[test]
    fn an_unknown_field_is_no_edge() {
        check(
            &[
                (
                    "src/lib.rs",
                    &[],
                    "mod disk;\nuse crate::disk::Store;\n\
                     impl Store {\n    async fn save(&self) {\n        self.cache.flush();\n    }\n}\n",
                ),
                DISK,
            ],
            &[],
        );
    }

    #[test]
    fn a_local_function_shadowing_a_blocking_name_is_the_crates() {
        check_one(
            "mod util { pub fn sleep(_: u64) {} }\nuse util::sleep;\n\
             async fn run() {\n    sleep(1);\n}\n",
            &[],
        );
    }
}
