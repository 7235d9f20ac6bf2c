//! Two hosts over the raw bindings alone: connect on 127.0.0.1 (port 0), one reliable packet each
//! way, graceful disconnect with the event seen on both sides.

use enet_sys::*;
use std::ffi::c_void;
use std::ptr;
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(10);

struct Host(*mut ENetHost);

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: the pointer came from enet_host_create and is destroyed exactly once.
        unsafe { enet_host_destroy(self.0) }
    }
}

fn loopback(port: u16) -> ENetAddress {
    ENetAddress {
        host: u32::from_ne_bytes([127, 0, 0, 1]),
        port,
    }
}

fn create_host(address: Option<&ENetAddress>, peers: usize) -> Host {
    let address = address.map_or(ptr::null(), |a| a as *const ENetAddress);
    // SAFETY: address is null or points to a live ENetAddress for the duration of the call.
    let host = unsafe { enet_host_create(address, peers, 2, 0, 0) };
    assert!(!host.is_null(), "enet_host_create failed");
    Host(host)
}

/// Services every host in turn, keeping each host's events in its own queue, so waiting for one
/// host's event never loses another's.
struct Pump<'a> {
    hosts: Vec<&'a Host>,
    queues: Vec<std::collections::VecDeque<ENetEvent>>,
}

impl<'a> Pump<'a> {
    fn new(hosts: Vec<&'a Host>) -> Self {
        let queues = hosts.iter().map(|_| Default::default()).collect();
        Pump { hosts, queues }
    }

    /// The next event of `host_index` of type `kind`, or a panic after the deadline. Events of
    /// other types on that host are not expected by these tests and fail them.
    fn next(&mut self, host_index: usize, kind: ENetEventType) -> ENetEvent {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if let Some(event) = self.queues[host_index].pop_front() {
                assert_eq!(event.type_, kind, "unexpected event on host {host_index}");
                return event;
            }
            for (i, host) in self.hosts.iter().enumerate() {
                // SAFETY: ENetEvent is plain data; all-zero is a valid NONE event.
                let mut event: ENetEvent = unsafe { std::mem::zeroed() };
                // SAFETY: host.0 is a live host and event is a valid out-pointer.
                let rc = unsafe { enet_host_service(host.0, &mut event, 1) };
                assert!(rc >= 0, "enet_host_service failed");
                if rc > 0 {
                    self.queues[i].push_back(event);
                }
            }
        }
        panic!("no event of type {kind} on host {host_index} within {DEADLINE:?}");
    }
}

fn send_reliable(peer: *mut ENetPeer, bytes: &[u8]) {
    // SAFETY: bytes is valid for bytes.len(); ENet copies it into a new packet.
    let packet = unsafe {
        enet_packet_create(
            bytes.as_ptr() as *const c_void,
            bytes.len(),
            ENET_PACKET_FLAG_RELIABLE,
        )
    };
    assert!(!packet.is_null());
    // SAFETY: peer is a connected peer of a live host; on success ENet owns the packet.
    let rc = unsafe { enet_peer_send(peer, 0, packet) };
    assert_eq!(rc, 0);
}

fn received_bytes(event: &ENetEvent) -> Vec<u8> {
    // SAFETY: a RECEIVE event carries a valid packet of dataLength bytes, which we then destroy.
    unsafe {
        let packet = &*event.packet;
        let bytes = std::slice::from_raw_parts(packet.data, packet.dataLength).to_vec();
        enet_packet_destroy(event.packet);
        bytes
    }
}

#[test]
fn linked_version_is_1_3_18() {
    // SAFETY: enet_initialize has no preconditions on unix; enet_linked_version is pure.
    unsafe {
        assert_eq!(enet_initialize(), 0);
        assert_eq!(enet_linked_version(), (1 << 16) | (3 << 8) | 18);
    }
}

#[test]
fn two_hosts_connect_exchange_reliable_packets_and_disconnect() {
    // SAFETY: no preconditions on unix; idempotent.
    assert_eq!(unsafe { enet_initialize() }, 0);
    let server = create_host(Some(&loopback(0)), 4);
    let client = create_host(None, 1);
    // SAFETY: the server host is live; its socket was bound by enet_host_create.
    let server_port = unsafe {
        let mut bound = loopback(0);
        assert_eq!(enet_socket_get_address((*server.0).socket, &mut bound), 0);
        bound.port
    };
    assert_ne!(server_port, 0);

    // SAFETY: client is live; the address is valid for the call.
    let to_server = unsafe { enet_host_connect(client.0, &loopback(server_port), 2, 42) };
    assert!(!to_server.is_null());

    let mut pump = Pump::new(vec![&server, &client]);
    let connected = pump.next(0, ENET_EVENT_TYPE_CONNECT);
    assert_eq!(connected.data, 42, "CONNECT carries the client's data");
    let to_client = connected.peer;
    assert_eq!(pump.next(1, ENET_EVENT_TYPE_CONNECT).peer, to_server);

    send_reliable(to_server, b"hello server");
    let got = pump.next(0, ENET_EVENT_TYPE_RECEIVE);
    assert_eq!(got.channelID, 0);
    assert_eq!(received_bytes(&got), b"hello server");

    send_reliable(to_client, b"hello client");
    let got = pump.next(1, ENET_EVENT_TYPE_RECEIVE);
    assert_eq!(received_bytes(&got), b"hello client");

    // SAFETY: to_server is the client's connected peer.
    unsafe { enet_peer_disconnect(to_server, 7) };
    let server_side = pump.next(0, ENET_EVENT_TYPE_DISCONNECT);
    assert_eq!(
        server_side.data, 7,
        "DISCONNECT carries the disconnect data"
    );
    assert_eq!(server_side.peer, to_client);
    let client_side = pump.next(1, ENET_EVENT_TYPE_DISCONNECT);
    assert_eq!(client_side.peer, to_server);
}
