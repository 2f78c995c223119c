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
//! - each rule is solved on its own: a helper that creates a directory and
//!   then makes a `reqwest::blocking` call gives its async callers one
//!   finding per rule, and each finding names the distinct calls of its
//!   rule the helper reaches (the chain shows the nearest; notes the rest);
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

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

mod index;
mod report;

use index::Index;

use crate::analysis::summary::{BlockingCall, CallSite, Callee, FileSummary, Guard, HandedTo};
use crate::finding::{Finding, Span};
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
/// cause (the next function and that call), or the root cause itself.
#[derive(Clone, Copy)]
enum Via<'a> {
    Root(&'a BlockingCall),
    Call { next: usize, span: Span },
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

    // Reverse edges of the sync functions' own sync calls, in a fixed
    // order. A call dispatched over a trait's implementations is an edge
    // only once every implementation blocks (in `propagate`).
    let mut edges = Edges {
        callers: vec![Vec::new(); nodes.len()],
        callees: vec![Vec::new(); nodes.len()],
        dispatched: Vec::new(),
    };
    for caller in 0..nodes.len() {
        if function(caller).is_async {
            continue;
        }
        let calls = function(caller).calls.iter();
        for call in
            calls.filter(|call| !call.in_async && !offloaded(crate_of(caller), &call.guards))
        {
            let definitions = index.definitions(crate_of(caller), &call.callee);
            if matches!(call.callee, Callee::Dispatch { .. }) {
                if !definitions.is_empty() {
                    edges
                        .dispatched
                        .push((caller, call.span, definitions.into_owned()));
                }
                continue;
            }
            for &callee in definitions.iter() {
                edges.callers[callee].push((caller, call.span));
                edges.callees[caller].push(callee);
            }
        }
    }

    // Each function's own root causes, per propagated rule, in a fixed
    // order: every rule a function reaches is a finding of its own.
    let mut roots: BTreeMap<&'static str, Vec<(usize, &BlockingCall)>> = BTreeMap::new();
    for node in 0..nodes.len() {
        let summary = function(node);
        if summary.is_async {
            continue;
        }
        for call in &summary.blocking {
            if !offloaded(crate_of(node), &call.guards) {
                roots.entry(call.rule).or_default().push((node, call));
            }
        }
    }

    // The calls made in async context, with their definitions: each rule's
    // pass asks which of them block by that rule.
    let mut async_calls = Vec::new();
    for (node, &(unit_index, _)) in nodes.iter().enumerate() {
        let calls = function(node).calls.iter();
        for call in calls.filter(|call| call.in_async && !offloaded(crate_of(node), &call.guards)) {
            let definitions = index.definitions(crate_of(node), &call.callee);
            if !definitions.is_empty() {
                async_calls.push((unit_index, call, definitions));
            }
        }
    }

    let mut findings = Vec::new();
    for (rule, rule_roots) in &roots {
        let via = propagate(nodes.len(), rule_roots, &edges);
        let graph = report::Graph {
            units,
            crates,
            nodes,
            via: &via,
            rule,
            roots: rule_roots,
            callees: &edges.callees,
        };
        // Implementations that block, called through their trait from
        // async code while others do not: (implementation, the calls).
        let mut partly: BTreeMap<usize, Vec<(usize, &CallSite, usize)>> = BTreeMap::new();
        for (unit_index, call, definitions) in &async_calls {
            let (callee, every) = if let Callee::Dispatch { .. } = &call.callee {
                match mildest_if_all_block(&via, definitions) {
                    Some(callee) => (callee, Some(definitions.len())),
                    None => {
                        for &blocking in definitions.iter().filter(|&&d| via[d].is_some()) {
                            partly.entry(blocking).or_default().push((
                                *unit_index,
                                call,
                                definitions.len(),
                            ));
                        }
                        continue;
                    }
                }
            } else {
                let Some(&callee) = definitions.iter().find(|&&callee| via[callee].is_some())
                else {
                    continue;
                };
                (callee, None)
            };
            let Some(mut finding) = graph.report(*unit_index, call, callee) else {
                continue;
            };
            if let (Some(count), Callee::Dispatch { method, .. }) = (every, &call.callee) {
                let which = if count == 1 {
                    format!("the only implementation of `{method}` in the workspace blocks")
                } else {
                    format!("all {count} implementations of `{method}` in the workspace block")
                };
                finding.notes.insert(
                    0,
                    format!("called on a value known only by its traits: {which}"),
                );
            }
            findings.push((*unit_index, finding));
        }
        for (implementation, calls) in &partly {
            if let Some(finding) = graph.report_implementation(*implementation, calls) {
                findings.push((nodes[*implementation].0, finding));
            }
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

/// The sync calls between the graph's functions.
struct Edges {
    /// Per function: who calls it, and where.
    callers: Vec<Vec<(usize, Span)>>,
    /// Per function: what it calls (the reverse of `callers`).
    callees: Vec<Vec<usize>>,
    /// Calls over a trait's implementations: (caller, where, definitions).
    dispatched: Vec<(usize, Span, Vec<usize>)>,
}

/// How each function blocks by one rule, given the functions that make a
/// call of that rule themselves: breadth-first from those root causes, so
/// each function is reached once, through one of its shortest paths.
fn propagate<'a>(
    count: usize,
    roots: &[(usize, &'a BlockingCall)],
    edges: &Edges,
) -> Vec<Option<Via<'a>>> {
    let mut via: Vec<Option<Via<'a>>> = vec![None; count];
    for &(node, call) in roots {
        // The most serious call, then the first: a cheap `seek` before a
        // `write_all` does not make the function a note.
        let better = match via[node] {
            Some(Via::Root(kept)) => {
                (call.severity, std::cmp::Reverse(call.span))
                    > (kept.severity, std::cmp::Reverse(kept.span))
            }
            _ => true,
        };
        if better {
            via[node] = Some(Via::Root(call));
        }
    }
    let mut queue: VecDeque<usize> = (0..count).filter(|&node| via[node].is_some()).collect();
    loop {
        while let Some(node) = queue.pop_front() {
            for &(caller, span) in &edges.callers[node] {
                if via[caller].is_none() {
                    via[caller] = Some(Via::Call { next: node, span });
                    queue.push_back(caller);
                }
            }
        }
        // A dispatched call blocks once all its implementations do; that
        // may make more functions block, so repeat until nothing changes
        // (each round marks at least one function: at most one round each).
        for (caller, span, definitions) in &edges.dispatched {
            if via[*caller].is_none()
                && let Some(next) = mildest_if_all_block(&via, definitions)
            {
                via[*caller] = Some(Via::Call { next, span: *span });
                queue.push_back(*caller);
            }
        }
        if queue.is_empty() {
            break;
        }
    }
    via
}

/// When every one of `definitions` blocks: the one whose root cause is
/// the least serious (what a call through the trait blocks on at least).
fn mildest_if_all_block(via: &[Option<Via<'_>>], definitions: &[usize]) -> Option<usize> {
    if definitions.is_empty() || definitions.iter().any(|&d| via[d].is_none()) {
        return None;
    }
    definitions
        .iter()
        .copied()
        .min_by_key(|&definition| root_of(via, definition).map(|root| root.severity))
}

/// The root cause a blocking function's chain ends at.
fn root_of<'a>(via: &[Option<Via<'a>>], mut node: usize) -> Option<&'a BlockingCall> {
    // The breadth-first search makes chains acyclic; the bound is a guard.
    for _ in 0..=via.len() {
        match via[node]? {
            Via::Root(root) => return Some(root),
            Via::Call { next, .. } => node = next,
        }
    }
    None
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
            for &definition in definitions.iter() {
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

#[cfg(test)]
mod tests;
