//! Connections on 127.0.0.1 exchanging every kind of packet, on several channels, and the
//! host-level features that act on traffic: broadcast, refusing connections, intercepts,
//! checksums, service timeouts and peer listings.

mod common;

use common::{connected_pair, Pump};
use enet::{Error, Event, Packet, PacketPeer, PeerState, Verdict};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

// ---------------------------------------------------------------------------------------------
// Delivery modes and the flags the receiver sees

/// One send and what ENet delivers for it. ENet decides the delivery command from the flags and
/// the size: a packet larger than one fragment (MTU 1392) goes as reliable fragments unless it is
/// exactly `UNRELIABLE_FRAGMENT` without `RELIABLE`; the receiver's flags name the command that
/// delivered it (reliable → 1, unsequenced → 2, unreliable → 0, unreliable fragments → 8).
struct Case {
    flags: i32,
    size: usize,
    channel: i32,
    delivered_as: i32,
}

const R: i32 = PacketPeer::FLAG_RELIABLE;
const U: i32 = PacketPeer::FLAG_UNSEQUENCED;
const F: i32 = PacketPeer::FLAG_UNRELIABLE_FRAGMENT;

fn payload(size: usize, seed: usize) -> Vec<u8> {
    (0..size)
        .map(|i| ((i * 7 + seed * 13) % 251) as u8)
        .collect()
}

#[test]
fn every_delivery_mode_arrives_intact_with_the_flags_enet_delivered_it_with() {
    let cases = [
        Case {
            flags: R,
            size: 10,
            channel: 0,
            delivered_as: R,
        },
        Case {
            flags: 0,
            size: 10,
            channel: 1,
            delivered_as: 0,
        },
        Case {
            flags: U,
            size: 10,
            channel: 2,
            delivered_as: U,
        },
        Case {
            flags: F,
            size: 5000,
            channel: 3,
            delivered_as: F,
        },
        Case {
            flags: R,
            size: 100 * 1024,
            channel: 0,
            delivered_as: R,
        },
        // Small packets: UNRELIABLE_FRAGMENT alone is plain unreliable, RELIABLE wins over
        // UNSEQUENCED.
        Case {
            flags: F,
            size: 10,
            channel: 1,
            delivered_as: 0,
        },
        Case {
            flags: R | U,
            size: 10,
            channel: 2,
            delivered_as: R,
        },
        Case {
            flags: U | F,
            size: 10,
            channel: 2,
            delivered_as: U,
        },
        Case {
            flags: R | U | F,
            size: 10,
            channel: 3,
            delivered_as: R,
        },
        // Large packets without exactly UNRELIABLE_FRAGMENT become reliable fragments.
        Case {
            flags: 0,
            size: 5000,
            channel: 1,
            delivered_as: R,
        },
        Case {
            flags: U,
            size: 5000,
            channel: 2,
            delivered_as: R,
        },
        Case {
            flags: R | F,
            size: 5000,
            channel: 3,
            delivered_as: R,
        },
        Case {
            flags: U | F,
            size: 5000,
            channel: 3,
            delivered_as: F,
        },
        // Empty packets are packets.
        Case {
            flags: R,
            size: 0,
            channel: 0,
            delivered_as: R,
        },
        Case {
            flags: 0,
            size: 0,
            channel: 1,
            delivered_as: 0,
        },
    ];
    let (server, client, to_client, to_server) = connected_pair(4);
    // Deceleration 0: ENet's throttle never starts dropping unreliable packets on a busy machine.
    to_server.throttle_configure(5000, 2, 0).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    for (i, case) in cases.iter().enumerate() {
        let bytes = payload(case.size, i);
        to_server.send(case.channel, &bytes, case.flags).unwrap();
        assert_eq!(
            pump.next(0),
            Event::Receive {
                peer: to_client.clone(),
                channel: case.channel as u8
            },
            "case {i}"
        );
        assert_eq!(to_client.get_available_packet_count(), 1, "case {i}");
        assert_eq!(
            to_client.get_packet_flags(),
            Ok(case.delivered_as),
            "case {i}"
        );
        let packet = to_client.get_packet().unwrap();
        assert_eq!(packet.flags(), case.delivered_as, "case {i}");
        assert_eq!(packet.len(), case.size, "case {i}");
        assert!(packet[..] == bytes[..], "case {i}: bytes differ");
    }
}

#[test]
fn reliable_packets_in_both_directions_keep_their_channel_and_order() {
    let (server, client, to_client, to_server) = connected_pair(3);
    for i in 0..30u8 {
        to_client.send(i32::from(i % 3), &[i], R).unwrap();
    }
    let mut pump = Pump::new(&[&server, &client]);
    let mut got: Vec<Vec<u8>> = vec![Vec::new(); 3];
    for _ in 0..30 {
        let Event::Receive { peer, channel } = pump.next(1) else {
            panic!("expected Receive on the client")
        };
        assert_eq!(peer, to_server);
        got[usize::from(channel)].push(peer.get_packet().unwrap()[0]);
    }
    for (channel, got) in got.iter().enumerate() {
        let expected: Vec<u8> = (0..30u8)
            .filter(|i| usize::from(i % 3) == channel)
            .collect();
        assert_eq!(got, &expected, "channel {channel}");
    }
}

#[test]
fn packet_from_vec_is_sent_without_copy_and_arrives_intact() {
    let (server, client, to_client, to_server) = connected_pair(2);
    let bytes = payload(20_000, 1);
    let packet = Packet::from_vec(bytes.clone(), R).unwrap();
    assert_eq!(packet.flags(), R);
    to_server.send_packet(1, packet).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 1
        }
    );
    let received = to_client.get_packet().unwrap();
    assert_eq!(received.flags(), R);
    assert!(received[..] == bytes[..], "bytes differ");
}

#[test]
fn put_packet_from_the_server_arrives_reliable_on_channel_0() {
    let (server, client, to_client, to_server) = connected_pair(4);
    to_client.put_packet(b"hello client").unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: to_server.clone(),
            channel: 0
        }
    );
    let packet = to_server.get_packet().unwrap();
    assert_eq!(packet.flags(), R);
    assert_eq!(&packet[..], b"hello client");
}

#[test]
fn broadcast_reaches_every_connected_peer() {
    let (server, port) = common::server(4, 4);
    let clients = [common::client(), common::client(), common::client()];
    let to_server: Vec<PacketPeer> = clients
        .iter()
        .enumerate()
        .map(|(i, c)| c.connect_to_host("127.0.0.1", port, 4, i as u32).unwrap())
        .collect();
    let mut pump = Pump::new(&[&server, &clients[0], &clients[1], &clients[2]]);
    for _ in 0..3 {
        assert!(matches!(pump.next(0), Event::Connect { .. }));
    }
    for (i, peer) in to_server.iter().enumerate() {
        assert_eq!(
            pump.next(i + 1),
            Event::Connect {
                peer: peer.clone(),
                data: 0
            }
        );
    }

    server.broadcast(2, b"to everyone", R).unwrap();
    server.broadcast(3, b"unsequenced", U).unwrap();
    for (i, peer) in to_server.iter().enumerate() {
        for (channel, bytes, flags) in [(2, &b"to everyone"[..], R), (3, &b"unsequenced"[..], U)] {
            assert_eq!(
                pump.next(i + 1),
                Event::Receive {
                    peer: peer.clone(),
                    channel
                },
                "client {i}"
            );
            assert_eq!(peer.get_packet_flags(), Ok(flags));
            assert_eq!(&peer.get_packet().unwrap()[..], bytes, "client {i}");
        }
    }
    assert_eq!(
        pump.pending(0),
        vec![],
        "the server does not receive its broadcast"
    );
}

#[test]
fn peer_disconnect_data_reaches_the_remotes_disconnect_event() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_client.peer_disconnect(u32::MAX).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server,
            data: u32::MAX
        }
    );
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_client,
            data: 0
        }
    );
}

// ---------------------------------------------------------------------------------------------
// refuse_new_connections

#[test]
fn a_refused_client_is_answered_when_checksums_are_on() {
    let (server, port) = common::server(4, 0);
    let client = common::client();
    for host in [&server, &client] {
        host.set_checksum_enabled(true).unwrap();
    }
    server.refuse_new_connections(true).unwrap();
    server.set_refusal_data(5).unwrap();
    let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    let refused_at = std::time::Instant::now();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server,
            data: 5
        }
    );
    assert!(refused_at.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(pump.pending(0), vec![]);
}

#[test]
fn refusing_new_connections_answers_new_clients_at_once_while_existing_peers_keep_talking() {
    let (server, port) = common::server(4, 0);
    let (a, b, c) = (common::client(), common::client(), common::client());
    let a_to_server = a.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    let mut pump = Pump::new(&[&server, &a, &b, &c]);
    let Event::Connect {
        peer: to_a,
        data: 1,
    } = pump.next(0)
    else {
        panic!("expected Connect from a")
    };
    assert!(matches!(pump.next(1), Event::Connect { .. }));

    server.refuse_new_connections(true).unwrap();
    server.set_refusal_data(77).unwrap();
    let b_to_server = b.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let refused_at = std::time::Instant::now();
    a_to_server.send(0, b"from a", R).unwrap();
    to_a.send(1, b"to a", R).unwrap();
    assert_eq!(
        pump.next(2),
        Event::Disconnect {
            peer: b_to_server.clone(),
            data: 77
        },
        "b is answered with the refusal data"
    );
    // ENet's own connect timeout is at least 5 s: the answer came from the server.
    assert!(refused_at.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: a_to_server.clone(),
            channel: 1
        }
    );
    assert_eq!(&a_to_server.get_packet().unwrap()[..], b"to a");
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_a.clone(),
            channel: 0
        }
    );
    assert_eq!(&to_a.get_packet().unwrap()[..], b"from a");
    assert_eq!(pump.pending(0), vec![], "no Connect from b");
    assert_eq!(server.get_peers(), Ok(vec![to_a.clone()]));

    server.refuse_new_connections(false).unwrap();
    let c_to_server = c.connect_to_host("127.0.0.1", port, 2, 3).unwrap();
    let Event::Connect {
        peer: to_c,
        data: 3,
    } = pump.next(0)
    else {
        panic!("expected Connect from c")
    };
    assert_eq!(
        pump.next(3),
        Event::Connect {
            peer: c_to_server,
            data: 0
        }
    );
    assert_eq!(to_c.get_remote_port(), c.get_local_port());
    assert!(to_a.is_active());
}

// ---------------------------------------------------------------------------------------------
// set_intercept

type Seen = Arc<Mutex<Vec<(SocketAddr, Vec<u8>)>>>;

#[test]
fn an_intercept_sees_every_received_datagram_with_its_source() {
    let (server, port) = common::server(4, 0);
    let seen: Seen = Arc::default();
    let log = seen.clone();
    server
        .set_intercept(Some(Box::new(move |from, datagram| {
            log.lock().unwrap().push((from, datagram.to_vec()));
            Verdict::Pass
        })))
        .unwrap();
    let (client, to_server, to_client) = common::join(&server, "127.0.0.1", port, 2);
    let mut pump = Pump::new(&[&server, &client]);
    to_server.send(1, b"needle-4242", R).unwrap();
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client,
            channel: 1
        }
    );

    let seen = seen.lock().unwrap();
    assert!(
        seen.len() >= 3,
        "CONNECT, VERIFY_CONNECT's ack, the data: {}",
        seen.len()
    );
    let client_address = SocketAddr::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        client.get_local_port().unwrap(),
    );
    assert!(seen.iter().all(|(from, _)| *from == client_address));
    // The first datagram is the CONNECT, addressed to ENet's "no peer yet" id 0xFFF.
    let first = &seen[0].1;
    assert_eq!(u16::from_be_bytes([first[0], first[1]]) & 0x0FFF, 0x0FFF);
    assert!(
        seen.iter()
            .any(|(_, d)| d.windows(11).any(|w| w == b"needle-4242")),
        "the raw datagram carries the payload"
    );
}

#[test]
fn an_intercept_that_drops_everything_makes_connecting_fail() {
    let (server, port) = common::server(4, 0);
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    server
        .set_intercept(Some(Box::new(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            Verdict::Drop
        })))
        .unwrap();
    let client = common::client();
    let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    to_server.set_timeout(1, 200, 500).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server,
            data: 0
        }
    );
    assert!(dropped.load(Ordering::SeqCst) > 0);
    assert_eq!(pump.pending(0), vec![]);
    assert_eq!(server.get_peers(), Ok(vec![]));
}

#[test]
fn a_panicking_intercept_drops_the_datagram_and_the_host_lives_on() {
    let (server, port) = common::server(4, 0);
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    server
        .set_intercept(Some(Box::new(move |_, _| {
            counter.fetch_add(1, Ordering::SeqCst);
            panic!("intercept panics on purpose");
        })))
        .unwrap();
    let first = common::client();
    let doomed = first.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    doomed.set_timeout(1, 200, 500).unwrap();
    let second = common::client();
    let mut pump = Pump::new(&[&server, &first, &second]);
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: doomed,
            data: 0
        },
        "every datagram was dropped"
    );
    assert!(calls.load(Ordering::SeqCst) > 0);
    assert_eq!(pump.pending(0), vec![]);

    // The host is unharmed: without the intercept the next client connects.
    server.set_intercept(None).unwrap();
    let to_server = second.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    assert!(matches!(pump.next(0), Event::Connect { data: 2, .. }));
    assert_eq!(
        pump.next(2),
        Event::Connect {
            peer: to_server,
            data: 0
        }
    );
}

#[derive(Debug, PartialEq)]
struct Reentry {
    port: Result<u16, Error>,
    service: Result<(), Error>,
    flush: Result<(), Error>,
    set_intercept: Result<(), Error>,
    peer_send: Option<Result<(), Error>>,
    other_connection: Result<u16, Error>,
}

#[test]
fn calling_the_same_connection_from_inside_its_intercept_is_busy() {
    let (server, port) = common::server(4, 0);
    let server = Arc::new(server);
    let client = Arc::new(common::client());
    let known_peer: Arc<Mutex<Option<PacketPeer>>> = Arc::default();
    let reentries: Arc<Mutex<Vec<Reentry>>> = Arc::default();
    {
        let server_ref = Arc::downgrade(&server);
        let other = client.clone();
        let known_peer = known_peer.clone();
        let reentries = reentries.clone();
        server
            .set_intercept(Some(Box::new(move |_, _| {
                let server = server_ref.upgrade().expect("server alive");
                let peer = known_peer.lock().unwrap().clone();
                reentries.lock().unwrap().push(Reentry {
                    port: server.get_local_port(),
                    service: server.service(0).map(drop),
                    flush: server.flush(),
                    set_intercept: server.set_intercept(None),
                    peer_send: peer.map(|p| p.send(0, b"x", R)),
                    other_connection: other.get_local_port(),
                });
                Verdict::Pass
            })))
            .unwrap();
    }
    let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    let Event::Connect {
        peer: to_client, ..
    } = pump.next(0)
    else {
        panic!("expected Connect: the intercept passed everything")
    };
    *known_peer.lock().unwrap() = Some(to_client.clone());
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    to_server.send(0, b"after", R).unwrap();
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 0
        }
    );

    let reentries = reentries.lock().unwrap();
    assert!(!reentries.is_empty());
    for reentry in reentries.iter() {
        assert_eq!(reentry.port, Err(Error::Busy));
        assert_eq!(reentry.service, Err(Error::Busy));
        assert_eq!(reentry.flush, Err(Error::Busy));
        assert_eq!(reentry.set_intercept, Err(Error::Busy));
        assert!(matches!(reentry.peer_send, None | Some(Err(Error::Busy))));
        assert_eq!(reentry.other_connection, client.get_local_port());
    }
    assert!(
        reentries
            .iter()
            .any(|r| r.peer_send == Some(Err(Error::Busy))),
        "a peer handle was used from inside the intercept"
    );
    // Outside the intercept everything works again.
    assert_eq!(server.flush(), Ok(()));
    assert!(to_client.is_active());
}

// ---------------------------------------------------------------------------------------------
// Checksums

#[test]
fn checksums_on_both_ends_connect_and_exchange() {
    let (server, port) = common::server(4, 0);
    let client = common::client();
    server.set_checksum_enabled(true).unwrap();
    client.set_checksum_enabled(true).unwrap();
    let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    let Event::Connect {
        peer: to_client, ..
    } = pump.next(0)
    else {
        panic!("expected Connect")
    };
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    let bytes = payload(3000, 5);
    to_server.send(1, &bytes, R).unwrap();
    assert_eq!(
        pump.next(0),
        Event::Receive {
            peer: to_client.clone(),
            channel: 1
        }
    );
    assert!(to_client.get_packet().unwrap()[..] == bytes[..]);
}

#[test]
fn a_checksum_on_one_end_only_fails_to_connect() {
    for checksum_on_server in [true, false] {
        let (server, port) = common::server(4, 0);
        let client = common::client();
        if checksum_on_server {
            server.set_checksum_enabled(true).unwrap();
        } else {
            client.set_checksum_enabled(true).unwrap();
        }
        let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
        to_server.set_timeout(1, 200, 500).unwrap();
        let mut pump = Pump::new(&[&server, &client]);
        assert_eq!(
            pump.next(1),
            Event::Disconnect {
                peer: to_server,
                data: 0
            },
            "checksum on server only: {checksum_on_server}"
        );
        assert!(
            !pump
                .pending(0)
                .iter()
                .any(|e| matches!(e, Event::Connect { .. })),
            "the server never completes a connection"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// service and get_peers

#[test]
fn service_waits_for_its_timeout_when_nothing_happens() {
    let (server, _) = common::server(4, 0);
    for timeout_ms in [30u32, 120] {
        let start = Instant::now();
        assert_eq!(server.service(timeout_ms), Ok(Event::None));
        let elapsed = start.elapsed();
        assert!(
            elapsed + Duration::from_millis(3) >= Duration::from_millis(u64::from(timeout_ms)),
            "service({timeout_ms}) returned after {elapsed:?}"
        );
    }
}

#[test]
fn service_returns_an_event_as_soon_as_it_happens() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.send(0, b"x", R).unwrap();
    client.flush().unwrap();
    let start = Instant::now();
    assert_eq!(
        server.service(5_000),
        Ok(Event::Receive {
            peer: to_client,
            channel: 0
        })
    );
    assert!(start.elapsed() < common::DEADLINE);
}

#[test]
fn get_peers_lists_connecting_connected_and_disconnecting_peers() {
    let (server, port) = common::server(4, 0);
    let (a, b) = (common::client(), common::client());
    let a_to_server = a.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    assert_eq!(a.get_peers(), Ok(vec![a_to_server.clone()]));
    assert_eq!(a.get_peers().unwrap()[0].get_state(), PeerState::Connecting);

    let mut pump = Pump::new(&[&server, &a, &b]);
    let Event::Connect { peer: to_a, .. } = pump.next(0) else {
        panic!("expected Connect")
    };
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    assert_eq!(a.get_peers(), Ok(vec![a_to_server.clone()]));
    assert_eq!(a_to_server.get_state(), PeerState::Connected);

    b.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let Event::Connect { peer: to_b, .. } = pump.next(0) else {
        panic!("expected Connect")
    };
    let listed: HashSet<PacketPeer> = server.get_peers().unwrap().into_iter().collect();
    assert_eq!(listed, [to_a.clone(), to_b.clone()].into_iter().collect());

    to_a.peer_disconnect(0).unwrap();
    assert_eq!(to_a.get_state(), PeerState::Disconnecting);
    let listed: HashSet<PacketPeer> = server.get_peers().unwrap().into_iter().collect();
    assert_eq!(
        listed,
        [to_a.clone(), to_b.clone()].into_iter().collect(),
        "a disconnecting peer is still listed"
    );
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_a,
            data: 0
        }
    );
    assert_eq!(server.get_peers(), Ok(vec![to_b]));
}
