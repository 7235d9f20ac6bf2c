//! A Godot 4-compatible echo server on [`enet::MultiplayerPeer`]: Godot clients
//! (`ENetMultiplayerPeer.create_client`) and `multiplayer_client` connect to it, and every packet
//! is sent back to its sender in the same transfer mode on the same transfer channel.
//!
//! ```text
//! cargo run --example multiplayer_server -- [--port <n>] [--max-clients <n>] [--refuse]
//! ```
//!
//! * `--port <n>`: UDP port, 0 = any free port (default 7777);
//! * `--max-clients <n>`: 1..=4095 (default 32, Godot's default);
//! * `--refuse`: refuse every new client (each is told at once with an ENet DISCONNECT whose data
//!   is `MultiplayerPeer::DISCONNECT_REFUSED`).
//!
//! Output, one line each, flushed as it happens (other tools read it):
//!
//! ```text
//! listening on <ip>:<port>      (first line; the bind IP "*" prints as 0.0.0.0)
//! peer_connected <id>
//! peer_disconnected <id>
//! ```
//!
//! Runs until killed. Exit status 2 on bad arguments (usage on stderr), 1 if the server cannot
//! be created or stdout is closed.

use enet::{MultiplayerEvent, MultiplayerPeer};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: multiplayer_server [--port <n>] [--max-clients <n>] [--refuse]";

struct Args {
    port: i32,
    max_clients: i32,
    refuse: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 7777,
        max_clients: 32,
        refuse: false,
    };
    while let Some(arg) = args.next() {
        let mut number = |range: std::ops::RangeInclusive<i32>| {
            let value = args.next().ok_or(format!("{arg} needs a value"))?;
            value
                .parse()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or(format!("{arg}: {value:?} is not a number in {range:?}"))
        };
        match arg.as_str() {
            "--port" => parsed.port = number(0..=65535)?,
            "--max-clients" => parsed.max_clients = number(1..=4095)?,
            "--refuse" => parsed.refuse = true,
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("multiplayer_server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: &Args) -> Result<(), String> {
    let mut server = MultiplayerPeer::new();
    server
        .create_server(args.port, args.max_clients, 0, 0, 0)
        .map_err(|e| format!("create_server: {e} (Godot error {})", e.code()))?;
    // After create_server, which resets it (as in Godot).
    server.set_refuse_new_connections(args.refuse);
    let host = server.get_host().map_err(|e| e.to_string())?;
    let ip = host.get_local_address().map_err(|e| e.to_string())?;
    let port = host.get_local_port().map_err(|e| e.to_string())?;

    let mut out = std::io::stdout().lock();
    let mut say = |line: String| {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| format!("stdout: {e}"))
    };
    // The wildcard (a dual-stack `::` socket) prints as 0.0.0.0, as echo_server does; any other
    // IPv6 address would print as [ip]:port.
    let shown = if ip.is_unspecified() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        ip
    };
    say(format!("listening on {}", SocketAddr::new(shown, port)))?;
    loop {
        for event in server.poll().map_err(|e| format!("poll: {e}"))? {
            say(match event {
                MultiplayerEvent::PeerConnected(id) => format!("peer_connected {id}"),
                MultiplayerEvent::PeerDisconnected(id) => format!("peer_disconnected {id}"),
            })?;
        }
        while let Ok(from) = server.get_packet_peer() {
            let (mode, channel) = (server.get_packet_mode(), server.get_packet_channel());
            let packet = server.get_packet().map_err(|e| e.to_string())?;
            server.set_target_peer(from);
            server.set_transfer_mode(mode.map_err(|e| e.to_string())?);
            server.set_transfer_channel(channel.map_err(|e| e.to_string())?);
            if let Err(e) = server.put_packet(&packet) {
                eprintln!("echo to {from} failed: {e}");
            }
        }
        // poll() never blocks: pace the loop.
        std::thread::sleep(Duration::from_millis(1));
    }
}
