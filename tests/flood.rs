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

/// Floods a `SLOTS`-slot server (with the crate's hardening on or off), services it for 200 ms,
/// then lets a legitimate client try for `patience`: whether it connected.
fn legitimate_client_connects_after_a_flood(hardened: bool, patience: Duration) -> bool {
    let (server, port) = common::server(SLOTS, 2);
    server.set_hardening_enabled(hardened).unwrap();
    flood(port);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(200) {
        assert_eq!(
            server.service(1).unwrap(),
            Event::None,
            "half-open handshakes raise no event"
        );
    }
    assert!(
        server.get_peers().unwrap().is_empty(),
        "no handle exists for half-open peers"
    );
    legitimate_client_connects(&server, port, patience)
}

#[test]
fn after_a_connect_flood_a_legitimate_client_evicts_the_oldest_half_open_handshake() {
    assert!(legitimate_client_connects_after_a_flood(
        true,
        common::DEADLINE
    ));
}

#[test]
fn without_the_fix_a_connect_flood_holds_every_slot_so_legitimate_clients_are_ignored() {
    // The server answers each CONNECT with a VERIFY_CONNECT that nobody acknowledges: the slots
    // stay reserved (for up to ENet's 30 s timeout) and later CONNECTs are silently ignored.
    assert!(!legitimate_client_connects_after_a_flood(
        false,
        Duration::from_millis(1500)
    ));
}

/// Datagrams a flooded server sends between 450 ms and 1600 ms after the flood (ENet
/// retransmits an unacknowledged VERIFY_CONNECT after 500 ms, then 1000 ms later), with a
/// 300 ms half-open timeout, hardening on or off.
fn retransmissions_after_the_half_open_timeout(hardened: bool) -> u32 {
    let (server, port) = common::server(SLOTS, 2);
    server.set_hardening_enabled(hardened).unwrap();
    server.set_half_open_timeout(300).unwrap();
    flood(port);
    let start = Instant::now();
    let mut sent = 0;
    while start.elapsed() < Duration::from_millis(1600) {
        server.service(1).unwrap();
        let count = server
            .pop_statistic(enet::HostStatistic::TotalSentPackets)
            .unwrap();
        if start.elapsed() >= Duration::from_millis(450) {
            sent += count;
        }
    }
    sent
}

#[test]
fn half_open_handshakes_are_reset_after_the_half_open_timeout() {
    assert_eq!(retransmissions_after_the_half_open_timeout(true), 0);
}

#[test]
fn without_the_fix_half_open_handshakes_are_retransmitted_to() {
    assert!(retransmissions_after_the_half_open_timeout(false) >= SLOTS as u32);
}

#[test]
fn the_half_open_timeout_defaults_to_5_s_and_rejects_0() {
    let (server, _port) = common::server(SLOTS, 2);
    assert_eq!(server.get_half_open_timeout(), Ok(5000));
    assert_eq!(
        server.set_half_open_timeout(0),
        Err(enet::Error::InvalidParameter)
    );
    assert_eq!(
        Connection::new().get_half_open_timeout(),
        Err(enet::Error::Unconfigured)
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
