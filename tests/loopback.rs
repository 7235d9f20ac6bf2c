//! Two connections on 127.0.0.1 exchanging every kind of packet, on several channels.

mod common;

use common::{connected_pair, Pump};
use enet::{Event, PacketPeer, PeerState};

#[test]
fn connect_event_carries_the_clients_data_and_a_live_peer() {
    let (server, port) = common::server(4, 0);
    let client = common::client();
    let to_server = client
        .connect_to_host("127.0.0.1", port, 4, 0xDEAD_BEEF)
        .unwrap();
    assert_eq!(to_server.get_state(), PeerState::Connecting);
    let mut pump = Pump::new(&[&server, &client]);
    let Event::Connect { peer, data } = pump.next(0) else {
        panic!("expected Connect")
    };
    assert_eq!(data, 0xDEAD_BEEF);
    assert!(peer.is_active());
    assert_eq!(peer.get_channels().unwrap(), 4);
    assert_eq!(
        peer.get_remote_address().unwrap(),
        "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!(
        pump.next(1),
        Event::Connect {
            peer: to_server.clone(),
            data: 0
        }
    );
    assert_eq!(to_server.get_state(), PeerState::Connected);
    assert_eq!(to_server.get_remote_port().unwrap() as i32, port);
}

#[test]
fn reliable_packets_arrive_in_order_on_each_channel_with_their_flags() {
    let (server, client, to_client, to_server) = connected_pair(4);
    for i in 0..50u8 {
        to_server
            .send(i32::from(i % 4), &[i], PacketPeer::FLAG_RELIABLE)
            .unwrap();
    }
    let mut pump = Pump::new(&[&server, &client]);
    let mut per_channel: Vec<Vec<u8>> = vec![Vec::new(); 4];
    for _ in 0..50 {
        let Event::Receive { peer, channel } = pump.next(0) else {
            panic!("expected Receive")
        };
        assert_eq!(peer, to_client);
        assert_eq!(peer.get_packet_flags().unwrap(), PacketPeer::FLAG_RELIABLE);
        let packet = peer.get_packet().unwrap();
        per_channel[channel as usize].push(packet[0]);
    }
    for (channel, got) in per_channel.iter().enumerate() {
        let expected: Vec<u8> = (0..50u8)
            .filter(|i| usize::from(i % 4) == channel)
            .collect();
        assert_eq!(got, &expected, "channel {channel}");
    }
    assert_eq!(to_client.get_available_packet_count(), 0);
}
