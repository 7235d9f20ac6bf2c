//! `PacketPeer`: every method's documented failures, in Godot's order of checks (spec §2.2):
//! detached handle first (`Unconfigured`), then the channel range, then the flags
//! (`InvalidParameter`), then whatever ENet itself refuses (`Failed`).

mod common;

use common::{assert_detached, client, connected_pair, server, Pump, ALL_PEER_STATISTICS};
use enet::{Error, Event, Packet, PacketPeer, PeerState, PeerStatistic};
use std::net::{IpAddr, Ipv4Addr};

const RELIABLE: i32 = PacketPeer::FLAG_RELIABLE;

/// A client handle that is still `Connecting` (the server is never serviced).
fn connecting_peer() -> (enet::Connection, enet::Connection, PacketPeer) {
    let (server, port) = server(4, 0);
    let client = client();
    let peer = client.connect_to_host("127.0.0.1", port, 4, 0).unwrap();
    assert_eq!(peer.get_state(), PeerState::Connecting);
    (server, client, peer)
}

// ---------------------------------------------------------------------------------------------
// Detached handles

#[test]
fn a_detached_handle_answers_every_method_as_documented() {
    let (_server, _client, to_client, _to_server) = connected_pair(2);
    to_client.reset().unwrap();
    assert_detached(&to_client);
}

#[test]
fn get_packet_on_a_detached_handle_is_unconfigured_even_if_packets_were_queued() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.send(0, b"one", RELIABLE).unwrap();
    to_server.send(1, b"two", RELIABLE).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    pump.until(|| to_client.get_available_packet_count() == 2);
    assert_eq!(to_client.get_packet_flags(), Ok(RELIABLE));

    to_client.peer_disconnect_now(0).unwrap();
    assert_eq!(to_client.get_packet().unwrap_err(), Error::Unconfigured);
    assert_eq!(to_client.get_packet_flags(), Err(Error::Unconfigured));
    // Deviation from Godot (documented): the queue was freed at detach.
    assert_eq!(to_client.get_available_packet_count(), 0);
    assert_detached(&to_client);
}

#[test]
fn a_detached_handle_checks_detachment_before_its_arguments() {
    let (_server, _client, to_client, _to_server) = connected_pair(2);
    to_client.reset().unwrap();
    assert_eq!(to_client.send(-1, b"x", 4), Err(Error::Unconfigured));
    assert_eq!(to_client.send(99, b"x", 16), Err(Error::Unconfigured));
    assert_eq!(to_client.set_timeout(3, 2, 1), Err(Error::Unconfigured));
    let packet = Packet::new(b"x", 0).unwrap();
    assert_eq!(to_client.send_packet(-1, packet), Err(Error::Unconfigured));
}

// ---------------------------------------------------------------------------------------------
// send / send_packet: channel and flags

#[test]
fn send_on_a_negative_channel_is_invalid_parameter() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    for channel in [-1, -255, i32::MIN] {
        assert_eq!(
            to_server.send(channel, b"x", RELIABLE),
            Err(Error::InvalidParameter),
            "channel {channel}"
        );
    }
}

#[test]
fn send_on_a_channel_above_the_channel_count_is_invalid_parameter() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    assert_eq!(to_server.get_channels(), Ok(4));
    for channel in [5, 6, 255, 256, i32::MAX] {
        assert_eq!(
            to_server.send(channel, b"x", RELIABLE),
            Err(Error::InvalidParameter),
            "channel {channel}"
        );
    }
}

/// Godot's range check lets `channel == get_channels()` through; ENet then refuses it.
#[test]
fn send_on_the_channel_equal_to_the_channel_count_fails_in_enet() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    assert_eq!(to_server.send(4, b"x", RELIABLE), Err(Error::Failed));
    assert_eq!(to_server.send(3, b"x", RELIABLE), Ok(()));
}

#[test]
fn send_on_channel_255_of_a_255_channel_peer_fails_in_enet() {
    let (_server, _client, _to_client, to_server) = connected_pair(0);
    assert_eq!(to_server.get_channels(), Ok(255));
    assert_eq!(to_server.send(255, b"x", RELIABLE), Err(Error::Failed));
    assert_eq!(
        to_server.send(256, b"x", RELIABLE),
        Err(Error::InvalidParameter)
    );
    assert_eq!(to_server.send(254, b"x", RELIABLE), Ok(()));
}

#[test]
fn send_with_flags_outside_reliable_unsequenced_unreliable_fragment_is_invalid_parameter() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    for flags in [4, 16, -1, 256, 1 | 4, 2 | 16, i32::MIN] {
        assert_eq!(
            to_server.send(0, b"x", flags),
            Err(Error::InvalidParameter),
            "flags {flags}"
        );
    }
    for flags in [0, 1, 2, 3, 8, 9, 10, 11] {
        assert_eq!(to_server.send(0, b"x", flags), Ok(()), "flags {flags}");
    }
}

#[test]
fn send_with_a_bad_channel_and_bad_flags_is_invalid_parameter() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    assert_eq!(to_server.send(-1, b"x", 4), Err(Error::InvalidParameter));
    assert_eq!(to_server.send(5, b"x", 16), Err(Error::InvalidParameter));
}

/// The flags are checked before ENet is asked: bad flags on the channel ENet would refuse
/// (`== get_channels()`, otherwise `Failed`) give `InvalidParameter`.
#[test]
fn send_checks_flags_before_enet_refuses_the_channel() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    assert_eq!(to_server.send(4, b"x", 4), Err(Error::InvalidParameter));
    assert_eq!(to_server.send(4, b"x", 0), Err(Error::Failed));
}

#[test]
fn send_packet_checks_the_channel_like_send() {
    let (_server, _client, _to_client, to_server) = connected_pair(4);
    let packet = || Packet::from_vec(vec![1, 2, 3], RELIABLE).unwrap();
    assert_eq!(
        to_server.send_packet(-1, packet()),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        to_server.send_packet(5, packet()),
        Err(Error::InvalidParameter)
    );
    assert_eq!(to_server.send_packet(4, packet()), Err(Error::Failed));
    assert_eq!(to_server.send_packet(3, packet()), Ok(()));
    let copied = Packet::new(b"abc", RELIABLE).unwrap();
    assert_eq!(to_server.send_packet(0, copied), Ok(()));
}

#[test]
fn packets_with_flags_outside_the_allowed_set_cannot_be_made() {
    for flags in [4, 16, -1, 256] {
        assert_eq!(
            Packet::new(b"x", flags).unwrap_err(),
            Error::InvalidParameter
        );
        assert_eq!(
            Packet::from_vec(b"x".to_vec(), flags).unwrap_err(),
            Error::InvalidParameter
        );
    }
    let packet = Packet::from_vec(b"abc".to_vec(), 1 | 2 | 8).unwrap();
    assert_eq!(packet.flags(), 11);
    assert_eq!(&packet[..], b"abc");
}

// ---------------------------------------------------------------------------------------------
// send / put_packet: what ENet refuses

#[test]
fn send_on_a_peer_that_is_still_connecting_fails() {
    let (_server, _client, peer) = connecting_peer();
    assert_eq!(peer.send(0, b"x", RELIABLE), Err(Error::Failed));
    assert_eq!(peer.send(0, b"x", 0), Err(Error::Failed));
    assert_eq!(
        peer.send_packet(0, Packet::new(b"x", RELIABLE).unwrap()),
        Err(Error::Failed)
    );
    assert_eq!(peer.put_packet(b"x"), Err(Error::Failed));
    // The range checks still come first.
    assert_eq!(peer.send(-1, b"x", RELIABLE), Err(Error::InvalidParameter));
    assert_eq!(peer.send(0, b"x", 4), Err(Error::InvalidParameter));
    // A refused send does not disturb the connection attempt.
    assert_eq!(peer.get_state(), PeerState::Connecting);
    assert!(peer.is_active());
}

#[test]
fn send_above_the_hosts_max_packet_size_fails_and_the_peer_stays_usable() {
    let (server, client, to_client, to_server) = connected_pair(2);
    client.set_max_packet_size(100).unwrap();
    assert_eq!(to_server.send(0, &[1; 101], RELIABLE), Err(Error::Failed));
    assert_eq!(to_server.send(1, &[1; 101], 0), Err(Error::Failed));
    assert_eq!(to_server.put_packet(&[1; 101]), Err(Error::Failed));
    let big = Packet::from_vec(vec![1; 101], RELIABLE).unwrap();
    assert_eq!(to_server.send_packet(0, big), Err(Error::Failed));

    assert_eq!(to_server.send(0, &[2; 100], RELIABLE), Ok(()));
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 0
        }
    );
    assert_eq!(&to_client.get_packet().unwrap()[..], &[2; 100]);
}

#[test]
fn send_above_the_default_4_mib_max_packet_size_fails() {
    let (_server, client, _to_client, to_server) = connected_pair(2);
    assert_eq!(client.get_max_packet_size(), Ok(4 << 20));
    let too_big = vec![0u8; (4 << 20) + 1];
    assert_eq!(to_server.send(0, &too_big, RELIABLE), Err(Error::Failed));
    assert_eq!(
        to_server.send_packet(0, Packet::from_vec(too_big, RELIABLE).unwrap()),
        Err(Error::Failed)
    );
}

// ---------------------------------------------------------------------------------------------
// set_timeout

#[test]
fn set_timeout_requires_timeout_le_min_le_max() {
    let (_server, _client, _to_client, to_server) = connected_pair(2);
    for (timeout, min, max) in [(2, 1, 3), (1, 3, 2), (3, 2, 1), (1, 0, 0), (0, 1, 0)] {
        assert_eq!(
            to_server.set_timeout(timeout, min, max),
            Err(Error::InvalidParameter),
            "{timeout} {min} {max}"
        );
    }
    for (timeout, min, max) in [(0, 0, 0), (1, 1, 1), (1, 200, 500), (32, 5000, 30000)] {
        assert_eq!(
            to_server.set_timeout(timeout, min, max),
            Ok(()),
            "{timeout} {min} {max}"
        );
    }
    assert!(to_server.is_active());
}

#[test]
fn set_timeout_works_on_a_connecting_peer() {
    let (_server, _client, peer) = connecting_peer();
    assert_eq!(peer.set_timeout(1, 200, 500), Ok(()));
    assert_eq!(peer.set_timeout(2, 1, 3), Err(Error::InvalidParameter));
}

// ---------------------------------------------------------------------------------------------
// Receive queue

#[test]
fn get_packet_and_get_packet_flags_on_an_empty_queue_are_unavailable() {
    let (server, client, to_client, to_server) = connected_pair(2);
    assert_eq!(to_client.get_available_packet_count(), 0);
    assert_eq!(to_client.get_packet().unwrap_err(), Error::Unavailable);
    assert_eq!(to_client.get_packet_flags(), Err(Error::Unavailable));

    to_server.send(1, b"only", RELIABLE).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 1
        }
    );
    assert_eq!(to_client.get_available_packet_count(), 1);
    assert_eq!(to_client.get_packet_flags(), Ok(RELIABLE));
    assert_eq!(&to_client.get_packet().unwrap()[..], b"only");
    assert_eq!(to_client.get_available_packet_count(), 0);
    assert_eq!(to_client.get_packet().unwrap_err(), Error::Unavailable);
    assert_eq!(to_client.get_packet_flags(), Err(Error::Unavailable));
    assert!(to_client.is_active());
}

#[test]
fn get_packet_on_a_connecting_peer_is_unavailable() {
    let (_server, _client, peer) = connecting_peer();
    assert_eq!(peer.get_packet().unwrap_err(), Error::Unavailable);
    assert_eq!(peer.get_packet_flags(), Err(Error::Unavailable));
    assert_eq!(peer.get_available_packet_count(), 0);
}

#[test]
fn packets_queue_in_arrival_order_and_get_packet_flags_reads_the_head() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.send(0, b"first", RELIABLE).unwrap();
    to_server.send(0, b"second", RELIABLE).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    pump.until(|| to_client.get_available_packet_count() == 2);
    assert_eq!(to_client.get_packet_flags(), Ok(RELIABLE));
    assert_eq!(&to_client.get_packet().unwrap()[..], b"first");
    assert_eq!(to_client.get_available_packet_count(), 1);
    assert_eq!(&to_client.get_packet().unwrap()[..], b"second");
    assert_eq!(to_client.get_available_packet_count(), 0);
}

#[test]
fn put_packet_sends_reliably_on_channel_0() {
    let (server, client, to_client, to_server) = connected_pair(4);
    to_server.put_packet(b"put").unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 0
        }
    );
    assert_eq!(to_client.get_packet_flags(), Ok(PacketPeer::FLAG_RELIABLE));
    let packet = to_client.get_packet().unwrap();
    assert_eq!(&packet[..], b"put");
    assert_eq!(packet.flags(), PacketPeer::FLAG_RELIABLE);
}

// ---------------------------------------------------------------------------------------------
// Values of a live peer

#[test]
fn a_live_peer_reports_its_state_channels_and_remote_address() {
    let (server, client, to_client, to_server) = connected_pair(3);
    assert!(to_server.is_active());
    assert!(to_client.is_active());
    assert_eq!(to_server.get_state(), PeerState::Connected);
    assert_eq!(to_server.get_channels(), Ok(3));
    assert_eq!(to_client.get_channels(), Ok(3));
    let localhost = IpAddr::V4(Ipv4Addr::LOCALHOST);
    assert_eq!(to_server.get_remote_address(), Ok(localhost));
    assert_eq!(to_server.get_remote_port(), server.get_local_port());
    assert_eq!(to_client.get_remote_address(), Ok(localhost));
    assert_eq!(to_client.get_remote_port(), client.get_local_port());
    assert_eq!(to_server.get_traffic().unwrap().mtu, 1392);
}

#[test]
fn peer_statistics_start_at_enets_defaults() {
    let (_server, _client, _to_client, to_server) = connected_pair(2);
    let get = |statistic| to_server.get_statistic(statistic).unwrap();
    assert_eq!(get(PeerStatistic::PacketThrottleLimit), 32);
    assert_eq!(get(PeerStatistic::PacketThrottleInterval), 5000);
    assert_eq!(get(PeerStatistic::PacketThrottleAcceleration), 2);
    assert_eq!(get(PeerStatistic::PacketThrottleDeceleration), 2);
    for statistic in ALL_PEER_STATISTICS {
        assert!(to_server.get_statistic(statistic).is_ok(), "{statistic:?}");
    }
    assert_eq!(PacketPeer::PACKET_LOSS_SCALE, 65536);
    assert_eq!(PacketPeer::PACKET_THROTTLE_SCALE, 32);
}

#[test]
fn throttle_configure_is_read_back_locally_and_reaches_the_remote() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.throttle_configure(1000, 3, 4).unwrap();
    assert_eq!(
        to_server.get_statistic(PeerStatistic::PacketThrottleInterval),
        Ok(1000)
    );
    assert_eq!(
        to_server.get_statistic(PeerStatistic::PacketThrottleAcceleration),
        Ok(3)
    );
    assert_eq!(
        to_server.get_statistic(PeerStatistic::PacketThrottleDeceleration),
        Ok(4)
    );
    let mut pump = Pump::new(&[&server, &client]);
    pump.until(|| to_client.get_statistic(PeerStatistic::PacketThrottleInterval) == Ok(1000));
    assert_eq!(
        to_client.get_statistic(PeerStatistic::PacketThrottleAcceleration),
        Ok(3)
    );
    assert_eq!(
        to_client.get_statistic(PeerStatistic::PacketThrottleDeceleration),
        Ok(4)
    );
}

#[test]
fn void_methods_of_a_live_peer_succeed() {
    let (_server, _client, _to_client, to_server) = connected_pair(2);
    assert_eq!(to_server.ping(), Ok(()));
    assert_eq!(to_server.ping_interval(100), Ok(()));
    assert_eq!(to_server.ping_interval(0), Ok(()));
    assert_eq!(to_server.throttle_configure(5000, 2, 2), Ok(()));
    assert!(to_server.is_active());
}

#[test]
fn peer_disconnect_moves_a_connected_peer_to_disconnecting() {
    let (_server, _client, _to_client, to_server) = connected_pair(2);
    to_server.peer_disconnect(0).unwrap();
    assert_eq!(to_server.get_state(), PeerState::Disconnecting);
    assert!(to_server.is_active(), "attached until the Disconnect event");
}

#[test]
fn peer_disconnect_later_with_queued_packets_moves_to_disconnect_later() {
    let (_server, _client, _to_client, to_server) = connected_pair(2);
    to_server.send(0, b"pending", RELIABLE).unwrap();
    to_server.peer_disconnect_later(0).unwrap();
    assert_eq!(to_server.get_state(), PeerState::DisconnectLater);
    assert!(to_server.is_active());
    // No more sends once disconnecting.
    assert_eq!(to_server.send(0, b"late", RELIABLE), Err(Error::Failed));
}

#[test]
fn peer_state_values_are_enets() {
    let states = [
        (PeerState::Disconnected, 0),
        (PeerState::Connecting, 1),
        (PeerState::AcknowledgingConnect, 2),
        (PeerState::ConnectionPending, 3),
        (PeerState::ConnectionSucceeded, 4),
        (PeerState::Connected, 5),
        (PeerState::DisconnectLater, 6),
        (PeerState::Disconnecting, 7),
        (PeerState::AcknowledgingDisconnect, 8),
        (PeerState::Zombie, 9),
    ];
    for (state, value) in states {
        assert_eq!(state as i32, value, "{state:?}");
    }
    for (i, statistic) in ALL_PEER_STATISTICS.iter().enumerate() {
        assert_eq!(*statistic as i32, i as i32, "{statistic:?}");
    }
    assert_eq!(PacketPeer::FLAG_RELIABLE, 1);
    assert_eq!(PacketPeer::FLAG_UNSEQUENCED, 2);
    assert_eq!(PacketPeer::FLAG_UNRELIABLE_FRAGMENT, 8);
}
