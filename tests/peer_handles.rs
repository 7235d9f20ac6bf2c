//! The lifetime of `PacketPeer` handles: every way a peer can go away detaches its handles for
//! good (every method then answers as documented, see `common::assert_detached`), a recycled ENet
//! slot always gets a new handle the old one never reaches, and handles are plain values: `Clone`,
//! `Send`, comparable and hashable.

mod common;

use common::{assert_detached, client, connected_pair, fast_timeout, serve_until, server, Pump};
use enet::{Connection, Error, Event, PacketPeer, PeerState};
use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::time::Duration;

const RELIABLE: i32 = PacketPeer::FLAG_RELIABLE;

fn hash_of(peer: &PacketPeer) -> u64 {
    let mut hasher = DefaultHasher::new();
    peer.hash(&mut hasher);
    hasher.finish()
}

fn expect_connect(event: Event) -> (PacketPeer, u32) {
    match event {
        Event::Connect { peer, data } => (peer, data),
        other => panic!("expected Connect, got {other:?}"),
    }
}

fn expect_disconnect(event: Event) -> (PacketPeer, u32) {
    match event {
        Event::Disconnect { peer, data } => (peer, data),
        other => panic!("expected Disconnect, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Each way of losing a peer

#[test]
fn remote_graceful_disconnect_gives_a_disconnect_event_with_its_data_and_detaches_the_handle() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.peer_disconnect(42).unwrap();
    let mut pump = Pump::new(&[&server, &client]);
    let (peer, data) = expect_disconnect(pump.next(0));
    assert_eq!(peer, to_client, "the handle obtained at Connect");
    assert_eq!(data, 42);
    assert!(!peer.is_active(), "already detached in the event");
    assert_detached(&to_client);
    assert_eq!(server.get_peers(), Ok(vec![]));
}

#[test]
fn local_peer_disconnect_keeps_the_handle_attached_until_its_disconnect_event() {
    let (server, client, _to_client, to_server) = connected_pair(2);
    to_server.peer_disconnect(42).unwrap();
    assert!(to_server.is_active());
    assert_eq!(to_server.get_state(), PeerState::Disconnecting);
    assert_eq!(client.get_peers(), Ok(vec![to_server.clone()]));
    let mut pump = Pump::new(&[&server, &client]);
    let (peer, data) = expect_disconnect(pump.next(1));
    assert_eq!(peer, to_server);
    assert_eq!(data, 0, "the acknowledging side sends no data");
    assert!(!peer.is_active());
    assert_detached(&to_server);
    assert_eq!(client.get_peers(), Ok(vec![]));
}

#[test]
fn peer_disconnect_later_delivers_queued_packets_before_the_disconnect() {
    let (server, client, to_client, to_server) = connected_pair(2);
    for i in 0..5u8 {
        to_server.send(i32::from(i % 2), &[i; 3], RELIABLE).unwrap();
    }
    to_server.peer_disconnect_later(9).unwrap();
    assert_eq!(to_server.get_state(), PeerState::DisconnectLater);

    let mut received = Vec::new();
    let (mut server_data, mut client_data) = (None, None);
    serve_until(&[&server, &client], |host, event| {
        match (host, event) {
            (0, Event::Receive { peer, channel }) => {
                assert_eq!(peer, to_client);
                let packet = peer.get_packet().unwrap();
                received.push((channel, packet.to_vec()));
            }
            (0, Event::Disconnect { peer, data }) => {
                assert_eq!(peer, to_client);
                server_data = Some(data);
            }
            (1, Event::Disconnect { peer, data }) => {
                assert_eq!(peer, to_server);
                client_data = Some(data);
            }
            (host, event) => panic!("unexpected event on host {host}: {event:?}"),
        }
        server_data.is_some() && client_data.is_some()
    });
    let expected: Vec<(u8, Vec<u8>)> = (0..5u8).map(|i| (i % 2, vec![i; 3])).collect();
    assert_eq!(
        received, expected,
        "all queued packets, before the Disconnect"
    );
    assert_eq!(server_data, Some(9));
    assert_eq!(client_data, Some(0));
    assert_detached(&to_client);
    assert_detached(&to_server);
}

#[test]
fn peer_disconnect_now_detaches_at_once_without_a_local_event_and_the_remote_gets_the_data() {
    let (server, client, to_client, to_server) = connected_pair(2);
    to_server.peer_disconnect_now(77).unwrap();
    assert_detached(&to_server);
    assert_eq!(client.get_peers(), Ok(vec![]));

    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_client.clone(),
            data: 77
        }
    );
    assert_detached(&to_client);
    assert_eq!(
        pump.run_for(1, Duration::from_millis(100)),
        vec![],
        "no Disconnect event for the side that called peer_disconnect_now"
    );
}

#[test]
fn reset_detaches_at_once_without_any_event_and_the_remote_times_out() {
    let (server, client, to_client, to_server) = connected_pair(2);
    fast_timeout(&to_client);
    to_server.reset().unwrap();
    assert_detached(&to_server);
    assert_eq!(client.get_peers(), Ok(vec![]));

    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_client.clone(),
            data: 0
        },
        "the remote was not told: it times out"
    );
    assert_detached(&to_client);
    assert_eq!(pump.pending(1), vec![], "no event on the side that reset");
}

#[test]
fn a_remote_host_that_vanishes_times_out_into_a_disconnect_with_data_0() {
    let (server, client, to_client, _to_server) = connected_pair(2);
    fast_timeout(&to_client);
    drop(client);
    let mut pump = Pump::new(&[&server]);
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_client.clone(),
            data: 0
        }
    );
    assert_detached(&to_client);
    assert_eq!(server.get_peers(), Ok(vec![]));
}

#[test]
fn destroy_detaches_every_handle_at_once_and_the_remotes_time_out() {
    let (server, port) = server(4, 0);
    let (a, b) = (client(), client());
    let to_server_a = a.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    let to_server_b = b.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let mut server_side = Vec::new();
    {
        let mut pump = Pump::new(&[&server, &a, &b]);
        server_side.push(expect_connect(pump.next(0)).0);
        server_side.push(expect_connect(pump.next(0)).0);
        expect_connect(pump.next(1));
        expect_connect(pump.next(2));
    }
    let listed = server.get_peers().unwrap();
    assert_eq!(listed.len(), 2);
    fast_timeout(&to_server_a);
    fast_timeout(&to_server_b);

    server.destroy().unwrap();
    for peer in server_side.iter().chain(&listed) {
        assert_detached(peer);
    }
    assert_eq!(server.get_peers(), Err(Error::Unconfigured));

    let mut pump = Pump::new(&[&a, &b]);
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_server_a,
            data: 0
        }
    );
    assert_eq!(
        pump.next(1),
        Event::Disconnect {
            peer: to_server_b,
            data: 0
        }
    );
}

#[test]
fn dropping_the_connection_detaches_every_handle_and_clone() {
    let (server, client, to_client, to_server) = connected_pair(2);
    let clone = to_client.clone();
    let listed = server.get_peers().unwrap();
    fast_timeout(&to_server);
    drop(server);
    assert_detached(&to_client);
    assert_detached(&clone);
    assert_detached(&listed[0]);
    let mut pump = Pump::new(&[&client]);
    assert_eq!(
        pump.next(0),
        Event::Disconnect {
            peer: to_server,
            data: 0
        }
    );
}

#[test]
fn a_handle_outlives_its_connection_inside_another_thread() {
    let (server, _client, to_client, _to_server) = connected_pair(2);
    let handle = std::thread::spawn(move || {
        // Moved away while live; used after the connection is gone.
        to_client
    });
    let to_client = handle.join().unwrap();
    assert!(to_client.is_active());
    drop(server);
    assert_detached(&to_client);
}

// ---------------------------------------------------------------------------------------------
// Slot reuse

/// With one slot, the second client necessarily lands in the slot the first one left.
#[test]
fn a_reused_slot_gets_a_new_handle_and_the_old_one_never_reaches_the_new_occupant() {
    let (server, port) = server(1, 0);
    assert_eq!(server.get_max_peers(), Ok(1));
    let first = client();
    let first_to_server = first.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    let old = {
        let mut pump = Pump::new(&[&server, &first]);
        let (old, data) = expect_connect(pump.next(0));
        assert_eq!(data, 1);
        expect_connect(pump.next(1));
        first_to_server.peer_disconnect(0).unwrap();
        assert_eq!(
            pump.next(0),
            Event::Disconnect {
                peer: old.clone(),
                data: 0
            }
        );
        old
    };

    let second = client();
    let to_server = second.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let mut pump = Pump::new(&[&server, &second]);
    let (new, data) = expect_connect(pump.next(0));
    assert_eq!(data, 2);
    expect_connect(pump.next(1));

    assert_ne!(new, old);
    assert!(new.is_active());
    assert_detached(&old);
    assert_eq!(old.send(0, b"old", RELIABLE), Err(Error::Unconfigured));
    assert_eq!(old.put_packet(b"old"), Err(Error::Unconfigured));
    assert_eq!(old.get_remote_port(), Err(Error::Unconfigured));
    assert_eq!(new.get_remote_port(), second.get_local_port());
    assert_eq!(server.get_peers(), Ok(vec![new.clone()]));

    new.send(1, b"new", RELIABLE).unwrap();
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: to_server.clone(),
            channel: 1
        }
    );
    assert_eq!(&to_server.get_packet().unwrap()[..], b"new");
    assert_eq!(
        pump.run_for(1, Duration::from_millis(50)),
        vec![],
        "nothing sent through the old handle ever arrives"
    );
    assert_eq!(to_server.get_available_packet_count(), 0);
}

#[test]
fn a_slot_freed_by_reset_is_reused_with_a_new_handle() {
    let (server, port) = server(1, 0);
    let first = client();
    let first_to_server = first.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    let old = {
        let mut pump = Pump::new(&[&server, &first]);
        let (old, _) = expect_connect(pump.next(0));
        expect_connect(pump.next(1));
        old
    };
    drop(first_to_server);
    drop(first); // silent from now on
    old.reset().unwrap();
    assert_detached(&old);
    assert_eq!(server.get_peers(), Ok(vec![]));

    let second = client();
    second.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let mut pump = Pump::new(&[&server, &second]);
    let (new, data) = expect_connect(pump.next(0));
    assert_eq!(data, 2);
    assert_ne!(new, old);
    assert_detached(&old);
    assert!(new.is_active());
}

/// `peer_disconnect` (and `peer_disconnect_later`, which falls back to it when nothing is queued)
/// on a peer that has not connected yet makes ENet reset it on the spot: no event will ever come.
/// The handle then reports `is_active() == false`; the connection must neither keep listing it in
/// `get_peers` nor refuse a new `connect_to_host` because of it ("already has a peer").
#[test]
fn a_connecting_peer_disconnected_before_it_connects_is_gone_at_once() {
    let (server, port) = server(4, 0);
    for later in [false, true] {
        let client = client();
        let first = client.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
        assert_eq!(first.get_state(), PeerState::Connecting);
        if later {
            first.peer_disconnect_later(0).unwrap();
        } else {
            first.peer_disconnect(0).unwrap();
        }
        // Asked before anything touches the handle itself, and after servicing.
        assert_eq!(client.service(1), Ok(Event::None));
        assert_eq!(client.get_peers(), Ok(vec![]), "get_peers (later: {later})");
        let second = client.connect_to_host("127.0.0.1", port, 2, 2);
        assert!(
            second.is_ok(),
            "connect_to_host again (later: {later}): {second:?}"
        );
        assert_detached(&first);
    }
    drop(server);
}

/// The slot an abandoned outgoing attempt leaves (ENet reset it without an event) can next be
/// taken by an *incoming* connection: that one must get a fresh, live handle, not the old one.
#[test]
fn an_incoming_connection_into_the_slot_of_an_abandoned_attempt_gets_a_fresh_handle() {
    let (host, port) = server(1, 0);
    let abandoned = host.connect_to_host("127.0.0.1", 9, 2, 0).unwrap();
    abandoned.peer_disconnect(0).unwrap();

    let remote = client();
    let to_host = remote.connect_to_host("127.0.0.1", port, 2, 5).unwrap();
    let mut pump = Pump::new(&[&host, &remote]);
    let (incoming, data) = expect_connect(pump.next(0));
    assert_eq!(data, 5);
    assert_ne!(incoming, abandoned);
    assert!(incoming.is_active());
    assert_eq!(incoming.get_remote_port(), remote.get_local_port());
    assert_detached(&abandoned);
    expect_connect(pump.next(1));
    incoming.send(0, b"hi", RELIABLE).unwrap();
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: to_host.clone(),
            channel: 0
        }
    );
    assert_eq!(&to_host.get_packet().unwrap()[..], b"hi");
}

/// Handles carry a slot index; on a recreated, smaller host that index may not exist at all.
#[test]
fn handles_of_a_destroyed_host_stay_detached_on_a_smaller_new_host() {
    let (server, port) = server(4, 0);
    let clients = [client(), client(), client()];
    for (i, c) in clients.iter().enumerate() {
        c.connect_to_host("127.0.0.1", port, 2, i as u32).unwrap();
    }
    let old: Vec<PacketPeer> = {
        let mut pump = Pump::new(&[&server, &clients[0], &clients[1], &clients[2]]);
        (0..3).map(|_| expect_connect(pump.next(0)).0).collect()
    };
    drop(clients);
    server.destroy().unwrap();
    server
        .create_host_bound("127.0.0.1", 0, 1, 0, 0, 0)
        .unwrap();
    assert_eq!(server.get_max_peers(), Ok(1));
    for peer in &old {
        assert_detached(peer);
    }
}

// ---------------------------------------------------------------------------------------------
// Handles as values

#[test]
fn clones_are_equal_and_hash_equal_and_distinct_peers_are_not() {
    let (server, port) = server(4, 0);
    let (a, b) = (client(), client());
    let a_to_server = a.connect_to_host("127.0.0.1", port, 2, 1).unwrap();
    let b_to_server = b.connect_to_host("127.0.0.1", port, 2, 2).unwrap();
    let mut pump = Pump::new(&[&server, &a, &b]);
    let first = expect_connect(pump.next(0)).0;
    let second = expect_connect(pump.next(0)).0;
    assert_eq!(
        pump.next(1),
        Event::Connect {
            peer: a_to_server.clone(),
            data: 0
        }
    );
    assert_eq!(
        pump.next(2),
        Event::Connect {
            peer: b_to_server.clone(),
            data: 0
        }
    );

    let clone = first.clone();
    assert_eq!(clone, first);
    assert_eq!(hash_of(&clone), hash_of(&first));
    assert_ne!(first, second);

    // get_peers hands out handles equal to the event's.
    let listed: HashSet<PacketPeer> = server.get_peers().unwrap().into_iter().collect();
    let expected: HashSet<PacketPeer> = [first.clone(), second.clone()].into_iter().collect();
    assert_eq!(listed, expected);

    // Same slot and occupancy number in two different connections: still different handles.
    assert_ne!(a_to_server, b_to_server);
    assert_ne!(a_to_server, first);

    // Equality outlives the peer.
    first.reset().unwrap();
    assert_eq!(clone, first);
    assert_eq!(hash_of(&clone), hash_of(&first));
}

#[test]
fn the_connect_handle_of_an_outgoing_connection_is_the_one_connect_to_host_returned() {
    let (server, port) = server(4, 0);
    let client = client();
    let returned = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    assert_eq!(client.get_peers(), Ok(vec![returned.clone()]));
    let mut pump = Pump::new(&[&server, &client]);
    expect_connect(pump.next(0));
    let (peer, data) = expect_connect(pump.next(1));
    assert_eq!(peer, returned);
    assert_eq!(hash_of(&peer), hash_of(&returned));
    assert_eq!(data, 0);
}

#[test]
fn a_handle_sends_from_another_thread_while_the_main_thread_services() {
    const COUNT: u8 = 100;
    let (server, client, to_client, to_server) = connected_pair(2);
    let received = std::thread::scope(|scope| {
        let sender = to_server.clone();
        let sending = scope.spawn(move || {
            for i in 0..COUNT {
                sender.send(1, &[i], RELIABLE).unwrap();
            }
        });
        let mut received = Vec::new();
        serve_until(&[&server, &client], |host, event| {
            if let (0, Event::Receive { peer, channel }) = (host, event) {
                assert_eq!(peer, to_client);
                assert_eq!(channel, 1);
                received.push(peer.get_packet().unwrap()[0]);
            }
            received.len() == usize::from(COUNT)
        });
        sending.join().unwrap();
        received
    });
    assert_eq!(received, (0..COUNT).collect::<Vec<u8>>());
}

#[test]
fn peer_handles_are_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + Eq + Hash + std::fmt::Debug + 'static>() {}
    assert_traits::<PacketPeer>();
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Connection>();
}
