//! Every compression mode between two of our hosts, both ways, over loopback: packets arrive
//! intact and the datagrams on the wire really are compressed (ENet's COMPRESSED header flag).

mod common;

use common::Pump;
use enet::{CompressionMode, Event, PacketPeer, Verdict};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const COMPRESSED: u8 = 0x40; // ENET_PROTOCOL_HEADER_FLAG_COMPRESSED, high byte of the header

const MODES: [CompressionMode; 5] = [
    CompressionMode::None,
    CompressionMode::RangeCoder,
    CompressionMode::Fastlz,
    CompressionMode::Zlib,
    CompressionMode::Zstd,
];

/// Exchanges compressible, incompressible and empty packets both ways with `mode` on both ends;
/// returns how many datagrams each side received with the COMPRESSED flag.
fn exchange(mode: CompressionMode, checksums: bool) -> (usize, usize) {
    let (server, client, to_client, to_server) = common::connected_pair(2);
    let counters = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
    for (connection, counter) in [(&server, &counters[0]), (&client, &counters[1])] {
        connection.compress(mode).unwrap();
        connection.set_checksum_enabled(checksums).unwrap();
        let counter = counter.clone();
        connection
            .set_intercept(Some(Box::new(move |_, datagram: &[u8]| {
                if datagram[0] & COMPRESSED != 0 {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Verdict::Pass
            })))
            .unwrap();
    }
    let compressible: Vec<u8> = b"compress me ".iter().copied().cycle().take(1000).collect();
    let noise: Vec<u8> = (0..1000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let payloads = [compressible, noise, Vec::new()];
    let mut pump = Pump::new(&[&server, &client]);
    for (from, to, to_side) in [(&to_server, &to_client, 0), (&to_client, &to_server, 1)] {
        for payload in &payloads {
            from.send(1, payload, PacketPeer::FLAG_RELIABLE).unwrap();
            let Event::Receive { peer, channel } = pump.next(to_side) else {
                panic!("expected Receive")
            };
            assert_eq!((&peer, channel), (to, 1));
            assert_eq!(&peer.get_packet().unwrap()[..], &payload[..], "{mode:?}");
        }
    }
    (
        counters[0].load(Ordering::Relaxed),
        counters[1].load(Ordering::Relaxed),
    )
}

#[test]
fn every_mode_carries_packets_both_ways_and_compresses_on_the_wire() {
    for mode in MODES {
        let (server_saw, client_saw) = exchange(mode, false);
        if mode == CompressionMode::None {
            assert_eq!(
                (server_saw, client_saw),
                (0, 0),
                "no compression without a mode"
            );
        } else {
            assert!(
                server_saw > 0 && client_saw > 0,
                "{mode:?}: {server_saw}/{client_saw} compressed datagrams"
            );
        }
    }
}

#[test]
fn every_mode_works_with_checksums_which_cover_the_compressed_flag() {
    // The sender sums the header with its COMPRESSED flag set: the receiver must check the sum
    // against the datagram as sent (the trampoline hands ENet its decompressed body only
    // without checksums).
    for mode in MODES {
        let (server_saw, client_saw) = exchange(mode, true);
        assert_eq!(
            mode == CompressionMode::None,
            server_saw == 0 && client_saw == 0,
            "{mode:?}: {server_saw}/{client_saw} compressed datagrams"
        );
    }
}

#[test]
fn mismatched_modes_cannot_talk() {
    let (server, client, to_client, to_server) = common::connected_pair(2);
    server.compress(CompressionMode::Zlib).unwrap();
    client.compress(CompressionMode::Zstd).unwrap();
    let compressible: Vec<u8> = b"abcabcabc".iter().copied().cycle().take(2000).collect();
    to_server
        .send(0, &compressible, PacketPeer::FLAG_UNSEQUENCED)
        .unwrap();
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_millis(500) {
        client.service(1).unwrap();
        server.service(1).unwrap();
    }
    assert_eq!(
        to_client.get_available_packet_count(),
        0,
        "a zstd datagram is dropped by a zlib host"
    );
}

#[test]
fn compression_mode_values_are_godots() {
    let values: Vec<i32> = MODES.iter().map(|&m| i32::from(m)).collect();
    assert_eq!(values, [0, 1, 2, 3, 4]);
    assert_eq!(CompressionMode::try_from(3), Ok(CompressionMode::Zlib));
    assert_eq!(CompressionMode::try_from(5), Err(5));
}

#[test]
fn compress_on_an_inactive_connection_is_unconfigured() {
    let connection = enet::Connection::new();
    assert_eq!(
        connection.compress(CompressionMode::Zlib),
        Err(enet::Error::Unconfigured)
    );
}

#[test]
fn a_compressed_datagram_shorter_than_its_header_is_dropped_harmlessly() {
    for mode in MODES {
        let (server, client, to_client, to_server) = common::connected_pair(2);
        for connection in [&server, &client] {
            connection.compress(mode).unwrap();
        }
        let port = server.get_local_port().unwrap();
        let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        // Peer id 0xFFF with the COMPRESSED (and SENT_TIME) flag: 1.3.18 would hand the
        // decompressor `2 - 4` bytes, an underflow to almost usize::MAX.
        for datagram in [&[0xCF, 0xFF][..], &[0x4F], &[0xCF, 0xFF, 0x00]] {
            stranger.send_to(datagram, ("127.0.0.1", port)).unwrap();
        }
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(100) {
            server.service(1).unwrap();
        }
        // The host still works.
        to_server
            .send(0, b"still here", PacketPeer::FLAG_RELIABLE)
            .unwrap();
        let mut pump = Pump::new(&[&server, &client]);
        assert_eq!(
            pump.next(0),
            Event::Receive {
                peer: to_client.clone(),
                channel: 0
            },
            "{mode:?}"
        );
        assert_eq!(&to_client.get_packet().unwrap()[..], b"still here");
    }
}
