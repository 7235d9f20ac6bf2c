//! Helpers shared by the enet-sys integration tests: owned hosts, a deadline-bound event pump and
//! packet helpers, over the raw bindings. Each test binary uses a subset of them.
#![allow(dead_code)]

use enet_sys::*;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::time::{Duration, Instant};

/// How long any wait in these tests may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Channels every test host and connection uses.
pub const CHANNELS: usize = 4;

/// `enet_initialize` (a no-op on unix, idempotent).
pub fn init() {
    // SAFETY: no preconditions on unix.
    assert_eq!(unsafe { enet_initialize() }, 0);
}

/// An IPv4 ENetAddress (host in network byte order).
pub fn ipv4(octets: [u8; 4], port: u16) -> ENetAddress {
    ENetAddress {
        host: u32::from_ne_bytes(octets),
        port,
    }
}

/// An owned `ENetHost`, destroyed on drop.
pub struct Host(pub *mut ENetHost);

impl Host {
    /// `enet_host_create(address, peers, CHANNELS, 0, 0)`, which must succeed.
    pub fn new(address: Option<&ENetAddress>, peers: usize) -> Host {
        let address = address.map_or(std::ptr::null(), |a| a as *const ENetAddress);
        // SAFETY: address is null or points to a live ENetAddress for the duration of the call.
        let host = unsafe { enet_host_create(address, peers, CHANNELS, 0, 0) };
        assert!(!host.is_null(), "enet_host_create failed");
        Host(host)
    }

    /// The host's socket.
    pub fn socket(&self) -> ENetSocket {
        // SAFETY: self.0 is a live host.
        unsafe { (*self.0).socket }
    }

    /// The address the socket is bound to (`enet_socket_get_address`).
    pub fn local_address(&self) -> ENetAddress {
        let mut address = ipv4([0, 0, 0, 0], 0);
        // SAFETY: the socket is live; address is a valid out-pointer.
        let rc = unsafe { enet_socket_get_address(self.socket(), &mut address) };
        assert_eq!(rc, 0);
        address
    }

    /// The port the socket is bound to.
    pub fn port(&self) -> u16 {
        let port = self.local_address().port;
        assert_ne!(port, 0, "socket not bound");
        port
    }

    /// `enet_host_connect` with `CHANNELS` channels, which must return a peer.
    pub fn connect(&self, address: &ENetAddress, data: u32) -> *mut ENetPeer {
        // SAFETY: the host is live; the address is valid for the call.
        let peer = unsafe { enet_host_connect(self.0, address, CHANNELS, data) };
        assert!(!peer.is_null(), "enet_host_connect failed");
        peer
    }

    /// Datagrams received so far (`totalReceivedPackets`).
    pub fn received_datagrams(&self) -> u32 {
        // SAFETY: self.0 is a live host; the field is plain data.
        unsafe { (*self.0).totalReceivedPackets }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: the pointer came from enet_host_create and is destroyed exactly once.
        unsafe { enet_host_destroy(self.0) }
    }
}

/// Services hosts in turn, keeping each host's events in its own queue, so waiting on one host
/// never loses another's events. Every `enet_host_service` call must succeed.
pub struct Pump<'a> {
    hosts: Vec<&'a Host>,
    queues: Vec<VecDeque<ENetEvent>>,
}

impl<'a> Pump<'a> {
    pub fn new(hosts: Vec<&'a Host>) -> Self {
        let queues = hosts.iter().map(|_| VecDeque::new()).collect();
        Pump { hosts, queues }
    }

    /// One `enet_host_service(host, 1 ms)` per host; events are queued.
    pub fn service_once(&mut self) {
        for (i, host) in self.hosts.iter().enumerate() {
            // SAFETY: ENetEvent is plain data; all-zero is a valid NONE event.
            let mut event: ENetEvent = unsafe { std::mem::zeroed() };
            // SAFETY: host.0 is a live host and event is a valid out-pointer.
            let rc = unsafe { enet_host_service(host.0, &mut event, 1) };
            assert!(rc >= 0, "enet_host_service failed on host {i}");
            if rc > 0 {
                self.queues[i].push_back(event);
            }
        }
    }

    /// Services until `done` holds, or panics after `DEADLINE`.
    pub fn until(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
            self.service_once();
        }
    }

    /// The next event of `host_index`, which must be of type `kind`.
    pub fn next(&mut self, host_index: usize, kind: ENetEventType) -> ENetEvent {
        let mut found = None;
        self.until(&format!("event {kind} on host {host_index}"), |pump| {
            found = pump.queues[host_index].pop_front();
            found.is_some()
        });
        let event = found.expect("checked by until");
        assert_eq!(event.type_, kind, "unexpected event on host {host_index}");
        event
    }

    /// The events queued for `host_index` so far.
    pub fn queued(&self, host_index: usize) -> &VecDeque<ENetEvent> {
        &self.queues[host_index]
    }
}

/// Queues a packet of `bytes` with `flags` on `channel`; `enet_peer_send` must succeed.
pub fn send(peer: *mut ENetPeer, channel: u8, bytes: &[u8], flags: u32) {
    // SAFETY: bytes is valid for bytes.len(); ENet copies it into a new packet.
    let packet = unsafe { enet_packet_create(bytes.as_ptr() as *const c_void, bytes.len(), flags) };
    assert!(!packet.is_null());
    // SAFETY: peer is a connected peer of a live host; on success ENet owns the packet.
    let rc = unsafe { enet_peer_send(peer, channel, packet) };
    assert_eq!(rc, 0, "enet_peer_send failed");
}

/// What a RECEIVE event delivered.
#[derive(Debug, PartialEq, Eq)]
pub struct Received {
    pub channel: u8,
    pub flags: u32,
    pub bytes: Vec<u8>,
}

/// Takes the packet of a RECEIVE event (destroying it).
pub fn take(event: &ENetEvent) -> Received {
    assert_eq!(event.type_, ENET_EVENT_TYPE_RECEIVE);
    // SAFETY: a RECEIVE event carries a valid packet of dataLength bytes, destroyed once here.
    unsafe {
        let packet = &*event.packet;
        let received = Received {
            channel: event.channelID,
            flags: packet.flags,
            bytes: std::slice::from_raw_parts(packet.data, packet.dataLength).to_vec(),
        };
        enet_packet_destroy(event.packet);
        received
    }
}

/// `len` bytes of a position-dependent pattern, so misordered fragments are detected.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(u32::from(seed)) as u8)
        .collect()
}
