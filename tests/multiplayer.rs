//! `MultiplayerPeer` on loopback: ids and signals, routing, Godot's channel layout and flags
//! (checked at the ENet level by raw `Connection` peers that speak Godot's protocol byte for
//! byte), disconnects, close, refusal, timeouts, a three-peer mesh, and every error code of
//! godot-enet.md §3.3.

mod common;

use common::DEADLINE;
use enet::{
    Connection, ConnectionStatus, Error, Event, MultiplayerEvent, MultiplayerPeer, PacketPeer,
    TransferMode, Verdict,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use MultiplayerEvent::{PeerConnected, PeerDisconnected};
use TransferMode::{Reliable, Unreliable, UnreliableOrdered};

const RELIABLE: i32 = PacketPeer::FLAG_RELIABLE;
const UNSEQUENCED: i32 = PacketPeer::FLAG_UNSEQUENCED;
const UNRELIABLE_FRAGMENT: i32 = PacketPeer::FLAG_UNRELIABLE_FRAGMENT;

/// ENet's shortest sensible timeout, for tests where something must time out: limit 1, 200 ms
/// minimum, 400 ms maximum (ENet's defaults are 32 / 5 s / 30 s).
fn short_timeout(peer: &PacketPeer) {
    peer.set_timeout(1, 200, 400).unwrap();
}

/// A packet as a multiplayer peer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Received {
    from: i32,
    channel: i32,
    mode: TransferMode,
    data: Vec<u8>,
}

/// An event of a raw connection, with a received packet already taken from its peer.
#[derive(Debug)]
enum Raw {
    Connect(PacketPeer, u32),
    Disconnect(u32),
    Receive {
        peer: PacketPeer,
        channel: u8,
        flags: i32,
        data: Vec<u8>,
    },
}

/// Everything a test drives: multiplayer peers (with a log of their events and the packets they
/// received) and raw connections (with a queue of their events).
#[derive(Default)]
struct World {
    mp: Vec<MultiplayerPeer>,
    log: Vec<Vec<MultiplayerEvent>>,
    got: Vec<Vec<Received>>,
    raw: Vec<Connection>,
    raw_events: Vec<VecDeque<Raw>>,
}

impl World {
    fn add(&mut self, peer: MultiplayerPeer) -> usize {
        self.mp.push(peer);
        self.log.push(Vec::new());
        self.got.push(Vec::new());
        self.mp.len() - 1
    }

    fn add_raw(&mut self, connection: Connection) -> usize {
        self.raw.push(connection);
        self.raw_events.push(VecDeque::new());
        self.raw.len() - 1
    }

    /// One round: polls every active multiplayer peer (draining its packets through the
    /// `get_packet_*` API) and services every raw connection, then yields for 1 ms.
    fn step(&mut self) {
        for (i, peer) in self.mp.iter_mut().enumerate() {
            if let Ok(events) = peer.poll() {
                self.log[i].extend(events);
            }
            while peer.get_available_packet_count() > 0 {
                let received = Received {
                    from: peer.get_packet_peer().unwrap(),
                    channel: peer.get_packet_channel().unwrap(),
                    mode: peer.get_packet_mode().unwrap(),
                    data: peer.get_packet().unwrap().to_vec(),
                };
                self.got[i].push(received);
            }
        }
        for (i, connection) in self.raw.iter().enumerate() {
            while let Ok(event) = connection.service(0) {
                let raw = match event {
                    Event::None => break,
                    Event::Connect { peer, data } => Raw::Connect(peer, data),
                    Event::Disconnect { data, .. } => Raw::Disconnect(data),
                    Event::Receive { peer, channel } => Raw::Receive {
                        flags: peer.get_packet_flags().unwrap(),
                        data: peer.get_packet().unwrap().to_vec(),
                        peer,
                        channel,
                    },
                };
                self.raw_events[i].push_back(raw);
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }

    /// Steps until `done` holds; panics after [`DEADLINE`].
    fn until(&mut self, what: &str, done: impl Fn(&World) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: not within {DEADLINE:?}; logs {:?}, raw {:?}",
                self.log,
                self.raw_events
            );
            self.step();
        }
    }

    /// The next event of raw connection `i`.
    fn raw_next(&mut self, i: usize) -> Raw {
        self.until("raw event", |w| !w.raw_events[i].is_empty());
        self.raw_events[i].pop_front().unwrap()
    }
}

/// A server on 127.0.0.1 (any free port) and its port.
fn server(max_clients: i32, max_channels: i32) -> (MultiplayerPeer, i32) {
    let mut server = MultiplayerPeer::new();
    server.set_bind_ip("127.0.0.1").unwrap();
    server
        .create_server(0, max_clients, max_channels, 0, 0)
        .unwrap();
    let port = server.get_host().unwrap().get_local_port().unwrap();
    (server, i32::from(port))
}

fn client(port: i32) -> MultiplayerPeer {
    let mut client = MultiplayerPeer::new();
    client.create_client("127.0.0.1", port, 0, 0, 0, 0).unwrap();
    client
}

/// A raw connection that connects like a Godot 4 client: one peer slot, 255 channels requested,
/// CONNECT data = its unique id.
fn godot_client(port: i32, id: u32) -> (Connection, PacketPeer) {
    let connection = Connection::new();
    connection.create_host(1, 0, 0, 0).unwrap();
    let to_server = connection
        .connect_to_host("127.0.0.1", port, 0, id)
        .unwrap();
    (connection, to_server)
}

/// A world with a server (`mp[0]`) and `n` connected clients (`mp[1..]`), and the clients' ids.
fn server_with_clients(n: usize) -> (World, Vec<i32>) {
    let mut world = World::default();
    let (server, port) = server(32, 0);
    world.add(server);
    let ids: Vec<i32> = (0..n)
        .map(|_| {
            let client = client(port);
            let id = client.get_unique_id().unwrap();
            world.add(client);
            id
        })
        .collect();
    world.until("clients connected", |w| {
        w.log[0].len() == n
            && w.mp[1..]
                .iter()
                .all(|c| c.get_connection_status() == ConnectionStatus::Connected)
    });
    (world, ids)
}

fn received(from: i32, channel: i32, mode: TransferMode, data: &[u8]) -> Received {
    Received {
        from,
        channel,
        mode,
        data: data.to_vec(),
    }
}

fn payloads(got: &[Received]) -> Vec<&[u8]> {
    got.iter().map(|r| r.data.as_slice()).collect()
}

#[test]
fn server_is_1_clients_pick_their_ids_and_signals_come_in_order() {
    let mut world = World::default();
    let (server, port) = server(32, 0);
    assert_eq!(server.get_unique_id(), Ok(1));
    assert!(server.is_server() && server.is_server_relay_supported());
    assert_eq!(server.get_connection_status(), ConnectionStatus::Connected);
    world.add(server);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let client = client(port);
        assert_eq!(client.get_connection_status(), ConnectionStatus::Connecting);
        assert!(!client.is_server() && client.is_server_relay_supported());
        let id = client.get_unique_id().unwrap();
        assert!(id >= 2, "{id}");
        ids.push(id);
        world.add(client);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "ids must differ");
    world.until("three clients", |w| w.log[0].len() == 3);
    let mut connected: Vec<i32> = world.log[0]
        .iter()
        .map(|event| match event {
            PeerConnected(id) => *id,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    connected.sort_unstable();
    assert_eq!(connected, ids);
    world.until("clients see the server", |w| {
        w.log[1..].iter().all(|log| log == &[PeerConnected(1)])
    });
    for client in &world.mp[1..] {
        assert_eq!(client.get_connection_status(), ConnectionStatus::Connected);
        assert!(client.get_peer(1).unwrap().is_active());
    }
    for id in &ids {
        assert!(world.mp[0].get_peer(*id).unwrap().is_active());
    }
}

#[test]
fn the_server_sees_a_client_that_stops_polling_once_connected() {
    let mut world = World::default();
    let (server, port) = server(4, 0);
    world.add(server);
    let mut client = client(port);
    let start = Instant::now();
    let mut events = Vec::new();
    while client.get_connection_status() != ConnectionStatus::Connected {
        assert!(start.elapsed() < DEADLINE);
        events.extend(client.poll().unwrap());
        world.step();
    }
    assert_eq!(events, [PeerConnected(1)]);
    // The poll that saw the server's answer flushed the acknowledgement completing the
    // handshake: the client need not poll again for the server to accept it.
    let id = client.get_unique_id().unwrap();
    world.until("accepted", |w| w.log[0] == [PeerConnected(id)]);
}

#[test]
fn server_broadcasts_excludes_and_targets() {
    let (mut world, ids) = server_with_clients(3);
    let server = &mut world.mp[0];
    server.put_packet(b"all").unwrap();
    server.set_target_peer(-ids[0]);
    server.put_packet(b"all but first").unwrap();
    server.set_target_peer(ids[1]);
    server.put_packet(b"second only").unwrap();
    server.set_target_peer(MultiplayerPeer::TARGET_PEER_BROADCAST);
    server.put_packet(b"end").unwrap();
    world.until("end everywhere", |w| {
        w.got[1..]
            .iter()
            .all(|got| got.last().is_some_and(|r| r.data == b"end"))
    });
    let expected: [&[&[u8]]; 3] = [
        &[b"all", b"end"],
        &[b"all", b"all but first", b"second only", b"end"],
        &[b"all", b"all but first", b"end"],
    ];
    for (got, expected) in world.got[1..].iter().zip(expected) {
        assert_eq!(payloads(got), expected);
        assert!(got
            .iter()
            .all(|r| r.from == 1 && r.channel == 0 && r.mode == Reliable));
    }
}

#[test]
fn a_client_sends_only_to_the_server_whatever_the_target_and_nothing_is_relayed() {
    let (mut world, ids) = server_with_clients(2);
    let client = &mut world.mp[1];
    for target in [0, 1, -1] {
        client.set_target_peer(target);
        client
            .put_packet(format!("to {target}").as_bytes())
            .unwrap();
    }
    for target in [ids[1], -ids[1], 2, i32::MIN] {
        client.set_target_peer(target);
        assert_eq!(
            client.put_packet(b"x"),
            Err(Error::InvalidParameter),
            "{target}"
        );
    }
    world.until("three packets", |w| w.got[0].len() == 3);
    assert_eq!(
        world.got[0],
        [
            received(ids[0], 0, Reliable, b"to 0"),
            received(ids[0], 0, Reliable, b"to 1"),
            received(ids[0], 0, Reliable, b"to -1"),
        ]
    );
    // The other client got nothing: the next thing it receives is the server's marker.
    world.mp[0].put_packet(b"end").unwrap();
    world.until("marker", |w| !w.got[2].is_empty());
    assert_eq!(payloads(&world.got[2]), [b"end"]);
    assert!(world.got[1].iter().all(|r| r.data == b"end"));
}

#[test]
fn every_transfer_mode_and_channel_maps_to_godots_enet_channel_and_flags_on_the_wire() {
    let mut world = World::default();
    let (server, port) = server(4, 0);
    world.add(server);
    let (connection, _) = godot_client(port, 4242);
    world.add_raw(connection);
    let Raw::Connect(to_server, _) = world.raw_next(0) else {
        panic!("expected Connect")
    };
    // Godot's server grants the 255 channels a Godot client asks for.
    assert_eq!(to_server.get_channels(), Ok(255));
    world.until("accepted", |w| w.log[0] == [PeerConnected(4242)]);
    // (mode, transfer channel, size) → (ENet channel, flags ENet delivers the packet with).
    // Sizes above the MTU show UNRELIABLE_FRAGMENT: without it ENet would fragment reliably.
    let cases = [
        (Reliable, 0, 10, 0, RELIABLE),
        (Unreliable, 0, 10, 1, UNSEQUENCED),
        (UnreliableOrdered, 0, 10, 1, 0),
        (Reliable, 3, 10, 4, RELIABLE),
        (Unreliable, 3, 10, 4, UNSEQUENCED),
        (UnreliableOrdered, 3, 10, 4, 0),
        (Reliable, 0, 3000, 0, RELIABLE),
        (Unreliable, 0, 3000, 1, UNRELIABLE_FRAGMENT),
        (UnreliableOrdered, 0, 3000, 1, UNRELIABLE_FRAGMENT),
        (Unreliable, 253, 3000, 254, UNRELIABLE_FRAGMENT),
    ];
    world.mp[0].set_target_peer(4242);
    for (i, (mode, transfer_channel, size, enet_channel, flags)) in cases.into_iter().enumerate() {
        let payload = vec![i as u8; size];
        world.mp[0].set_transfer_mode(mode);
        world.mp[0].set_transfer_channel(transfer_channel);
        world.mp[0].put_packet(&payload).unwrap();
        match world.raw_next(0) {
            Raw::Receive {
                channel,
                flags: got_flags,
                data,
                ..
            } => {
                assert_eq!(
                    (channel, got_flags),
                    (enet_channel, flags),
                    "case {i}: {mode:?} on {transfer_channel}"
                );
                assert_eq!(data, payload, "case {i}: the payload has no header");
            }
            other => panic!("case {i}: {other:?}"),
        }
    }
}

#[test]
fn a_godot_protocol_client_on_connection_talks_to_our_server() {
    let mut world = World::default();
    let (server, port) = server(4, 0);
    world.add(server);
    let id = 0x7FFF_FFFF;
    let (connection, to_server) = godot_client(port, id);
    world.add_raw(connection);
    assert!(matches!(world.raw_next(0), Raw::Connect(..)));
    world.until("accepted", |w| w.log[0] == [PeerConnected(i32::MAX)]);
    // (ENet channel, flags) as a Godot client sends them → (transfer channel, mode) reported.
    let cases = [
        (0, RELIABLE, 0, Reliable),
        (1, UNSEQUENCED | UNRELIABLE_FRAGMENT, 0, Unreliable),
        (1, UNRELIABLE_FRAGMENT, 0, UnreliableOrdered),
        (1, 0, 0, UnreliableOrdered),
        (3, RELIABLE, 2, Reliable),
        (5, UNSEQUENCED | UNRELIABLE_FRAGMENT, 4, Unreliable),
        (5, UNRELIABLE_FRAGMENT, 4, UnreliableOrdered),
    ];
    for (i, (enet_channel, flags, transfer_channel, mode)) in cases.into_iter().enumerate() {
        let payload = format!("case {i}").into_bytes();
        to_server.send(enet_channel, &payload, flags).unwrap();
        world.until("delivery", |w| w.got[0].len() == i + 1);
        assert_eq!(
            world.got[0][i],
            received(i32::MAX, transfer_channel, mode, &payload),
            "case {i}"
        );
        // Echo it the way the example server does: same mode, same channel, to the sender.
        let server = &mut world.mp[0];
        server.set_target_peer(i32::MAX);
        server.set_transfer_mode(mode);
        server.set_transfer_channel(transfer_channel);
        server.put_packet(&payload).unwrap();
        let delivered_flags = match mode {
            Reliable => RELIABLE,
            Unreliable => UNSEQUENCED,
            UnreliableOrdered => 0,
        };
        match world.raw_next(0) {
            Raw::Receive {
                channel,
                flags,
                data,
                ..
            } => {
                assert_eq!(i32::from(channel), enet_channel, "case {i}");
                assert_eq!(flags, delivered_flags, "case {i}");
                assert_eq!(data, payload, "case {i}");
            }
            other => panic!("case {i}: {other:?}"),
        }
    }
}

#[test]
fn our_client_talks_to_a_godot_protocol_server_on_connection() {
    let mut world = World::default();
    // A Godot server's host: channel limit 0 (= 255, Godot's create_server bug), 32 slots.
    let (raw_server, port) = common::server(32, 0);
    world.add_raw(raw_server);
    world.add(client(port));
    let mut few_channels = MultiplayerPeer::new();
    few_channels
        .create_client("127.0.0.1", port, 3, 0, 0, 0)
        .unwrap();
    world.add(few_channels);
    let mut to_client = None;
    for _ in 0..2 {
        let Raw::Connect(peer, data) = world.raw_next(0) else {
            panic!("expected Connect")
        };
        // CONNECT data = the client's unique id; 255 channels, or channel_count + 2.
        if data == world.mp[0].get_unique_id().unwrap() as u32 {
            assert_eq!(peer.get_channels(), Ok(255));
            to_client = Some(peer);
        } else {
            assert_eq!(data, world.mp[1].get_unique_id().unwrap() as u32);
            assert_eq!(peer.get_channels(), Ok(5));
        }
    }
    let to_client = to_client.unwrap();
    world.until("client connected", |w| w.log[0] == [PeerConnected(1)]);
    assert_eq!(
        world.mp[0].get_connection_status(),
        ConnectionStatus::Connected
    );

    // The server side, as Godot sends: channel and flags per mode, no header.
    let cases = [
        (0, RELIABLE, 0, Reliable),
        (1, UNSEQUENCED | UNRELIABLE_FRAGMENT, 0, Unreliable),
        (1, UNRELIABLE_FRAGMENT, 0, UnreliableOrdered),
        (8, RELIABLE, 7, Reliable),
        (8, UNSEQUENCED | UNRELIABLE_FRAGMENT, 7, Unreliable),
    ];
    for (i, (enet_channel, flags, transfer_channel, mode)) in cases.into_iter().enumerate() {
        to_client.send(enet_channel, &[i as u8], flags).unwrap();
        world.until("delivery", |w| w.got[0].len() == i + 1);
        assert_eq!(
            world.got[0][i],
            received(1, transfer_channel, mode, &[i as u8])
        );
    }

    // Our client, as a Godot server sees it.
    let cases = [
        (Reliable, 0, 0, RELIABLE),
        (Unreliable, 0, 1, UNSEQUENCED),
        (UnreliableOrdered, 0, 1, 0),
        (Reliable, 7, 8, RELIABLE),
        (UnreliableOrdered, 7, 8, 0),
    ];
    for (i, (mode, transfer_channel, enet_channel, delivered)) in cases.into_iter().enumerate() {
        let client = &mut world.mp[0];
        client.set_transfer_mode(mode);
        client.set_transfer_channel(transfer_channel);
        client.put_packet(&[i as u8]).unwrap();
        match world.raw_next(0) {
            Raw::Receive {
                peer,
                channel,
                flags,
                data,
            } => {
                assert_eq!(peer, to_client);
                assert_eq!(
                    (channel, flags, data),
                    (enet_channel, delivered, vec![i as u8])
                );
            }
            other => panic!("case {i}: {other:?}"),
        }
    }

    // A Godot server kicking the client: disconnect(0).
    to_client.peer_disconnect(0).unwrap();
    world.until("kicked", |w| {
        w.log[0] == [PeerConnected(1), PeerDisconnected(1)]
    });
    assert_eq!(
        world.mp[0].get_connection_status(),
        ConnectionStatus::Disconnected
    );
    assert_eq!(world.mp[0].poll(), Err(Error::Unconfigured));
}

/// The (channel count, incoming bandwidth, outgoing bandwidth) of a VERIFY_CONNECT datagram.
fn verify_connect(datagram: &[u8]) -> Option<(u32, u32, u32)> {
    let header = u16::from_be_bytes([datagram[0], datagram[1]]);
    let mut commands = &datagram[if header & 0x8000 != 0 { 4 } else { 2 }..];
    loop {
        let word = |at: usize| u32::from_be_bytes(commands[at..at + 4].try_into().unwrap());
        match commands.first()? & 0x0F {
            1 => commands = &commands[8..], // ACKNOWLEDGE
            3 => return Some((word(16), word(20), word(24))),
            _ => return None,
        }
    }
}

#[test]
fn create_server_puts_channels_and_bandwidth_where_they_belong() {
    let mut world = World::default();
    let mut server = MultiplayerPeer::new();
    server.set_bind_ip("127.0.0.1").unwrap();
    server.create_server(0, 4, 3, 100_000, 200_000).unwrap();
    let host = server.get_host().unwrap();
    assert_eq!(host.get_max_channels(), Ok(5));
    let port = i32::from(host.get_local_port().unwrap());
    world.add(server);
    let (connection, _) = godot_client(port, 77);
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    connection
        .set_intercept(Some(Box::new(move |_, datagram| {
            if let Some(fields) = verify_connect(datagram) {
                *record.lock().unwrap() = Some(fields);
            }
            Verdict::Pass
        })))
        .unwrap();
    world.add_raw(connection);
    let Raw::Connect(to_server, _) = world.raw_next(0) else {
        panic!("expected Connect")
    };
    assert_eq!(to_server.get_channels(), Ok(5));
    // Godot would announce channel count 255 and incoming bandwidth max_channels + 2 = 5.
    assert_eq!(*seen.lock().unwrap(), Some((5, 100_000, 200_000)));
}

#[test]
fn custom_channels_and_modes_round_trip_between_our_peers() {
    let (mut world, ids) = server_with_clients(1);
    let mut i = 0;
    for transfer_channel in [0, 1, 7, 253] {
        for mode in [Reliable, Unreliable, UnreliableOrdered] {
            let client = &mut world.mp[1];
            client.set_transfer_mode(mode);
            client.set_transfer_channel(transfer_channel);
            client.put_packet(&[i as u8]).unwrap();
            let server = &mut world.mp[0];
            server.set_target_peer(ids[0]);
            server.set_transfer_mode(mode);
            server.set_transfer_channel(transfer_channel);
            server.put_packet(&[i as u8]).unwrap();
            i += 1;
            world.until("both ways", |w| w.got[0].len() == i && w.got[1].len() == i);
            let last = i - 1;
            assert_eq!(
                world.got[0][last],
                received(ids[0], transfer_channel, mode, &[last as u8])
            );
            assert_eq!(
                world.got[1][last],
                received(1, transfer_channel, mode, &[last as u8])
            );
        }
    }
    // Godot's quirk: a fragmented unreliable packet arrives as unreliable-ordered.
    let client = &mut world.mp[1];
    client.set_transfer_mode(Unreliable);
    client.set_transfer_channel(0);
    client.put_packet(&[9; 3000]).unwrap();
    world.until("large packet", |w| w.got[0].len() == i + 1);
    assert_eq!(
        world.got[0][i],
        received(ids[0], 0, UnreliableOrdered, &[9; 3000])
    );
}

#[test]
fn channels_beyond_what_was_negotiated_are_reported() {
    let mut world = World::default();
    let (server, port) = server(4, 2);
    world.add(server);
    let mut client = MultiplayerPeer::new();
    client.create_client("127.0.0.1", port, 2, 0, 0, 0).unwrap();
    world.add(client);
    world.until("connected", |w| w.log[1] == [PeerConnected(1)]);
    let client_id = world.mp[1].get_unique_id().unwrap();
    assert_eq!(world.mp[1].get_peer(1).unwrap().get_channels(), Ok(4));
    let client = &mut world.mp[1];
    client.set_transfer_channel(2);
    client.put_packet(b"ok").unwrap();
    // Transfer channel 3 is ENet channel 4, equal to the peer's 4 channels: ENet refuses.
    client.set_transfer_channel(3);
    assert_eq!(client.put_packet(b"x"), Err(Error::Failed));
    client.set_transfer_channel(4);
    assert_eq!(client.put_packet(b"x"), Err(Error::InvalidParameter));
    // A server broadcast beyond the host's channel limit (max_channels 2 → limit 4).
    let server = &mut world.mp[0];
    server.set_transfer_channel(3);
    assert_eq!(server.put_packet(b"x"), Err(Error::InvalidParameter));
    world.until("ok", |w| !w.got[0].is_empty());
    assert_eq!(world.got[0], [received(client_id, 2, Reliable, b"ok")]);
}

#[test]
fn disconnect_peer_signals_unless_forced() {
    let (mut world, ids) = server_with_clients(2);
    let (first, second) = (ids[0], ids[1]);

    world.mp[0].disconnect_peer(first, false).unwrap();
    world.until("graceful", |w| {
        w.log[0].contains(&PeerDisconnected(first))
            && w.mp[1].get_connection_status() == ConnectionStatus::Disconnected
    });
    assert_eq!(world.log[1], [PeerConnected(1), PeerDisconnected(1)]);
    assert_eq!(world.mp[1].poll(), Err(Error::Unconfigured));

    world.mp[0].disconnect_peer(second, true).unwrap();
    assert_eq!(world.mp[0].get_peer(second), Err(Error::InvalidParameter));
    world.until("forced", |w| {
        w.mp[2].get_connection_status() == ConnectionStatus::Disconnected
            && w.mp[0].get_host().unwrap().get_peers().unwrap().is_empty()
    });
    assert_eq!(world.log[2], [PeerConnected(1), PeerDisconnected(1)]);
    // ENet finished the forced disconnect (no peer left) and the server said nothing about it.
    assert_eq!(
        world.log[0][2..],
        [PeerDisconnected(first)],
        "{:?}",
        world.log[0]
    );
}

#[test]
fn a_client_disconnecting_itself_signals_unless_forced() {
    let (mut world, ids) = server_with_clients(2);
    world.mp[1].disconnect_peer(1, false).unwrap();
    world.until("graceful", |w| {
        w.log[0].contains(&PeerDisconnected(ids[0]))
            && w.mp[1].get_connection_status() == ConnectionStatus::Disconnected
    });
    assert_eq!(world.log[1], [PeerConnected(1), PeerDisconnected(1)]);

    world.mp[2].disconnect_peer(1, true).unwrap();
    assert_eq!(
        world.mp[2].get_connection_status(),
        ConnectionStatus::Disconnected
    );
    world.until("server notices", |w| {
        w.log[0].contains(&PeerDisconnected(ids[1]))
    });
    assert_eq!(world.log[2], [PeerConnected(1)]);
}

#[test]
fn close_emits_nothing_and_remotes_are_told_at_once() {
    let (mut world, _) = server_with_clients(3);
    let start = Instant::now();
    world.mp[0].close();
    assert_eq!(world.mp[0].poll(), Err(Error::Unconfigured));
    assert_eq!(
        world.mp[0].get_connection_status(),
        ConnectionStatus::Disconnected
    );
    assert_eq!(world.mp[0].get_unique_id(), Err(Error::Unconfigured));
    world.until("clients told", |w| {
        w.mp[1..]
            .iter()
            .all(|c| c.get_connection_status() == ConnectionStatus::Disconnected)
    });
    // Told by the DISCONNECT close sends, far below ENet's 5 s minimum timeout.
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    for log in &world.log[1..] {
        assert_eq!(log, &[PeerConnected(1), PeerDisconnected(1)]);
    }
    assert_eq!(world.log[0].len(), 3, "close emitted {:?}", world.log[0]);

    // A client closing: the server is told at once.
    let (mut world, ids) = server_with_clients(1);
    let start = Instant::now();
    world.mp[1].close();
    world.until("server told", |w| {
        w.log[0].contains(&PeerDisconnected(ids[0]))
    });
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(world.log[1], [PeerConnected(1)]);
}

#[test]
fn close_discards_queued_packets_and_undelivered_events() {
    let (mut world, _) = server_with_clients(1);
    world.mp[1].put_packet(b"queued").unwrap();
    // Poll the server directly so the packet stays in its FIFO.
    let start = Instant::now();
    while world.mp[0].get_available_packet_count() == 0 {
        assert!(start.elapsed() < DEADLINE);
        let _ = world.mp[0].poll().unwrap();
        let _ = world.mp[1].poll().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    world.mp[0].close();
    assert_eq!(world.mp[0].get_available_packet_count(), 0);
    assert_eq!(world.mp[0].get_packet().unwrap_err(), Error::Unavailable);

    let (a, b) = linked(2);
    let mut mesh = MultiplayerPeer::new();
    mesh.create_mesh(1).unwrap();
    mesh.add_mesh_peer(2, a).unwrap();
    mesh.close();
    mesh.create_mesh(1).unwrap();
    assert_eq!(mesh.poll(), Ok(vec![]));
    drop(b);
}

#[test]
fn a_refusing_server_tells_new_clients_at_once_without_allocating_a_slot() {
    let mut world = World::default();
    let (mut server, port) = server(4, 0);
    server.set_refuse_new_connections(true);
    assert!(server.is_refusing_new_connections());
    world.add(server);
    let (connection, _) = godot_client(port, 1234);
    world.add_raw(connection);
    let start = Instant::now();
    while world.raw_events[0].is_empty() {
        assert!(start.elapsed() < DEADLINE);
        world.step();
        let slots = world.mp[0].get_host().unwrap().get_peers().unwrap();
        assert!(slots.is_empty(), "a slot was allocated: {slots:?}");
    }
    assert!(
        matches!(
            world.raw_events[0].pop_front(),
            Some(Raw::Disconnect(MultiplayerPeer::DISCONNECT_REFUSED))
        ),
        "{:?}",
        world.raw_events[0]
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );

    // Our own client: Connecting → Disconnected without any signal.
    world.add(client(port));
    world.until("refused", |w| {
        w.mp[1].get_connection_status() == ConnectionStatus::Disconnected
    });
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(world.log[0].is_empty() && world.log[1].is_empty());

    // Accepting again.
    world.mp[0].set_refuse_new_connections(false);
    let late = world.add(client(port));
    world.until("accepted", |w| w.log[late] == [PeerConnected(1)]);
}

#[test]
fn refusal_catches_handshakes_already_in_progress() {
    let mut world = World::default();
    let (server, port) = server(4, 0);
    world.add(server);
    let (connection, _) = godot_client(port, 1234);
    world.add_raw(connection);
    // Step until the client has its VERIFY_CONNECT: the server holds a slot but has not seen the
    // client's acknowledgement, so its CONNECT event is still to come.
    let Raw::Connect(..) = world.raw_next(0) else {
        panic!("expected Connect")
    };
    assert!(world.log[0].is_empty());
    world.mp[0].set_refuse_new_connections(true);
    match world.raw_next(0) {
        Raw::Disconnect(data) => assert_eq!(data, MultiplayerPeer::DISCONNECT_REFUSED),
        other => panic!("{other:?}"),
    }
    assert!(world.log[0].is_empty(), "{:?}", world.log[0]);
    assert!(world.mp[0]
        .get_host()
        .unwrap()
        .get_peers()
        .unwrap()
        .is_empty());
}

#[test]
fn invalid_and_duplicate_ids_are_refused_with_a_reason() {
    let mut world = World::default();
    let (server, port) = server(8, 0);
    world.add(server);
    let cases = [
        (0, MultiplayerPeer::DISCONNECT_INVALID_ID),
        (1, MultiplayerPeer::DISCONNECT_INVALID_ID),
        (0x8000_0000, MultiplayerPeer::DISCONNECT_INVALID_ID),
        (77, 0),
        (77, MultiplayerPeer::DISCONNECT_DUPLICATE_ID),
    ];
    let start = Instant::now();
    for (i, (id, reason)) in cases.into_iter().enumerate() {
        let (connection, _) = godot_client(port, id);
        world.add_raw(connection);
        assert!(matches!(world.raw_next(i), Raw::Connect(..)), "case {i}");
        if reason != 0 {
            match world.raw_next(i) {
                Raw::Disconnect(data) => assert_eq!(data, reason, "case {i}"),
                other => panic!("case {i}: {other:?}"),
            }
        }
    }
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    world.until("only 77 kept", |w| {
        w.mp[0].get_host().unwrap().get_peers().unwrap().len() == 1
    });
    assert_eq!(world.log[0], [PeerConnected(77)]);
}

#[test]
fn timeouts_disconnect_with_godots_signals() {
    // A server losing a client that vanished without a word.
    let mut world = World::default();
    let (server, port) = server(4, 0);
    world.add(server);
    let (connection, _) = godot_client(port, 500);
    let raw = world.add_raw(connection);
    world.until("accepted", |w| w.log[0] == [PeerConnected(500)]);
    short_timeout(&world.mp[0].get_peer(500).unwrap());
    world.raw[raw].destroy().unwrap();
    world.until("timed out", |w| w.log[0].len() == 2);
    assert_eq!(world.log[0], [PeerConnected(500), PeerDisconnected(500)]);

    // A client whose server vanished: peer_disconnected(1), then closed.
    let (raw_server, port) = common::server(4, 0);
    let raw = world.add_raw(raw_server);
    let c = world.add(client(port));
    world.until("connected", |w| w.log[c] == [PeerConnected(1)]);
    short_timeout(&world.mp[c].get_peer(1).unwrap());
    world.raw[raw].destroy().unwrap();
    world.until("timed out", |w| {
        w.mp[c].get_connection_status() == ConnectionStatus::Disconnected
    });
    assert_eq!(world.log[c], [PeerConnected(1), PeerDisconnected(1)]);

    // A client that never reaches a server: no signal at all, just Disconnected.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = i32::from(silent.local_addr().unwrap().port());
    let c = world.add(client(port));
    short_timeout(&world.mp[c].get_peer(1).unwrap());
    world.until("gave up", |w| {
        w.mp[c].get_connection_status() == ConnectionStatus::Disconnected
    });
    assert!(world.log[c].is_empty());
}

#[test]
fn a_peer_handle_disconnected_directly_is_reported_by_the_next_poll() {
    let (mut world, ids) = server_with_clients(2);
    world.mp[0]
        .get_peer(ids[0])
        .unwrap()
        .peer_disconnect_now(0)
        .unwrap();
    assert_eq!(world.mp[0].poll(), Ok(vec![PeerDisconnected(ids[0])]));
    world.until("client told", |w| {
        w.mp[1].get_connection_status() == ConnectionStatus::Disconnected
    });

    world.mp[2].get_peer(1).unwrap().reset().unwrap();
    assert_eq!(world.mp[2].poll(), Ok(vec![PeerDisconnected(1)]));
    assert_eq!(
        world.mp[2].get_connection_status(),
        ConnectionStatus::Disconnected
    );

    // While still connecting there was no peer_connected(1), so no peer_disconnected(1) either
    // (Godot emits one here).
    let (_server, port) = server(4, 0);
    let mut connecting = client(port);
    connecting.get_peer(1).unwrap().reset().unwrap();
    assert_eq!(connecting.poll(), Ok(vec![]));
    assert_eq!(
        connecting.get_connection_status(),
        ConnectionStatus::Disconnected
    );
}

/// Two raw connections connected to each other, as an application sets up a mesh link: a
/// listener (with `slots` slots) and a dialer whose CONNECT data is its id.
fn linked_with_slots(dialer_id: u32, slots: i32) -> (Connection, Connection, i32) {
    let (listener, port) = common::server(slots, 0);
    let dialer = common::client();
    dialer
        .connect_to_host("127.0.0.1", port, 0, dialer_id)
        .unwrap();
    let mut pump = common::Pump::new(&[&listener, &dialer]);
    assert!(matches!(pump.next(0), Event::Connect { .. }));
    assert!(matches!(pump.next(1), Event::Connect { .. }));
    (listener, dialer, port)
}

fn linked(dialer_id: u32) -> (Connection, Connection) {
    let (listener, dialer, _) = linked_with_slots(dialer_id, 1);
    (listener, dialer)
}

#[test]
fn a_mesh_of_three_routes_by_id() {
    let (a, b, c) = (11, 22, 33);
    let mut world = World::default();
    for id in [a, b, c] {
        let mut mesh = MultiplayerPeer::new();
        mesh.create_mesh(id).unwrap();
        assert_eq!(mesh.get_connection_status(), ConnectionStatus::Connected);
        assert!(!mesh.is_server() && !mesh.is_server_relay_supported());
        world.add(mesh);
    }
    // The a–b link's listener has a spare slot, to show strangers are refused.
    let (ab_a, ab_b, ab_port) = linked_with_slots(b as u32, 2);
    let (ac_a, ac_c) = linked(c as u32);
    let (bc_b, bc_c) = linked(c as u32);
    world.mp[0].add_mesh_peer(b, ab_a).unwrap();
    world.mp[0].add_mesh_peer(c, ac_a).unwrap();
    world.mp[1].add_mesh_peer(a, ab_b).unwrap();
    world.mp[1].add_mesh_peer(c, bc_b).unwrap();
    world.mp[2].add_mesh_peer(a, ac_c).unwrap();
    world.mp[2].add_mesh_peer(b, bc_c).unwrap();
    world.step();
    assert_eq!(world.log[0], [PeerConnected(b), PeerConnected(c)]);
    assert_eq!(world.log[1], [PeerConnected(a), PeerConnected(c)]);
    assert_eq!(world.log[2], [PeerConnected(a), PeerConnected(b)]);
    assert_eq!(world.mp[0].get_host().unwrap_err(), Error::Unavailable);
    assert!(world.mp[0].get_peer(b).unwrap().is_active());

    world.mp[0].put_packet(b"from a to all").unwrap();
    world.mp[0].set_target_peer(-b);
    world.mp[0].put_packet(b"from a to all but b").unwrap();
    world.mp[1].set_target_peer(c);
    world.mp[1].set_transfer_mode(Unreliable);
    world.mp[1].set_transfer_channel(4);
    world.mp[1].put_packet(b"from b to c").unwrap();
    world.mp[2].set_target_peer(0);
    world.mp[2].put_packet(b"from c to all").unwrap();
    world.until("deliveries", |w| {
        w.got[0].len() == 1 && w.got[1].len() == 2 && w.got[2].len() == 3
    });
    // Packets from different remotes arrive on different connections: compare them sorted.
    for got in &mut world.got {
        got.sort_by(|x, y| x.data.cmp(&y.data));
    }
    assert_eq!(world.got[0], [received(c, 0, Reliable, b"from c to all")]);
    assert_eq!(
        world.got[1],
        [
            received(a, 0, Reliable, b"from a to all"),
            received(c, 0, Reliable, b"from c to all"),
        ]
    );
    assert_eq!(
        world.got[2],
        [
            received(a, 0, Reliable, b"from a to all"),
            received(a, 0, Reliable, b"from a to all but b"),
            received(b, 4, Unreliable, b"from b to c"),
        ]
    );

    // A stranger connecting to a mesh link is refused at once.
    let (stranger, _) = godot_client(ab_port, 99);
    let s = world.add_raw(stranger);
    assert!(matches!(world.raw_next(s), Raw::Connect(..)));
    match world.raw_next(s) {
        Raw::Disconnect(data) => assert_eq!(data, MultiplayerPeer::DISCONNECT_REFUSED),
        other => panic!("{other:?}"),
    }

    // a disconnects c gracefully; then a closes: b hears about it, no one else says anything.
    world.mp[0].disconnect_peer(c, false).unwrap();
    world.until("a–c gone", |w| {
        w.log[0].contains(&PeerDisconnected(c)) && w.log[2].contains(&PeerDisconnected(a))
    });
    world.mp[0].close();
    world.until("a gone", |w| w.log[1].contains(&PeerDisconnected(a)));
    assert_eq!(world.log[0][2..], [PeerDisconnected(c)]);
    assert_eq!(world.log[2][2..], [PeerDisconnected(a)]);
    // Forcing: b drops c without a signal; c is told.
    world.mp[1].disconnect_peer(c, true).unwrap();
    world.until("b–c gone", |w| w.log[2].contains(&PeerDisconnected(b)));
    assert_eq!(world.log[1][2..], [PeerDisconnected(a)]);
}

#[test]
fn error_codes_of_every_method_match_godot() {
    // Not active.
    let mut peer = MultiplayerPeer::new();
    assert_eq!(peer.get_connection_status(), ConnectionStatus::Disconnected);
    assert_eq!(peer.poll(), Err(Error::Unconfigured));
    assert_eq!(peer.get_unique_id(), Err(Error::Unconfigured));
    assert_eq!(peer.get_host().unwrap_err(), Error::Unconfigured);
    assert_eq!(peer.get_peer(1), Err(Error::Unconfigured));
    assert_eq!(peer.get_packet_peer(), Err(Error::Unconfigured));
    assert_eq!(peer.get_packet_channel(), Err(Error::Unconfigured));
    assert_eq!(peer.get_packet_mode(), Err(Error::Unconfigured));
    assert_eq!(peer.get_packet().unwrap_err(), Error::Unavailable);
    assert_eq!(peer.put_packet(b"x"), Err(Error::Unconfigured));
    assert_eq!(peer.disconnect_peer(1, false), Err(Error::Unconfigured));
    assert!(!peer.is_server() && !peer.is_server_relay_supported());
    peer.close(); // no-op
    let (error, returned) = peer.add_mesh_peer(2, Connection::new()).unwrap_err();
    assert_eq!(error, Error::Unconfigured);
    drop(returned);

    // set_bind_ip: invalid → InvalidParameter and unchanged. An IPv6 bind IP works with the
    // dual-stack platform layer; over upstream's IPv4-only unix.c it is InvalidParameter.
    assert_eq!(peer.set_bind_ip("not an ip"), Err(Error::InvalidParameter));
    peer.set_bind_ip("::1").unwrap();
    if cfg!(all(target_os = "linux", not(feature = "upstream-platform"))) {
        peer.create_server(0, 32, 0, 0, 0).unwrap();
        peer.close();
    } else {
        assert_eq!(
            peer.create_server(0, 32, 0, 0, 0),
            Err(Error::InvalidParameter)
        );
    }
    peer.set_bind_ip("127.0.0.1").unwrap();

    // create_server argument checks (the peer stays inactive after each).
    let taken_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let taken = i32::from(taken_socket.local_addr().unwrap().port());
    for (port, clients, channels, inb, outb, error) in [
        (-1, 32, 0, 0, 0, Error::InvalidParameter),
        (65536, 32, 0, 0, 0, Error::InvalidParameter),
        (0, 0, 0, 0, 0, Error::InvalidParameter),
        (0, 4096, 0, 0, 0, Error::InvalidParameter),
        (0, 32, 254, 0, 0, Error::InvalidParameter),
        (0, 32, 0, -1, 0, Error::InvalidParameter),
        (0, 32, 0, 0, -1, Error::InvalidParameter),
        (taken, 32, 0, 0, 0, Error::CantCreate),
    ] {
        assert_eq!(
            peer.create_server(port, clients, channels, inb, outb),
            Err(error),
            "{port} {clients} {channels} {inb} {outb}"
        );
        assert_eq!(peer.poll(), Err(Error::Unconfigured));
    }

    // create_client checks.
    for (address, port, local_port, inb, error) in [
        ("127.0.0.1", 0, 0, 0, Error::CantCreate),
        ("127.0.0.1", 65536, 0, 0, Error::CantCreate),
        ("no-such-host.invalid", 7000, 0, 0, Error::CantCreate),
        ("127.0.0.1", 7000, -1, 0, Error::InvalidParameter),
        ("127.0.0.1", 7000, taken, 0, Error::CantCreate),
        ("127.0.0.1", 7000, 0, -1, Error::InvalidParameter),
    ] {
        assert_eq!(
            peer.create_client(address, port, 0, inb, 0, local_port),
            Err(error),
            "{address} {port} {local_port} {inb}"
        );
        assert_eq!(peer.poll(), Err(Error::Unconfigured));
    }

    // Over upstream's IPv4-only unix.c an IPv6 server address cannot be reached (with the
    // dual-stack platform layer it is a valid address).
    if cfg!(not(all(
        target_os = "linux",
        not(feature = "upstream-platform")
    ))) {
        assert_eq!(
            peer.create_client("::1", 7000, 0, 0, 0, 0),
            Err(Error::CantCreate)
        );
    }

    // create_mesh checks: the id first, then activity.
    assert_eq!(peer.create_mesh(0), Err(Error::InvalidParameter));
    assert_eq!(peer.create_mesh(-5), Err(Error::InvalidParameter));

    // Active server.
    peer.set_refuse_new_connections(true);
    peer.create_server(0, 32, 0, 0, 0).unwrap();
    assert!(
        !peer.is_refusing_new_connections(),
        "create_server resets it"
    );
    assert_eq!(peer.create_server(0, 32, 0, 0, 0), Err(Error::AlreadyInUse));
    assert_eq!(
        peer.create_client("127.0.0.1", 7000, 0, 0, 0, 0),
        Err(Error::AlreadyInUse)
    );
    assert_eq!(peer.create_mesh(0), Err(Error::InvalidParameter));
    assert_eq!(peer.create_mesh(5), Err(Error::AlreadyInUse));
    assert_eq!(peer.get_peer(2), Err(Error::InvalidParameter));
    assert_eq!(peer.get_packet_peer(), Err(Error::Unavailable));
    assert_eq!(peer.get_packet_channel(), Err(Error::Unavailable));
    assert_eq!(peer.get_packet_mode(), Err(Error::Unavailable));
    assert_eq!(peer.get_packet().unwrap_err(), Error::Unavailable);
    assert_eq!(peer.disconnect_peer(2, false), Err(Error::InvalidParameter));
    peer.set_target_peer(5);
    assert_eq!(peer.put_packet(b"x"), Err(Error::InvalidParameter));
    peer.set_target_peer(-5);
    assert_eq!(peer.put_packet(b"x"), Err(Error::InvalidParameter));
    peer.set_target_peer(0);
    peer.put_packet(b"nobody listens").unwrap();
    for channel in [-1, 254] {
        peer.set_transfer_channel(channel);
        assert_eq!(peer.get_transfer_channel(), channel, "stored as given");
        assert_eq!(peer.put_packet(b"x"), Err(Error::InvalidParameter));
    }
    let (error, _) = peer.add_mesh_peer(2, Connection::new()).unwrap_err();
    assert_eq!(error, Error::Unconfigured);

    // A client still connecting cannot send.
    let port = i32::from(peer.get_host().unwrap().get_local_port().unwrap());
    let connecting = client(port);
    assert_eq!(connecting.put_packet(b"x"), Err(Error::Unconfigured));
    assert_eq!(connecting.get_peer(2), Err(Error::InvalidParameter));
    assert!(connecting.get_peer(1).is_ok());

    // add_mesh_peer checks, with the connection handed back each time.
    let mut mesh = MultiplayerPeer::new();
    mesh.create_mesh(1).unwrap();
    assert_eq!(mesh.get_host().unwrap_err(), Error::Unavailable);
    let (link, other_end) = linked(2);
    let (error, link) = mesh.add_mesh_peer(0, link).unwrap_err();
    assert_eq!(error, Error::InvalidParameter);
    let (error, _) = mesh.add_mesh_peer(2, Connection::new()).unwrap_err();
    assert_eq!(error, Error::InvalidParameter, "inactive connection");
    let no_peer = common::client();
    let (error, _) = mesh.add_mesh_peer(2, no_peer).unwrap_err();
    assert_eq!(error, Error::InvalidParameter, "no peer");
    let dialing = common::client();
    dialing.connect_to_host("127.0.0.1", port, 0, 0).unwrap();
    let (error, _) = mesh.add_mesh_peer(2, dialing).unwrap_err();
    assert_eq!(error, Error::InvalidParameter, "peer still connecting");
    mesh.add_mesh_peer(2, link).unwrap();
    let (link2, _other_end2) = linked(2);
    let (error, _) = mesh.add_mesh_peer(2, link2).unwrap_err();
    assert_eq!(error, Error::AlreadyInUse);
    assert_eq!(mesh.poll(), Ok(vec![PeerConnected(2)]));
    drop(other_end);
    // Error::Bug (put_packet on a client without its server peer) is Godot's internal invariant
    // check; no sequence of calls reaches it.
}
