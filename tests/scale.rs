//! 4,095 peers (ENet's maximum) on one server `Connection`, for several cycles of connect, one
//! message each way, disconnect: no peer, handle or packet is leaked.
//!
//! The server is the safe layer under test. The clients are raw C ENet hosts with many peers
//! each (Godot's `connect_to_host` allows one outgoing peer per connection, and 4,095 sockets would
//! test the OS more than ENet). Own test binary: it counts ENet's allocations process-wide.

mod common;
#[path = "common/enet_alloc.rs"]
mod enet_alloc;

use enet::{Connection, Event, PacketPeer};
use enet_sys as sys;
use std::collections::HashSet;
use std::ffi::c_void;
use std::time::{Duration, Instant};

const PEERS: usize = 4095;
const CLIENT_HOSTS: usize = 8;
const CYCLES: usize = 3;
/// Connections started per wave: a burst of thousands of CONNECTs at once overflows the socket
/// buffers and those handshakes time out, so legitimate clients arrive in waves.
const WAVE: usize = 256;

/// A raw C ENet client host with many peers.
struct RawClient(*mut sys::ENetHost);

impl RawClient {
    fn new(peers: usize) -> RawClient {
        // SAFETY: unbound host; ENet validates the counts.
        let host = unsafe { sys::enet_host_create(std::ptr::null(), peers, 2, 0, 0) };
        assert!(!host.is_null());
        RawClient(host)
    }

    fn connect(&self, port: u16, data: u32) {
        let address = sys::ENetAddress {
            host: u32::from_ne_bytes([127, 0, 0, 1]),
            port,
        };
        // SAFETY: live host; address valid for the call.
        let peer = unsafe { sys::enet_host_connect(self.0, &address, 2, data) };
        assert!(!peer.is_null());
    }

    /// Services without waiting; echoes nothing, counts events by type.
    /// Services once without waiting, then drains the queued events.
    fn service(&self, connects: &mut usize, receives: &mut usize, disconnects: &mut usize) {
        // SAFETY: all-zero is a valid ENetEvent.
        let mut event: sys::ENetEvent = unsafe { std::mem::zeroed() };
        // SAFETY: live host, valid out-pointer.
        let mut rc = unsafe { sys::enet_host_service(self.0, &mut event, 0) };
        while rc > 0 {
            Self::handle(&event, connects, receives, disconnects);
            // SAFETY: as above; drains queued events without touching the socket.
            rc = unsafe { sys::enet_host_check_events(self.0, &mut event) };
        }
        assert!(rc >= 0);
    }

    /// Counts one event; answers a CONNECT with a message and a RECEIVE with a graceful
    /// disconnect.
    fn handle(
        event: &sys::ENetEvent,
        connects: &mut usize,
        receives: &mut usize,
        disconnects: &mut usize,
    ) {
        match event.type_ {
            sys::ENET_EVENT_TYPE_CONNECT => {
                *connects += 1;
                let message = event.data.to_le_bytes();
                // SAFETY: a connected peer of this host; the packet is handed to ENet.
                unsafe {
                    let packet = sys::enet_packet_create(
                        message.as_ptr() as *const c_void,
                        message.len(),
                        sys::ENET_PACKET_FLAG_RELIABLE,
                    );
                    assert_eq!(sys::enet_peer_send(event.peer, 0, packet), 0);
                }
            }
            sys::ENET_EVENT_TYPE_RECEIVE => {
                *receives += 1;
                // SAFETY: the received packet is ours; we answer with a graceful disconnect.
                unsafe {
                    sys::enet_packet_destroy(event.packet);
                    sys::enet_peer_disconnect(event.peer, 0);
                }
            }
            sys::ENET_EVENT_TYPE_DISCONNECT => *disconnects += 1,
            _ => {}
        }
    }
}

impl Drop for RawClient {
    fn drop(&mut self) {
        // SAFETY: created by enet_host_create, destroyed once.
        unsafe { sys::enet_host_destroy(self.0) }
    }
}

#[test]
fn the_maximum_4095_peers_connect_exchange_and_disconnect_for_several_cycles_without_leaks() {
    enet_alloc::install();

    let server = Connection::new();
    server
        .create_host_bound("127.0.0.1", 0, PEERS as i32, 2, 0, 0)
        .unwrap();
    let port = server.get_local_port().unwrap();
    let clients: Vec<RawClient> = (0..CLIENT_HOSTS)
        .map(|_| RawClient::new(PEERS.div_ceil(CLIENT_HOSTS)))
        .collect();
    let baseline = enet_alloc::bytes();
    let mut all_handles: Vec<PacketPeer> = Vec::new();

    for cycle in 0..CYCLES {
        let mut started = 0;
        let (mut connects, mut receives, mut disconnects) = (0, 0, 0);
        let mut server_connected = HashSet::new();
        let mut server_received = 0;
        let mut server_disconnected = 0;
        let start = Instant::now();
        while server_disconnected < PEERS || disconnects < PEERS {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "cycle {cycle}: server saw {} connects, {server_received} messages, \
                 {server_disconnected} disconnects; clients {connects}/{receives}/{disconnects}",
                server_connected.len()
            );
            if started < PEERS && started < server_connected.len() + WAVE {
                let wave_end = (started + WAVE).min(PEERS);
                for i in started..wave_end {
                    clients[i % CLIENT_HOSTS].connect(port, i as u32);
                }
                started = wave_end;
            }
            for client in &clients {
                client.service(&mut connects, &mut receives, &mut disconnects);
            }
            let mut event = server.service(1).unwrap();
            loop {
                match std::mem::replace(&mut event, Event::None) {
                    Event::None => break,
                    Event::Connect { peer, data } => {
                        assert!(
                            server_connected.insert(data),
                            "cycle {cycle}: client {data} twice"
                        );
                        all_handles.push(peer);
                    }
                    Event::Receive { peer, .. } => {
                        let packet = peer.get_packet().unwrap();
                        peer.send(0, &packet, PacketPeer::FLAG_RELIABLE).unwrap();
                        server_received += 1;
                    }
                    Event::Disconnect { peer, .. } => {
                        assert!(!peer.is_active());
                        server_disconnected += 1;
                    }
                }
                event = server.check_events().unwrap();
            }
        }
        assert_eq!(server_connected.len(), PEERS);
        assert_eq!(server_received, PEERS);
        assert_eq!((connects, receives, disconnects), (PEERS, PEERS, PEERS));
        assert!(
            server.get_peers().unwrap().is_empty(),
            "cycle {cycle}: no peer left attached"
        );
    }

    assert_eq!(all_handles.len(), CYCLES * PEERS);
    assert!(
        all_handles.iter().all(|h| !h.is_active()),
        "every handle is detached"
    );
    assert_eq!(
        all_handles.iter().collect::<HashSet<_>>().len(),
        CYCLES * PEERS,
        "handles never repeat"
    );
    assert_eq!(
        enet_alloc::bytes(),
        baseline,
        "ENet holds exactly what it held before the cycles"
    );
}
