//! Contender `raw`: the C API of our vendored ENet 1.3.18 (`enet-sys`) called directly, exactly
//! as a C program would. This is the overhead baseline of the safe layer: same library, same
//! build, no wrapper. Received packets are echoed by sending the received `ENetPacket` itself
//! (no copy); client messages are `enet_packet_create` copies of a 32-byte buffer.
//!
//! The only `unsafe` of the benchmark lives here; every host and packet pointer is owned by one
//! value of this module and used on the benchmark's single thread.

use crate::common::{Counts, Mode, Stack};
use enet_sys as sys;
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};

/// Raw ENet; initialises the library once.
pub struct Raw;

impl Raw {
    pub fn new() -> Raw {
        // SAFETY: enet_initialize has no preconditions; this process calls it once (the child
        // runs one contender) and never deinitialises.
        let rc = unsafe { sys::enet_initialize() };
        assert_eq!(rc, 0, "enet_initialize");
        Raw
    }
}

/// An ENet host we own; destroyed on drop.
pub struct Host {
    raw: NonNull<sys::ENetHost>,
    peer: *mut sys::ENetPeer,
    connected: bool,
}

impl Drop for Host {
    fn drop(&mut self) {
        // SAFETY: `raw` came from enet_host_create, is owned by this value alone and is destroyed
        // exactly once.
        unsafe { sys::enet_host_destroy(self.raw.as_ptr()) }
    }
}

fn loopback(port: u16) -> sys::ENetAddress {
    sys::ENetAddress {
        host: u32::from_ne_bytes([127, 0, 0, 1]),
        port,
    }
}

fn create(address: Option<&sys::ENetAddress>, peers: usize) -> Host {
    let address = address.map_or(ptr::null(), |a| a as *const sys::ENetAddress);
    // SAFETY: `address` is null or points to a live ENetAddress for the duration of the call.
    let raw = unsafe { sys::enet_host_create(address, peers, 1, 0, 0) };
    Host {
        raw: NonNull::new(raw).expect("enet_host_create"),
        peer: ptr::null_mut(),
        connected: false,
    }
}

fn flags(mode: Mode) -> u32 {
    match mode {
        Mode::Reliable => sys::ENET_PACKET_FLAG_RELIABLE,
        Mode::Unreliable => sys::ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT,
    }
}

/// `enet_packet_create` + `enet_peer_send`, destroying the packet if ENet refuses it.
///
/// # Safety
/// `peer` must be a live peer of a host owned by the caller.
unsafe fn send(peer: *mut sys::ENetPeer, channel: u8, payload: &[u8], mode: Mode) {
    // SAFETY: `payload` is valid for reads of its length; ENet copies it. `peer` per the contract.
    unsafe {
        let packet = sys::enet_packet_create(
            payload.as_ptr() as *const c_void,
            payload.len(),
            flags(mode),
        );
        assert!(!packet.is_null(), "enet_packet_create");
        if sys::enet_peer_send(peer, channel, packet) < 0 {
            sys::enet_packet_destroy(packet);
            panic!("enet_peer_send refused a packet");
        }
    }
}

/// One `enet_host_service(host, &event, 0)`; `None` when it returned 0.
fn service(host: &mut Host) -> Option<sys::ENetEvent> {
    let mut event = MaybeUninit::<sys::ENetEvent>::zeroed();
    // SAFETY: the host is live and exclusively ours; `event` is a valid out-pointer.
    let rc = unsafe { sys::enet_host_service(host.raw.as_ptr(), event.as_mut_ptr(), 0) };
    assert!(rc >= 0, "enet_host_service failed");
    // SAFETY: all-zero is a valid ENetEvent, and ENet fills it in when it returns > 0.
    (rc > 0).then(|| unsafe { event.assume_init() })
}

impl Stack for Raw {
    type Server = Host;
    type Client = Host;

    fn server(&mut self, peers: usize) -> Host {
        create(Some(&loopback(0)), peers)
    }

    fn port(&mut self, server: &Host) -> u16 {
        let mut address = loopback(0);
        // SAFETY: live host; `address` is a valid out-pointer.
        let rc = unsafe { sys::enet_socket_get_address(server.raw.as_ref().socket, &mut address) };
        assert_eq!(rc, 0, "enet_socket_get_address");
        address.port
    }

    fn client(&mut self) -> Host {
        create(None, 1)
    }

    fn connect(&mut self, client: &mut Host, port: u16) {
        // SAFETY: live host, exclusively ours; the address is valid for the call.
        let peer = unsafe { sys::enet_host_connect(client.raw.as_ptr(), &loopback(port), 1, 0) };
        assert!(!peer.is_null(), "enet_host_connect");
        client.peer = peer;
    }

    fn is_connected(&self, client: &Host) -> bool {
        client.connected
    }

    fn pump_server(&mut self, server: &mut Host, echo: bool, counts: &mut Counts) {
        while let Some(event) = service(server) {
            match event.type_ {
                sys::ENET_EVENT_TYPE_CONNECT => counts.connects += 1,
                sys::ENET_EVENT_TYPE_DISCONNECT => counts.disconnects += 1,
                sys::ENET_EVENT_TYPE_RECEIVE => {
                    // SAFETY: a RECEIVE event hands us a live packet (reference count 0) from a
                    // live peer of our host. Re-sending it gives ENet a reference; otherwise (or
                    // if ENet refuses it) we destroy it.
                    unsafe {
                        counts.packets += 1;
                        counts.bytes += (*event.packet).dataLength as u64;
                        if !echo
                            || sys::enet_peer_send(event.peer, event.channelID, event.packet) < 0
                        {
                            sys::enet_packet_destroy(event.packet);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn pump_client(&mut self, client: &mut Host, reply: Option<(&[u8], Mode)>) -> u32 {
        let mut received = 0;
        while let Some(event) = service(client) {
            match event.type_ {
                sys::ENET_EVENT_TYPE_CONNECT => client.connected = true,
                sys::ENET_EVENT_TYPE_DISCONNECT => panic!("client disconnected"),
                sys::ENET_EVENT_TYPE_RECEIVE => {
                    // SAFETY: as in pump_server; the packet is ours to read and destroy, and the
                    // event's peer is a live peer of our host.
                    unsafe {
                        assert!((*event.packet).dataLength > 0);
                        sys::enet_packet_destroy(event.packet);
                        if let Some((payload, mode)) = reply {
                            send(event.peer, 0, payload, mode);
                        }
                    }
                    received += 1;
                }
                _ => {}
            }
        }
        received
    }

    fn send(&mut self, client: &mut Host, payload: &[u8], mode: Mode) {
        assert!(!client.peer.is_null(), "send before connect");
        // SAFETY: `client.peer` is the live peer enet_host_connect returned for this host (the
        // client never disconnects while the benchmark runs).
        unsafe { send(client.peer, 0, payload, mode) }
    }
}
