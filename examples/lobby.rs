//! The README's demonstration: a Godot-style multiplayer lobby in one process. One
//! `MultiplayerPeer` server and three clients on loopback speak Godot 4's ENet protocol: they
//! connect (each client with its own random id), exchange messages in every transfer mode and on a
//! custom transfer channel, show the server's routing (broadcast, exclude, one target), measure
//! round-trip times and packet loss, and close cleanly.
//!
//! ```sh
//! cargo run --release --example lobby
//! ```

use enet::{ConnectionStatus, MultiplayerEvent, MultiplayerPeer, TransferMode};
use std::time::{Duration, Instant};

const CLIENTS: usize = 3;
const DEADLINE: Duration = Duration::from_secs(10);
/// Messages per client and mode for the round-trip and loss figures.
const ROUNDS: u32 = 100;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let mut server = MultiplayerPeer::new();
    server.set_bind_ip("127.0.0.1")?;
    server.create_server(0, 8, 4, 0, 0)?;
    let port = server.get_host()?.get_local_port()?;
    println!(
        "server: listening on 127.0.0.1:{port} as peer {}",
        server.get_unique_id()?
    );

    let mut clients: Vec<MultiplayerPeer> = Vec::new();
    for _ in 0..CLIENTS {
        let mut client = MultiplayerPeer::new();
        client.create_client("127.0.0.1", i32::from(port), 4, 0, 0, 0)?;
        clients.push(client);
    }
    let ids: Vec<i32> = clients
        .iter()
        .map(|c| c.get_unique_id())
        .collect::<enet::Result<_>>()?;

    // Connections: poll everyone until the server has seen every client.
    let mut joined = 0;
    until(|| {
        for event in server.poll()? {
            if let MultiplayerEvent::PeerConnected(id) = event {
                println!("server: peer_connected {id}");
                joined += 1;
            }
        }
        for (client, id) in clients.iter_mut().zip(&ids) {
            for event in client.poll()? {
                println!("client {id}: {event:?}");
            }
        }
        Ok(joined == CLIENTS
            && clients
                .iter()
                .all(|c| c.get_connection_status() == ConnectionStatus::Connected))
    })?;

    // Routing: the server sends one reliable message each way it can address peers.
    println!();
    let routes = [
        (0, "broadcast (target 0)"),
        (-ids[0], "all but the first client"),
        (ids[2], "the third client only"),
    ];
    for (target, what) in routes {
        server.set_target_peer(target);
        server.put_packet(what.as_bytes())?;
        let mut reached = Vec::new();
        until(|| {
            server.poll()?;
            for (client, id) in clients.iter_mut().zip(&ids) {
                client.poll()?;
                while client.get_available_packet_count() > 0 {
                    client.get_packet()?;
                    reached.push(*id);
                }
            }
            Ok(reached.len()
                == if target == 0 {
                    3
                } else if target < 0 {
                    2
                } else {
                    1
                })
        })?;
        reached.sort_unstable();
        println!("routing: {what:<26} reached {reached:?}");
    }

    // Every transfer mode, on transfer channel 0 and on custom channel 3: the server echoes each
    // message to its sender with the same mode and channel.
    println!();
    println!(
        "{:<20} {:>7} {:>6} {:>7} {:>7} {:>10}",
        "mode", "channel", "sent", "echoed", "loss", "mean rtt"
    );
    let modes = [
        TransferMode::Reliable,
        TransferMode::UnreliableOrdered,
        TransferMode::Unreliable,
    ];
    for channel in [0, 3] {
        for mode in modes {
            let (sent, echoed, rtt) = exchange(&mut server, &mut clients, mode, channel)?;
            let loss = 100.0 * f64::from(sent - echoed) / f64::from(sent);
            let mean = rtt.as_secs_f64() * 1e6 / f64::from(echoed.max(1));
            println!(
                "{:<20} {channel:>7} {sent:>6} {echoed:>7} {loss:>6.1}% {mean:>7.0} µs",
                format!("{mode:?}")
            );
        }
    }

    // Closing: each client closes (its server peer is told at once); the server sees them leave.
    println!();
    for client in &mut clients {
        client.close();
    }
    let mut left = 0;
    until(|| {
        for event in server.poll()? {
            if let MultiplayerEvent::PeerDisconnected(id) = event {
                println!("server: peer_disconnected {id}");
                left += 1;
            }
        }
        Ok(left == CLIENTS)
    })?;
    server.close();
    println!("lobby closed cleanly");
    Ok(())
}

/// Every client sends `ROUNDS` numbered messages in `mode` on `channel`; the server echoes each
/// back the same way. Returns (sent, echoed, total round-trip time of the echoed ones).
fn exchange(
    server: &mut MultiplayerPeer,
    clients: &mut [MultiplayerPeer],
    mode: TransferMode,
    channel: i32,
) -> Result<(u32, u32, Duration)> {
    let (mut sent, mut echoed, mut total) = (0, 0, Duration::ZERO);
    for round in 0..ROUNDS {
        let started = Instant::now();
        for client in clients.iter_mut() {
            client.set_transfer_mode(mode);
            client.set_transfer_channel(channel);
            client.set_target_peer(MultiplayerPeer::TARGET_PEER_SERVER);
            client.put_packet(&round.to_le_bytes())?;
            sent += 1;
        }
        // Unreliable modes may lose a message: give each round 50 ms.
        let patience = if mode == TransferMode::Reliable {
            DEADLINE
        } else {
            Duration::from_millis(50)
        };
        let mut back = 0;
        while back < clients.len() && started.elapsed() < patience {
            server.poll()?;
            while server.get_available_packet_count() > 0 {
                let (from, mode, channel) = (
                    server.get_packet_peer()?,
                    server.get_packet_mode()?,
                    server.get_packet_channel()?,
                );
                let packet = server.get_packet()?;
                server.set_target_peer(from);
                server.set_transfer_mode(mode);
                server.set_transfer_channel(channel);
                server.put_packet(&packet)?;
            }
            for client in clients.iter_mut() {
                client.poll()?;
                while client.get_available_packet_count() > 0 {
                    if client.get_packet()?[..] == round.to_le_bytes() {
                        back += 1;
                        echoed += 1;
                        total += started.elapsed();
                    }
                }
            }
        }
    }
    Ok((sent, echoed, total))
}

/// Repeats `step` until it returns true; fails after `DEADLINE`.
fn until(mut step: impl FnMut() -> Result<bool>) -> Result<()> {
    let start = Instant::now();
    while !step()? {
        if start.elapsed() > DEADLINE {
            return Err("the lobby did not get there in time".into());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}
