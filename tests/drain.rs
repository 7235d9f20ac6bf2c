//! `Connection::drain`: the batch form of `service`, one lock for every ready event.

mod common;

use common::Pump;
use enet::{Error, Event, PacketPeer, Verdict};
use std::time::{Duration, Instant};

#[test]
fn drain_hands_over_every_ready_event_in_order() {
    let (server, client, to_client, to_server) = common::connected_pair(2);
    for i in 0..20u8 {
        to_server
            .send(i32::from(i % 2), &[i], PacketPeer::FLAG_RELIABLE)
            .unwrap();
    }
    client.flush().unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    while got.len() < 20 {
        assert!(start.elapsed() < common::DEADLINE);
        server
            .drain(1, |event| match event {
                Event::Receive { peer, channel } => {
                    assert_eq!(peer, to_client);
                    got.push((channel, peer.get_packet().unwrap()[0]));
                }
                other => panic!("unexpected {other:?}"),
            })
            .unwrap();
    }
    let expected: Vec<(u8, u8)> = (0..20u8).map(|i| (i % 2, i)).collect();
    let mut per_channel = got.clone();
    per_channel.sort_by_key(|&(channel, _)| channel);
    let mut expected_per_channel = expected.clone();
    expected_per_channel.sort_by_key(|&(channel, _)| channel);
    assert_eq!(
        per_channel, expected_per_channel,
        "in order on each channel"
    );
}

#[test]
fn peers_reply_from_inside_the_handler_without_relocking() {
    let (server, client, _to_client, to_server) = common::connected_pair(2);
    to_server
        .send(1, b"echo me", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    let mut echoed = 0;
    let start = Instant::now();
    while echoed == 0 {
        assert!(start.elapsed() < common::DEADLINE);
        client.service(0).unwrap();
        echoed += server
            .drain(1, |event| {
                if let Event::Receive { peer, channel } = event {
                    let packet = peer.get_packet().unwrap();
                    assert_eq!(peer.get_available_packet_count(), 0);
                    peer.send_packet(i32::from(channel), packet).unwrap();
                }
            })
            .unwrap();
    }
    let mut pump = Pump::new(&[&server, &client]);
    assert_eq!(
        pump.next(1),
        Event::Receive {
            peer: to_server.clone(),
            channel: 1
        }
    );
    assert_eq!(&to_server.get_packet().unwrap()[..], b"echo me");
}

#[test]
fn drain_inside_its_own_handler_is_busy() {
    let (server, client, _to_client, to_server) = common::connected_pair(2);
    to_server.send(0, b"x", PacketPeer::FLAG_RELIABLE).unwrap();
    client.flush().unwrap();
    let mut nested = None;
    let start = Instant::now();
    while nested.is_none() {
        assert!(start.elapsed() < common::DEADLINE);
        server
            .drain(1, |_| nested = Some(server.drain(0, |_| {})))
            .unwrap();
    }
    assert_eq!(nested, Some(Err(Error::Busy)));
    // Other calls on the same connection work from the handler.
    assert_eq!(server.drain(0, |_| {}), Ok(0));
    assert!(server.flush().is_ok());
}

#[test]
fn the_intercept_still_sees_busy_inside_a_drain() {
    let (server, client, _to_client, to_server) = common::connected_pair(2);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let probe = server.get_peers().unwrap().remove(0);
    let record = seen.clone();
    server
        .set_intercept(Some(Box::new(move |_, _: &[u8]| {
            record.lock().unwrap().get_or_insert(probe.get_channels());
            Verdict::Pass
        })))
        .unwrap();
    to_server.send(0, b"x", PacketPeer::FLAG_RELIABLE).unwrap();
    client.flush().unwrap();
    let start = Instant::now();
    while seen.lock().unwrap().is_none() {
        assert!(start.elapsed() < common::DEADLINE);
        server.drain(1, |_| {}).unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), Some(Err(Error::Busy)));
}

#[test]
fn drain_waits_up_to_its_timeout_for_a_first_event() {
    let (server, _port) = common::server(2, 0);
    let start = Instant::now();
    assert_eq!(server.drain(50, |_| panic!("no event expected")), Ok(0));
    assert!(start.elapsed() >= Duration::from_millis(45));
    assert_eq!(
        enet::Connection::new().drain(0, |_| {}),
        Err(Error::Unconfigured)
    );
}
