//! The command line of `examples/multiplayer_server.rs`, which other tools rely on: its
//! arguments, its exit status on bad arguments, its output lines, the echo, `--max-clients` and
//! `--refuse`.

mod common;

use common::DEADLINE;
use enet::{ConnectionStatus, Event, MultiplayerEvent, MultiplayerPeer, TransferMode};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// The example's binary, built first with the cargo and profile running this test (a no-op when
/// `cargo test` already built the examples), so the test never runs a stale binary.
fn server_binary() -> PathBuf {
    let profile_dir = std::env::current_exe()
        .unwrap()
        .parent() // deps
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    let mut build = Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "--example", "multiplayer_server"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "building the example");
    profile_dir.join("examples").join("multiplayer_server")
}

/// A running server and its stdout lines; killed when dropped.
struct Server {
    child: Child,
    lines: Receiver<String>,
}

impl Server {
    fn start(args: &[&str]) -> (Server, i32) {
        let mut child = Command::new(server_binary())
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if send.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, lines };
        let first = server.line();
        let address = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line {first:?}"));
        let (ip, port) = address.rsplit_once(':').unwrap();
        assert_eq!(ip, "0.0.0.0", "the bind IP \"*\" prints as 0.0.0.0");
        let port: i32 = port.parse().unwrap();
        assert_ne!(port, 0);
        (server, port)
    }

    fn line(&mut self) -> String {
        self.lines
            .recv_timeout(DEADLINE)
            .expect("a line from the server")
    }

    /// Lines printed so far, without waiting.
    fn pending(&mut self) -> Vec<String> {
        self.lines.try_iter().collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `client` until `done` holds (panics after the deadline).
fn poll_until(client: &mut MultiplayerPeer, mut done: impl FnMut(&mut MultiplayerPeer) -> bool) {
    let start = Instant::now();
    while !done(client) {
        assert!(start.elapsed() < DEADLINE, "not within {DEADLINE:?}");
        client.poll().unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn bad_arguments_exit_with_status_2() {
    let binary = server_binary();
    for args in [
        &["--port"][..],
        &["--port", "x"],
        &["--port", "65536"],
        &["--port", "-1"],
        &["--max-clients", "0"],
        &["--max-clients", "4096"],
        &["--max-clients"],
        &["--bogus"],
        &["7777"],
    ] {
        let output = Command::new(&binary).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn prints_connections_and_echoes_in_the_same_mode_and_channel() {
    let (mut server, port) = Server::start(&["--port", "0", "--max-clients", "1"]);
    let mut client = MultiplayerPeer::new();
    client.create_client("127.0.0.1", port, 0, 0, 0, 0).unwrap();
    let id = client.get_unique_id().unwrap();
    poll_until(&mut client, |c| {
        c.get_connection_status() == ConnectionStatus::Connected
    });
    assert_eq!(server.line(), format!("peer_connected {id}"));

    let cases = [
        (TransferMode::Reliable, 0),
        (TransferMode::Unreliable, 0),
        (TransferMode::UnreliableOrdered, 0),
        (TransferMode::Reliable, 3),
        (TransferMode::Unreliable, 3),
        (TransferMode::UnreliableOrdered, 250),
    ];
    for (i, (mode, channel)) in cases.into_iter().enumerate() {
        client.set_transfer_mode(mode);
        client.set_transfer_channel(channel);
        client.put_packet(&[i as u8; 5]).unwrap();
        poll_until(&mut client, |c| c.get_available_packet_count() > 0);
        assert_eq!(client.get_packet_peer(), Ok(1));
        assert_eq!(client.get_packet_mode(), Ok(mode), "case {i}");
        assert_eq!(client.get_packet_channel(), Ok(channel), "case {i}");
        assert_eq!(&client.get_packet().unwrap()[..], &[i as u8; 5]);
    }

    // --max-clients 1: a second client finds no slot and gives up (short timeout).
    let mut second = MultiplayerPeer::new();
    second.create_client("127.0.0.1", port, 0, 0, 0, 0).unwrap();
    second
        .get_peer(1)
        .unwrap()
        .set_timeout(1, 200, 400)
        .unwrap();
    poll_until(&mut second, |c| {
        c.get_connection_status() == ConnectionStatus::Disconnected
    });
    assert!(server.pending().is_empty());

    client.close();
    assert_eq!(server.line(), format!("peer_disconnected {id}"));
}

#[test]
fn refuse_tells_clients_at_once() {
    let (mut server, port) = Server::start(&["--refuse", "--port", "0"]);
    let connection = common::client();
    connection
        .connect_to_host("127.0.0.1", port, 0, 1234)
        .unwrap();
    let start = Instant::now();
    let event = loop {
        assert!(start.elapsed() < DEADLINE);
        match connection.service(1).unwrap() {
            Event::None => {}
            event => break event,
        }
    };
    assert!(
        matches!(
            event,
            Event::Disconnect {
                data: MultiplayerPeer::DISCONNECT_REFUSED,
                ..
            }
        ),
        "{event:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );

    let mut client = MultiplayerPeer::new();
    client.create_client("127.0.0.1", port, 0, 0, 0, 0).unwrap();
    let mut events = Vec::new();
    poll_until(&mut client, |c| {
        events.extend(c.poll().unwrap_or_default());
        c.get_connection_status() == ConnectionStatus::Disconnected
    });
    assert_eq!(events, Vec::<MultiplayerEvent>::new());
    assert!(server.pending().is_empty());
}
