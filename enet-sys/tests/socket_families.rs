//! `socket_address_families` is a safe function of any descriptor: it answers for the socket behind
//! the descriptor at the time of the call, never from per-socket state that another thread's
//! `enet_socket_destroy` may be freeing or that a descriptor closed behind ENet's back left
//! behind. Likewise a socket accepted under a reused number never inherits such state. These
//! tests reuse descriptor numbers on purpose, so they take turns.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

mod common;

use common::*;
use enet_sys::platform::*;
use enet_sys::*;
use std::ffi::c_void;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

static DESCRIPTORS: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    DESCRIPTORS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A datagram socket made by ENet (`enet_socket_create`) and bound to `address`.
fn enet_socket_bound_to(address: SocketAddr) -> ENetSocket {
    // SAFETY: no preconditions.
    let socket = unsafe { enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM) };
    assert_ne!(socket, -1, "enet_socket_create failed");
    let address = address_from_socket_addr(address).expect("a loopback address maps");
    // SAFETY: a live socket of ours; the address is valid for the call.
    assert_eq!(unsafe { enet_socket_bind(socket, &address) }, 0);
    socket
}

/// The port a socket is bound to.
fn port_of(socket: ENetSocket) -> u16 {
    let mut address = ipv4([0, 0, 0, 0], 0);
    // SAFETY: a live socket; `address` is a valid out-pointer.
    assert_eq!(unsafe { enet_socket_get_address(socket, &mut address) }, 0);
    address.port
}

/// Raises the flag when dropped, so lookup threads stop even if the churn fails.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[test]
fn families_lookups_racing_socket_destroy_never_touch_freed_state() {
    let _turn = take_turn();
    // More lookup threads than cores, so lookups get preempted mid-call while sockets die.
    let readers = 4 * thread::available_parallelism().map_or(2, |n| n.get());
    let latest = AtomicI32::new(-1);
    let stop = AtomicBool::new(false);
    let answered = AtomicU64::new(0);

    thread::scope(|scope| {
        for _ in 0..readers {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    // Keep asking about one number while it is bound, destroyed and reused.
                    let socket = latest.load(Ordering::Relaxed);
                    for _ in 0..64 {
                        // The descriptor is closed, or one of the churned sockets (unbound: both
                        // families; bound to 127.0.0.1: IPv4 only).
                        match socket_address_families(socket) {
                            None => {}
                            Some((true, _)) => {
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            other => panic!("descriptor {socket} answered {other:?}"),
                        }
                    }
                }
            });
        }

        // Churn: create, publish, bind, destroy, for a few hundred milliseconds.
        let _stop = StopOnDrop(&stop);
        let start = Instant::now();
        let mut churned = 0;
        while start.elapsed() < Duration::from_millis(300) && churned < 200_000 {
            // SAFETY: no preconditions.
            let socket = unsafe { enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM) };
            assert_ne!(socket, -1, "enet_socket_create failed");
            latest.store(socket, Ordering::Relaxed);
            let address = ipv4([127, 0, 0, 1], 0);
            // SAFETY: a live socket of ours; the address is valid for the call.
            assert_eq!(unsafe { enet_socket_bind(socket, &address) }, 0);
            // SAFETY: our socket, destroyed exactly once; the lookups above only hold its number.
            unsafe { enet_socket_destroy(socket) };
            churned += 1;
        }
        assert!(churned > 0);
    });
    assert!(
        answered.load(Ordering::Relaxed) > 0,
        "no lookup ever met a live socket"
    );
}

#[test]
fn a_descriptor_reused_after_a_close_behind_enets_back_reports_the_new_socket() {
    let _turn = take_turn();
    let old = enet_socket_bound_to(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    assert_eq!(socket_address_families(old), Some((true, false)));

    // dup2 closes the ENet socket without enet_socket_destroy and puts an IPv6-only socket under
    // the same number.
    let new = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).expect("::1 binds");
    // SAFETY: both descriptors are open; `old` is ours to replace.
    assert_eq!(unsafe { libc::dup2(new.as_raw_fd(), old) }, old);
    assert_eq!(socket_address_families(old), Some((false, true)));

    // SAFETY: `old` is an open descriptor of ours (the duplicate); destroy closes it.
    unsafe { enet_socket_destroy(old) };
}

/// Duplicates of `keep` filling every free descriptor number below `target`, so that the next
/// descriptor the kernel hands out once `target` is closed is `target` itself.
fn fill_descriptors_below(target: i32, keep: i32) -> Vec<OwnedFd> {
    let mut fillers = Vec::new();
    for _ in 0..=target {
        // SAFETY: `keep` is an open descriptor; dup returns a new one, which we own.
        let fd = unsafe { libc::dup(keep) };
        assert!(fd >= 0, "dup failed");
        // SAFETY: `fd` was just returned by dup and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        if fd > target {
            return fillers;
        }
        fillers.push(owned);
    }
    fillers
}

#[test]
fn an_accepted_socket_never_hands_out_datagrams_buffered_for_an_earlier_socket_of_its_number() {
    let _turn = take_turn();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("127.0.0.1 binds");

    // An ENet datagram socket with one datagram left in its receive batch.
    let old = enet_socket_bound_to(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    let sender = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("127.0.0.1 binds");
    for datagram in [b"first", b"stale"] {
        sender
            .send_to(datagram, (Ipv4Addr::LOCALHOST, port_of(old)))
            .expect("send_to");
    }
    let mut buffer = [0u8; 64];
    let mut enet_buffer = ENetBuffer {
        data: buffer.as_mut_ptr().cast::<c_void>(),
        dataLength: buffer.len(),
    };
    // SAFETY: a live (blocking) socket; the buffer describes `buffer`, which outlives the call.
    let received = unsafe { enet_socket_receive(old, std::ptr::null_mut(), &mut enet_buffer, 1) };
    assert_eq!(received, 5);
    assert_eq!(&buffer[..5], b"first");

    // A connection waits in the backlog, its bytes sent.
    let mut client =
        TcpStream::connect(listener.local_addr().expect("local_addr")).expect("connect");
    client.write_all(b"stream").expect("write");

    // The ENet socket is closed behind ENet's back; the connection is accepted under its number.
    let fillers = fill_descriptors_below(old, listener.as_raw_fd());
    // SAFETY: `old` is an open descriptor of ours, closed once and not used as that socket again.
    assert_eq!(unsafe { libc::close(old) }, 0);
    // SAFETY: a live listening socket; the address may be null.
    let accepted = unsafe { enet_socket_accept(listener.as_raw_fd(), std::ptr::null_mut()) };
    drop(fillers);
    assert_eq!(
        accepted, old,
        "the kernel reused the lowest free descriptor"
    );

    // SAFETY: a live (blocking) socket; the buffer describes `buffer`, which outlives the call.
    let received =
        unsafe { enet_socket_receive(accepted, std::ptr::null_mut(), &mut enet_buffer, 1) };
    assert_eq!(received, 6);
    assert_eq!(&buffer[..6], b"stream");

    // SAFETY: the accepted socket is ours, destroyed exactly once.
    unsafe { enet_socket_destroy(accepted) };
}
