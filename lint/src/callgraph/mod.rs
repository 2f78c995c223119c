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
//!   function once and keeps one shortest path to a root cause, its most
//!   serious own blocking call, the first of those);
//! - async functions and `poll` methods never block their callers: they
//!   report their own findings;
//! - an edge exists only where the walker resolved the callee to a path
//!   (through `use`, `self`, `Self::`, type paths, known receiver types);
//!   a method of an unknown receiver is no edge, whatever its name;
//! - calls in closures handed to offloading calls are nobody's, and a fn
//!   item passed by name (`spawn_blocking(helper)`) is not a call;
//! - offload wrappers are inferred: a function whose parameter is only ever
//!   handed on bare, to an offloading call, to a struct field (stored, to
//!   be run by whoever calls it later: `Self(Arc::new(f))`), or to a
//!   wrapper's offloaded parameter (tokio's `asyncify(f)` is
//!   `spawn_blocking(f).await`), is a wrapper for it: the parameter never
//!   runs on its caller's thread during the call (least fixed point: a
//!   cycle of forwards offloads nothing). What the walker saw inside a closure handed to a crate
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

use crate::analysis::summary::{BlockingCall, Callee, FileSummary, Guard, HandedTo, TyExpr};
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
                // The most serious call, then the first: a cheap `seek`
                // before a `write_all` does not make the function a note.
                .max_by_key(|call| (call.severity, std::cmp::Reverse(call.line)))
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
            let HandedTo::Arg(callee, arg) = &forwarded.to else {
                // Offloaded or stored: it does not run on the caller's thread.
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
mod tests;
