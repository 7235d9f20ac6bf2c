//! `max_waiting_data` bounds what one peer can make us hold end to end: in ENet's queues, in the
//! peer's received-packet queue and in `MultiplayerPeer`'s FIFO. At the bound ENet accepts nothing
//! more from that peer: reliable data is not acknowledged, so the sender retransmits it and it
//! arrives, in order, once the application reads. Nothing reliable is lost.

mod common;

use common::{Pump, DEADLINE};
use enet::{MultiplayerPeer, Packet, PacketPeer};
use std::time::{Duration, Instant};

const LIMIT: usize = 256 << 10;
const PACKET: usize = 64 << 10;
const PACKETS: usize = 48;
/// The bound the docs state: the limit plus one packet.
const MAX_HELD: usize = LIMIT / PACKET + 1;

/// Packet `i` of the stream: its index in the first two bytes, then filler.
fn packet(i: usize) -> Vec<u8> {
    let mut data = vec![(i % 251) as u8; PACKET];
    data[..2].copy_from_slice(&(i as u16).to_be_bytes());
    data
}

fn queue_stream(to: &PacketPeer) {
    for i in 0..PACKETS {
        to.send(0, &packet(i), PacketPeer::FLAG_RELIABLE).unwrap();
    }
}

/// Long enough for the whole stream to arrive if nothing held it back.
const UNREAD_FOR: Duration = Duration::from_millis(1500);

/// Lets the stream arrive without reading it for `UNREAD_FOR`, asserting that at most `MAX_HELD`
/// packets are held meanwhile (and something arrived), then reads until all `PACKETS` arrived,
/// asserting they are in order and intact. `step` services both ends, `held` counts what waits
/// to be read, `take` reads one packet.
fn unread_then_read<R>(
    receiver: &mut R,
    step: impl Fn(&mut R),
    held: impl Fn(&R) -> usize,
    take: impl Fn(&mut R) -> Option<Packet>,
) {
    let start = Instant::now();
    let mut most_held = 0;
    while start.elapsed() < UNREAD_FOR {
        step(receiver);
        most_held = most_held.max(held(receiver));
    }
    assert!(most_held >= 1, "something arrived");
    assert!(
        most_held <= MAX_HELD,
        "{most_held} packets of {PACKET} bytes held with a limit of {LIMIT}"
    );

    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < PACKETS {
        assert!(
            start.elapsed() < DEADLINE,
            "{} of {PACKETS} arrived",
            got.len()
        );
        step(receiver);
        while let Some(packet) = take(receiver) {
            got.push(packet);
        }
    }
    for (i, received) in got.iter().enumerate() {
        assert!(
            received[..] == packet(i)[..],
            "packet {i} in order and intact"
        );
    }
}

#[test]
fn a_peer_whose_packets_are_not_read_pins_at_most_max_waiting_data_and_loses_nothing() {
    let (server, client, to_client, to_server) = common::connected_pair(1);
    server.set_max_waiting_data(LIMIT).unwrap();
    queue_stream(&to_server);
    unread_then_read(
        &mut Pump::new(&[&server, &client]),
        Pump::step,
        |_| to_client.get_available_packet_count(),
        |_| to_client.get_packet().ok(),
    );
}

#[test]
fn a_multiplayer_peer_whose_packets_are_not_read_holds_at_most_max_waiting_data_per_remote() {
    let (mut server, client, to_server) = common::multiplayer_server_with_client(7);
    server
        .get_host()
        .unwrap()
        .set_max_waiting_data(LIMIT)
        .unwrap();
    queue_stream(&to_server);
    unread_then_read(
        &mut server,
        |server| {
            client.service(1).unwrap();
            assert_eq!(server.poll().unwrap(), []);
        },
        MultiplayerPeer::get_available_packet_count,
        |server| server.get_packet().ok(),
    );
}
