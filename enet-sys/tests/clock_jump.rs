//! A wall-clock jump of one hour in the middle of a connection. This test binary interposes
//! `gettimeofday` and `clock_gettime` (it defines them, so the statically linked C and Rust's std
//! call these instead of libc's): the wall clock (`CLOCK_REALTIME*`, `gettimeofday`) is shifted
//! by `JUMP_MS`, every other clock passes through untouched.
//!
//! With the project's layer (`CLOCK_MONOTONIC`) the connection survives. With
//! `upstream-platform` (`gettimeofday`) the same jump times the peer out at once, which shows the
//! jump reaches ENet and the project-layer assertion is not vacuous.

mod common;

use common::*;
use enet_sys::*;
use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// Milliseconds added to the wall clock.
static JUMP_MS: AtomicI64 = AtomicI64::new(0);

/// Both tests change process-wide time state; they take turns.
static TURN: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Interposes libc's `gettimeofday`.
///
/// # Safety
/// As libc's: `tv` is null or valid for writes, `tz` is null or valid.
#[no_mangle]
pub unsafe extern "C" fn gettimeofday(tv: *mut libc::timeval, tz: *mut c_void) -> c_int {
    // SAFETY: the raw system call with the caller's pointers, as libc's wrapper makes it.
    let rc = unsafe { libc::syscall(libc::SYS_gettimeofday, tv, tz) } as c_int;
    if rc == 0 && !tv.is_null() {
        let jump = JUMP_MS.load(Ordering::SeqCst);
        // SAFETY: the kernel just filled *tv.
        let tv = unsafe { &mut *tv };
        let micros = tv.tv_sec * 1_000_000 + tv.tv_usec + jump * 1000;
        tv.tv_sec = micros.div_euclid(1_000_000);
        tv.tv_usec = micros.rem_euclid(1_000_000);
    }
    rc
}

/// Interposes libc's `clock_gettime`.
///
/// # Safety
/// As libc's: `ts` is null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(clock: libc::clockid_t, ts: *mut libc::timespec) -> c_int {
    // SAFETY: the raw system call with the caller's arguments, as libc's wrapper makes it.
    let rc = unsafe { libc::syscall(libc::SYS_clock_gettime, clock, ts) } as c_int;
    let wall = clock == libc::CLOCK_REALTIME || clock == libc::CLOCK_REALTIME_COARSE;
    if rc == 0 && wall && !ts.is_null() {
        // SAFETY: the kernel just filled *ts.
        let ts = unsafe { &mut *ts };
        ts.tv_sec += JUMP_MS.load(Ordering::SeqCst) / 1000;
    }
    rc
}

const HOUR_MS: i64 = 3_600_000;

/// Sets the wall-clock jump for the scope of a value (reset on drop, even on panic).
struct Jump;

impl Jump {
    fn forward(ms: i64) -> Jump {
        let before = SystemTime::now();
        JUMP_MS.store(ms, Ordering::SeqCst);
        let jumped = SystemTime::now().duration_since(before).expect("forward");
        assert!(
            jumped >= Duration::from_millis(ms as u64),
            "interposition inactive"
        );
        Jump
    }
}

impl Drop for Jump {
    fn drop(&mut self) {
        JUMP_MS.store(0, Ordering::SeqCst);
    }
}

#[test]
fn a_connection_with_a_reliable_packet_in_flight_meets_a_one_hour_wall_clock_jump() {
    let _turn = take_turn();
    init();
    let server = Host::new(Some(&ipv4([127, 0, 0, 1], 0)), 2);
    let client = Host::new(None, 1);
    let to_server = client.connect(&ipv4([127, 0, 0, 1], server.port()), 1);
    let mut pump = Pump::new(vec![&server, &client]);
    let to_client = pump.next(0, ENET_EVENT_TYPE_CONNECT).peer;
    pump.next(1, ENET_EVENT_TYPE_CONNECT);

    send(to_server, 0, b"in flight", ENET_PACKET_FLAG_RELIABLE);
    // SAFETY: the client host is live.
    unsafe { enet_host_flush(client.0) };
    let _jump = Jump::forward(HOUR_MS);

    if cfg!(all(target_os = "linux", not(feature = "upstream-platform"))) {
        // The monotonic clock did not move: the packet arrives, the reply comes back, and
        // neither side ever sees a DISCONNECT.
        assert_eq!(
            take(&pump.next(0, ENET_EVENT_TYPE_RECEIVE)).bytes,
            b"in flight"
        );
        send(to_client, 0, b"reply", ENET_PACKET_FLAG_RELIABLE);
        assert_eq!(take(&pump.next(1, ENET_EVENT_TYPE_RECEIVE)).bytes, b"reply");
        // SAFETY: both peers belong to live hosts.
        let states = unsafe { ((*to_server).state, (*to_client).state) };
        assert_eq!(
            states,
            (ENET_PEER_STATE_CONNECTED, ENET_PEER_STATE_CONNECTED)
        );
    } else {
        // gettimeofday jumped: the client's first service finds its packet unacknowledged for
        // an hour and times the peer out.
        assert_eq!(pump.next(1, ENET_EVENT_TYPE_DISCONNECT).peer, to_server);
    }
}

#[test]
fn enet_time_set_moves_the_process_wide_clock_base() {
    let _turn = take_turn();
    // SAFETY: process-wide clock calls; the other test of this binary takes turns with this one.
    let (set, read) = unsafe {
        enet_time_set(5_000);
        let read = enet_time_get();
        (5_000u32, read)
    };
    assert!(
        (set..set + 1_000).contains(&read),
        "enet_time_get() = {read} right after enet_time_set({set})"
    );
    // A later wall-clock jump does not move the project layer's clock.
    let _jump = Jump::forward(HOUR_MS);
    // SAFETY: as above.
    let after = unsafe { enet_time_get() };
    if cfg!(all(target_os = "linux", not(feature = "upstream-platform"))) {
        assert!(
            after.wrapping_sub(read) < 1_000,
            "clock moved by {}",
            after.wrapping_sub(read)
        );
    } else {
        assert!(after.wrapping_sub(read) >= HOUR_MS as u32);
    }
}
