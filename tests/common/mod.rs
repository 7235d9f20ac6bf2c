//! Shared helpers of the integration tests: loopback hosts on port 0 and a deadline pump.
#![allow(dead_code)]

use enet::{Connection, Event, PacketPeer};
use std::collections::VecDeque;
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
    let client = client();
    let to_server = client
        .connect_to_host("127.0.0.1", port, channels, 0)
        .expect("connect");
    let (to_client, connected) = {
        let mut pump = Pump::new(&[&server, &client]);
        let to_client = match pump.next(0) {
            Event::Connect { peer, .. } => peer,
            other => panic!("expected Connect on the server, got {other:?}"),
        };
        let connected = pump.next(1);
        (to_client, connected)
    };
    assert_eq!(
        connected,
        Event::Connect {
            peer: to_server.clone(),
            data: 0
        }
    );
    (server, client, to_client, to_server)
}
