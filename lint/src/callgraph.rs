//! Blocking reached through the target's own functions: an async fn calls
//! `load_config()`, a sync function of the crate that reads a file two
//! calls down. Each file's walk yields a [`FileSummary`] (its functions,
//! the blocking calls each makes in its own sync code, its calls to paths of
//! the crate); once every file is analysed the driver calls [`solve`],
//! which joins the summaries into one graph over the whole workspace and
//! reports each call, made in async context, of a crate function that
//! blocks.
//!
//! CONTRACT: `solve(units, crates) -> Solution`: the findings through
//! helpers (with their unit index) and the walker's findings an offload
//! wrapper takes off the executor; linear in the summaries' size;
//! deterministic for units given in the same order.
//!
//! Rules:
//! - a sync function blocks if it makes a catalogued call of a propagated
//!   rule (`Rule::propagates`: not the lock rules) in its own sync
//!   code, or calls a crate function that blocks, at any depth; cycles are
//!   fine (a reverse breadth-first search from the root causes visits each
//!   function once and keeps one shortest path to a root cause);
//! - async functions and `poll` methods never block their callers: they
//!   report their own findings;
//! - an edge exists only where the walker resolved the callee to a path
//!   (through `use`, `self`, `Self::`, type paths, known receiver types);
//!   a method of an unknown receiver is no edge, whatever its name;
//! - calls in closures handed to offloading calls are nobody's, and a fn
//!   item passed by name (`spawn_blocking(helper)`) is not a call;
//! - offload wrappers are inferred: a function whose parameter is only ever
//!   handed on bare, to an offloading call or to a wrapper's offloaded
//!   parameter (tokio's `asyncify(f)` is `spawn_blocking(f).await`), is a
//!   wrapper for it (least fixed point: a cycle of forwards offloads
//!   nothing). What the walker saw inside a closure handed to a crate
//!   function (its `Guard`) is dropped when every definition of that
//!   function is a wrapper for that argument: findings, blocking calls and
//!   calls alike.
//!
//! Keys: the walker spells the crate's own items `crate::module::item`; the
//! solver names them by crate (a package's library is one crate, whose
//! name other members use: `util::load` from `app` is `crate::load` in
//! `util`; each binary, example or loose file is a crate of its own). A key
//! defined more than once (`#[cfg]` alternatives) blocks if any definition
//! does.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::analysis::summary::{BlockingCall, Callee, FileSummary, Guard, TyExpr};
use crate::finding::{ChainStep, Confidence, Finding, Span};
use crate::rules;
use crate::vocab::AsyncRuntime;

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

    /// Crate names by id.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Library crate ids by name.
    pub fn libs(&self) -> &HashMap<String, usize> {
        &self.libs
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

/// What the solver decides.
#[derive(Debug, Default)]
pub struct Solution {
    /// The findings through helpers, with the index of the unit whose file
    /// they belong to.
    pub findings: Vec<(usize, Finding)>,
    /// The walker's findings (unit index, rule, span) made in closures an
    /// offload wrapper of the crate runs off the executor: not reported.
    pub offloaded: HashSet<(usize, &'static str, Span)>,
}

/// Solves the graph.
pub fn solve(units: &[Unit<'_>], crates: &Crates) -> Solution {
    let index = Index::new(units, crates);
    let nodes = &index.nodes;
    let function = |node: usize| {
        let (unit, index) = nodes[node];
        &units[unit].summary.functions[index]
    };
    let crate_of = |node: usize| units[nodes[node].0].crate_id;
    let wrappers = offload_wrappers(&index, units);
    // Whether code in closures with these guards runs off the executor.
    let offloaded = |own: usize, guards: &[Guard]| {
        guards.iter().any(|guard| {
            let definitions = index.definitions(own, &guard.callee);
            !definitions.is_empty()
                && definitions
                    .iter()
                    .all(|&definition| wrappers.contains(&(definition, guard.arg)))
        })
    };

    // Reverse edges of the sync functions' own sync calls, in a fixed order.
    let mut callers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); nodes.len()];
    for caller in 0..nodes.len() {
        if function(caller).is_async {
            continue;
        }
        let calls = function(caller).calls.iter();
        for call in
            calls.filter(|call| !call.in_async && !offloaded(crate_of(caller), &call.guards))
        {
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
            && let Some(root) = summary
                .blocking
                .iter()
                .filter(|call| !offloaded(crate_of(node), &call.guards))
                .min_by_key(|call| call.line)
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
        let calls = function(node).calls.iter();
        for call in calls.filter(|call| call.in_async && !offloaded(crate_of(node), &call.guards)) {
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
    let mut dropped = HashSet::new();
    for (unit_index, unit) in units.iter().enumerate() {
        for guarded in &unit.summary.guarded {
            if offloaded(unit.crate_id, &guarded.guards) {
                dropped.insert((unit_index, guarded.rule, guarded.span));
            }
        }
    }
    Solution {
        findings,
        offloaded: dropped,
    }
}

/// The (function, parameter) pairs that run the parameter off the
/// executor: every use hands it, bare, to an offloading call or to a
/// wrapper's offloaded parameter (of every definition of the callee).
/// Counting down each pair's unresolved uses from the direct offloads
/// yields the least fixed point: forwards in a cycle offload nothing.
fn offload_wrappers(index: &Index<'_>, units: &[Unit<'_>]) -> HashSet<(usize, usize)> {
    // Per (function, parameter): uses not yet known to offload.
    let mut pending: HashMap<(usize, usize), usize> = HashMap::new();
    // Per (callee definition, argument): the pairs forwarding to it.
    let mut forwarders: HashMap<(usize, usize), Vec<(usize, usize)>> = HashMap::new();
    for (node, &(unit, function)) in index.nodes.iter().enumerate() {
        let own = units[unit].crate_id;
        for forwarded in &units[unit].summary.functions[function].forwarded {
            let pair = (node, forwarded.param);
            let count = pending.entry(pair).or_default();
            let Some((callee, arg)) = &forwarded.to else {
                continue;
            };
            let definitions = index.definitions(own, callee);
            // A callee outside the graph never offloads.
            *count += definitions.len().max(1);
            for &definition in definitions {
                forwarders.entry((definition, *arg)).or_default().push(pair);
            }
        }
    }
    let mut queue: VecDeque<(usize, usize)> = pending
        .iter()
        .filter(|&(_, &count)| count == 0)
        .map(|(&pair, _)| pair)
        .collect();
    let mut wrappers = HashSet::new();
    while let Some(pair) = queue.pop_front() {
        wrappers.insert(pair);
        for &forwarder in forwarders.get(&pair).map_or(&[][..], Vec::as_slice) {
            if let Some(count) = pending.get_mut(&forwarder) {
                *count -= 1;
                if *count == 0 {
                    queue.push_back(forwarder);
                }
            }
        }
    }
    wrappers
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
    use crate::analysis::{FileContext, analyze_file};
    use crate::catalog::Catalog;

    /// One file of a spec: its path, module path and source.
    type SpecFile<'a> = (&'a str, &'a [&'a str], &'a str);

    /// Analyses the files as one crate `app` and solves the graph; the
    /// graph's findings, sorted.
    fn findings(files: &[SpecFile<'_>]) -> Vec<Finding> {
        pipeline(files).1
    }

    /// The walker's findings (what the solution does not take off the
    /// executor) and the graph's, each sorted: what the driver reports.
    fn pipeline(files: &[SpecFile<'_>]) -> (Vec<Finding>, Vec<Finding>) {
        let catalog = Catalog::builtin();
        let mut crates = Crates::default();
        let app = crates.add("app", true);
        let analyses: Vec<crate::analysis::FileAnalysis> = files
            .iter()
            .map(|(path, module_path, source)| {
                let module_path: Vec<String> = module_path.iter().map(|s| s.to_string()).collect();
                let ctx = FileContext {
                    rel_path: path,
                    module_path: &module_path,
                    ..FileContext::spec(&catalog)
                };
                analyze_file(source, &ctx).expect("spec source parses")
            })
            .collect();
        let summaries: Vec<FileSummary> = analyses
            .iter()
            .map(|analysis| analysis.summary.clone())
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
        let solution = solve(&units, &crates);
        let mut walked: Vec<Finding> = analyses
            .into_iter()
            .enumerate()
            .flat_map(|(index, analysis)| {
                let offloaded = &solution.offloaded;
                analysis.findings.into_iter().filter(move |finding| {
                    !offloaded.contains(&(index, finding.rule, finding.span))
                })
            })
            .collect();
        let mut graph: Vec<Finding> = solution
            .findings
            .into_iter()
            .map(|(_, finding)| finding)
            .collect();
        for findings in [&mut walked, &mut graph] {
            findings.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
        }
        (walked, graph)
    }

    /// Asserts every reported finding, the walker's and the graph's, as
    /// `path:line:rule` sorted by position.
    fn check_reported(source: &str, expected: &[&str]) {
        let (walked, graph) = pipeline(&[("src/lib.rs", &[], source)]);
        let mut found: Vec<&Finding> = walked.iter().chain(&graph).collect();
        found.sort_by(|a, b| (&a.path, a.span).cmp(&(&b.path, b.span)));
        let found: Vec<String> = found
            .iter()
            .map(|finding| format!("{}:{}:{}", finding.path, finding.span.line, finding.rule))
            .collect();
        assert_eq!(found, expected, "\nsource:\n{source}");
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
         pub fn open() -> Store { Store { disk: Disk } }\n\
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

    // Offload wrappers, inferred.

    /// tokio's `asyncify` (src/fs/mod.rs): every `tokio::fs` function hands
    /// its `std::fs` call to it in a closure.
    const ASYNCIFY: &str = "use std::io;\n\
        async fn asyncify<F, T>(f: F) -> io::Result<T>\n\
        where\n    F: FnOnce() -> io::Result<T> + Send + 'static,\n    T: Send + 'static,\n\
        {\n    match tokio::task::spawn_blocking(f).await {\n        Ok(res) => res,\n        \
        Err(_) => Err(io::Error::other(\"background task failed\")),\n    }\n}\n";

    #[test]
    fn a_closure_handed_to_an_asyncify_wrapper_runs_off_the_executor() {
        check_reported(
            &format!(
                "{ASYNCIFY}\
                 pub async fn read(path: String) -> io::Result<Vec<u8>> {{\n\
                 \x20   asyncify(move || std::fs::read(path)).await\n}}\n\
                 fn load() -> io::Result<Vec<u8>> {{ std::fs::read(\"a\") }}\n\
                 pub async fn load_async() -> io::Result<Vec<u8>> {{\n\
                 \x20   asyncify(move || load()).await\n}}\n"
            ),
            &[],
        );
    }

    #[test]
    fn a_wrapper_of_a_wrapper_offloads_through_paths_and_methods() {
        check_reported(
            "fn offload<F: FnOnce() + Send + 'static>(f: F) { tokio::task::spawn_blocking(f); }\n\
             fn outer<F: FnOnce() + Send + 'static>(f: F) { offload(f) }\n\
             struct Pool;\n\
             impl Pool { fn run<F: FnOnce() + Send + 'static>(&self, f: F) { outer(f) } }\n\
             async fn go(pool: &Pool) {\n\
                 outer(|| std::thread::sleep(d));\n\
                 pool.run(move || { std::fs::read(p); });\n\
                 Pool::run(pool, move || { std::fs::read(p); });\n\
             }\n",
            &[],
        );
    }

    #[test]
    fn a_method_on_a_receiver_typed_by_another_file_offloads_too() {
        let (walked, graph) = pipeline(&[
            (
                "src/lib.rs",
                &[],
                "mod pool;\n\
                 impl pool::Server {\n\
                 \x20   async fn handle(&self) {\n\
                 \x20       self.pool.run(move || { std::fs::read(p); });\n\
                 \x20       self.pool.run_here(move || { std::fs::read(p); });\n\
                 \x20   }\n}\n",
            ),
            (
                "src/pool.rs",
                &["pool"],
                "pub struct Server { pub pool: Pool }\npub struct Pool;\n\
                 impl Pool {\n\
                 \x20   pub fn run<F: FnOnce() + Send + 'static>(&self, f: F) { tokio::task::spawn_blocking(f); }\n\
                 \x20   pub fn run_here<F: FnOnce()>(&self, f: F) { f() }\n}\n",
            ),
        ]);
        let lines: Vec<usize> = walked.iter().map(|finding| finding.span.line).collect();
        assert_eq!(lines, [5], "{walked:#?}");
        assert!(graph.is_empty(), "{graph:#?}");
    }

    #[test]
    fn a_function_that_calls_its_closure_runs_it_on_the_executor() {
        check_reported(
            "fn run<F: FnOnce()>(f: F) { f() }\n\
             fn either<F: FnOnce() + Send + 'static>(f: F, inline: bool) {\n\
                 if inline { f() } else { tokio::task::spawn_blocking(f); }\n\
             }\n\
             async fn go() {\n\
                 run(|| std::thread::sleep(d));\n\
                 either(|| std::thread::sleep(d), false);\n\
             }\n",
            &["src/lib.rs:6:blocking-sleep", "src/lib.rs:7:blocking-sleep"],
        );
    }

    #[test]
    fn a_wrapper_offloads_only_the_parameter_it_hands_on() {
        check_reported(
            "fn second<F: FnOnce(), G: FnOnce() + Send + 'static>(first: F, second: G) {\n\
                 first();\n    tokio::task::spawn_blocking(second);\n}\n\
             async fn go() {\n\
                 second(\n\
                     || std::thread::sleep(d),\n\
                     || std::thread::sleep(d),\n\
                 );\n\
             }\n",
            &["src/lib.rs:7:blocking-sleep"],
        );
    }

    #[test]
    fn forwards_in_a_cycle_and_shadowed_parameters_offload_nothing() {
        check_reported(
            "fn ping<F: FnOnce()>(f: F) { pong(f) }\n\
             fn pong<F: FnOnce()>(f: F) { ping(f) }\n\
             fn shadowed<F: FnOnce() + Send + 'static>(f: F) {\n\
                 let f = move || f();\n    tokio::task::spawn_blocking(f);\n}\n\
             async fn go() {\n\
                 ping(|| std::thread::sleep(d));\n\
                 shadowed(|| std::thread::sleep(d));\n\
             }\n",
            &["src/lib.rs:8:blocking-sleep", "src/lib.rs:9:blocking-sleep"],
        );
    }

    #[test]
    fn a_sync_helper_that_offloads_through_a_wrapper_does_not_block() {
        check_reported(
            "fn offload<F: FnOnce() + Send + 'static>(f: F) { std::thread::spawn(f); }\n\
             fn run<F: FnOnce()>(f: F) { f() }\n\
             fn save_later() { offload(|| { std::fs::write(p, b); }) }\n\
             fn save_now() { run(|| { std::fs::write(p, b); }) }\n\
             async fn go() {\n    save_later();\n    save_now();\n}\n",
            &["src/lib.rs:7:blocking-fs"],
        );
    }

    #[test]
    fn an_async_block_made_in_a_wrapped_closure_runs_on_the_executor() {
        check_reported(
            "fn offload<F: FnOnce() -> R + Send + 'static, R: Send + 'static>(f: F) {\n\
             \x20   tokio::task::spawn_blocking(f);\n}\n\
             async fn go() {\n\
             \x20   offload(|| async { std::thread::sleep(d) });\n\
             \x20   offload(|| std::thread::sleep(d));\n}\n",
            &["src/lib.rs:5:blocking-sleep"],
        );
    }
}
