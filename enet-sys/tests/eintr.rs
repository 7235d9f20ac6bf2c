//! `enet_socket_wait` interrupted by signals (a handler installed without `SA_RESTART`, so
//! `poll` fails with `EINTR`). Without `ENET_SOCKET_WAIT_INTERRUPT`, the project's layer retries
//! and keeps waiting for the datagram, while upstream's `unix.c` fails the wait (-1), which shows
//! the signals really interrupt the wait. With the flag, both report the interruption.

use enet_sys::*;
use std::ffi::c_int;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(10);

/// Signals handled so far.
static DELIVERED: AtomicUsize = AtomicUsize::new(0);

/// The tests share the signal disposition; they take turns.
static TURN: Mutex<()> = Mutex::new(());

extern "C" fn on_signal(_signal: c_int) {
    DELIVERED.fetch_add(1, Ordering::SeqCst);
}

fn install_handler_without_restart() -> MutexGuard<'static, ()> {
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // SAFETY: sigaction is plain data (all-zero valid); the handler is async-signal-safe (one
    // atomic increment), and SA_RESTART is deliberately left out.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()),
            0
        );
    }
    turn
}

/// True while thread `tid` of this process sleeps in a system call (state `S` in its stat).
fn sleeping(tid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    // The state follows the parenthesised command name.
    stat.rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('S'))
}

/// Runs `enet_socket_wait(socket, condition, 10 s)` on a thread, interrupts it with `signals`
/// SIGUSR1s (each sent while the thread sleeps, each awaited), then sends one datagram to the
/// socket. Returns the wait's result and condition.
fn wait_through_signals(condition: u32, signals: usize) -> (c_int, u32) {
    // SAFETY: plain socket calls on a socket this function owns and destroys.
    let socket = unsafe {
        let socket = enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM);
        assert!(socket >= 0);
        let address = ENetAddress {
            host: u32::from_ne_bytes([127, 0, 0, 1]),
            port: 0,
        };
        assert_eq!(enet_socket_bind(socket, &address), 0);
        assert_eq!(enet_socket_set_option(socket, ENET_SOCKOPT_NONBLOCK, 1), 0);
        socket
    };
    let mut bound = ENetAddress { host: 0, port: 0 };
    // SAFETY: the socket is live; bound is a valid out-pointer.
    assert_eq!(unsafe { enet_socket_get_address(socket, &mut bound) }, 0);

    let (ids_tx, ids_rx) = mpsc::channel();
    let (result_tx, result_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let waiter = std::thread::spawn(move || {
        // SAFETY: gettid and pthread_self have no preconditions.
        ids_tx
            .send(unsafe { (libc::gettid(), libc::pthread_self()) })
            .expect("send ids");
        let mut condition = condition;
        // SAFETY: the socket is live; condition is a valid in/out pointer.
        let rc = unsafe { enet_socket_wait(socket, &mut condition, 10_000) };
        result_tx.send((rc, condition)).expect("send result");
        // Stay alive (signals may still be on their way) until the sender is done.
        done_rx.recv().expect("done");
    });
    let (tid, thread) = ids_rx.recv().expect("ids");

    let start = Instant::now();
    for sent in 0..signals {
        while !sleeping(tid) {
            assert!(start.elapsed() < DEADLINE, "the waiter never slept");
            std::thread::yield_now();
        }
        let before = DELIVERED.load(Ordering::SeqCst);
        // SAFETY: the thread is alive until done_tx is sent.
        assert_eq!(unsafe { libc::pthread_kill(thread, libc::SIGUSR1) }, 0);
        while DELIVERED.load(Ordering::SeqCst) == before {
            assert!(
                start.elapsed() < DEADLINE,
                "signal {sent} was never handled"
            );
            std::thread::yield_now();
        }
    }
    let sender = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
    sender
        .send_to(b"wake", (Ipv4Addr::LOCALHOST, bound.port))
        .expect("send");
    let result = result_rx
        .recv_timeout(DEADLINE)
        .expect("the wait never returned");
    done_tx.send(()).expect("done");
    waiter.join().expect("waiter panicked");
    // SAFETY: the socket is destroyed once, after the waiter finished with it.
    unsafe { enet_socket_destroy(socket) };
    result
}

#[test]
fn a_wait_without_the_interrupt_flag_outlasts_signals() {
    let _turn = install_handler_without_restart();
    let (rc, condition) = wait_through_signals(ENET_SOCKET_WAIT_RECEIVE, 5);
    if cfg!(all(target_os = "linux", not(feature = "upstream-platform"))) {
        assert_eq!((rc, condition), (0, ENET_SOCKET_WAIT_RECEIVE));
    } else {
        assert_eq!(rc, -1, "upstream fails a wait that poll reports EINTR for");
    }
}

#[test]
fn a_wait_with_the_interrupt_flag_reports_the_interruption() {
    let _turn = install_handler_without_restart();
    let (rc, condition) =
        wait_through_signals(ENET_SOCKET_WAIT_RECEIVE | ENET_SOCKET_WAIT_INTERRUPT, 1);
    assert_eq!((rc, condition), (0, ENET_SOCKET_WAIT_INTERRUPT));
}
