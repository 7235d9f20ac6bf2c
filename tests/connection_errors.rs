//! `Connection`: every method against every documented failure, in Godot's order of checks, and
//! the values the methods return once they succeed.
//!
//! Godot's order (spec §1.3, §1.5, §1.6): `create_host_bound` validates the bind address, then the
//! port, then (over upstream ENet) rejects IPv6, and only then runs the common checks of
//! `create_host`: already active, `max_peers`, `max_channels`, bandwidths, `enet_host_create`.

mod common;

use common::{client, server, Pump, DEADLINE};
use enet::{Connection, Error, Event, HostStatistic, PacketPeer, PeerState};
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const ALL_STATISTICS: [HostStatistic; 4] = [
    HostStatistic::TotalSentData,
    HostStatistic::TotalSentPackets,
    HostStatistic::TotalReceivedData,
    HostStatistic::TotalReceivedPackets,
];

/// Asserts that every method needing a host returns `Unconfigured` (with arguments that would
/// otherwise be invalid too: the host check comes first).
/// Whether this build uses the project's dual-stack platform layer (else upstream's IPv4-only
/// `unix.c`, the `upstream-platform` feature).
const DUAL_STACK: bool = cfg!(all(target_os = "linux", not(feature = "upstream-platform")));

fn assert_inactive(connection: &Connection) {
    use Error::Unconfigured;
    assert_eq!(connection.service(0), Err(Unconfigured), "service");
    assert_eq!(connection.check_events(), Err(Unconfigured), "check_events");
    assert_eq!(connection.flush(), Err(Unconfigured), "flush");
    assert_eq!(connection.bandwidth_limit(1, 1), Err(Unconfigured));
    assert_eq!(connection.channel_limit(2), Err(Unconfigured));
    assert_eq!(connection.broadcast(0, b"x", 1), Err(Unconfigured));
    assert_eq!(connection.broadcast(-1, b"x", 4), Err(Unconfigured));
    assert_eq!(connection.refuse_new_connections(true), Err(Unconfigured));
    for statistic in ALL_STATISTICS {
        assert_eq!(connection.pop_statistic(statistic), Err(Unconfigured));
    }
    assert_eq!(connection.get_max_channels(), Err(Unconfigured));
    assert_eq!(connection.get_max_peers(), Err(Unconfigured));
    assert_eq!(connection.get_local_port(), Err(Unconfigured));
    assert_eq!(connection.get_local_address(), Err(Unconfigured));
    assert_eq!(connection.get_peers(), Err(Unconfigured));
    assert_eq!(
        connection.socket_send("127.0.0.1", 9, b"x"),
        Err(Unconfigured)
    );
    assert_eq!(connection.socket_send("::1", 0, b"x"), Err(Unconfigured));
    assert_eq!(
        connection.connect_to_host("127.0.0.1", 9, 0, 0),
        Err(Unconfigured)
    );
    assert_eq!(
        connection.connect_to_host("::1", 0, 0, 0),
        Err(Unconfigured)
    );
    assert_eq!(connection.set_intercept(None), Err(Unconfigured));
    assert_eq!(
        connection.set_intercept(Some(Box::new(|_, _| enet::Verdict::Pass))),
        Err(Unconfigured)
    );
    assert_eq!(connection.set_checksum_enabled(true), Err(Unconfigured));
    assert_eq!(connection.is_checksum_enabled(), Err(Unconfigured));
    assert_eq!(connection.set_max_packet_size(100), Err(Unconfigured));
    assert_eq!(connection.get_max_packet_size(), Err(Unconfigured));
    assert_eq!(connection.set_max_waiting_data(100), Err(Unconfigured));
    assert_eq!(connection.get_max_waiting_data(), Err(Unconfigured));
    assert_eq!(connection.set_duplicate_peers(1), Err(Unconfigured));
    assert_eq!(connection.get_duplicate_peers(), Err(Unconfigured));
    assert_eq!(connection.set_mtu(1000), Err(Unconfigured));
    assert_eq!(connection.get_mtu(), Err(Unconfigured));
    assert_eq!(connection.set_hardening_enabled(true), Err(Unconfigured));
    assert_eq!(connection.destroy(), Err(Unconfigured), "destroy");
    assert_eq!(connection.as_raw_fd(), -1, "as_raw_fd");
    // DTLS is unavailable whatever the state.
    assert_eq!(connection.dtls_server_setup(), Err(Error::Unavailable));
    assert_eq!(
        connection.dtls_client_setup("example.com"),
        Err(Error::Unavailable)
    );
}

fn bound(port: i32) -> Result<(), Error> {
    Connection::new().create_host_bound("127.0.0.1", port, 32, 0, 0, 0)
}

// ---------------------------------------------------------------------------------------------
// create_host_bound

#[test]
fn create_host_bound_rejects_a_bind_address_that_is_neither_an_ip_nor_star() {
    for address in [
        "foo",
        "",
        "localhost",
        "127.0.0.1:80",
        "256.0.0.1",
        " 127.0.0.1",
        "**",
    ] {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host_bound(address, 0, 32, 0, 0, 0),
            Err(Error::InvalidParameter),
            "{address:?}"
        );
        assert_inactive(&connection);
    }
}

#[test]
fn create_host_bound_rejects_ports_outside_0_to_65535() {
    for port in [-1, 65536, i32::MIN, i32::MAX] {
        assert_eq!(bound(port), Err(Error::InvalidParameter), "port {port}");
    }
}

#[test]
fn create_host_bound_accepts_port_0_as_any_free_port() {
    let connection = Connection::new();
    connection
        .create_host_bound("127.0.0.1", 0, 32, 0, 0, 0)
        .unwrap();
    assert_ne!(connection.get_local_port().unwrap(), 0);
    assert_eq!(connection.get_local_address().unwrap(), LOCALHOST);
}

#[test]
fn create_host_bound_accepts_the_star_wildcard_as_any_address() {
    let connection = Connection::new();
    connection.create_host_bound("*", 0, 32, 0, 0, 0).unwrap();
    // With this project's platform layer `*` is one dual-stack socket (`::`).
    let any = if DUAL_STACK {
        IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    assert_eq!(connection.get_local_address().unwrap(), any);
    assert_ne!(connection.get_local_port().unwrap(), 0);
}

#[cfg(not(all(target_os = "linux", not(feature = "upstream-platform"))))]
#[test]
fn create_host_bound_rejects_ipv6_bind_addresses_over_upstream_enet() {
    for address in ["::1", "::", "fe80::1"] {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host_bound(address, 0, 32, 0, 0, 0),
            Err(Error::InvalidParameter),
            "{address}"
        );
        assert_inactive(&connection);
    }
}

#[test]
fn create_host_bound_on_an_active_connection_is_already_in_use_and_keeps_the_host() {
    let (connection, port) = server(4, 0);
    assert_eq!(
        connection.create_host_bound("127.0.0.1", 0, 32, 0, 0, 0),
        Err(Error::AlreadyInUse)
    );
    assert_eq!(connection.create_host(1, 0, 0, 0), Err(Error::AlreadyInUse));
    assert_eq!(i32::from(connection.get_local_port().unwrap()), port);
    assert_eq!(connection.get_max_peers(), Ok(4));
}

#[test]
fn create_host_bound_checks_address_and_port_before_already_in_use() {
    let (connection, _) = server(4, 0);
    assert_eq!(
        connection.create_host_bound("127.0.0.1", 65536, 32, 0, 0, 0),
        Err(Error::InvalidParameter),
        "bad port on an active host"
    );
    assert_eq!(
        connection.create_host_bound("127.0.0.1", -1, 32, 0, 0, 0),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        connection.create_host_bound("foo", 0, 32, 0, 0, 0),
        Err(Error::InvalidParameter),
        "bad address on an active host"
    );
    // An IPv6 bind address is valid with the dual-stack layer, so the host check decides.
    let ipv6_error = if DUAL_STACK {
        Error::AlreadyInUse
    } else {
        Error::InvalidParameter
    };
    assert_eq!(
        connection.create_host_bound("::1", 0, 32, 0, 0, 0),
        Err(ipv6_error),
        "IPv6 on an active host"
    );
}

#[test]
fn already_in_use_comes_before_the_range_checks_of_the_common_part() {
    let (connection, _) = server(4, 0);
    assert_eq!(
        connection.create_host_bound("127.0.0.1", 0, 0, 0, 0, 0),
        Err(Error::AlreadyInUse),
        "max_peers 0 on an active host"
    );
    assert_eq!(
        connection.create_host(4096, 256, -1, -1),
        Err(Error::AlreadyInUse)
    );
}

#[test]
fn create_host_bound_rejects_max_peers_outside_1_to_4095() {
    for max_peers in [0, -1, 4096, i32::MIN, i32::MAX] {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host_bound("127.0.0.1", 0, max_peers, 0, 0, 0),
            Err(Error::InvalidParameter),
            "max_peers {max_peers}"
        );
        assert_inactive(&connection);
    }
    for max_peers in [1, 4095] {
        let connection = Connection::new();
        connection
            .create_host_bound("127.0.0.1", 0, max_peers, 0, 0, 0)
            .unwrap();
        assert_eq!(connection.get_max_peers(), Ok(max_peers as usize));
    }
}

#[test]
fn create_host_bound_rejects_max_channels_outside_0_to_255() {
    for max_channels in [-1, 256, i32::MIN, i32::MAX] {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host_bound("127.0.0.1", 0, 32, max_channels, 0, 0),
            Err(Error::InvalidParameter),
            "max_channels {max_channels}"
        );
        assert_inactive(&connection);
    }
}

#[test]
fn create_host_bound_rejects_negative_bandwidths() {
    for (incoming, outgoing) in [(-1, 0), (0, -1), (i32::MIN, 0), (0, i32::MIN)] {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host_bound("127.0.0.1", 0, 32, 0, incoming, outgoing),
            Err(Error::InvalidParameter),
            "bandwidth {incoming}/{outgoing}"
        );
        assert_inactive(&connection);
    }
    let connection = Connection::new();
    connection
        .create_host_bound("127.0.0.1", 0, 32, 0, i32::MAX, 1)
        .unwrap();
}

#[test]
fn create_host_bound_on_a_port_in_use_is_cant_create_and_leaves_the_connection_inactive() {
    let (first, port) = server(4, 0);
    let second = Connection::new();
    assert_eq!(
        second.create_host_bound("127.0.0.1", port, 4, 0, 0, 0),
        Err(Error::CantCreate)
    );
    assert_inactive(&second);
    // The first host is untouched, and the failed connection can still be created elsewhere.
    assert_eq!(i32::from(first.get_local_port().unwrap()), port);
    second
        .create_host_bound("127.0.0.1", 0, 4, 0, 0, 0)
        .unwrap();
    assert_ne!(i32::from(second.get_local_port().unwrap()), port);
}

// ---------------------------------------------------------------------------------------------
// create_host

#[test]
fn create_host_runs_the_same_range_checks() {
    let cases = [
        (0, 0, 0, 0),
        (-1, 0, 0, 0),
        (4096, 0, 0, 0),
        (1, -1, 0, 0),
        (1, 256, 0, 0),
        (1, 0, -1, 0),
        (1, 0, 0, -1),
    ];
    for (max_peers, max_channels, incoming, outgoing) in cases {
        let connection = Connection::new();
        assert_eq!(
            connection.create_host(max_peers, max_channels, incoming, outgoing),
            Err(Error::InvalidParameter),
            "{max_peers} {max_channels} {incoming} {outgoing}"
        );
        assert_inactive(&connection);
    }
}

#[test]
fn create_host_on_an_active_connection_is_already_in_use() {
    let connection = client();
    assert_eq!(connection.create_host(1, 0, 0, 0), Err(Error::AlreadyInUse));
    assert_eq!(
        connection.create_host_bound("127.0.0.1", 0, 1, 0, 0, 0),
        Err(Error::AlreadyInUse)
    );
}

#[test]
fn create_host_makes_an_unbound_host_that_gets_a_port_on_its_first_send() {
    let (server, port) = server(1, 0);
    let connection = Connection::new();
    connection.create_host(1, 0, 0, 0).unwrap();
    assert_eq!(connection.get_local_port(), Ok(0), "not bound yet");
    connection.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    connection.flush().unwrap();
    assert_ne!(connection.get_local_port().unwrap(), 0, "bound by the send");
    drop(server);
}

#[test]
fn a_failed_create_leaves_the_connection_ready_for_a_valid_one() {
    let connection = Connection::new();
    assert_eq!(
        connection.create_host(0, 0, 0, 0),
        Err(Error::InvalidParameter)
    );
    connection.create_host(2, 3, 0, 0).unwrap();
    assert_eq!(connection.get_max_peers(), Ok(2));
    assert_eq!(connection.get_max_channels(), Ok(3));
}

// ---------------------------------------------------------------------------------------------
// destroy

#[test]
fn destroy_without_a_host_is_unconfigured() {
    let connection = Connection::new();
    assert_eq!(connection.destroy(), Err(Error::Unconfigured));
}

#[test]
fn destroy_twice_succeeds_then_is_unconfigured() {
    let connection = client();
    assert_eq!(connection.destroy(), Ok(()));
    assert_eq!(connection.destroy(), Err(Error::Unconfigured));
}

#[test]
fn every_host_method_of_a_new_connection_is_unconfigured() {
    assert_inactive(&Connection::new());
    assert_inactive(&Connection::default());
}

#[test]
fn every_host_method_after_destroy_is_unconfigured() {
    let (connection, _) = server(4, 0);
    connection.destroy().unwrap();
    assert_inactive(&connection);
}

#[test]
fn destroy_frees_the_port() {
    let (connection, port) = server(4, 0);
    connection.destroy().unwrap();
    let again = Connection::new();
    again
        .create_host_bound("127.0.0.1", port, 4, 0, 0, 0)
        .unwrap();
    assert_eq!(i32::from(again.get_local_port().unwrap()), port);
}

#[test]
fn after_destroy_a_new_host_works_and_old_handles_stay_detached() {
    let (server, port) = server(1, 0);
    let first = client();
    first.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    let old = {
        let mut pump = Pump::new(&[&server, &first]);
        match pump.next(0) {
            Event::Connect { peer, .. } => peer,
            other => panic!("expected Connect, got {other:?}"),
        }
    };
    assert!(old.is_active());
    drop(first); // so that its retransmissions cannot reach the next host on the same port
    server.destroy().unwrap();
    common::assert_detached(&old);

    // A new host on the same connection, with its single slot taken again.
    server
        .create_host_bound("127.0.0.1", port, 1, 0, 0, 0)
        .unwrap();
    assert_eq!(server.get_peers(), Ok(vec![]));
    let second = client();
    let to_server = second.connect_to_host("127.0.0.1", port, 0, 7).unwrap();
    let mut pump = Pump::new(&[&server, &second]);
    let new = match pump.next(0) {
        Event::Connect { peer, data: 7 } => peer,
        other => panic!("expected Connect with data 7, got {other:?}"),
    };
    assert_ne!(new, old);
    common::assert_detached(&old);
    assert_eq!(server.get_peers(), Ok(vec![new.clone()]));
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    new.send(0, b"new", PacketPeer::FLAG_RELIABLE).unwrap();
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: to_server.clone(),
            channel: 0
        }
    );
    assert_eq!(&to_server.get_packet().unwrap()[..], b"new");
}

// ---------------------------------------------------------------------------------------------
// connect_to_host

#[test]
fn connect_to_host_without_a_host_is_unconfigured_even_with_bad_arguments() {
    let connection = Connection::new();
    assert_eq!(
        connection.connect_to_host("127.0.0.1", 9, 0, 0),
        Err(Error::Unconfigured)
    );
    assert_eq!(
        connection.connect_to_host("name.invalid", 0, 0, 0),
        Err(Error::Unconfigured)
    );
}

#[test]
fn connect_to_host_while_the_connection_has_a_peer_is_already_in_use() {
    let (_server, port) = server(4, 0);
    let connection = Connection::new();
    connection.create_host(4, 0, 0, 0).unwrap();
    let first = connection.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    assert_eq!(first.get_state(), PeerState::Connecting);
    assert_eq!(
        connection.connect_to_host("127.0.0.1", port, 0, 0),
        Err(Error::AlreadyInUse),
        "a connecting peer counts"
    );
    // Order: the peer check comes before the port and address checks.
    assert_eq!(
        connection.connect_to_host("127.0.0.1", 0, 0, 0),
        Err(Error::AlreadyInUse)
    );
    assert_eq!(
        connection.connect_to_host("::1", 65536, 0, 0),
        Err(Error::AlreadyInUse)
    );
    assert_eq!(connection.get_peers(), Ok(vec![first]));
}

#[test]
fn connect_to_host_from_a_server_with_an_incoming_peer_is_already_in_use() {
    let (server, port, to_client) = {
        let (server, _client, to_client, _to_server) = common::connected_pair(0);
        let port = i32::from(server.get_local_port().unwrap());
        (server, port, to_client)
    };
    assert!(to_client.get_state() != PeerState::Disconnected);
    assert_eq!(
        server.connect_to_host("127.0.0.1", port, 0, 0),
        Err(Error::AlreadyInUse)
    );
}

#[test]
fn connect_to_host_rejects_ports_outside_1_to_65535_and_creates_no_peer() {
    let (_server, port) = server(4, 0);
    let connection = client();
    for bad in [0, -1, 65536, i32::MIN, i32::MAX] {
        assert_eq!(
            connection.connect_to_host("127.0.0.1", bad, 0, 0),
            Err(Error::InvalidParameter),
            "port {bad}"
        );
    }
    assert_eq!(connection.get_peers(), Ok(vec![]));
    // The failures left the single slot free.
    let peer = connection.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    assert_eq!(peer.get_state(), PeerState::Connecting);
}

#[cfg(not(all(target_os = "linux", not(feature = "upstream-platform"))))]
#[test]
fn connect_to_host_rejects_ipv6_literals_over_upstream_enet() {
    let connection = client();
    for address in ["::1", "::", "fe80::1"] {
        assert_eq!(
            connection.connect_to_host(address, 9, 0, 0),
            Err(Error::InvalidParameter),
            "{address}"
        );
    }
    assert_eq!(connection.get_peers(), Ok(vec![]));
}

#[test]
fn connect_to_host_checks_the_port_before_resolving_the_name() {
    let connection = client();
    assert_eq!(
        connection.connect_to_host("name.invalid", 0, 0, 0),
        Err(Error::InvalidParameter)
    );
}

#[test]
fn connect_to_host_with_an_unresolvable_name_is_cant_resolve() {
    let connection = client();
    // RFC 6761: ".invalid" never resolves. On the reference machine this takes a few ms.
    let start = Instant::now();
    assert_eq!(
        connection.connect_to_host("name.invalid", 9, 0, 0),
        Err(Error::CantResolve)
    );
    eprintln!("resolving name.invalid failed after {:?}", start.elapsed());
    assert_eq!(connection.get_peers(), Ok(vec![]));
}

#[test]
fn connect_to_host_resolves_localhost_and_connects() {
    let (server, port) = server(4, 0);
    let connection = client();
    let to_server = connection.connect_to_host("localhost", port, 0, 3).unwrap();
    assert_eq!(to_server.get_remote_address(), Ok(LOCALHOST));
    let mut pump = Pump::new(&[&server, &connection]);
    assert!(matches!(pump.next(0), Event::Connect { data: 3, .. }));
    assert_eq!(
        pump.next(1),
        Event::Connect {
            peer: to_server,
            data: 0
        }
    );
}

#[test]
fn connect_to_host_with_zero_or_negative_channels_requests_255() {
    for channels in [0, -1, i32::MIN] {
        let connection = client();
        let peer = connection
            .connect_to_host("127.0.0.1", 9, channels, 0)
            .unwrap();
        assert_eq!(peer.get_channels(), Ok(255), "channels {channels}");
    }
    let connection = client();
    let peer = connection.connect_to_host("127.0.0.1", 9, 3, 0).unwrap();
    assert_eq!(peer.get_channels(), Ok(3));
}

#[test]
fn connect_to_host_with_more_than_255_channels_gets_255() {
    let connection = client();
    let peer = connection.connect_to_host("127.0.0.1", 9, 300, 0).unwrap();
    assert_eq!(peer.get_channels(), Ok(255));
}

#[test]
fn connect_to_host_is_allowed_again_once_the_peer_is_gone() {
    let (server, client, _to_client, to_server) = common::connected_pair(2);
    let port = i32::from(server.get_local_port().unwrap());
    // Gone with an event.
    to_server.peer_disconnect(0).unwrap();
    {
        let mut pump = Pump::new(&[&server, &client]);
        assert!(matches!(pump.next(1), Event::Disconnect { .. }));
    }
    let second = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    // Gone without an event.
    second.peer_disconnect_now(0).unwrap();
    let third = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    third.reset().unwrap();
    let fourth = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    assert_eq!(client.get_peers(), Ok(vec![fourth]));
}

/// The "no free slot" failure cannot come from outgoing connections alone: `connect_to_host`
/// already refuses with `AlreadyInUse` while the connection has any peer, and a host has at least
/// one slot. It is reached when the only slot is held by a half-open *incoming* connection: ENet
/// has taken the CONNECT (slot in use) but no Connect event, hence no handle, exists yet.
#[test]
fn connect_to_host_with_every_slot_held_by_a_half_open_incoming_connection_is_cant_create() {
    let (host, port) = server(1, 0);
    let remote = client();
    remote.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    remote.flush().unwrap(); // the CONNECT leaves; `remote` is never serviced, so it never completes
    let start = Instant::now();
    let mut received = 0;
    while received == 0 {
        assert!(start.elapsed() < DEADLINE, "the CONNECT never arrived");
        assert_eq!(host.service(1), Ok(Event::None));
        received += host
            .pop_statistic(HostStatistic::TotalReceivedPackets)
            .unwrap();
    }
    assert_eq!(
        host.get_peers(),
        Ok(vec![]),
        "no handle for a half-open peer"
    );
    assert_eq!(
        host.connect_to_host("127.0.0.1", 9, 0, 0),
        Err(Error::CantCreate)
    );
    assert_eq!(host.get_peers(), Ok(vec![]));
}

// ---------------------------------------------------------------------------------------------
// service and check_events

#[test]
fn service_and_check_events_without_a_host_are_unconfigured() {
    let connection = Connection::new();
    assert_eq!(connection.service(0), Err(Error::Unconfigured));
    assert_eq!(connection.service(10), Err(Error::Unconfigured));
    assert_eq!(connection.check_events(), Err(Error::Unconfigured));
}

#[test]
fn service_and_check_events_on_an_idle_host_return_none() {
    let (connection, _) = server(4, 0);
    assert_eq!(connection.service(0), Ok(Event::None));
    assert_eq!(connection.check_events(), Ok(Event::None));
    assert_eq!(Event::None.event_type(), enet::EventType::None);
    assert_eq!(Event::None.peer(), None);
}

/// `check_events` hands out events ENet already has queued and never reads the socket.
#[test]
fn check_events_drains_queued_events_without_reading_the_socket() {
    let (server, client, to_client, to_server) = common::connected_pair(2);
    for bytes in [b"one", b"two", b"six"] {
        to_server.send(0, bytes, PacketPeer::FLAG_RELIABLE).unwrap();
    }
    client.flush().unwrap(); // one datagram carrying the three packets
    let receive = Event::Receive {
        peer: to_client.clone(),
        channel: 0,
    };
    assert_eq!(
        server.service(DEADLINE.as_millis() as u32),
        Ok(receive.clone())
    );
    assert_eq!(server.check_events(), Ok(receive.clone()));
    assert_eq!(server.check_events(), Ok(receive.clone()));
    assert_eq!(server.check_events(), Ok(Event::None));
    for expected in [b"one", b"two", b"six"] {
        assert_eq!(&to_client.get_packet().unwrap()[..], expected);
    }

    to_server
        .send(1, b"later", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    client.flush().unwrap(); // waiting in the server's socket
    assert_eq!(
        server.check_events(),
        Ok(Event::None),
        "the socket is not read"
    );
    assert_eq!(
        server.service(DEADLINE.as_millis() as u32),
        Ok(Event::Receive {
            peer: to_client.clone(),
            channel: 1
        })
    );
    assert_eq!(&to_client.get_packet().unwrap()[..], b"later");
}

// ---------------------------------------------------------------------------------------------
// broadcast

#[test]
fn broadcast_rejects_channels_outside_the_channel_limit() {
    let (connection, _) = server(4, 4);
    assert_eq!(connection.get_max_channels(), Ok(4));
    for channel in [-1, 4, 5, 255, i32::MIN, i32::MAX] {
        assert_eq!(
            connection.broadcast(channel, b"x", PacketPeer::FLAG_RELIABLE),
            Err(Error::InvalidParameter),
            "channel {channel}"
        );
    }
    for channel in 0..4 {
        assert_eq!(
            connection.broadcast(channel, b"x", PacketPeer::FLAG_RELIABLE),
            Ok(())
        );
    }
}

#[test]
fn broadcast_with_the_default_limit_accepts_0_to_254() {
    let (connection, _) = server(4, 0);
    assert_eq!(connection.get_max_channels(), Ok(255));
    assert_eq!(connection.broadcast(254, b"x", 0), Ok(()));
    assert_eq!(
        connection.broadcast(255, b"x", 0),
        Err(Error::InvalidParameter)
    );
}

#[test]
fn broadcast_rejects_flags_outside_reliable_unsequenced_unreliable_fragment() {
    let (connection, _) = server(4, 4);
    for flags in [4, 16, -1, 256, 1 | 4, i32::MIN] {
        assert_eq!(
            connection.broadcast(0, b"x", flags),
            Err(Error::InvalidParameter),
            "flags {flags}"
        );
    }
    for flags in [0, 1, 2, 3, 8, 9, 10, 11] {
        assert_eq!(
            connection.broadcast(0, b"x", flags),
            Ok(()),
            "flags {flags}"
        );
    }
}

#[test]
fn broadcast_with_bad_channel_and_bad_flags_is_invalid_parameter() {
    let (connection, _) = server(4, 4);
    assert_eq!(
        connection.broadcast(-1, b"x", 4),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        connection.broadcast(4, b"x", 4),
        Err(Error::InvalidParameter)
    );
}

#[test]
fn broadcast_follows_channel_limit_changes() {
    let (connection, _) = server(4, 0);
    connection.channel_limit(2).unwrap();
    assert_eq!(connection.broadcast(1, b"x", 0), Ok(()));
    assert_eq!(
        connection.broadcast(2, b"x", 0),
        Err(Error::InvalidParameter)
    );
}

// ---------------------------------------------------------------------------------------------
// socket_send

#[test]
fn socket_send_rejects_ports_outside_1_to_65535() {
    let connection = client();
    for port in [0, -1, 65536, i32::MIN, i32::MAX] {
        assert_eq!(
            connection.socket_send("127.0.0.1", port, b"x"),
            Err(Error::InvalidParameter),
            "port {port}"
        );
    }
}

#[test]
fn socket_send_rejects_ipv6_and_unresolvable_addresses() {
    // An IPv4-only host: IPv6 is invalid for it with either platform layer.
    let connection = Connection::new();
    connection
        .create_host_bound("127.0.0.1", 0, 1, 0, 0, 0)
        .unwrap();
    assert_eq!(
        connection.socket_send("::1", 9, b"x"),
        Err(Error::InvalidParameter)
    );
    assert_eq!(
        connection.socket_send("name.invalid", 9, b"x"),
        Err(Error::CantResolve)
    );
    // The port is checked before the name is resolved.
    assert_eq!(
        connection.socket_send("name.invalid", 0, b"x"),
        Err(Error::InvalidParameter)
    );
}

#[test]
fn socket_send_sends_exactly_one_raw_datagram_from_the_host_port() {
    let (connection, port) = server(4, 0);
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let to = receiver.local_addr().unwrap().port();
    connection
        .socket_send("127.0.0.1", i32::from(to), b"hole punch \x00\xff")
        .unwrap();
    let mut buffer = [0u8; 64];
    let (len, from) = receiver.recv_from(&mut buffer).unwrap();
    assert_eq!(&buffer[..len], b"hole punch \x00\xff");
    assert_eq!(from.ip(), LOCALHOST);
    assert_eq!(i32::from(from.port()), port);
}

// ---------------------------------------------------------------------------------------------
// DTLS

#[test]
fn dtls_setup_is_always_unavailable_over_upstream_enet() {
    let (connection, _) = server(4, 0);
    assert_eq!(connection.dtls_server_setup(), Err(Error::Unavailable));
    assert_eq!(
        connection.dtls_client_setup("example.com"),
        Err(Error::Unavailable)
    );
    assert_eq!(Error::Unavailable.code(), 2);
    let inactive = Connection::new();
    assert_eq!(inactive.dtls_server_setup(), Err(Error::Unavailable));
    assert_eq!(inactive.dtls_client_setup(""), Err(Error::Unavailable));
}

// ---------------------------------------------------------------------------------------------
// Values on an active host

#[test]
fn get_max_channels_is_255_when_created_with_0_and_the_limit_otherwise() {
    assert_eq!(server(4, 0).0.get_max_channels(), Ok(255));
    assert_eq!(server(4, 1).0.get_max_channels(), Ok(1));
    assert_eq!(server(4, 7).0.get_max_channels(), Ok(7));
    assert_eq!(server(4, 255).0.get_max_channels(), Ok(255));
}

#[test]
fn channel_limit_maps_0_and_above_255_to_255() {
    let (connection, _) = server(4, 8);
    connection.channel_limit(2).unwrap();
    assert_eq!(connection.get_max_channels(), Ok(2));
    connection.channel_limit(0).unwrap();
    assert_eq!(connection.get_max_channels(), Ok(255));
    connection.channel_limit(1).unwrap();
    assert_eq!(connection.get_max_channels(), Ok(1));
    connection.channel_limit(300).unwrap();
    assert_eq!(connection.get_max_channels(), Ok(255));
    connection.channel_limit(u32::MAX).unwrap();
    assert_eq!(connection.get_max_channels(), Ok(255));
}

#[test]
fn channel_limit_caps_the_channels_of_later_incoming_connections() {
    let (server, port) = server(4, 0);
    server.channel_limit(2).unwrap();
    let client = client();
    let to_server = client.connect_to_host("127.0.0.1", port, 8, 0).unwrap();
    assert_eq!(to_server.get_channels(), Ok(8), "requested");
    let mut pump = Pump::new(&[&server, &client]);
    let Event::Connect {
        peer: to_client, ..
    } = pump.next(0)
    else {
        panic!("expected Connect")
    };
    assert_eq!(to_client.get_channels(), Ok(2));
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    assert_eq!(to_server.get_channels(), Ok(2), "negotiated down");
}

#[test]
fn a_new_host_has_no_peers_and_documented_defaults() {
    let (connection, _) = server(4, 0);
    assert_eq!(connection.get_peers(), Ok(vec![]));
    assert_eq!(connection.get_max_peers(), Ok(4));
    assert_eq!(connection.is_checksum_enabled(), Ok(false));
    assert_eq!(connection.get_max_packet_size(), Ok(4 << 20));
    assert_eq!(connection.get_max_waiting_data(), Ok(8 << 20));
    assert_eq!(connection.get_duplicate_peers(), Ok(4095));
    assert_eq!(connection.get_mtu(), Ok(1392));
    assert_eq!(connection.check_events(), Ok(Event::None));
}

#[test]
fn host_settings_read_back_what_was_set() {
    let (connection, _) = server(4, 0);
    connection.set_checksum_enabled(true).unwrap();
    assert_eq!(connection.is_checksum_enabled(), Ok(true));
    connection.set_checksum_enabled(false).unwrap();
    assert_eq!(connection.is_checksum_enabled(), Ok(false));
    connection.set_max_packet_size(1000).unwrap();
    assert_eq!(connection.get_max_packet_size(), Ok(1000));
    connection.set_max_waiting_data(2000).unwrap();
    assert_eq!(connection.get_max_waiting_data(), Ok(2000));
    connection.set_duplicate_peers(2).unwrap();
    assert_eq!(connection.get_duplicate_peers(), Ok(2));
    connection.set_mtu(1200).unwrap();
    assert_eq!(connection.get_mtu(), Ok(1200));
    connection.bandwidth_limit(1000, 2000).unwrap();
    connection.bandwidth_limit(0, 0).unwrap();
    connection.refuse_new_connections(true).unwrap();
    connection.refuse_new_connections(false).unwrap();
    connection.flush().unwrap();
    connection
        .set_intercept(Some(Box::new(|_, _| enet::Verdict::Pass)))
        .unwrap();
    connection.set_intercept(None).unwrap();
}

#[test]
fn pop_statistic_of_a_fresh_host_is_zero() {
    let (connection, _) = server(4, 0);
    for statistic in ALL_STATISTICS {
        assert_eq!(connection.pop_statistic(statistic), Ok(0), "{statistic:?}");
    }
}

/// A CONNECT datagram is ENet's 4-byte header (peer id, sent time) plus the 48-byte CONNECT
/// command: exactly 52 bytes, one datagram.
#[test]
fn pop_statistic_counts_exactly_one_connect_datagram_then_resets_to_zero() {
    let (server, port) = server(4, 0);
    let client = client();
    for statistic in ALL_STATISTICS {
        assert_eq!(client.pop_statistic(statistic), Ok(0));
    }
    client.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    client.flush().unwrap();
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentPackets), Ok(1));
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentData), Ok(52));
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentPackets), Ok(0));
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentData), Ok(0));
    assert_eq!(
        client.pop_statistic(HostStatistic::TotalReceivedPackets),
        Ok(0)
    );

    // The server takes the datagram (the client is not serviced, so nothing else arrives).
    let start = Instant::now();
    let mut received = 0;
    while received == 0 {
        assert!(start.elapsed() < DEADLINE, "the CONNECT never arrived");
        assert_eq!(server.service(1), Ok(Event::None));
        received = server
            .pop_statistic(HostStatistic::TotalReceivedPackets)
            .unwrap();
    }
    assert_eq!(received, 1);
    assert_eq!(
        server.pop_statistic(HostStatistic::TotalReceivedData),
        Ok(52)
    );
    assert_eq!(
        server.pop_statistic(HostStatistic::TotalReceivedData),
        Ok(0)
    );
    assert_eq!(
        server.pop_statistic(HostStatistic::TotalReceivedPackets),
        Ok(0)
    );
    // It answered with a VERIFY_CONNECT.
    assert!(
        server
            .pop_statistic(HostStatistic::TotalSentPackets)
            .unwrap()
            >= 1
    );
    assert_eq!(server.pop_statistic(HostStatistic::TotalSentPackets), Ok(0));
}

#[test]
fn pop_statistic_counts_an_exchange_then_resets_to_zero() {
    let (server, client, _to_client, to_server) = common::connected_pair(0);
    for statistic in ALL_STATISTICS {
        client.pop_statistic(statistic).unwrap();
        server.pop_statistic(statistic).unwrap();
    }
    to_server
        .send(0, &[9u8; 300], PacketPeer::FLAG_RELIABLE)
        .unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert!(matches!(pump.next(0), Event::Receive { channel: 0, .. }));
    assert!(
        client
            .pop_statistic(HostStatistic::TotalSentPackets)
            .unwrap()
            > 0
    );
    assert!(client.pop_statistic(HostStatistic::TotalSentData).unwrap() >= 300);
    assert!(
        server
            .pop_statistic(HostStatistic::TotalReceivedPackets)
            .unwrap()
            > 0
    );
    assert!(
        server
            .pop_statistic(HostStatistic::TotalReceivedData)
            .unwrap()
            >= 300
    );
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentPackets), Ok(0));
    assert_eq!(client.pop_statistic(HostStatistic::TotalSentData), Ok(0));
    assert_eq!(
        server.pop_statistic(HostStatistic::TotalReceivedPackets),
        Ok(0)
    );
    assert_eq!(
        server.pop_statistic(HostStatistic::TotalReceivedData),
        Ok(0)
    );
}

#[test]
fn as_raw_fd_is_minus_one_without_a_host_and_the_bound_socket_with_one() {
    let connection = Connection::new();
    assert_eq!(connection.as_raw_fd(), -1);
    connection
        .create_host_bound("127.0.0.1", 0, 4, 0, 0, 0)
        .unwrap();
    let fd = connection.as_raw_fd();
    assert!(fd >= 0);
    // SAFETY: `fd` is the host's open socket for as long as `connection` lives; it is only
    // duplicated here, never closed.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let socket = UdpSocket::from(borrowed.try_clone_to_owned().unwrap());
    assert_eq!(
        socket.local_addr().unwrap().port(),
        connection.get_local_port().unwrap()
    );
    // A dual-stack socket reports its IPv4 binding as the v4-mapped IPv6 address.
    assert_eq!(socket.local_addr().unwrap().ip().to_canonical(), LOCALHOST);
    connection.destroy().unwrap();
    assert_eq!(connection.as_raw_fd(), -1);
}

#[test]
fn host_statistic_values_are_godots() {
    // Error's codes are pinned by the unit test next to the enum (src/error.rs).
    assert_eq!(HostStatistic::TotalSentData as i32, 0);
    assert_eq!(HostStatistic::TotalSentPackets as i32, 1);
    assert_eq!(HostStatistic::TotalReceivedData as i32, 2);
    assert_eq!(HostStatistic::TotalReceivedPackets as i32, 3);
}

#[test]
fn set_mtu_accepts_only_enets_protocol_range() {
    let connection = client();
    for mtu in [0, 4, 48, 575, 4097, u32::MAX] {
        assert_eq!(
            connection.set_mtu(mtu),
            Err(Error::InvalidParameter),
            "mtu {mtu}"
        );
    }
    assert_eq!(
        connection.get_mtu(),
        Ok(1392),
        "a refused value changes nothing"
    );
    for mtu in [576, 1200, 4096] {
        connection.set_mtu(mtu).unwrap();
        assert_eq!(connection.get_mtu(), Ok(mtu));
    }
}
