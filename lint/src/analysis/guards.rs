//! Drop scopes of lock guards, for `lock-held-across-await`: which guards
//! are alive at an `.await` of the same body.
//!
//! The walker reports events in evaluation order (a guard-returning call, a
//! `let` binding it, a move of a name, an `.await`, the end of a statement,
//! of a block, of a body) and this tracker applies Rust's rules:
//! - a guard bound by `let name = ..` lives to the end of its block unless
//!   the name is moved (`drop(name)`, passed by value, returned, put into a
//!   struct, tuple, array or `vec!` literal, captured by a `move` closure or
//!   `async move` block); a later `let` of the same name shadows it without
//!   dropping it. `let other = name;` and `let other = S { name }` (or a
//!   `move` closure/`async move` block bound by `let`) move it into `other`,
//!   which holds it as long as it lives: a guard inside a struct or a future
//!   is still locked;
//! - an unbound guard is a temporary: it dies with its temporary scope (the
//!   statement, an `if`/`while` condition, a match guard), so a `match`
//!   scrutinee lives through the arms and an `if let` scrutinee through its
//!   body (and its `else` before edition 2024);
//! - nothing outlives its body: an `async` block or closure is a body of
//!   its own, whose awaits do not hold the enclosing body's guards;
//! - a move on some paths only is no move: after an `if`/`match` whose
//!   arms do not all move a guard (arms that diverge with `return`,
//!   `continue`, `break` or `panic!` do not count), the guard may still be
//!   alive, and Rust's drop flag keeps it until its scope ends. That is what
//!   the compiler's coroutine witness (and clippy's `await_holding_lock`)
//!   sees, so a later `.await` holds it. Inside the arm that moved it, it is
//!   dead.
//!
//! A guard that dies after an `.await` was seen while it was alive is
//! `Held`; the walker turns it into a finding (one per lock call).

use super::summary::ModelQuery;
use crate::finding::{Confidence, Span};

/// A guard-returning call, as the finding will describe it.
#[derive(Clone, Debug)]
pub struct Lock {
    pub span: Span,
    pub callee: String,
    pub confidence: Confidence,
    /// The async context, described for the message.
    pub context: String,
    pub function: Option<String>,
    /// A lock-shaped call only the model can type: asked about instead of
    /// reported when it is held (see `crate::model::queries`).
    pub question: Option<Box<ModelQuery>>,
}

/// A guard that was alive at an `.await`.
#[derive(Clone, Debug)]
pub struct Held {
    pub lock: Lock,
    /// The first `.await` it spans.
    pub await_span: Span,
}

/// Identifies the call that produced a guard (its address in the tree).
pub type CallId = *const syn::ExprMethodCall;

struct Guard {
    lock: Lock,
    call: CallId,
    /// In creation order; `drop_temporaries_since` compares against it.
    serial: usize,
    /// The temporary scope an unbound guard dies with.
    temp_scope: usize,
    /// `let name = ..`: the block depth it lives to, and its name while it
    /// can still be named (`None` once shadowed).
    binding: Option<(Option<String>, usize)>,
    first_await: Option<Span>,
    /// Moved in the arm being walked of an open `if`/`match` it is older
    /// than: dead in that arm, alive again after it (see `end_arm`).
    suspended: bool,
}

/// The guards of one body, and its open `if`/`match` branchings.
#[derive(Default)]
struct Body {
    guards: Vec<Guard>,
    branchings: Vec<Branching>,
}

/// An `if`/`match` being walked.
struct Branching {
    /// Guards with a smaller serial are older than it: a move inside one
    /// arm only suspends them.
    start_serial: usize,
    /// Serials of older guards moved in the arm being walked.
    moved_in_arm: Vec<usize>,
    /// Older guards moved in every arm that falls through so far; `None`
    /// until one such arm has ended.
    moved_in_all: Option<Vec<usize>>,
}

#[derive(Default)]
pub struct GuardTracker {
    /// The live guards of each body being walked, innermost last.
    bodies: Vec<Body>,
    /// Open temporary scopes, innermost last.
    temp_scopes: Vec<usize>,
    next_temp_scope: usize,
    next_serial: usize,
    held: Vec<Held>,
}

impl GuardTracker {
    pub fn enter_body(&mut self) {
        self.bodies.push(Body::default());
    }

    pub fn leave_body(&mut self) {
        if let Some(body) = self.bodies.pop() {
            for guard in body.guards {
                self.die(guard);
            }
        }
    }

    pub fn open_temp_scope(&mut self) -> usize {
        let id = self.next_temp_scope;
        self.next_temp_scope += 1;
        self.temp_scopes.push(id);
        id
    }

    /// Ends a temporary scope: its unbound guards die.
    pub fn close_temp_scope(&mut self, id: usize) {
        if let Some(position) = self.temp_scopes.iter().rposition(|&open| open == id) {
            self.temp_scopes.truncate(position);
        }
        self.kill_where(|guard| guard.binding.is_none() && guard.temp_scope == id);
    }

    /// A guard-returning call was evaluated.
    pub fn lock(&mut self, call: CallId, lock: Lock) {
        let temp_scope = self.temp_scopes.last().copied().unwrap_or(usize::MAX);
        let serial = self.next_serial;
        self.next_serial += 1;
        if let Some(body) = self.bodies.last_mut() {
            body.guards.push(Guard {
                lock,
                call,
                serial,
                temp_scope,
                binding: None,
                first_await: None,
                suspended: false,
            });
        }
    }

    /// `let name = <call>;` where the call is known by its return type to
    /// produce a guard (a crate's own `fn state(&self) -> MutexGuard<..>`).
    pub fn lock_bound(&mut self, lock: Lock, name: String, depth: usize) {
        let serial = self.next_serial;
        self.next_serial += 1;
        if let Some(body) = self.bodies.last_mut() {
            body.guards.push(Guard {
                lock,
                call: std::ptr::null(),
                serial,
                temp_scope: usize::MAX,
                binding: Some((Some(name), depth)),
                first_await: None,
                suspended: false,
            });
        }
    }

    /// A marker for `drop_temporaries_since`.
    pub fn mark(&self) -> usize {
        self.next_serial
    }

    /// Unbound guards created since `mark` die (an `if let` scrutinee's
    /// temporaries before the `else` branch, edition 2024).
    pub fn drop_temporaries_since(&mut self, mark: usize) {
        self.kill_where(|guard| guard.binding.is_none() && guard.serial >= mark);
    }

    /// `let name = <call>..;`: the guard of `call` lives to the end of the
    /// block at `depth`.
    /// Returns whether `call` produced a tracked guard.
    pub fn bind(&mut self, call: CallId, name: String, depth: usize) -> bool {
        match self.current_mut().find(|guard| guard.call == call) {
            Some(guard) => {
                guard.binding = Some((Some(name), depth));
                true
            }
            None => false,
        }
    }

    /// A new binding of `name`: an older guard of that name is still alive
    /// but can no longer be moved by name.
    pub fn shadow(&mut self, name: &str) {
        for guard in self.current_mut() {
            if let Some((bound, _)) = &mut guard.binding
                && bound.as_deref() == Some(name)
            {
                *bound = None;
            }
        }
    }

    /// `let to = from;`: the guard named `from` (if any) now lives as `to`
    /// to the end of the block at `depth`; older guards named `to` are
    /// shadowed.
    pub fn rename(&mut self, from: &str, to: String, depth: usize) {
        self.transfer(&[from], to, depth);
    }

    /// `let to = S { a, b }` (or a tuple, array, `vec!`, `move` closure or
    /// `async move` block taking them): the guards named in `from` now live
    /// inside `to`, to the end of the block at `depth`; older guards named
    /// `to` are shadowed. A guard older than the `if`/`match` arm being
    /// walked is moved in that arm only: it is suspended there, and a copy
    /// named `to` lives in the arm.
    pub fn transfer(&mut self, from: &[&str], to: String, depth: usize) {
        let moved: Vec<usize> = self
            .current_mut()
            .filter(|guard| from.iter().any(|name| is_named(guard, name)))
            .map(|guard| guard.serial)
            .collect();
        for guard in self.current_mut() {
            if !moved.contains(&guard.serial) && is_named(guard, &to) {
                guard.binding = guard.binding.take().map(|(_, at)| (None, at));
            }
        }
        for serial in moved {
            if self.suspend_in_arm(serial) {
                let Some(original) = self.find(serial) else {
                    continue;
                };
                let copy = Guard {
                    lock: original.lock.clone(),
                    call: std::ptr::null(),
                    serial: self.next_serial,
                    temp_scope: usize::MAX,
                    binding: Some((Some(to.clone()), depth)),
                    first_await: original.first_await,
                    suspended: false,
                };
                self.next_serial += 1;
                if let Some(body) = self.bodies.last_mut() {
                    body.guards.push(copy);
                }
            } else if let Some(guard) = self
                .bodies
                .last_mut()
                .and_then(|body| body.guards.iter_mut().find(|guard| guard.serial == serial))
            {
                guard.binding = Some((Some(to.clone()), depth));
            }
        }
    }

    /// `name` was moved (`drop(name)`, passed by value, returned, put into
    /// a struct or a `move` closure): its guard dies now, or, when it is
    /// older than the `if`/`match` arm being walked, is dead in that arm.
    pub fn moved(&mut self, name: &str) {
        let moved: Vec<usize> = self
            .current_mut()
            .filter(|guard| is_named(guard, name))
            .map(|guard| guard.serial)
            .collect();
        for serial in moved {
            self.move_serial(serial);
        }
    }

    /// The names of the guards the current body can still move.
    pub fn live_names(&self) -> Vec<&str> {
        self.bodies
            .last()
            .into_iter()
            .flat_map(|body| &body.guards)
            .filter(|guard| !guard.suspended)
            .filter_map(|guard| guard.binding.as_ref()?.0.as_deref())
            .collect()
    }

    /// An `if`/`match` starts (after its condition or scrutinee).
    pub fn open_branching(&mut self) {
        let start_serial = self.next_serial;
        if let Some(body) = self.bodies.last_mut() {
            body.branchings.push(Branching {
                start_serial,
                moved_in_arm: Vec::new(),
                moved_in_all: None,
            });
        }
    }

    /// An arm of the innermost `if`/`match` ends: the older guards it moved
    /// are alive again for what follows; `diverges` (it ends in `return`,
    /// `continue`, `panic!`..) means no path leaves it to the code after
    /// the `if`/`match`.
    pub fn end_arm(&mut self, diverges: bool) {
        let Some(body) = self.bodies.last_mut() else {
            return;
        };
        let Some(branching) = body.branchings.last_mut() else {
            return;
        };
        let moved = std::mem::take(&mut branching.moved_in_arm);
        if !diverges {
            branching.moved_in_all = Some(match branching.moved_in_all.take() {
                None => moved.clone(),
                Some(all) => all.into_iter().filter(|s| moved.contains(s)).collect(),
            });
        }
        for guard in &mut body.guards {
            if moved.contains(&guard.serial) {
                guard.suspended = false;
            }
        }
    }

    /// The innermost `if`/`match` ends. A guard moved in every arm that
    /// falls through is moved; one moved on some paths only stays alive.
    /// `exhaustive` is false for an `if` without `else` (and a `let .. else`):
    /// the path that skips the arms moves nothing.
    pub fn close_branching(&mut self, exhaustive: bool) {
        let Some(branching) = self
            .bodies
            .last_mut()
            .and_then(|body| body.branchings.pop())
        else {
            return;
        };
        // Every arm diverging leaves the code after unreachable: nothing to
        // decide there.
        let moved = match branching.moved_in_all {
            Some(moved) if exhaustive => moved,
            _ => Vec::new(),
        };
        for serial in moved {
            self.move_serial(serial);
        }
    }

    /// The end of the block at `depth`: the guards bound in it die.
    pub fn end_block(&mut self, depth: usize) {
        self.kill_where(|guard| guard.binding.as_ref().is_some_and(|(_, at)| *at >= depth));
    }

    /// An `.await` of the current body: every live guard spans it.
    pub fn await_point(&mut self, span: Span) {
        for guard in self.current_mut() {
            guard.first_await.get_or_insert(span);
        }
    }

    /// The guards held across an `.await`, one per lock call (a guard
    /// moved into another name in one arm is tracked twice).
    pub fn finish(self) -> Vec<Held> {
        let mut held: Vec<Held> = Vec::with_capacity(self.held.len());
        for candidate in self.held {
            if !held
                .iter()
                .any(|seen| seen.lock.span == candidate.lock.span)
            {
                held.push(candidate);
            }
        }
        held
    }

    /// The live, nameable guards of the current body (suspended ones are
    /// moved values: they cannot be named again on this path).
    fn current_mut(&mut self) -> impl Iterator<Item = &mut Guard> {
        self.bodies
            .last_mut()
            .into_iter()
            .flat_map(|body| &mut body.guards)
            .filter(|guard| !guard.suspended)
    }

    fn find(&self, serial: usize) -> Option<&Guard> {
        self.bodies
            .last()?
            .guards
            .iter()
            .find(|guard| guard.serial == serial)
    }

    /// If the guard is older than the innermost open `if`/`match`, suspends
    /// it for the arm being walked and returns true.
    fn suspend_in_arm(&mut self, serial: usize) -> bool {
        let Some(body) = self.bodies.last_mut() else {
            return false;
        };
        let Some(branching) = body.branchings.last_mut() else {
            return false;
        };
        if serial >= branching.start_serial {
            return false;
        }
        branching.moved_in_arm.push(serial);
        for guard in &mut body.guards {
            if guard.serial == serial {
                guard.suspended = true;
            }
        }
        true
    }

    /// The guard with this serial is moved out of its name here.
    fn move_serial(&mut self, serial: usize) {
        if !self.suspend_in_arm(serial) {
            self.kill_where(|guard| guard.serial == serial);
        }
    }

    fn kill_where(&mut self, dies: impl Fn(&Guard) -> bool) {
        let Some(guards) = self.bodies.last_mut().map(|body| &mut body.guards) else {
            return;
        };
        let mut dead = Vec::new();
        let mut index = 0;
        while index < guards.len() {
            if dies(&guards[index]) {
                dead.push(guards.remove(index));
            } else {
                index += 1;
            }
        }
        for guard in dead {
            self.die(guard);
        }
    }

    fn die(&mut self, guard: Guard) {
        if let Some(await_span) = guard.first_await {
            self.held.push(Held {
                lock: guard.lock,
                await_span,
            });
        }
    }
}

/// The guard can still be moved by `name`.
fn is_named(guard: &Guard, name: &str) -> bool {
    guard
        .binding
        .as_ref()
        .is_some_and(|(bound, _)| bound.as_deref() == Some(name))
}
