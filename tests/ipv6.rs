//! IPv6 through the safe layer, with this project's dual-stack platform layer (the default on
//! Linux; with `upstream-platform` ENet is IPv4-only, see tests/connection_errors.rs).
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

mod common;

use common::Pump;
use enet::{Connection, Error, Event, PacketPeer};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const LOOPBACK6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);
const LOOPBACK4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn bound(address: &str) -> (Connection, i32) {
    let server = Connection::new();
    server.create_host_bound(address, 0, 8, 0, 0, 0).unwrap();
    let port = i32::from(server.get_local_port().unwrap());
    (server, port)
}

#[test]
fn every_packet_kind_crosses_ipv6_loopback_both_ways() {
    let (server, port) = bound("::1");
    assert_eq!(server.get_local_address(), Ok(LOOPBACK6));
    let (client, to_server, to_client) = common::join(&server, "::1", port, 4);
    assert_eq!(to_client.get_remote_address(), Ok(LOOPBACK6));
    assert_eq!(to_server.get_remote_address(), Ok(LOOPBACK6));
    assert_eq!(to_server.get_remote_port().map(i32::from), Ok(port));
    for peer in [&to_server, &to_client] {
        peer.throttle_configure(5000, 2, 0).unwrap();
    }
    let kinds: [(i32, usize, i32); 5] = [
        (PacketPeer::FLAG_RELIABLE, 100, PacketPeer::FLAG_RELIABLE),
        (0, 200, 0),
        (
            PacketPeer::FLAG_UNSEQUENCED,
            300,
            PacketPeer::FLAG_UNSEQUENCED,
        ),
        (
            PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
            4000,
            PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
        ),
        (
            PacketPeer::FLAG_RELIABLE,
            100_000,
            PacketPeer::FLAG_RELIABLE,
        ),
    ];
    let mut pump = Pump::new(&[&server, &client]);
    for (from, to, side) in [(&to_server, &to_client, 0), (&to_client, &to_server, 1)] {
        for (channel, &(flags, len, delivered)) in kinds.iter().enumerate() {
            let channel = channel as i32 % 4;
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            from.send(channel, &bytes, flags).unwrap();
            assert_eq!(
                pump.next(side),
                Event::Receive {
                    peer: to.clone(),
                    channel: channel as u8
                }
            );
            assert_eq!(
                to.get_packet_flags(),
                Ok(delivered),
                "flags {flags} len {len}"
            );
            assert_eq!(&to.get_packet().unwrap()[..], &bytes[..]);
        }
    }
}

#[test]
fn a_dual_stack_server_serves_an_ipv4_and_an_ipv6_client_at_once() {
    let (server, port) = bound("*");
    let (client4, to_server4, to_client4) = common::join(&server, "127.0.0.1", port, 4);
    let (client6, to_server6, to_client6) = common::join(&server, "::1", port, 4);
    assert_eq!(to_client4.get_remote_address(), Ok(LOOPBACK4));
    assert_eq!(to_client6.get_remote_address(), Ok(LOOPBACK6));
    assert_eq!(server.get_peers().unwrap().len(), 2);
    let mut pump = Pump::new(&[&server, &client4, &client6]);
    server
        .broadcast(0, b"to both families", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    for (side, peer) in [(1, &to_server4), (2, &to_server6)] {
        assert_eq!(
            pump.next(side),
            Event::Receive {
                peer: peer.clone(),
                channel: 0
            }
        );
        assert_eq!(&peer.get_packet().unwrap()[..], b"to both families");
    }
    to_server6
        .send(1, b"from six", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    to_server4
        .send(1, b"from four", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    let mut from = Vec::new();
    for _ in 0..2 {
        let Event::Receive { peer, .. } = pump.next(0) else {
            panic!("expected Receive")
        };
        from.push((
            peer.get_remote_address().unwrap(),
            peer.get_packet().unwrap().to_vec(),
        ));
    }
    from.sort();
    assert_eq!(
        from,
        vec![
            (LOOPBACK4, b"from four".to_vec()),
            (LOOPBACK6, b"from six".to_vec())
        ]
    );
}

#[test]
fn an_ipv4_bound_host_refuses_ipv6_destinations() {
    let (server, _) = bound("127.0.0.1");
    assert_eq!(
        server.connect_to_host("::1", 9, 0, 0).unwrap_err(),
        Error::InvalidParameter
    );
    assert_eq!(
        server.socket_send("::1", 9, b"x"),
        Err(Error::InvalidParameter)
    );
    let (any4, _) = bound("0.0.0.0");
    assert_eq!(
        any4.get_local_address(),
        Ok(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    );
    assert_eq!(
        any4.connect_to_host("::1", 9, 0, 0).unwrap_err(),
        Error::InvalidParameter
    );
}

#[test]
fn an_ipv6_client_cannot_reach_an_ipv4_only_server() {
    let (server, port) = bound("127.0.0.1");
    let client = common::client();
    let to_server = client.connect_to_host("::1", port, 2, 0).unwrap();
    to_server.set_timeout(1, 200, 500).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server,
            data: 0
        }
    );
    assert_eq!(pump.pending(0), vec![]);
}

#[test]
fn host_names_resolve_to_either_family() {
    let (server, port) = bound("*");
    let (_client, to_server, to_client) = common::join(&server, "localhost", port, 4);
    // IPv4 is preferred when a name has both.
    assert_eq!(to_server.get_remote_address(), Ok(LOOPBACK4));
    assert_eq!(to_client.get_remote_address(), Ok(LOOPBACK4));
}
