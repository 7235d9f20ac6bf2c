//! An ENet echo server over the safe layer: every packet a peer sends comes back to it on the same
//! channel with the same packet flags, until the process is killed.
//!
//! ```sh
//! cargo run --example echo_server -- --bind 127.0.0.1 --port 0
//! ```
//!
//! Other tools rely on its command line and on its first stdout line, exactly
//! `listening on <ip>:<port>` with the real bound port (so `--port 0` can be used). Bad arguments
//! print a message on stderr and exit with status 2; `--help` prints the usage.

use enet::{CompressionMode, Connection, Event};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

const USAGE: &str = "\
usage: echo_server [--bind <ip>] [--port <n>] [--max-peers <n>] [--compress <mode>]

Echoes every received ENet packet to its sender, on the same channel with the same flags.

options:
  --bind <ip>         address to bind: an IPv4 literal or * for any (default *)
  --port <n>          UDP port, 0 = any free port (default 7777)
  --max-peers <n>     peer slots, 1..=4095 (default 32)
  --compress <mode>   none | range-coder | fastlz | zlib | zstd (default none);
                      clients must use the same mode
  -h, --help          print this help

The first line on stdout is `listening on <ip>:<port>` with the bound port.";

/// The `--compress` mode names (Godot's `CompressionMode` order).
fn parse_compression(name: &str) -> Option<CompressionMode> {
    Some(match name {
        "none" => CompressionMode::None,
        "range-coder" => CompressionMode::RangeCoder,
        "fastlz" => CompressionMode::Fastlz,
        "zlib" => CompressionMode::Zlib,
        "zstd" => CompressionMode::Zstd,
        _ => return None,
    })
}

struct Options {
    /// `None` for `*` (any address).
    bind: Option<IpAddr>,
    port: u16,
    max_peers: i32,
    compression: CompressionMode,
}

/// What the command line asks for.
enum Command {
    Run(Options),
    Help,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options {
        bind: None,
        port: 7777,
        max_peers: 32,
        compression: CompressionMode::None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--bind" => {
                let bind = value("--bind")?;
                options.bind =
                    if bind == "*" {
                        None
                    } else {
                        Some(bind.parse().map_err(|_| {
                            format!("--bind: {bind:?} is neither an IP address nor *")
                        })?)
                    };
            }
            "--port" => {
                let port = value("--port")?;
                options.port = port
                    .parse()
                    .map_err(|_| format!("--port: {port:?} is not a port number (0..=65535)"))?;
            }
            "--max-peers" => {
                let max_peers = value("--max-peers")?;
                options.max_peers = max_peers
                    .parse()
                    .ok()
                    .filter(|n| (1..=4095).contains(n))
                    .ok_or_else(|| format!("--max-peers: {max_peers:?} is not in 1..=4095"))?;
            }
            "--compress" => {
                let mode = value("--compress")?;
                options.compression = parse_compression(&mode).ok_or_else(|| {
                    format!(
                        "--compress: unknown mode {mode:?} \
                         (none, range-coder, fastlz, zlib or zstd)"
                    )
                })?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("echo_server: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let connection = Connection::new();
    let bind = options
        .bind
        .map_or_else(|| "*".to_owned(), |ip| ip.to_string());
    if let Err(e) =
        connection.create_host_bound(&bind, i32::from(options.port), options.max_peers, 0, 0, 0)
    {
        eprintln!(
            "echo_server: cannot create a host on {bind} port {}: {e}",
            options.port
        );
        return ExitCode::FAILURE;
    }
    if let Err(e) = connection.compress(options.compression) {
        eprintln!("echo_server: cannot set compression: {e}");
        return ExitCode::FAILURE;
    }
    let port = match connection.get_local_port() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("echo_server: cannot read the bound port: {e}");
            return ExitCode::FAILURE;
        }
    };

    // `*` is printed as the unspecified address; SocketAddr prints IPv6 as `[ip]:port`.
    let listening = SocketAddr::new(
        options.bind.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        port,
    );
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on {listening}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }

    loop {
        match connection.service(100) {
            Ok(Event::Receive { peer, channel }) => {
                // The flags of the queue head, then the packet itself.
                let Ok(flags) = peer.get_packet_flags() else {
                    continue;
                };
                let Ok(packet) = peer.get_packet() else {
                    continue;
                };
                // A peer that left meanwhile just misses its echo.
                let _ = peer.send(i32::from(channel), &packet, flags);
            }
            Ok(_) => {}
            Err(e) => {
                eprintln!("echo_server: service failed: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
}
