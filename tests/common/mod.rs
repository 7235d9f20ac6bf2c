//! Shared helpers of the integration tests: loopback hosts on port 0 and a deadline pump.
#![allow(dead_code)]

use enet::{
    Connection, Event, MultiplayerEvent, MultiplayerPeer, Packet, PacketPeer, PeerState,
    PeerStatistic, Verdict,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The generous upper bound for anything a loopback test waits for.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A server host bound to 127.0.0.1 on a free port, and that port.
pub fn server(max_peers: i32, max_channels: i32) -> (Connection, i32) {
    let server = Connection::new();
    server
        .create_host_bound("127.0.0.1", 0, max_peers, max_channels, 0, 0)
        .expect("create_host_bound");
    let port = server.get_local_port().expect("local port");
    assert_ne!(port, 0);
    (server, i32::from(port))
}

/// A client host (one peer slot).
pub fn client() -> Connection {
    let client = Connection::new();
    client.create_host(1, 0, 0, 0).expect("create_host");
    client
}

/// Services several connections in turn, keeping each one's events in its own queue, so waiting
/// for one connection's event never loses another's.
pub struct Pump<'a> {
    hosts: Vec<&'a Connection>,
    queues: Vec<VecDeque<Event>>,
}

impl<'a> Pump<'a> {
    pub fn new(hosts: &[&'a Connection]) -> Self {
        Pump {
            hosts: hosts.to_vec(),
            queues: hosts.iter().map(|_| VecDeque::new()).collect(),
        }
    }

    /// One round: services every host once (1 ms wait) and queues what it returns.
    pub fn step(&mut self) {
        for (i, host) in self.hosts.iter().enumerate() {
            loop {
                match host.service(1).expect("service") {
                    Event::None => break,
                    event => self.queues[i].push_back(event),
                }
            }
        }
    }

    /// The next event of host `index`, pumping all hosts until one arrives (panics at the
    /// deadline).
    pub fn next(&mut self, index: usize) -> Event {
        let start = Instant::now();
        loop {
            if let Some(event) = self.queues[index].pop_front() {
                return event;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "no event on host {index} within {DEADLINE:?}"
            );
            self.step();
        }
    }

    /// Pumps until `done()` holds (panics at the deadline).
    pub fn until(&mut self, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < DEADLINE,
                "condition not met within {DEADLINE:?}"
            );
            self.step();
        }
    }

    /// The events host `index` has queued and nobody has taken yet.
    pub fn pending(&mut self, index: usize) -> Vec<Event> {
        self.queues[index].drain(..).collect()
    }
}

/// A connected pair: (server, client, server's handle of the client, client's handle of the server).
pub fn connected_pair(channels: i32) -> (Connection, Connection, PacketPeer, PacketPeer) {
    let (server, port) = server(8, 0);
    let (client, to_server, to_client) = join(&server, "127.0.0.1", port, channels);
    (server, client, to_client, to_server)
}

/// A new client connected to `server` at `address`:`port` with `channels` channels, once both
/// sides saw their Connect event: (client, client's handle of the server, server's handle of the
/// client).
pub fn join(
    server: &Connection,
    address: &str,
    port: i32,
    channels: i32,
) -> (Connection, PacketPeer, PacketPeer) {
    let client = client();
    let to_server = client
        .connect_to_host(address, port, channels, 0)
        .expect("connect");
    let mut pump = Pump::new(&[server, &client]);
    let to_client = match pump.next(0) {
        Event::Connect { peer, .. } => peer,
        other => panic!("expected Connect on the server, got {other:?}"),
    };
    assert_eq!(
        pump.next(1),
        Event::Connect {
            peer: to_server.clone(),
            data: 0
        }
    );
    (client, to_server, to_client)
}

impl Pump<'_> {
    /// Pumps every host for `duration` (a bounded loop, not a sleep) and returns what host
    /// `index` produced meanwhile, plus anything it had already queued.
    pub fn run_for(&mut self, index: usize, duration: Duration) -> Vec<Event> {
        let start = Instant::now();
        while start.elapsed() < duration {
            self.step();
        }
        self.pending(index)
    }
}

/// Services `hosts` in turn and hands each event to `on_event(host_index, event)` as soon as
/// `service` returns it, before that host is serviced again: a `Receive`'s packet can still be
/// read even when a `Disconnect` of the same peer follows (which frees the peer's queue).
/// Returns when `on_event` returns true; panics at [`DEADLINE`].
pub fn serve_until(hosts: &[&Connection], mut on_event: impl FnMut(usize, Event) -> bool) {
    let start = Instant::now();
    loop {
        for (i, host) in hosts.iter().enumerate() {
            loop {
                match host.service(1).expect("service") {
                    Event::None => break,
                    event => {
                        if on_event(i, event) {
                            return;
                        }
                    }
                }
            }
        }
        assert!(
            start.elapsed() < DEADLINE,
            "serve_until: not done within {DEADLINE:?}"
        );
    }
}

/// Makes `peer` give up on a silent remote quickly: ENet times it out once a reliable command has
/// gone unacknowledged for 200 ms (500 ms at most), and it pings every 20 ms, so there always is
/// such a command soon after the remote goes quiet. Respects `timeout <= min <= max`.
pub fn fast_timeout(peer: &PacketPeer) {
    peer.set_timeout(1, 200, 500).expect("set_timeout");
    peer.ping_interval(20).expect("ping_interval");
}

/// Every `PacketPeer` statistic, in Godot's order.
pub const ALL_PEER_STATISTICS: [PeerStatistic; 14] = [
    PeerStatistic::PacketLoss,
    PeerStatistic::PacketLossVariance,
    PeerStatistic::PacketLossEpoch,
    PeerStatistic::RoundTripTime,
    PeerStatistic::RoundTripTimeVariance,
    PeerStatistic::LastRoundTripTime,
    PeerStatistic::LastRoundTripTimeVariance,
    PeerStatistic::PacketThrottle,
    PeerStatistic::PacketThrottleLimit,
    PeerStatistic::PacketThrottleCounter,
    PeerStatistic::PacketThrottleEpoch,
    PeerStatistic::PacketThrottleAcceleration,
    PeerStatistic::PacketThrottleDeceleration,
    PeerStatistic::PacketThrottleInterval,
];

/// Asserts the documented behaviour of a detached handle, method by method: every `Result`
/// method is `Err(Unconfigured)` (the detached check comes before any argument check), and the
/// methods Godot answers without an error return `Disconnected`, `false` and 0.
pub fn assert_detached(peer: &PacketPeer) {
    use enet::Error::Unconfigured;
    let reliable = PacketPeer::FLAG_RELIABLE;

    assert!(!peer.is_active(), "is_active");
    assert_eq!(peer.get_state(), PeerState::Disconnected, "get_state");
    assert_eq!(peer.get_available_packet_count(), 0, "packet count");
    assert_eq!(peer.get_packet().unwrap_err(), Unconfigured, "get_packet");
    assert_eq!(
        peer.get_packet_flags(),
        Err(Unconfigured),
        "get_packet_flags"
    );

    assert_eq!(peer.send(0, b"x", reliable), Err(Unconfigured), "send");
    assert_eq!(peer.send(-1, b"x", 4), Err(Unconfigured), "send, bad args");
    let packet = Packet::new(b"x", reliable).unwrap();
    assert_eq!(
        peer.send_packet(0, packet),
        Err(Unconfigured),
        "send_packet"
    );
    let packet = Packet::from_vec(vec![1, 2, 3], 0).unwrap();
    assert_eq!(
        peer.send_packet(-1, packet),
        Err(Unconfigured),
        "send_packet"
    );
    assert_eq!(peer.put_packet(b"x"), Err(Unconfigured), "put_packet");

    assert_eq!(
        peer.peer_disconnect(1),
        Err(Unconfigured),
        "peer_disconnect"
    );
    assert_eq!(peer.peer_disconnect_later(1), Err(Unconfigured), "later");
    assert_eq!(peer.peer_disconnect_now(1), Err(Unconfigured), "now");
    assert_eq!(peer.ping(), Err(Unconfigured), "ping");
    assert_eq!(peer.ping_interval(100), Err(Unconfigured), "ping_interval");
    assert_eq!(peer.reset(), Err(Unconfigured), "reset");
    assert_eq!(
        peer.throttle_configure(1000, 2, 2),
        Err(Unconfigured),
        "throttle_configure"
    );
    assert_eq!(
        peer.set_timeout(1, 200, 500),
        Err(Unconfigured),
        "set_timeout"
    );
    assert_eq!(
        peer.set_timeout(3, 2, 1),
        Err(Unconfigured),
        "set_timeout, bad"
    );
    for statistic in ALL_PEER_STATISTICS {
        assert_eq!(
            peer.get_statistic(statistic),
            Err(Unconfigured),
            "{statistic:?}"
        );
    }
    assert_eq!(peer.get_traffic(), Err(Unconfigured), "get_traffic");
    assert_eq!(peer.get_channels(), Err(Unconfigured), "get_channels");
    assert_eq!(peer.get_remote_address(), Err(Unconfigured), "address");
    assert_eq!(peer.get_remote_port(), Err(Unconfigured), "port");

    // None of the calls above revived it.
    assert!(!peer.is_active(), "is_active after the calls");
    assert_eq!(peer.get_state(), PeerState::Disconnected);
}

/// A `MultiplayerPeer` server on loopback with one raw ENet client connected to it as `id` (the
/// server has seen `PeerConnected(id)`): (server, client, client's handle of the server).
pub fn multiplayer_server_with_client(id: u32) -> (MultiplayerPeer, Connection, PacketPeer) {
    let mut server = MultiplayerPeer::new();
    server.create_server(0, 4, 0, 0, 0).expect("create_server");
    let port = server.get_host().unwrap().get_local_port().unwrap();
    let client = client();
    let to_server = client
        .connect_to_host("127.0.0.1", i32::from(port), 0, id)
        .expect("connect");
    let start = Instant::now();
    let mut events = Vec::new();
    while !events.contains(&MultiplayerEvent::PeerConnected(id as i32)) {
        assert!(start.elapsed() < DEADLINE, "the client never connected");
        client.service(1).unwrap();
        events.extend(server.poll().unwrap());
    }
    (server, client, to_server)
}

/// The 2-byte header `client`'s datagrams carry as `server` expects them (its peer id and
/// session bits), seen by an intercept on a ping, for crafting datagrams from that client.
pub fn client_header(server: &Connection, client: &Connection, to_server: &PacketPeer) -> [u8; 2] {
    let header = Arc::new(Mutex::new(None));
    let seen = header.clone();
    server
        .set_intercept(Some(Box::new(move |_, datagram: &[u8]| {
            *seen.lock().unwrap() = Some([datagram[0] & 0x3F, datagram[1]]);
            Verdict::Pass
        })))
        .unwrap();
    to_server.ping().unwrap();
    Pump::new(&[server, client]).until(|| header.lock().unwrap().is_some());
    server.set_intercept(None).unwrap();
    let header = header.lock().unwrap().unwrap();
    header
}
