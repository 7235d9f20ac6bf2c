//! A Godot 4-compatible client on [`enet::MultiplayerPeer`]: connects to `multiplayer_server` (or
//! to a Godot 4 `ENetMultiplayerPeer` server that echoes), sends a few messages in every transfer
//! mode on transfer channels 0 and 1, prints the echoes, and exits.
//!
//! ```text
//! cargo run --example multiplayer_server &
//! cargo run --example multiplayer_client -- [--address <ip or name>] [--port <n>]
//! ```
//!
//! Defaults: 127.0.0.1, port 7777. Exit status 0 when every reliable message came back, 1
//! otherwise (unreliable ones may be lost), 2 on bad arguments.

use enet::{ConnectionStatus, MultiplayerEvent, MultiplayerPeer, TransferMode};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str = "usage: multiplayer_client [--address <ip or name>] [--port <n>]";
const MODES: [TransferMode; 3] = [
    TransferMode::Reliable,
    TransferMode::UnreliableOrdered,
    TransferMode::Unreliable,
];

fn parse(mut args: impl Iterator<Item = String>) -> Result<(String, i32), String> {
    let (mut address, mut port) = ("127.0.0.1".to_owned(), 7777);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--address" => address = value,
            "--port" => {
                port = value
                    .parse()
                    .ok()
                    .filter(|p| (1..=65535).contains(p))
                    .ok_or(format!("--port: {value:?} is not a port"))?
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok((address, port))
}

fn main() -> ExitCode {
    let (address, port) = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&address, port) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("multiplayer_client: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Polls until `done` holds or `timeout` passes; false on timeout or disconnection.
fn poll_until(
    client: &mut MultiplayerPeer,
    timeout: Duration,
    mut done: impl FnMut(&mut MultiplayerPeer) -> bool,
) -> Result<bool, String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        for event in client.poll().map_err(|e| format!("poll: {e}"))? {
            match event {
                MultiplayerEvent::PeerConnected(id) => println!("connected to server {id}"),
                MultiplayerEvent::PeerDisconnected(id) => println!("server {id} disconnected"),
            }
        }
        if client.get_connection_status() == ConnectionStatus::Disconnected {
            return Ok(false);
        }
        if done(client) {
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(false)
}

fn run(address: &str, port: i32) -> Result<bool, String> {
    let mut client = MultiplayerPeer::new();
    client
        .create_client(address, port, 0, 0, 0, 0)
        .map_err(|e| format!("create_client: {e}"))?;
    println!(
        "connecting to {address}:{port} as {}",
        client.get_unique_id().map_err(|e| e.to_string())?
    );
    let connected = poll_until(&mut client, Duration::from_secs(5), |c| {
        c.get_connection_status() == ConnectionStatus::Connected
    })?;
    if !connected {
        println!("no connection");
        return Ok(false);
    }

    let mut reliable_pending = 0;
    client.set_target_peer(MultiplayerPeer::TARGET_PEER_SERVER);
    for (i, mode) in MODES.into_iter().enumerate() {
        for channel in [0, 1] {
            let message = format!("message {i}.{channel}: {mode:?} on channel {channel}");
            client.set_transfer_mode(mode);
            client.set_transfer_channel(channel);
            client
                .put_packet(message.as_bytes())
                .map_err(|e| format!("put_packet: {e}"))?;
            if mode == TransferMode::Reliable {
                reliable_pending += 1;
            }
        }
    }
    let mut echoes = 0;
    poll_until(&mut client, Duration::from_secs(3), |c| {
        while let (Ok(mode), Ok(channel), Ok(packet)) =
            (c.get_packet_mode(), c.get_packet_channel(), c.get_packet())
        {
            echoes += 1;
            if mode == TransferMode::Reliable {
                reliable_pending -= 1;
            }
            println!(
                "echo ({mode:?}, channel {channel}): {}",
                String::from_utf8_lossy(&packet)
            );
        }
        echoes == MODES.len() * 2
    })?;
    println!("{echoes} of {} echoes", MODES.len() * 2);
    client.close();
    Ok(reliable_pending == 0)
}
