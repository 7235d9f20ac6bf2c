//! [`Shared`]: the lock around one connection's [`State`], and the crate's one re-entrancy rule.
//!
//! User code runs inside this crate's calls in three places: the intercept callback (inside
//! `enet_host_service`: C is mid-call), the handler of [`Shared::drain`] (the lock is held, C is
//! not mid-call) and the `Drop` of values the user handed over (intercept closures and what they
//! own, panic payloads). From each of them the user may call any safe method of any connection,
//! nested to any depth. So each thread keeps a list of **frames**, one per connection it is inside
//! of, innermost first:
//!
//! * [`Access::Busy`]: the connection's state is borrowed by a [`Shared::with`] closure (which
//!   includes C being mid-call in `enet_host_service`). A call on it returns [`Error::Busy`].
//! * [`Access::Held`]: [`Shared::drain`] holds the lock and runs its handler; the state is not
//!   borrowed. A call on it borrows the held state (pushing a `Busy` frame) instead of locking.
//! * no frame: the call locks the connection's mutex ([`Shared::lock`]).
//!
//! The innermost frame of a connection decides, so however deep the nesting and across any number
//! of connections, a thread never locks a mutex it holds and never borrows a state twice. Between
//! threads, a thread that already holds a connection and must wait for another first checks that
//! its wait closes no cycle of waiting threads (see [`Shared::lock`]); if it would, the call
//! returns [`Error::Busy`]. So every call either works or returns `Busy`; no cycle of this crate's
//! own waits forms. (User code that, while holding a connection, waits for another thread which
//! needs that connection — a join, a channel — deadlocks as it would over any lock; the crate
//! cannot see such waits. The public docs say so.)
//!
//! User values are never dropped while a state is borrowed or C is mid-call: code that removes one
//! inside a `with` closure buries it in the state's graveyard ([`State::bury`]), which `with` and
//! `drain` empty only once the borrow has ended, after unlocking or, inside `drain`, where its
//! handler runs. What such a `Drop` then calls obeys the same frames.

use crate::error::{Error, Result};
use crate::host::{RawEvent, State};
use crate::wake::Wake;
use std::any::Any;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard, PoisonError, TryLockError};

/// How this thread is inside a connection (see the module documentation).
#[derive(Clone, Copy)]
enum Access {
    Busy,
    Held(*mut State),
}

/// One entry of this thread's frame list; lives on the stack of the call that entered.
struct Frame {
    owner: usize,
    access: Cell<Access>,
    outer: *const Frame,
}

thread_local! {
    /// The innermost frame of this thread (null when it is inside no connection).
    static INNERMOST: Cell<*const Frame> = const { Cell::new(std::ptr::null()) };
}

/// Runs `body` with a frame for `owner` pushed on this thread's list, popped again when `body`
/// returns or unwinds. Frames are therefore strictly nested, and each is linked only while it is
/// alive on the stack.
fn inside<T>(owner: usize, access: Access, body: impl FnOnce(&Frame) -> T) -> T {
    struct Pop(*const Frame);
    impl Drop for Pop {
        fn drop(&mut self) {
            INNERMOST.with(|innermost| innermost.set(self.0));
        }
    }
    let frame = Frame {
        owner,
        access: Cell::new(access),
        outer: INNERMOST.with(Cell::get),
    };
    INNERMOST.with(|innermost| innermost.set(&frame));
    let _pop = Pop(frame.outer);
    body(&frame)
}

/// Visits this thread's frames, innermost first, until `visit` breaks.
#[inline(always)]
fn walk_frames(mut visit: impl FnMut(&Frame) -> ControlFlow<()>) {
    let mut frame = INNERMOST.with(Cell::get);
    while !frame.is_null() {
        // SAFETY: a frame is linked only while it lives on this thread's stack (`inside` unlinks
        // it before it is dropped, also when unwinding), and `outer` links only outer frames,
        // which outlive it.
        let entry = unsafe { &*frame };
        if visit(entry).is_break() {
            return;
        }
        frame = entry.outer;
    }
}

/// How this thread is inside the connection `owner`: its innermost frame's access, if any.
fn access(owner: usize) -> Option<Access> {
    let mut found = None;
    walk_frames(|frame| {
        if frame.owner != owner {
            return ControlFlow::Continue(());
        }
        found = Some(frame.access.get());
        ControlFlow::Break(())
    });
    found
}

/// Whether this thread is inside any connection (and so holds at least one connection's lock).
fn inside_any() -> bool {
    !INNERMOST.with(Cell::get).is_null()
}

/// The connections this thread holds: one per frame (a frame exists only while its thread holds
/// that connection's lock, its own or through a `drain` further up).
fn held() -> Vec<usize> {
    let mut held = Vec::new();
    walk_frames(|frame| {
        held.push(frame.owner);
        ControlFlow::Continue(())
    });
    held
}

/// A wait in progress of a thread that holds connections while it waits for another.
struct Waiter {
    /// Identifies the entry: the waiting thread's innermost frame (distinct for live threads).
    token: usize,
    /// The connections it holds.
    held: Vec<usize>,
    /// The connection it waits for.
    wanted: usize,
}

/// The waits in progress of threads that hold a connection while waiting for another; each is
/// registered before its thread blocks and removed once it has the lock.
static WAITS: Mutex<Vec<Waiter>> = Mutex::new(Vec::new());

/// The state shared by a connection and all its peer handles.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes a thread waiting in `service`/`drain` when another gives it work.
    pub(crate) wake: Wake,
}

impl Shared {
    /// This connection's identity in the frame lists.
    fn owner(&self) -> usize {
        self as *const Shared as usize
    }

    /// Locks the state; this thread has no frame for this connection (so does not hold it).
    ///
    /// A thread inside no connection simply waits: it holds nothing, so no cycle of waits can pass
    /// through it. A thread that holds connections waits only if its wait closes no cycle:
    /// following "the connection wanted → a waiting thread that holds it → the connection that
    /// thread waits for → …" must not reach a connection this thread holds. A holder that is not
    /// waiting ends the chain (it will release). Every such wait is registered in [`WAITS`], with
    /// what its thread holds, under that lock before the thread blocks, so of the threads forming
    /// a cycle the last to register sees the whole cycle and returns [`Error::Busy`] instead.
    fn lock(&self) -> Result<MutexGuard<'_, State>> {
        // A poisoned lock is still consistent: C does not unwind, user code that runs while the
        // state is borrowed (intercepts and what they drop) runs under catch_unwind, and crate
        // code updates the state so that a panic between two steps leaves no handle or ENet
        // structure half-updated (at worst a count errs on the safe side).
        match self.state.try_lock() {
            Ok(guard) => Ok(guard),
            Err(TryLockError::Poisoned(poisoned)) => Ok(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if !inside_any() => {
                Ok(self.state.lock().unwrap_or_else(PoisonError::into_inner))
            }
            Err(TryLockError::WouldBlock) => {
                let token = INNERMOST.with(Cell::get) as usize;
                {
                    let held = held();
                    let mut waits = WAITS.lock().unwrap_or_else(PoisonError::into_inner);
                    if closes_cycle(&waits, &held, self.owner()) {
                        return Err(Error::Busy);
                    }
                    waits.push(Waiter {
                        token,
                        held,
                        wanted: self.owner(),
                    });
                }
                let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let mut waits = WAITS.lock().unwrap_or_else(PoisonError::into_inner);
                waits.retain(|waiter| waiter.token != token);
                Ok(guard)
            }
        }
    }

    /// Runs `f` on the state, which no other code borrows meanwhile, then drops what `f` buried.
    ///
    /// [`Error::Busy`] if the state is already borrowed on this thread (a call from inside this
    /// connection's intercept, or from a `Drop` run while C is mid-call), or if waiting for the
    /// lock would deadlock. Inside a [`drain`](Shared::drain) handler on this thread it borrows
    /// the state `drain` holds instead of locking again.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T> {
        let owner = self.owner();
        let (result, graveyard) = match access(owner) {
            Some(Access::Busy) => return Err(Error::Busy),
            Some(Access::Held(state)) => inside(owner, Access::Busy, |_| {
                // SAFETY: `state` is the state `drain` holds locked further up this thread's
                // stack; it forms no reference to it while its handler runs (the frame says
                // `Held`), and the `Busy` frame pushed here makes every nested call on this
                // connection fail instead of borrowing it again: this is the only reference.
                let state = unsafe { &mut *state };
                (f(state), state.take_graveyard())
            }),
            None => {
                let mut guard = self.lock()?;
                let result = inside(owner, Access::Busy, |_| f(&mut guard));
                let graveyard = guard.take_graveyard();
                drop(guard);
                (result, graveyard)
            }
        };
        if let Some(graveyard) = graveyard {
            bury_for_good(graveyard);
        }
        Ok(result)
    }

    /// Services the host until it has no event left, under one lock, calling `handler` with each
    /// event (turned public by `wrap`). While `handler` runs, [`with`](Shared::with) on this
    /// thread borrows the held state. Returns how many events were handled; 0 means the first pass
    /// found nothing (the caller may wait and retry).
    ///
    /// [`Error::Busy`] if this thread is already inside this connection (its own drain handler
    /// or intercept), or if waiting for the lock would deadlock.
    pub(crate) fn drain<E>(
        &self,
        wrap: impl Fn(RawEvent) -> E,
        mut handler: impl FnMut(E),
    ) -> Result<usize> {
        let owner = self.owner();
        if access(owner).is_some() {
            return Err(Error::Busy);
        }
        let mut guard = self.lock()?;
        // Every access below goes through this one pointer; the guard stays untouched until it
        // unlocks at the end of the function.
        let state: *mut State = &mut *guard;
        let result = inside(owner, Access::Busy, |frame| {
            let mut handled = 0;
            loop {
                // SAFETY: `state` is the locked state; the frame is `Busy`, so no other reference
                // to it is formed on this thread while this one lives, and none on another.
                let (event, graveyard) = unsafe {
                    let event = (*state).service(true);
                    (event, (*state).take_graveyard())
                };
                frame.access.set(Access::Held(state));
                if let Some(graveyard) = graveyard {
                    bury_for_good(graveyard);
                }
                let event = match event {
                    // The handler destroyed the host: the batch ends with what it handled.
                    Err(Error::Unconfigured) if handled > 0 => return Ok(handled),
                    event => event?,
                };
                if matches!(event, RawEvent::None) {
                    return Ok(handled);
                }
                handler(wrap(event));
                handled += 1;
                frame.access.set(Access::Busy);
            }
        });
        drop(guard);
        result
    }
}

/// Whether a thread holding `held`, about to wait for `wanted`, would close a cycle of waiting
/// threads.
fn closes_cycle(waits: &[Waiter], held: &[usize], wanted: usize) -> bool {
    let mut wanted = wanted;
    // Each step moves to another waiting thread; a chain longer than the waits is impossible.
    for _ in 0..=waits.len() {
        if held.contains(&wanted) {
            return true;
        }
        match waits.iter().find(|waiter| waiter.held.contains(&wanted)) {
            Some(waiter) => wanted = waiter.wanted,
            None => return false,
        }
    }
    false
}

/// What a `with` closure removed and must not drop itself (see the module documentation).
pub(crate) type Graveyard = Vec<Box<dyn Any + Send>>;

/// Drops every buried value, each on its own: a `Drop` that panics does not stop the others (a
/// second panic while the first unwinds would abort the process). The first panic is resumed once
/// all are dropped; the payloads of later ones are dropped too, retrying while their own `Drop`
/// panics.
#[cold]
fn bury_for_good(graveyard: Graveyard) {
    let mut first = None;
    for value in graveyard {
        let Err(mut payload) = catch_unwind(AssertUnwindSafe(|| drop(value))) else {
            continue;
        };
        if first.is_none() {
            first = Some(payload);
            continue;
        }
        while let Err(next) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
            payload = next;
        }
    }
    if let Some(payload) = first {
        resume_unwind(payload);
    }
}
