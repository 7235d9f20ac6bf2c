//! The README's demonstration: a server and a client on loopback exchange packets in every ENet
//! delivery mode, through the safe layer, and report round-trip time and packet loss.
//!
//! ```sh
//! cargo run --release --example demo
//! ```

use enet::{Connection, Event, PacketPeer, PeerStatistic};
use std::time::{Duration, Instant};

const ROUNDS: u32 = 200;
const DEADLINE: Duration = Duration::from_secs(10);

/// One delivery mode: its name, ENet flags, channel and payload size.
struct Mode {
    name: &'static str,
    flags: i32,
    channel: i32,
    size: usize,
}

const MODES: [Mode; 5] = [
    Mode {
        name: "reliable",
        flags: PacketPeer::FLAG_RELIABLE,
        channel: 0,
        size: 32,
    },
    Mode {
        name: "unreliable (sequenced)",
        flags: 0,
        channel: 1,
        size: 32,
    },
    Mode {
        name: "unsequenced",
        flags: PacketPeer::FLAG_UNSEQUENCED,
        channel: 2,
        size: 32,
    },
    Mode {
        name: "unreliable fragments",
        flags: PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
        channel: 3,
        size: 4000,
    },
    Mode {
        name: "reliable, fragmented",
        flags: PacketPeer::FLAG_RELIABLE,
        channel: 0,
        size: 20_000,
    },
];

fn main() -> Result<(), enet::Error> {
    let server = Connection::new();
    server.create_host_bound("127.0.0.1", 0, 8, 4, 0, 0)?;
    let port = server.get_local_port()?;
    println!("server listening on 127.0.0.1:{port}");

    let client = Connection::new();
    client.create_host(1, 4, 0, 0)?;
    let to_server = client.connect_to_host("127.0.0.1", i32::from(port), 4, 0)?;
    let start = Instant::now();
    while !matches!(client.service(1)?, Event::Connect { .. }) {
        echo_all(&server)?;
        assert!(start.elapsed() < DEADLINE, "no connection");
    }
    println!(
        "client connected to {}:{}",
        to_server.get_remote_address()?,
        to_server.get_remote_port()?
    );
    println!();
    println!(
        "{:<24} {:>6} {:>5} {:>9} {:>9} {:>9}",
        "mode", "bytes", "sent", "echoed", "loss", "mean rtt"
    );

    for mode in &MODES {
        let mut echoed = 0u32;
        let mut total_rtt = Duration::ZERO;
        for round in 0..ROUNDS {
            let mut payload = vec![0u8; mode.size];
            payload[..4].copy_from_slice(&round.to_le_bytes());
            let sent_at = Instant::now();
            to_server.send(mode.channel, &payload, mode.flags)?;
            // Wait for this round's echo; unreliable modes may lose it, so give up after 50 ms.
            let patience = if mode.flags & PacketPeer::FLAG_RELIABLE != 0 {
                DEADLINE
            } else {
                Duration::from_millis(50)
            };
            'wait: while sent_at.elapsed() < patience {
                echo_all(&server)?;
                client.service(0)?;
                while let Ok(packet) = to_server.get_packet() {
                    if packet[..4] == round.to_le_bytes() {
                        echoed += 1;
                        total_rtt += sent_at.elapsed();
                        break 'wait;
                    }
                }
            }
        }
        let loss = 100.0 * f64::from(ROUNDS - echoed) / f64::from(ROUNDS);
        let mean = total_rtt.as_secs_f64() * 1e6 / f64::from(echoed.max(1));
        println!(
            "{:<24} {:>6} {:>5} {:>9} {:>8.1}% {:>7.0} µs",
            mode.name, mode.size, ROUNDS, echoed, loss, mean
        );
    }

    println!();
    println!(
        "ENet's own view of the link: rtt {} ms, packet loss {}/{}",
        to_server.get_statistic(PeerStatistic::RoundTripTime)?,
        to_server.get_statistic(PeerStatistic::PacketLoss)?,
        PacketPeer::PACKET_LOSS_SCALE
    );

    to_server.peer_disconnect(0)?;
    let start = Instant::now();
    loop {
        echo_all(&server)?;
        if let Event::Disconnect { .. } = client.service(1)? {
            println!("client disconnected cleanly");
            break;
        }
        assert!(start.elapsed() < DEADLINE, "no disconnect");
    }
    Ok(())
}

/// Services the server without waiting and echoes every packet back on its channel with its flags.
fn echo_all(server: &Connection) -> Result<(), enet::Error> {
    loop {
        match server.service(0)? {
            Event::None => return Ok(()),
            Event::Receive { peer, channel } => {
                let packet = peer.get_packet()?;
                peer.send(i32::from(channel), &packet, packet.flags())?;
            }
            Event::Connect { peer, .. } => {
                println!("server: peer connected from {}", peer.get_remote_address()?)
            }
            Event::Disconnect { .. } => println!("server: peer disconnected"),
        }
    }
}
