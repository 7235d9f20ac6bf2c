//! Delivery guarantees through a seeded lossy link (tests/common/proxy.rs): drop, duplication,
//! delay and reordering in both directions. Each test prints its seed when it fails.

mod common;
#[path = "common/proxy.rs"]
mod proxy;

use common::Pump;
use enet::{Connection, Event, PacketPeer};
use proxy::{Impairment, Proxy};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// A server, a proxy in front of it and a client connected through the proxy, with ENet timeouts
/// generous enough that loss alone never disconnects.
fn through_proxy(
    impairment: Impairment,
) -> (Connection, Connection, PacketPeer, PacketPeer, Proxy) {
    let (server, port) = common::server(4, 0);
    let proxy = Proxy::start(SocketAddr::from(([127, 0, 0, 1], port as u16)), impairment);
    let client = common::client();
    let to_server = client
        .connect_to_host("127.0.0.1", i32::from(proxy.address.port()), 4, 0)
        .unwrap();
    let mut to_client = None;
    let mut pump = Pump::new(&[&server, &client]);
    let start = Instant::now();
    while to_client.is_none() || !matches!(to_server.get_state(), enet::PeerState::Connected) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "seed {}: no connection",
            impairment.seed
        );
        pump.step();
        for event in pump.pending(0) {
            if let Event::Connect { peer, .. } = event {
                to_client = Some(peer);
            }
        }
        pump.pending(1);
    }
    let to_client = to_client.unwrap();
    for peer in [&to_client, &to_server] {
        peer.set_timeout(64, 20_000, 60_000).unwrap();
    }
    (server, client, to_client, to_server, proxy)
}

const LOSSY: Impairment = Impairment {
    drop: 0.20,
    duplicate: 0.05,
    max_delay: Duration::from_millis(4),
    seed: 0x5EED_0001,
};

#[test]
fn ten_thousand_reliable_messages_arrive_exactly_once_in_order_per_channel_through_20_percent_loss()
{
    let (server, client, to_client, to_server, proxy) = through_proxy(LOSSY);
    const MESSAGES: u32 = 10_000;
    const CHANNELS: u32 = 4;
    let mut next_to_send = 0u32;
    let mut expected = [0u32; CHANNELS as usize];
    let mut received = 0u32;
    let start = Instant::now();
    while received < MESSAGES {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "seed {:#x}: {received} of {MESSAGES} delivered",
            LOSSY.seed
        );
        // Keep a bounded amount in flight so ENet's window, not the socket buffer, paces us.
        while next_to_send < MESSAGES && next_to_send < received + 500 {
            let channel = next_to_send % CHANNELS;
            let mut message = next_to_send.to_le_bytes().to_vec();
            message.extend_from_slice(&[channel as u8; 28]);
            to_server
                .send(channel as i32, &message, PacketPeer::FLAG_RELIABLE)
                .unwrap();
            next_to_send += 1;
        }
        client.service(0).unwrap();
        while let Event::Receive { peer, channel } = server.service(1).unwrap() {
            assert_eq!(peer, to_client);
            let packet = peer.get_packet().unwrap();
            let seq = u32::from_le_bytes(packet[..4].try_into().unwrap());
            let channel = u32::from(channel);
            assert_eq!(
                seq % CHANNELS,
                channel,
                "seed {:#x}: message on the wrong channel",
                LOSSY.seed
            );
            assert_eq!(
                seq / CHANNELS,
                expected[channel as usize],
                "seed {:#x}: channel {channel} out of order or duplicated",
                LOSSY.seed
            );
            expected[channel as usize] += 1;
            received += 1;
        }
    }
    let dropped = proxy
        .counters
        .dropped
        .load(std::sync::atomic::Ordering::Relaxed) as f64;
    let forwarded = proxy
        .counters
        .forwarded
        .load(std::sync::atomic::Ordering::Relaxed) as f64;
    let duplicated = proxy
        .counters
        .duplicated
        .load(std::sync::atomic::Ordering::Relaxed);
    let loss = dropped / (dropped + forwarded);
    eprintln!(
        "lossy figures: {MESSAGES} reliable messages on {CHANNELS} channels delivered in {:.2?}; \
         the link forwarded {forwarded} datagrams, dropped {dropped} ({:.1}%), duplicated \
         {duplicated} (seed {:#x})",
        start.elapsed(),
        loss * 100.0,
        LOSSY.seed
    );
    assert!(
        (0.15..0.25).contains(&loss),
        "the link dropped {loss:.3} of datagrams"
    );
    assert!(duplicated > 0, "the link duplicated datagrams");
    assert_eq!(to_client.get_available_packet_count(), 0);
}

/// Sends `count` 8-byte numbered packets with `flags` on channel 1 and returns the numbers the
/// server received, in arrival order.
fn unreliable_arrivals(flags: i32, count: u32, seed: u64) -> Vec<u32> {
    let impairment = Impairment { seed, ..LOSSY };
    let (server, client, to_client, to_server, _proxy) = through_proxy(impairment);
    let mut arrivals = Vec::new();
    for i in 0..count {
        to_server
            .send(1, &u64::from(i).to_le_bytes(), flags)
            .unwrap();
        client.service(0).unwrap();
        if i % 8 == 0 {
            // Let the proxy's delay line mix datagrams sent close together.
            std::thread::yield_now();
        }
        while let Event::Receive { peer, .. } = server.service(0).unwrap() {
            arrivals.push(u32::from_le_bytes(
                peer.get_packet().unwrap()[..4].try_into().unwrap(),
            ));
        }
    }
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(300) {
        client.service(1).unwrap();
        while let Event::Receive { .. } = server.service(1).unwrap() {
            arrivals.push(u32::from_le_bytes(
                to_client.get_packet().unwrap()[..4].try_into().unwrap(),
            ));
        }
    }
    arrivals
}

#[test]
fn sequenced_unreliable_packets_never_arrive_out_of_order_or_twice() {
    let arrivals = unreliable_arrivals(0, 3000, 0x5EED_0002);
    // ENet's throttle sheds much of an unreliable stream on a lossy link; enough gets through to
    // judge the order.
    assert!(
        arrivals.len() > 50 && arrivals.len() < 3000,
        "{} of 3000 arrived",
        arrivals.len()
    );
    eprintln!(
        "lossy figures: sequenced unreliable, {} of 3000 arrived",
        arrivals.len()
    );
    assert!(
        arrivals.windows(2).all(|w| w[0] < w[1]),
        "seed 0x5EED0002: out of order or duplicated"
    );
}

#[test]
fn unsequenced_packets_never_arrive_twice() {
    let arrivals = unreliable_arrivals(PacketPeer::FLAG_UNSEQUENCED, 3000, 0x5EED_0003);
    assert!(
        arrivals.len() > 1000 && arrivals.len() < 3000,
        "{} of 3000 arrived",
        arrivals.len()
    );
    eprintln!(
        "lossy figures: unsequenced, {} of 3000 arrived",
        arrivals.len()
    );
    let mut sorted = arrivals.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        arrivals.len(),
        "seed 0x5EED0003: a packet arrived twice"
    );
}

#[test]
fn a_cut_link_times_out_both_ends_within_the_configured_bounds() {
    let clean = Impairment {
        drop: 0.0,
        duplicate: 0.0,
        max_delay: Duration::ZERO,
        seed: 4,
    };
    let (server, client, to_client, to_server, proxy) = through_proxy(clean);
    let (minimum, maximum) = (Duration::from_millis(1000), Duration::from_millis(2000));
    for peer in [&to_client, &to_server] {
        peer.set_timeout(32, minimum.as_millis() as u32, maximum.as_millis() as u32)
            .unwrap();
    }
    proxy.cut();
    let cut_at = Instant::now();
    let mut pump = Pump::new(&[&server, &client]);
    for (side, peer) in [(0, &to_client), (1, &to_server)] {
        let event = pump.next(side);
        let elapsed = cut_at.elapsed();
        assert_eq!(
            event,
            Event::Disconnect {
                peer: peer.clone(),
                data: 0
            }
        );
        eprintln!("lossy figures: side {side} timed out {elapsed:?} after the cut");
        // ENet counts from the oldest unacknowledged command, sent at most one ping interval
        // (500 ms) before the cut.
        assert!(
            elapsed + Duration::from_millis(600) >= minimum,
            "side {side} timed out after {elapsed:?}"
        );
        assert!(
            elapsed <= maximum + Duration::from_millis(1500),
            "side {side} timed out after {elapsed:?}"
        );
    }
}
