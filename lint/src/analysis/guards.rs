//! Drop scopes of lock guards, for `lock-held-across-await`: which guards
//! are alive at an `.await` of the same body.
//!
//! The walker reports events in evaluation order (a guard-returning call, a
//! `let` binding it, a move of a name, an `.await`, the end of a statement,
//! of a block, of a body) and this tracker applies Rust's rules:
//! - a guard bound by `let name = ..` lives to the end of its block unless
//!   the name is moved (`drop(name)`, passed by value); a later `let` of the
//!   same name shadows it without dropping it;
//! - an unbound guard is a temporary: it dies with its temporary scope (the
//!   statement, an `if`/`while` condition, a match guard), so a `match`
//!   scrutinee lives through the arms and an `if let` scrutinee through its
//!   body (and its `else` before edition 2024);
//! - nothing outlives its body: an `async` block or closure is a body of
//!   its own, whose awaits do not hold the enclosing body's guards.
//!
//! A guard that dies after an `.await` was seen while it was alive is
//! `Held`; the walker turns it into a finding.

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
}

#[derive(Default)]
pub struct GuardTracker {
    /// The live guards of each body being walked, innermost last.
    bodies: Vec<Vec<Guard>>,
    /// Open temporary scopes, innermost last.
    temp_scopes: Vec<usize>,
    next_temp_scope: usize,
    next_serial: usize,
    held: Vec<Held>,
}

impl GuardTracker {
    pub fn enter_body(&mut self) {
        self.bodies.push(Vec::new());
    }

    pub fn leave_body(&mut self) {
        if let Some(guards) = self.bodies.pop() {
            for guard in guards {
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
        if let Some(guards) = self.bodies.last_mut() {
            guards.push(Guard {
                lock,
                call,
                serial,
                temp_scope,
                binding: None,
                first_await: None,
            });
        }
    }

    /// `let name = <call>;` where the call is known by its return type to
    /// produce a guard (a crate's own `fn state(&self) -> MutexGuard<..>`).
    pub fn lock_bound(&mut self, lock: Lock, name: String, depth: usize) {
        let serial = self.next_serial;
        self.next_serial += 1;
        if let Some(guards) = self.bodies.last_mut() {
            guards.push(Guard {
                lock,
                call: std::ptr::null(),
                serial,
                temp_scope: usize::MAX,
                binding: Some((Some(name), depth)),
                first_await: None,
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
        let named = |guard: &Guard, name: &str| {
            guard
                .binding
                .as_ref()
                .is_some_and(|(bound, _)| bound.as_deref() == Some(name))
        };
        let moved = self.current_mut().position(|guard| named(guard, from));
        for (index, guard) in self.current_mut().enumerate() {
            if Some(index) != moved && named(guard, &to) {
                guard.binding = guard.binding.take().map(|(_, at)| (None, at));
            }
        }
        if let Some(index) = moved
            && let Some(guard) = self
                .bodies
                .last_mut()
                .and_then(|guards| guards.get_mut(index))
        {
            guard.binding = Some((Some(to), depth));
        }
    }

    /// `name` was moved (`drop(name)`, passed by value): its guard dies now.
    pub fn moved(&mut self, name: &str) {
        self.kill_where(|guard| {
            guard
                .binding
                .as_ref()
                .is_some_and(|(bound, _)| bound.as_deref() == Some(name))
        });
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

    pub fn finish(self) -> Vec<Held> {
        self.held
    }

    fn current_mut(&mut self) -> impl Iterator<Item = &mut Guard> {
        self.bodies.last_mut().into_iter().flatten()
    }

    fn kill_where(&mut self, dies: impl Fn(&Guard) -> bool) {
        let Some(guards) = self.bodies.last_mut() else {
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
