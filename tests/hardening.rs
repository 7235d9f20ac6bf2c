//! Upstream ENet 1.3.18's receive-path defects fixed only after the release, and this crate's
//! neutralisation of each (src/hardening.rs). Every test runs the same attack twice: with the fix
//! (the default) and with it switched off, so it proves both the defect and the fix.
//!
//! This file is its own test binary because it installs counting allocator callbacks in ENet, a
//! process-wide setting.

mod common;
#[path = "common/enet_alloc.rs"]
mod enet_alloc;

use common::Pump;
use enet::{Connection, Event, PacketPeer, Verdict};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Serialises the tests of this binary: they share the process-wide allocation counter.
static SERIAL: Mutex<()> = Mutex::new(());

/// Routes ENet's allocations through the counters, before any host of this process exists, and
/// returns the guard that keeps the other tests of this binary out until the caller is done.
fn count_enet_allocations() -> std::sync::MutexGuard<'static, ()> {
    let serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    enet_alloc::install();
    serial
}

/// A connected pair and the 2-byte header the client's datagrams carry (its peer id and session
/// bits as the server expects them).
fn pair_with_client_header(
    channels: i32,
) -> (Connection, Connection, PacketPeer, PacketPeer, [u8; 2]) {
    let (server, client, to_client, to_server) = common::connected_pair(channels);
    let header = common::client_header(&server, &client, &to_server);
    (server, client, to_client, to_server, header)
}

/// A datagram with one SEND_UNRELIABLE_FRAGMENT on channel 1 announcing a 1-byte packet in
/// 1,048,576 fragments with an empty fragment. Each distinct `start` (used as both the reliable
/// and the unreliable sequence number, so ENet holds every one as a future command within its
/// reliable window) makes 1.3.18 allocate a 128 KiB fragment bitmap for one byte of "waiting
/// data".
fn bitmap_bomb(header: [u8; 2], start: u16) -> Vec<u8> {
    let mut datagram = header.to_vec();
    datagram.extend_from_slice(&[
        enet_sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE_FRAGMENT as u8,
        1,
    ]);
    datagram.extend_from_slice(&start.to_be_bytes()); // reliable sequence number
    datagram.extend_from_slice(&start.to_be_bytes());
    datagram.extend_from_slice(&0u16.to_be_bytes()); // fragment length
    datagram.extend_from_slice(&(1u32 << 20).to_be_bytes()); // fragment count
    datagram.extend_from_slice(&0u32.to_be_bytes()); // fragment number
    datagram.extend_from_slice(&1u32.to_be_bytes()); // total length
    datagram.extend_from_slice(&0u32.to_be_bytes()); // fragment offset
    datagram
}

/// Bytes ENet's allocations grew by while a connected client sent 200 bitmap bombs.
fn bitmap_bomb_growth(hardened: bool) -> usize {
    let _serial = count_enet_allocations();
    let (server, client, to_client, _to_server, header) = pair_with_client_header(4);
    server.set_hardening_enabled(hardened).unwrap();
    let port = i32::from(server.get_local_port().unwrap());
    let before = enet_alloc::bytes();
    for start in 1..=200u16 {
        client
            .socket_send("127.0.0.1", port, &bitmap_bomb(header, start))
            .unwrap();
        if start % 20 == 0 {
            server.service(5).unwrap();
        }
    }
    let received = server
        .pop_statistic(enet::HostStatistic::TotalReceivedPackets)
        .unwrap();
    let deadline = Instant::now() + common::DEADLINE;
    let mut datagrams = u64::from(received);
    while datagrams < 200 && Instant::now() < deadline {
        server.service(5).unwrap();
        datagrams += u64::from(
            server
                .pop_statistic(enet::HostStatistic::TotalReceivedPackets)
                .unwrap(),
        );
    }
    assert!(
        datagrams >= 200,
        "the server received the attack ({datagrams} datagrams)"
    );
    let grown = enet_alloc::bytes().saturating_sub(before);
    assert!(to_client.is_active(), "the attacker stays connected");
    grown
}

#[test]
fn unreliable_fragments_with_fewer_bytes_than_fragments_allocate_nothing() {
    let grown = bitmap_bomb_growth(true);
    assert!(grown < 1 << 20, "hardened host grew by {grown} bytes");
}

#[test]
fn without_the_fix_each_unreliable_fragment_bomb_allocates_a_128_kib_bitmap() {
    let grown = bitmap_bomb_growth(false);
    assert!(
        grown >= 200 * (128 << 10),
        "unhardened host grew by only {grown} bytes"
    );
}

/// Whether a reliable packet still gets through after a lossy stream of unreliable fragments has
/// made upstream's `totalWaitingData` drift past `maximumWaitingData`.
fn reliable_arrives_after_fragment_loss(hardened: bool) -> bool {
    let _serial = count_enet_allocations();
    let (server, client, to_client, to_server) = common::connected_pair(4);
    server.set_hardening_enabled(hardened).unwrap();
    server.set_max_waiting_data(64 << 10).unwrap();
    // Drop one datagram in four of the fragment stream: three packets in four stay incomplete and
    // ENet discards them when a later packet completes, without subtracting their size.
    let mut large = 0u64;
    server
        .set_intercept(Some(Box::new(move |_, datagram: &[u8]| {
            if datagram.len() > 1000 {
                large += 1;
                if large % 4 == 0 {
                    return Verdict::Drop;
                }
            }
            Verdict::Pass
        })))
        .unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    for i in 0..120u32 {
        let mut packet = vec![0u8; 4000];
        packet[..4].copy_from_slice(&i.to_le_bytes());
        to_server
            .send(1, &packet, PacketPeer::FLAG_UNRELIABLE_FRAGMENT)
            .unwrap();
        client.flush().unwrap();
        pump.step();
        while to_client.get_packet().is_ok() {}
    }
    pump.pending(0);
    to_server
        .send(0, b"after the storm", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        pump.step();
        while let Ok(packet) = to_client.get_packet() {
            if &packet[..] == b"after the storm" {
                return true;
            }
        }
        let events = pump.pending(0);
        assert!(!events.iter().any(|e| matches!(e, Event::Disconnect { .. })));
    }
    false
}

#[test]
fn a_lossy_unreliable_fragment_stream_never_stops_reliable_delivery() {
    assert!(reliable_arrives_after_fragment_loss(true));
}

#[test]
fn without_the_fix_waiting_data_drift_silently_stops_reception() {
    assert!(!reliable_arrives_after_fragment_loss(false));
}

/// A datagram with one reliable SEND_FRAGMENT on channel 1: fragment `number` of a packet
/// announced as `total` bytes in `count` fragments, carrying `payload` at `offset`. The first
/// reliable packet on a fresh channel starts at sequence number 1; each fragment has its own.
fn fragment(
    header: [u8; 2],
    count: u32,
    number: u32,
    total: u32,
    offset: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut datagram = header.to_vec();
    let sequence = 1 + number as u16;
    datagram.extend_from_slice(&[
        enet_sys::ENET_PROTOCOL_COMMAND_SEND_FRAGMENT as u8
            | enet_sys::ENET_PROTOCOL_COMMAND_FLAG_ACKNOWLEDGE as u8,
        1,
    ]);
    datagram.extend_from_slice(&sequence.to_be_bytes());
    datagram.extend_from_slice(&1u16.to_be_bytes()); // start sequence number
    datagram.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    for field in [count, number, total, offset] {
        datagram.extend_from_slice(&field.to_be_bytes());
    }
    datagram.extend_from_slice(payload);
    datagram
}

/// What the server delivers on channel 1 after a connected client announced a 100 KiB reliable
/// packet in two 1-byte fragments (the lengths of the delivered packets), and whether the client's
/// ordinary traffic on channel 0 still arrives afterwards.
fn two_byte_packet_announced_as_100_kib(hardened: bool) -> (Vec<usize>, bool) {
    let (server, client, to_client, to_server, header) = pair_with_client_header(2);
    server.set_hardening_enabled(hardened).unwrap();
    let port = i32::from(server.get_local_port().unwrap());
    for (number, byte) in [(0u32, 1u8), (1, 2)] {
        let datagram = fragment(header, 2, number, 100 << 10, number, &[byte]);
        client.socket_send("127.0.0.1", port, &datagram).unwrap();
    }
    to_server
        .send(0, b"still here", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    let mut delivered = Vec::new();
    let mut still_here = false;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(500) {
        pump.step();
        for event in pump.pending(0) {
            if let Event::Receive { channel, .. } = event {
                let packet = to_client.get_packet().unwrap();
                match channel {
                    // Only the length is read: the rest may be uninitialised heap memory.
                    1 => delivered.push(packet.len()),
                    _ => still_here |= &packet[..] == b"still here",
                }
            }
        }
    }
    (delivered, still_here)
}

#[test]
fn fragments_that_do_not_cover_their_packet_are_never_delivered() {
    assert_eq!(two_byte_packet_announced_as_100_kib(true), (vec![], true));
}

#[test]
fn without_the_fix_two_one_byte_fragments_deliver_100_kib_the_sender_never_sent() {
    // 102,398 of the delivered bytes are whatever the heap held: other clients' earlier packets,
    // handed to this client through an echo.
    assert_eq!(
        two_byte_packet_announced_as_100_kib(false),
        (vec![100 << 10], true)
    );
}

/// A datagram of 150 zero-length SEND_UNRELIABLE commands on channel 1, numbered from `first`,
/// each waiting for reliable packet 5 of that channel, which never comes: ENet queues them all.
fn zero_length_unreliables(header: [u8; 2], first: u16) -> Vec<u8> {
    let mut datagram = header.to_vec();
    for number in first..first + 150 {
        datagram.extend_from_slice(&[enet_sys::ENET_PROTOCOL_COMMAND_SEND_UNRELIABLE as u8, 1]);
        datagram.extend_from_slice(&5u16.to_be_bytes()); // reliable sequence number
        datagram.extend_from_slice(&number.to_be_bytes()); // unreliable sequence number
        datagram.extend_from_slice(&0u16.to_be_bytes()); // data length
    }
    datagram
}

/// Bytes ENet's allocations grew by while a connected client queued 15,000 zero-length commands
/// that never become deliverable, and whether another client's reliable messages still arrived
/// exactly once and in order meanwhile.
fn zero_length_command_growth(hardened: bool) -> (usize, bool) {
    let _serial = count_enet_allocations();
    let (server, client, _to_client, _to_server, header) = pair_with_client_header(2);
    server.set_hardening_enabled(hardened).unwrap();
    let port = server.get_local_port().unwrap();
    let (other, to_server, to_other) = common::join(&server, "127.0.0.1", i32::from(port), 2);
    let before = enet_alloc::bytes();
    let mut got = Vec::new();
    for round in 0..100u16 {
        let datagram = zero_length_unreliables(header, 1 + round * 150);
        client
            .socket_send("127.0.0.1", i32::from(port), &datagram)
            .unwrap();
        to_server
            .send(0, &round.to_be_bytes(), PacketPeer::FLAG_RELIABLE)
            .unwrap();
        other.service(0).unwrap();
        server.service(1).unwrap();
        while let Ok(packet) = to_other.get_packet() {
            got.push(u16::from_be_bytes([packet[0], packet[1]]));
        }
    }
    let grown = enet_alloc::bytes().saturating_sub(before);
    let mut pump = Pump::new(&[&server, &other]);
    let start = Instant::now();
    while got.len() < 100 && start.elapsed() < common::DEADLINE {
        pump.step();
        while let Ok(packet) = to_other.get_packet() {
            got.push(u16::from_be_bytes([packet[0], packet[1]]));
        }
    }
    (grown, got == (0..100).collect::<Vec<u16>>())
}

#[test]
fn zero_length_commands_that_never_become_deliverable_are_bounded_per_peer() {
    let (grown, other_client_served) = zero_length_command_growth(true);
    // At most the default 4,096 queued commands (about 170 bytes each).
    assert!(grown < 1 << 20, "hardened host grew by {grown} bytes");
    assert!(other_client_served);
}

#[test]
fn without_the_fix_every_zero_length_command_is_kept() {
    let (grown, other_client_served) = zero_length_command_growth(false);
    assert!(
        grown >= 15_000 * 100,
        "unhardened host grew by only {grown} bytes"
    );
    assert!(other_client_served);
}

/// A server sends 200 reliable 64 KiB packets to a connected client that has stopped servicing
/// (so acknowledges nothing) with `max_queued_outgoing`: how many sends were refused with
/// `OutOfMemory`, the most ENet's allocations grew by, the largest queue `get_traffic` showed, and
/// whether every accepted packet arrived, in order, once the client serviced again.
fn sends_to_a_silent_peer(max_queued_outgoing: usize) -> (usize, usize, usize, bool) {
    let _serial = count_enet_allocations();
    let (server, client, to_client, to_server) = common::connected_pair(2);
    server.set_max_queued_outgoing(max_queued_outgoing).unwrap();
    let before = enet_alloc::bytes();
    let (mut refused, mut grown, mut queued, mut accepted) = (0, 0, 0, Vec::new());
    for i in 0..200u16 {
        let mut packet = vec![0u8; 64 << 10];
        packet[..2].copy_from_slice(&i.to_be_bytes());
        match to_client.send(1, &packet, PacketPeer::FLAG_RELIABLE) {
            Ok(()) => accepted.push(i),
            Err(enet::Error::OutOfMemory) => refused += 1,
            Err(other) => panic!("send {i}: {other:?}"),
        }
        server.service(0).unwrap();
        grown = grown.max(enet_alloc::bytes().saturating_sub(before));
        queued = queued.max(to_client.get_traffic().unwrap().queued_outgoing_data);
    }
    let mut got = Vec::new();
    let mut pump = Pump::new(&[&server, &client]);
    let start = Instant::now();
    while got.len() < accepted.len() && start.elapsed() < common::DEADLINE {
        pump.step();
        while let Ok(packet) = to_server.get_packet() {
            got.push(u16::from_be_bytes([packet[0], packet[1]]));
        }
    }
    (refused, grown, queued, got == accepted)
}

#[test]
fn a_peer_that_acknowledges_nothing_gets_at_most_max_queued_outgoing_queued() {
    let (refused, grown, queued, delivered) = sends_to_a_silent_peer(1 << 20);
    assert!(refused >= 180, "only {refused} sends refused");
    assert!(queued <= (1 << 20) + (66 << 10), "{queued} bytes queued");
    assert!(grown < 3 << 20, "ENet grew by {grown} bytes");
    assert!(delivered, "every accepted packet arrives, in order");
}

#[test]
fn without_the_bound_everything_sent_to_a_silent_peer_is_queued() {
    let (refused, grown, _queued, delivered) = sends_to_a_silent_peer(usize::MAX);
    assert_eq!(refused, 0);
    assert!(grown >= 200 * (64 << 10), "ENet grew by only {grown} bytes");
    assert!(delivered);
}
