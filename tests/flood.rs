//! CONNECT floods from many sockets against a server with few slots, and what legitimate clients
//! see. Each flooder is a real ENet client socket that sends its CONNECT and vanishes, the way a
//! spoofed or abandoned handshake looks to the server.

mod common;

use common::Pump;
use enet::{Connection, Event, PeerState};
use std::time::{Duration, Instant};

const SLOTS: i32 = 4;
const FLOODERS: usize = 64;

/// Sends one CONNECT from each of `FLOODERS` fresh sockets to `port`, then drops them all.
fn flood(port: i32) {
    let flooders: Vec<Connection> = (0..FLOODERS)
        .map(|_| {
            let flooder = common::client();
            flooder.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
            flooder.flush().unwrap();
            flooder
        })
        .collect();
    drop(flooders);
}

/// Services `server` while a legitimate client tries to connect for at most `patience`; returns
/// whether it connected.
fn legitimate_client_connects(server: &Connection, port: i32, patience: Duration) -> bool {
    let client = common::client();
    let to_server = client.connect_to_host("127.0.0.1", port, 2, 0).unwrap();
    let start = Instant::now();
    let mut pump = Pump::new(&[server, &client]);
    while start.elapsed() < patience {
        pump.step();
        if to_server.get_state() == PeerState::Connected {
            return true;
        }
    }
    false
}

#[test]
fn a_connect_flood_holds_every_slot_of_a_small_server_so_legitimate_clients_are_ignored() {
    let (server, port) = common::server(SLOTS, 2);
    flood(port);
    // The server answers each CONNECT with a VERIFY_CONNECT that nobody acknowledges: the slots
    // stay reserved (for up to ENet's 30 s timeout) and later CONNECTs are silently ignored.
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(200) {
        assert_eq!(
            server.service(1).unwrap(),
            Event::None,
            "half-open handshakes raise no event"
        );
    }
    assert!(!legitimate_client_connects(
        &server,
        port,
        Duration::from_millis(1500)
    ));
    assert!(
        server.get_peers().unwrap().is_empty(),
        "no handle exists for half-open peers"
    );
}

#[test]
fn a_refusing_server_drops_connects_before_a_slot_is_allocated() {
    let (server, port) = common::server(SLOTS, 2);
    server.refuse_new_connections(true).unwrap();
    flood(port);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(200) {
        assert_eq!(server.service(1).unwrap(), Event::None);
    }
    server.refuse_new_connections(false).unwrap();
    // Every slot is still free: a legitimate client connects at once.
    assert!(legitimate_client_connects(&server, port, common::DEADLINE));
}
