//! The nesting part of `api_sequences`: scripts that run inside the crate's calls, and the model
//! that says what each nested call must return.
//!
//! User code runs inside the crate's calls in three places, and the harness puts a fuzzer-chosen
//! script (a [`Script`]: up to [`MAX_SCRIPT_OPS`] of the input's own operations) in each:
//!
//! * an intercept callback, on every datagram ([`intercept`]); C is mid-call in
//!   `enet_host_service`;
//! * a `Connection::drain` handler, on every event (`World::drain`), which may then panic;
//! * the `Drop` of a value the user handed over ([`Bomb`]): a value owned by an intercept closure
//!   (dropped when `set_intercept` replaces or refuses the closure, by `destroy`, or when the
//!   connection is dropped), or the payload of an intercept's panic (dropped once ENet has
//!   returned; it may then panic itself, and that panic must leave the servicing call).
//!
//! A script's operations are the top level's, so it reaches any of the three slots and stored
//! handles, sets further nested intercepts, drains, destroys, creates, drops connections...
//! Nesting is bounded by [`MAX_DEPTH`] scripts on the stack, and every input by [`BUDGET`] nested
//! operations. `World::apply` has one copy per depth, so coverage shows the fuzzer which
//! operations it has reached at which depth.
//!
//! The model mirrors the crate's per-thread frames by connection identity (a slot's `id`, new for
//! every `Connection` the harness makes): a nested intercept pushes `Busy` for its connection
//! while it runs, `World::drain` pushes `Held` for the whole drain call (its handler and the
//! `Drop`s of panic payloads run with the state held; its servicing runs only intercepts, which
//! push `Busy` on top). Everything else runs at its caller's frames: `Drop`s of user values run
//! only after the crate released the connection that dropped them. The innermost frame of a
//! connection decides: `Busy` makes every call on it `Err(Busy)`; `Held` or `Busy` makes `drain`
//! of it `Err(Busy)`; otherwise the call must work (`Ok` or an error it documents, never `Busy`:
//! everything runs on one thread, so no wait can deadlock).

use super::{expect, End, Script, World};
use enet::{Error, InterceptFn, Verdict};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// At most this many scripts run nested inside each other.
pub const MAX_DEPTH: usize = 3;
/// The operations of one script.
pub const MAX_SCRIPT_OPS: usize = 8;
/// Nested operations per input, across all scripts (bounds the time of an input).
pub const BUDGET: usize = 128;

/// How this thread is inside a connection, as the model sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    /// ENet is servicing it further up the stack (one of its intercepts is running).
    Busy,
    /// A `drain` of it is running further up the stack.
    Held,
}

thread_local! {
    /// The model's frames, innermost last: (connection id, access).
    static FRAMES: RefCell<Vec<(u64, Access)>> = const { RefCell::new(Vec::new()) };
    /// Scripts running on the stack.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Nested operations this input may still run.
    static BUDGET_LEFT: Cell<usize> = const { Cell::new(0) };
    /// [`Bomb`]s made minus `Bomb`s dropped.
    static LIVE_BOMBS: Cell<isize> = const { Cell::new(0) };
}

/// A frame of the model, popped when dropped (also when unwinding).
pub struct Frame(u64, Access);

impl Frame {
    pub fn enter(conn: u64, access: Access) -> Frame {
        FRAMES.with_borrow_mut(|frames| frames.push((conn, access)));
        Frame(conn, access)
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        let top = FRAMES.with_borrow_mut(Vec::pop);
        assert_eq!(
            top,
            Some((self.0, self.1)),
            "model frames popped out of order"
        );
    }
}

/// The innermost frame of connection `conn`, if this thread is inside it.
pub fn access(conn: u64) -> Option<Access> {
    FRAMES.with_borrow(|frames| {
        frames
            .iter()
            .rev()
            .find(|&&(id, _)| id == conn)
            .map(|&(_, access)| access)
    })
}

fn frames() -> Vec<(u64, Access)> {
    FRAMES.with_borrow(Clone::clone)
}

/// Checks the result of a call on connection `conn` (or one of its handles) against the model:
/// `Err(Busy)` if it is being serviced up the stack, else `Ok` or one of `allowed`.
#[track_caller]
pub fn check<T: Debug>(what: &str, conn: u64, result: &Result<T, Error>, allowed: &[Error]) {
    if access(conn) == Some(Access::Busy) {
        assert!(
            matches!(result, Err(Error::Busy)),
            "{what} on connection {conn}, serviced up the stack, returned {result:?}, not Busy \
             (frames, innermost last: {:?})",
            frames()
        );
    } else {
        expect(what, result, allowed);
    }
}

/// Checks the result of `drain` on connection `conn`: `Err(Busy)` if it is serviced or drained up
/// the stack, else `Ok` or `Unconfigured`.
#[track_caller]
pub fn check_drain(conn: u64, result: &Result<usize, Error>) {
    if access(conn).is_some() {
        assert!(
            matches!(result, Err(Error::Busy)),
            "drain of connection {conn}, inside up the stack, returned {result:?}, not Busy \
             (frames, innermost last: {:?})",
            frames()
        );
    } else {
        expect("drain", result, &[Error::Unconfigured]);
    }
}

/// Resets the per-input state; the previous input must have left no frame or script behind.
pub fn begin_input() {
    end_input();
    BUDGET_LEFT.set(BUDGET);
}

/// After the input's world is dropped: every value handed to the crate was dropped exactly once.
pub fn end_input() {
    assert!(frames().is_empty(), "model frames left: {:?}", frames());
    assert_eq!(DEPTH.get(), 0, "scripts left on the stack");
    assert_eq!(
        LIVE_BOMBS.replace(0),
        0,
        "values handed to the crate (intercept closures, panic payloads) leaked or dropped twice"
    );
}

/// Scripts running on the stack.
pub fn depth() -> usize {
    DEPTH.get()
}

/// Runs `script` nested, if the depth and the budget allow.
pub fn run_script(world: &World, script: Script) {
    let n = world.ops.len();
    if n == 0 || DEPTH.get() >= MAX_DEPTH {
        return;
    }
    let start = usize::from(script.start) % n;
    let len = usize::from(script.len) % MAX_SCRIPT_OPS + 1;
    let ops = &world.ops[start..n.min(start + len)];
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            DEPTH.set(DEPTH.get() - 1);
        }
    }
    DEPTH.set(DEPTH.get() + 1);
    let _leave = Leave;
    for op in ops {
        let left = BUDGET_LEFT.get();
        if left == 0 {
            return;
        }
        BUDGET_LEFT.set(left - 1);
        match DEPTH.get() {
            1 => world.apply::<1>(op),
            2 => world.apply::<2>(op),
            _ => world.apply::<MAX_DEPTH>(op),
        }
    }
}

/// A value handed to the crate whose `Drop` runs a script (and, as a panic payload, may then
/// panic).
pub struct Bomb {
    world: super::WeakWorld,
    script: Script,
    panics: bool,
}

impl Bomb {
    fn new(world: super::WeakWorld, script: Script, panics: bool) -> Bomb {
        LIVE_BOMBS.set(LIVE_BOMBS.get() + 1);
        Bomb {
            world,
            script,
            panics,
        }
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        LIVE_BOMBS.set(LIVE_BOMBS.get() - 1);
        // Once the input's world is gone (its final drop), there is nothing left to call.
        if let Some(world) = self.world.upgrade() {
            run_script(&world, self.script);
        }
        if self.panics {
            panic!("{DROP_PANIC}");
        }
    }
}

/// An intercept for connection `conn` that runs script `on_datagram` (if any) on every datagram
/// with the model saying `conn` is `Busy`, owns a [`Bomb`] running `on_drop` (if any), and ends
/// as `end` says.
pub fn intercept(
    world: &World,
    conn: u64,
    on_datagram: Option<Script>,
    on_drop: Option<Script>,
    end: End,
) -> Box<InterceptFn> {
    let weak = world.downgrade();
    let owned = on_drop.map(|script| Bomb::new(weak.clone(), script, false));
    Box::new(move |_, _| {
        let _owned = &owned;
        let _busy = Frame::enter(conn, Access::Busy);
        if let (Some(script), Some(world)) = (on_datagram, weak.upgrade()) {
            run_script(&world, script);
        }
        match end {
            End::Pass => Verdict::Pass,
            End::Drop => Verdict::Drop,
            End::Panic => panic!("{DELIBERATE}"),
            End::PanicWith {
                on_drop,
                drop_panics,
            } => {
                std::panic::panic_any(Bomb::new(weak.clone(), on_drop, drop_panics))
            }
        }
    })
}

/// The message of the intercepts' deliberate panics, which the wrapper must catch.
pub const DELIBERATE: &str = "deliberate panic in an intercept";
/// The message of a panic payload's `Drop` that panics: it must leave `service` or `drain`.
pub const DROP_PANIC: &str = "deliberate panic in a panic payload's Drop";
/// The message of a drain handler's deliberate panic: it must leave `drain`.
pub const HANDLER_PANIC: &str = "deliberate panic in a drain handler";

fn message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// Runs `f` (a `service` or `drain` call), catching the deliberate panics that may leave it: a
/// panic payload's `Drop` or a drain handler. `None` if one did.
pub fn catch_deliberate<T>(f: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(payload) => {
            let message = message(&*payload);
            assert!(
                matches!(message, Some(DROP_PANIC | HANDLER_PANIC)),
                "an unexpected panic left a call: {message:?}"
            );
            None
        }
    }
}

/// Once per process: libFuzzer's panic hook aborts on every panic, even one that is caught; let
/// the deliberate ones through to whoever catches them and keep aborting on every other. And pin
/// glibc's mmap threshold: by default it rises to the largest block freed, after which such
/// blocks come from the heap, which here then only grows with free memory (over 1 GB within 3
/// minutes while the live heap stayed near 10 MB, on its way to libFuzzer's 2 GB RSS limit).
pub fn setup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            extern "C" {
                fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
            }
            const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
            // SAFETY: glibc's mallopt only sets a tuning parameter of malloc (here to its own
            // initial 128 KiB, which also stops it from moving); no pointer is involved.
            unsafe { mallopt(M_MMAP_THRESHOLD, 128 * 1024) };
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let deliberate = payload.is::<Bomb>()
                || matches!(
                    message(payload),
                    Some(DELIBERATE | DROP_PANIC | HANDLER_PANIC)
                );
            if !deliberate {
                previous(info);
            }
        }));
    });
}
