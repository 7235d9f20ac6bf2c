//! Receive-side contract shared by both platform layers (run with and without
//! `upstream-platform`): oversized datagrams are skipped (-2) without disturbing their
//! neighbours, a larger caller buffer takes them whole, a host survives them, and the TTL option
//! round-trips. IPv4 loopback only, so the upstream layer runs the same assertions.

mod common;

use common::*;
use enet_sys::*;
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::Mutex;
use std::time::Instant;

const OVERSIZED: usize = 5000;

/// A non-blocking ENet datagram socket bound to 127.0.0.1:0, destroyed on drop.
struct Socket(ENetSocket);

impl Socket {
    fn bound() -> Socket {
        // SAFETY: plain socket calls on a socket this value owns.
        unsafe {
            let socket = enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM);
            assert!(socket >= 0);
            assert_eq!(enet_socket_bind(socket, &ipv4([127, 0, 0, 1], 0)), 0);
            assert_eq!(enet_socket_set_option(socket, ENET_SOCKOPT_NONBLOCK, 1), 0);
            Socket(socket)
        }
    }

    fn port(&self) -> u16 {
        let mut address = ipv4([0, 0, 0, 0], 0);
        // SAFETY: the socket is live; address is a valid out-pointer.
        assert_eq!(unsafe { enet_socket_get_address(self.0, &mut address) }, 0);
        address.port
    }

    /// One `enet_socket_receive` into `capacity` bytes: result, source, bytes.
    fn receive(&self, capacity: usize) -> (i32, ENetAddress, Vec<u8>) {
        let mut data = vec![0u8; capacity];
        let mut buffer = ENetBuffer {
            data: data.as_mut_ptr().cast(),
            dataLength: data.len(),
        };
        let mut source = ipv4([0, 0, 0, 0], 0);
        // SAFETY: the socket is live; source and buffer are valid for the call.
        let rc = unsafe { enet_socket_receive(self.0, &mut source, &mut buffer, 1) };
        data.truncate(rc.max(0) as usize);
        (rc, source, data)
    }

    /// The next non-zero receive result, waiting up to the deadline.
    fn receive_next(&self, capacity: usize) -> (i32, ENetAddress, Vec<u8>) {
        let start = Instant::now();
        loop {
            let received = self.receive(capacity);
            if received.0 != 0 {
                return received;
            }
            assert!(start.elapsed() < DEADLINE, "no datagram arrived");
            let mut condition = ENET_SOCKET_WAIT_RECEIVE;
            // SAFETY: the socket is live; condition is a valid in/out pointer.
            assert_eq!(unsafe { enet_socket_wait(self.0, &mut condition, 100) }, 0);
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: the socket is destroyed once.
        unsafe { enet_socket_destroy(self.0) }
    }
}

fn sender() -> (UdpSocket, ENetAddress) {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let port = socket.local_addr().expect("addr").port();
    (socket, ipv4([127, 0, 0, 1], port))
}

#[test]
fn an_oversized_datagram_is_skipped_between_two_normal_ones() {
    let socket = Socket::bound();
    let (sender, sender_address) = sender();
    for datagram in [&b"one"[..], &pattern(OVERSIZED, 3), b"three!"] {
        sender
            .send_to(datagram, (Ipv4Addr::LOCALHOST, socket.port()))
            .expect("send");
    }

    let (rc, source, bytes) = socket.receive_next(4096);
    assert_eq!((rc, bytes.as_slice()), (3, &b"one"[..]));
    assert_eq!(
        (source.host, source.port),
        (sender_address.host, sender_address.port)
    );
    assert_eq!(socket.receive_next(4096).0, -2, "the oversized datagram");
    let (rc, source, bytes) = socket.receive_next(4096);
    assert_eq!((rc, bytes.as_slice()), (6, &b"three!"[..]));
    assert_eq!(source.port, sender_address.port);
    assert_eq!(socket.receive(4096).0, 0, "nothing else is queued");
}

#[test]
fn a_datagram_above_4096_bytes_fits_a_caller_buffer_big_enough() {
    let socket = Socket::bound();
    let (sender, _) = sender();
    let payload = pattern(OVERSIZED, 4);
    sender
        .send_to(&payload, (Ipv4Addr::LOCALHOST, socket.port()))
        .expect("send");
    let (rc, _, bytes) = socket.receive_next(8192);
    assert_eq!(rc, OVERSIZED as i32);
    assert!(bytes == payload, "payload corrupted");
}

#[test]
fn a_datagram_larger_than_the_caller_buffer_is_skipped() {
    let socket = Socket::bound();
    let (sender, _) = sender();
    sender
        .send_to(&[7u8; 100], (Ipv4Addr::LOCALHOST, socket.port()))
        .expect("send");
    assert_eq!(socket.receive_next(64).0, -2);
}

/// Datagram lengths the server host's intercept saw, per test run.
static SEEN: Mutex<Vec<usize>> = Mutex::new(Vec::new());

extern "C" fn record(host: *mut ENetHost, _event: *mut ENetEvent) -> i32 {
    // SAFETY: ENet calls the intercept with its live host, whose received fields are valid.
    let length = unsafe { (*host).receivedDataLength };
    SEEN.lock().expect("lock").push(length);
    0
}

#[test]
fn a_host_skips_an_oversized_datagram_and_keeps_serving_its_peer() {
    init();
    let server = Host::new(Some(&ipv4([127, 0, 0, 1], 0)), 2);
    // SAFETY: the host is live; the callback has the intercept signature.
    unsafe { (*server.0).intercept = Some(record) };
    let client = Host::new(None, 1);
    let to_server = client.connect(&ipv4([127, 0, 0, 1], server.port()), 1);
    let mut pump = Pump::new(vec![&server, &client]);
    let to_client = pump.next(0, ENET_EVENT_TYPE_CONNECT).peer;
    pump.next(1, ENET_EVENT_TYPE_CONNECT);

    let (probe, _) = sender();
    let port = server.port();
    probe
        .send_to(&pattern(OVERSIZED, 5), (Ipv4Addr::LOCALHOST, port))
        .expect("send");
    probe
        .send_to(b"abc", (Ipv4Addr::LOCALHOST, port))
        .expect("send");
    // Every enet_host_service call succeeds (the pump asserts it) while the host reads past the
    // oversized datagram to the 3-byte one sent after it.
    pump.until("the 3-byte datagram", |_| {
        SEEN.lock().expect("lock").contains(&3)
    });
    assert!(SEEN.lock().expect("lock").iter().all(|&len| len <= 4096));

    send(to_server, 0, b"still here", ENET_PACKET_FLAG_RELIABLE);
    assert_eq!(
        take(&pump.next(0, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"still here"
    );
    send(to_client, 0, b"and back", ENET_PACKET_FLAG_RELIABLE);
    assert_eq!(
        take(&pump.next(1, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"and back"
    );

    // The oversized datagram was consumed, not left queued: with the client gone, draining the
    // server's socket meets only the client's leftover traffic, never a skip.
    drop(pump);
    drop(client);
    let mut data = [0u8; 4096];
    let mut buffer = ENetBuffer {
        data: data.as_mut_ptr().cast(),
        dataLength: data.len(),
    };
    let mut source = ipv4([0, 0, 0, 0], 0);
    loop {
        // SAFETY: the server's socket is live; source and buffer are valid for the call.
        let rc = unsafe { enet_socket_receive(server.socket(), &mut source, &mut buffer, 1) };
        assert_ne!(rc, -2, "the oversized datagram was still queued");
        assert!(rc >= 0);
        if rc == 0 {
            break;
        }
    }
}

#[test]
fn the_ttl_option_round_trips_on_bound_and_unbound_sockets() {
    let bound = Socket::bound();
    // SAFETY: creating a socket owned (and destroyed) by the Socket value.
    let unbound = Socket(unsafe { enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM) });
    assert!(unbound.0 >= 0);
    for (socket, value) in [(&bound, 7), (&unbound, 9)] {
        let mut ttl = 0;
        // SAFETY: the socket is live; ttl is a valid out-pointer.
        unsafe {
            assert_eq!(enet_socket_set_option(socket.0, ENET_SOCKOPT_TTL, value), 0);
            assert_eq!(
                enet_socket_get_option(socket.0, ENET_SOCKOPT_TTL, &mut ttl),
                0
            );
        }
        assert_eq!(ttl, value);
    }
}
