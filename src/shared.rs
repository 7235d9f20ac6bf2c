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
use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
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

/// How this thread is inside the connection `owner`: its innermost frame's access, if any.
fn access(owner: usize) -> Option<Access> {
    let mut frame = INNERMOST.with(Cell::get);
    while !frame.is_null() {
        // SAFETY: a frame is linked only while it lives on this thread's stack (`inside` unlinks
        // it before it is dropped, also when unwinding), and `outer` links only outer frames,
        // which outlive it.
        let entry = unsafe { &*frame };
        if entry.owner == owner {
            return Some(entry.access.get());
        }
        frame = entry.outer;
    }
    None
}

/// Whether this thread is inside any connection (and so holds at least one connection's lock).
fn inside_any() -> bool {
    !INNERMOST.with(Cell::get).is_null()
}

/// This thread's identity for [`Shared::holder`] (never 0): the address of a thread-local, unique
/// among live threads.
fn this_thread() -> usize {
    thread_local!(static TOKEN: u8 = const { 0 });
    TOKEN.with(|token| token as *const u8 as usize)
}

/// A wait in progress of a thread that holds a connection while waiting for another.
struct Waiter {
    thread: usize,
    wanted: *const Shared,
}

// SAFETY: `wanted` is only dereferenced under the `WAITS` lock, while its waiting thread keeps the
// `Shared` borrowed (see `WAITS`); `Shared` is `Sync`, so reading it from another thread is fine.
unsafe impl Send for Waiter {}

/// The waits in progress of threads that hold a connection while waiting for another. Each thread
/// has at most one entry, removed (under this lock) before its call on that `Shared` returns, so
/// the `Shared` outlives its entry.
static WAITS: Mutex<Vec<Waiter>> = Mutex::new(Vec::new());

/// The state shared by a connection and all its peer handles.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The thread holding `state` locked ([`this_thread`]), 0 when unlocked: set right after
    /// locking, cleared right before unlocking.
    holder: AtomicUsize,
}

/// `state` locked by this thread, with [`Shared::holder`] naming it until unlocked.
struct Locked<'a> {
    guard: MutexGuard<'a, State>,
    holder: &'a AtomicUsize,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Cleared before the guard (a field) unlocks.
        self.holder.store(0, Ordering::Relaxed);
    }
}

impl Shared {
    /// This connection's identity in the frame lists.
    fn owner(&self) -> usize {
        self as *const Shared as usize
    }

    /// Locks the state; this thread has no frame for this connection (so does not hold it).
    ///
    /// A thread inside no connection simply waits. A thread that holds other connections waits
    /// only if its wait closes no cycle: following "`Shared` → the thread holding it → the
    /// `Shared` that thread waits for → …" must not lead back to this thread. Every wait of such
    /// a thread is registered in [`WAITS`] under its lock before it blocks, and every holder is
    /// recorded before its thread can register a wait, so of the threads forming a cycle the last
    /// to register sees the whole cycle and returns [`Error::Busy`] instead of waiting.
    fn lock(&self) -> Result<Locked<'_>> {
        // A poisoned lock is still consistent: C does not unwind, user code that runs while the
        // state is borrowed (intercepts and what they drop) runs under catch_unwind, and crate
        // code updates the state so that a panic between two steps leaves no handle or ENet
        // structure half-updated (at worst a count errs on the safe side).
        let guard = match self.state.try_lock() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) if !inside_any() => {
                self.state.lock().unwrap_or_else(PoisonError::into_inner)
            }
            Err(TryLockError::WouldBlock) => {
                let me = this_thread();
                {
                    let mut waits = WAITS.lock().unwrap_or_else(PoisonError::into_inner);
                    if closes_cycle(&waits, me, self) {
                        return Err(Error::Busy);
                    }
                    waits.push(Waiter {
                        thread: me,
                        wanted: self,
                    });
                }
                let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                let mut waits = WAITS.lock().unwrap_or_else(PoisonError::into_inner);
                waits.retain(|waiter| waiter.thread != me);
                guard
            }
        };
        self.holder.store(this_thread(), Ordering::Relaxed);
        Ok(Locked {
            guard,
            holder: &self.holder,
        })
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
                let mut locked = self.lock()?;
                let result = inside(owner, Access::Busy, |_| f(&mut locked.guard));
                let graveyard = locked.guard.take_graveyard();
                drop(locked);
                (result, graveyard)
            }
        };
        bury_for_good(graveyard);
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
        let mut locked = self.lock()?;
        // Every access below goes through this one pointer; the guard stays untouched until it
        // unlocks at the end of the function.
        let state: *mut State = &mut *locked.guard;
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
                bury_for_good(graveyard);
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
        drop(locked);
        result
    }
}

/// Whether `me`, about to wait for `wanted`, would close a cycle of waiting threads.
fn closes_cycle(waits: &[Waiter], me: usize, wanted: &Shared) -> bool {
    let mut wanted = wanted;
    // Each step moves to another waiting thread; a chain longer than the waits is impossible.
    for _ in 0..=waits.len() {
        let holder = wanted.holder.load(Ordering::Relaxed);
        if holder == me {
            return true;
        }
        match waits.iter().find(|waiter| waiter.thread == holder) {
            // SAFETY: an entry's `Shared` is borrowed by its waiting thread until after the entry
            // is removed, which needs the `WAITS` lock the caller holds: it is alive.
            Some(waiter) => wanted = unsafe { &*waiter.wanted },
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
