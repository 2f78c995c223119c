//! The findings the solver reports: an async call of a blocking helper, and
//! a blocking implementation that async code may reach through its trait.

use super::{Crates, Node, Unit, Via};
use crate::analysis::summary::{BlockingCall, CallSite, DropKind, Dropped, FunctionSummary};
use crate::finding::{ChainStep, Confidence, Finding, Severity};
use crate::rules;
use crate::vocab::AsyncRuntime;

/// How many generic callers an implementation's finding lists by name.
const MAX_LISTED_CALLERS: usize = 3;

/// How many distinct root causes a finding's message names.
const MAX_NAMED_ROOTS: usize = 3;

/// How many root causes besides the chain's get a note of their own.
const MAX_ROOT_NOTES: usize = 5;

/// How many blocking functions are searched for a finding's other root
/// causes: a bound on the cost per finding in a large graph, where the
/// message then names the roots found so far.
const MAX_ROOT_SEARCH: usize = 256;

/// The graph solved for one rule, as findings read it.
pub(super) struct Graph<'g, 'a> {
    pub units: &'g [Unit<'a>],
    pub crates: &'g Crates,
    pub nodes: &'g [Node],
    pub via: &'g [Option<Via<'a>>],
    pub rule: &'static str,
    /// The functions' own calls of the rule, ordered by function.
    pub roots: &'g [(usize, &'a BlockingCall)],
    /// Per function: the functions it calls in its sync code.
    pub callees: &'g [Vec<usize>],
}

/// A root cause other than the chain's, for the notes.
struct OtherRoot<'a> {
    call: &'a BlockingCall,
    /// The function that makes the call.
    node: usize,
}

/// A blocking function's path to its root cause, as findings show it.
struct Chain<'a> {
    steps: Vec<ChainStep>,
    notes: Vec<String>,
    root: &'a BlockingCall,
}

impl<'a> Graph<'_, 'a> {
    fn summary_of(&self, node: usize) -> (&Unit<'a>, &FunctionSummary) {
        let (unit, index) = self.nodes[node];
        (
            &self.units[unit],
            &self.units[unit].summary.functions[index],
        )
    }

    /// The function's path as findings name it: `app::store::Store::load`.
    fn key_of(&self, node: usize) -> String {
        let (unit, function) = self.summary_of(node);
        let (id, rest) = self
            .crates
            .locate(unit.crate_id, &function.key)
            .unwrap_or((unit.crate_id, function.key.as_str()));
        self.crates.display(id, rest)
    }

    /// From `start` down to its root cause, one step per function.
    fn chain(&self, start: usize) -> Option<Chain<'a>> {
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        let mut current = start;
        // The breadth-first search makes the path acyclic; the bound is a guard.
        loop {
            if steps.len() > self.nodes.len() {
                return None;
            }
            let (unit, function) = self.summary_of(current);
            let step = |line| ChainStep {
                function: self.key_of(current),
                path: unit.path.to_string(),
                line,
            };
            match self.via[current]? {
                Via::Root(root) => {
                    steps.push(step(root.span.line));
                    notes.push(format!(
                        "`{}` ({}:{}) calls `{}`",
                        function.name, unit.path, root.span.line, root.callee
                    ));
                    return Some(Chain { steps, notes, root });
                }
                Via::Call { next, span } => {
                    steps.push(step(span.line));
                    notes.push(format!(
                        "`{}` ({}:{}) calls `{}`",
                        function.name,
                        unit.path,
                        span.line,
                        self.summary_of(next).1.name
                    ));
                    current = next;
                }
            }
        }
    }

    /// The distinct calls of the rule that `start` reaches besides its
    /// chain's root, nearest first: every blocking function it calls
    /// is searched, not only the one on its shortest path.
    fn other_roots(&self, start: usize, chain_root: &BlockingCall) -> Vec<OtherRoot<'a>> {
        let mut seen_callees: Vec<&str> = vec![&chain_root.callee];
        let mut others = Vec::new();
        let mut visited = vec![start];
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            let first = self.roots.partition_point(|&(owner, _)| owner < node);
            for &(_, call) in self.roots[first..]
                .iter()
                .take_while(|&&(owner, _)| owner == node)
            {
                if !seen_callees.contains(&call.callee.as_str()) {
                    seen_callees.push(&call.callee);
                    others.push(OtherRoot { call, node });
                }
            }
            let through_dispatch = match self.via[node] {
                Some(Via::Call { next, .. }) => Some(next),
                _ => None,
            };
            let next_nodes = self.callees[node].iter().copied().chain(through_dispatch);
            for next in next_nodes {
                if self.via[next].is_some()
                    && !visited.contains(&next)
                    && visited.len() < MAX_ROOT_SEARCH
                {
                    visited.push(next);
                    queue.push_back(next);
                }
            }
        }
        others
    }

    /// "`std::fs::read`", or "`a` and `b`", or "`a`, `b`, `c` and 2 more".
    fn name_roots(root: &BlockingCall, others: &[OtherRoot<'_>]) -> String {
        let mut names: Vec<String> = std::iter::once(&root.callee)
            .chain(others.iter().map(|other| &other.call.callee))
            .take(MAX_NAMED_ROOTS)
            .map(|callee| format!("`{callee}`"))
            .collect();
        let more = others.len() + 1 - names.len();
        if more > 0 {
            return format!("{} and {more} more", names.join(", "));
        }
        let last = names.pop().unwrap_or_default();
        if names.is_empty() {
            last
        } else {
            format!("{} and {last}", names.join(", "))
        }
    }

    /// A note per other root cause: where it is called.
    fn other_root_notes(&self, others: &[OtherRoot<'_>]) -> Vec<String> {
        let mut notes: Vec<String> = others
            .iter()
            .take(MAX_ROOT_NOTES)
            .map(|other| {
                let (unit, function) = self.summary_of(other.node);
                format!(
                    "it also reaches `{}`: `{}` ({}:{}) calls it",
                    other.call.callee, function.name, unit.path, other.call.span.line
                )
            })
            .collect();
        if others.len() > MAX_ROOT_NOTES {
            notes.push(format!(
                "and {} more calls of this rule",
                others.len() - MAX_ROOT_NOTES
            ));
        }
        notes
    }

    /// The finding for an async call of the blocking function `callee`.
    pub fn report(&self, unit_index: usize, call: &CallSite, callee: usize) -> Option<Finding> {
        let Chain {
            steps,
            mut notes,
            root,
        } = self.chain(callee)?;
        let rule = rules::find(self.rule)?;
        let (_, called) = self.summary_of(callee);
        let others = self.other_roots(callee, root);
        let direct = steps.len() == 1 && others.iter().all(|other| other.node == callee);
        let reaches = if direct {
            "it calls"
        } else {
            "it ends up calling"
        };
        notes.extend(self.other_root_notes(&others));
        let site = &self.units[unit_index];
        let roots = Self::name_roots(root, &others);
        let mut finding = Finding {
            rule: rule.id,
            severity: root.severity,
            path: site.path.to_string(),
            span: call.span,
            message: format!(
                "`{}` blocks the executor in {}: {reaches} {roots}",
                called.name, call.context,
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
            callee: self.key_of(callee),
            chain: steps,
            fix: None,
        };
        if let Some(dropped) = &call.dropped {
            let (unit, _) = self.summary_of(callee);
            let reaches = if direct { "calls" } else { "ends up calling" };
            let impl_at = format!("{}:{}", unit.path, finding.chain[0].line);
            let doing = format!("its `Drop` impl {reaches} {roots}");
            let offload = rules::offload_call(site.runtime);
            describe_drop(&mut finding, dropped, &impl_at, &call.context, &doing);
            finding.help = format!(
                "drop the value inside `{offload}` (move it into the closure), or give the type an async close method that async code calls before dropping it"
            );
        }
        Some(finding)
    }

    /// A blocking implementation that async code calls through its trait,
    /// while other implementations do not block: reported where it blocks
    /// (its first step), with the generic calls as notes. Which
    /// implementation a generic call reaches is not known here, so it is
    /// `inferred` and a warning at most.
    pub fn report_implementation(
        &self,
        implementation: usize,
        calls: &[(usize, &CallSite, usize)],
    ) -> Option<Finding> {
        let Chain {
            steps,
            notes: chain_notes,
            root,
        } = self.chain(implementation)?;
        let rule = rules::find(self.rule)?;
        let (unit, function) = self.summary_of(implementation);
        let others = self.other_roots(implementation, root);
        let span = match self.via[implementation]? {
            Via::Root(root) => root.span,
            Via::Call { span, .. } => span,
        };
        let mut notes: Vec<String> = calls
            .iter()
            .take(MAX_LISTED_CALLERS)
            .map(|&(caller_unit, call, implementations)| {
                format!(
                    "{} ({}:{}) calls it through a value known only by its traits, which may be any of {implementations} implementations in the workspace",
                    call.function
                        .as_deref()
                        .map_or_else(|| call.context.clone(), |name| format!("`{name}`")),
                    self.units[caller_unit].path,
                    call.span.line,
                )
            })
            .collect();
        if calls.len() > MAX_LISTED_CALLERS {
            notes.push(format!(
                "and {} more such calls",
                calls.len() - MAX_LISTED_CALLERS
            ));
        }
        notes.extend(chain_notes);
        notes.extend(self.other_root_notes(&others));
        let severity = root.severity.min(Severity::Warning);
        if severity < root.severity {
            notes.push(
                "a warning, not an error: whether async code reaches this implementation is not known"
                    .to_string(),
            );
        }
        let direct = steps.len() == 1 && others.iter().all(|other| other.node == implementation);
        let reaches = if direct {
            "it calls"
        } else {
            "it ends up calling"
        };
        let offload = rules::offload_call(unit.runtime);
        Some(Finding {
            rule: rule.id,
            severity,
            path: unit.path.to_string(),
            span,
            message: format!(
                "`{}` blocks the executor when async code calls it through its trait: {reaches} {}",
                function.name,
                Self::name_roots(root, &others)
            ),
            help: format!(
                "if async code uses this implementation, call it inside `{offload}` there, or make it async; at its root: {}",
                (rule.help)(unit.runtime, &root.callee)
            ),
            function: Some(function.name.clone()),
            notes,
            labels: Vec::new(),
            confidence: Confidence::Inferred,
            callee: root.callee.clone(),
            chain: steps,
            fix: None,
        })
    }
}

/// The help of a finding reached through a helper: the call site can
/// offload the helper, or the chain can become async down to its root, where
/// the root rule's own advice applies.
fn helper_help(helper: &str, root_help: String, runtime: AsyncRuntime) -> String {
    let offload = rules::offload_call(runtime);
    format!("call `{helper}` inside `{offload}`, or make the chain async; at its root: {root_help}")
}

/// Turns a finding at a call of `Type::drop` into one at a drop: what is
/// dropped and how, and where the `Drop` impl is (`impl_at`).
fn describe_drop(
    finding: &mut Finding,
    dropped: &Dropped,
    impl_at: &str,
    context: &str,
    doing: &str,
) {
    let ty = &dropped.ty;
    let mut notes = vec![format!(
        "`{ty}` implements `Drop` ({impl_at}); its `drop` runs where a `{ty}` is dropped"
    )];
    let dropping = match &dropped.how {
        DropKind::Explicit => format!("dropping a `{ty}`"),
        DropKind::Discarded => {
            notes.push("`let _ =` drops the value at once".to_string());
            format!("dropping a `{ty}` with `let _ =`")
        }
        DropKind::ScopeEnd { binding } => {
            notes.push(format!(
                "`{binding}` goes out of scope here; a method taking `self` may have consumed it earlier, so this is a warning at most"
            ));
            finding.confidence = Confidence::Inferred;
            finding.severity = finding.severity.min(Severity::Warning);
            format!("dropping `{binding}` (a `{ty}`) at the end of its scope")
        }
    };
    finding.message = format!("{dropping} blocks the executor in {context}: {doing}");
    notes.append(&mut finding.notes);
    finding.notes = notes;
}
