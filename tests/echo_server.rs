//! The `echo_server` example as other tools use it: its first stdout line, its echo (bytes,
//! channel, flags) to a client made with this crate, and exit status 2 on bad arguments.
//!
//! The example is built once per test binary with `cargo build --example echo_server` into the
//! same target directory, profile and target triple as this test.

mod common;

use common::{Pump, DEADLINE};
use enet::{Event, PacketPeer};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

/// The example binary, built on first use.
fn echo_server_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_example)
}

/// Builds the example where cargo put this test: `<target>/[<triple>/]<profile>/deps/<test>` →
/// `<target>/[<triple>/]<profile>/examples/echo_server`.
fn build_example() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from <profile>/deps");
    let profile = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .expect("profile directory name");
    let above = profile_dir.parent().expect("target directory");
    // Cargo marks a target directory with CACHEDIR.TAG, and its target-triple directories too:
    // `above` is a target-triple directory exactly when its parent is marked.
    let parent = above.parent().expect("a parent directory");
    let (target_dir, triple) = if parent.join("CACHEDIR.TAG").exists() {
        (parent, above.file_name())
    } else {
        (above, None)
    };

    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args([
            "build",
            "--quiet",
            "--example",
            "echo_server",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    match profile {
        "debug" => {}
        "release" => {
            cargo.arg("--release");
        }
        other => {
            cargo.args(["--profile", other]);
        }
    }
    if let Some(triple) = triple {
        cargo.arg("--target").arg(triple);
    }
    let output = cargo.output().expect("run cargo");
    assert!(
        output.status.success(),
        "{cargo:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let binary = profile_dir
        .join("examples")
        .join(format!("echo_server{}", std::env::consts::EXE_SUFFIX));
    assert!(binary.is_file(), "{} was not built", binary.display());
    binary
}

/// A running `echo_server`, killed on drop.
struct Server {
    child: Child,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Server {
    fn spawn(args: &[&str]) -> Server {
        let mut child = Command::new(echo_server_binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn echo_server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Server {
            child,
            stdout: receiver,
            stderr,
            stderr_reader: Some(stderr_reader),
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The next stdout line (panics at the deadline or at EOF).
    fn line(&self) -> String {
        self.stdout
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|e| panic!("no stdout line ({e}); stderr:\n{}", self.stderr()))
    }

    /// Every stdout line until the process exits, all of its stderr, and its exit status.
    fn finish(mut self) -> (Vec<String>, String, ExitStatus) {
        let deadline = Instant::now() + DEADLINE;
        let mut lines = Vec::new();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(remaining) {
                Ok(line) => lines.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    panic!("echo_server still running after {DEADLINE:?}: {lines:?}")
                }
            }
        }
        let status = self.child.wait().expect("wait for echo_server");
        if let Some(reader) = self.stderr_reader.take() {
            reader.join().expect("stderr reader");
        }
        (lines, self.stderr(), status)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses `listening on <ip>:<port>` for the expected ip, returning the port.
fn listening_port(line: &str, ip: &str) -> u16 {
    let port: u16 = line
        .strip_prefix(&format!("listening on {ip}:"))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("first line {line:?} is not `listening on {ip}:<port>`"));
    assert_ne!(port, 0, "the real bound port, not 0");
    assert_eq!(line, format!("listening on {ip}:{port}"));
    port
}

/// Connects a client of this crate to `port` with 3 channels and waits for the Connect event.
fn connect(client: &enet::Connection, port: u16) -> PacketPeer {
    connect_to(client, "127.0.0.1", port)
}

/// Connects a client of this crate to `address`:`port` with 3 channels and waits for Connect.
fn connect_to(client: &enet::Connection, address: &str, port: u16) -> PacketPeer {
    let peer = client
        .connect_to_host(address, i32::from(port), 3, 0)
        .expect("connect_to_host");
    let event = Pump::new(&[client]).next(0);
    assert_eq!(
        event,
        Event::Connect {
            peer: peer.clone(),
            data: 0
        }
    );
    peer
}

#[test]
fn first_line_is_listening_on_the_bind_ip_and_the_real_port() {
    let server = Server::spawn(&[
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--max-peers",
        "4",
        "--compress",
        "none",
    ]);
    let port = listening_port(&server.line(), "127.0.0.1");
    connect(&common::client(), port);
}

#[test]
fn wildcard_bind_by_default_prints_0_0_0_0_and_the_real_port() {
    let server = Server::spawn(&["--port", "0"]);
    let port = listening_port(&server.line(), "0.0.0.0");
    connect(&common::client(), port);
}

#[test]
fn every_packet_is_echoed_on_its_channel_with_its_flags() {
    let server = Server::spawn(&["--bind", "127.0.0.1", "--port", "0"]);
    let port = listening_port(&server.line(), "127.0.0.1");
    let client = common::client();
    let peer = connect(&client, port);
    // Throttle deceleration 0 (told to the server too): no unreliable packet is dropped by ENet's
    // throttle, whatever the loopback round-trip times.
    peer.throttle_configure(5000, 2, 0).unwrap();

    let kinds = [PacketPeer::FLAG_RELIABLE, PacketPeer::FLAG_UNSEQUENCED, 0];
    let mut sent = Vec::new();
    for channel in [0u8, 2] {
        for flags in kinds {
            let bytes = format!(
                "channel {channel} flags {flags}: {}",
                "x".repeat(usize::from(channel) * 10 + flags as usize)
            )
            .into_bytes();
            peer.send(i32::from(channel), &bytes, flags).unwrap();
            sent.push((channel, flags, bytes));
        }
    }

    let mut pump = Pump::new(&[&client]);
    let mut echoed = Vec::new();
    while echoed.len() < sent.len() {
        match pump.next(0) {
            Event::Receive {
                peer: from,
                channel,
            } => {
                assert_eq!(from, peer);
                let flags = from.get_packet_flags().unwrap();
                let packet = from.get_packet().unwrap();
                echoed.push((channel, flags, packet.to_vec()));
            }
            other => panic!(
                "expected an echo, got {other:?}; stderr:\n{}",
                server.stderr()
            ),
        }
    }
    sent.sort();
    echoed.sort();
    assert_eq!(echoed, sent);
}

#[test]
fn bad_arguments_exit_with_status_2_and_a_message_on_stderr() {
    let cases: [&[&str]; 10] = [
        &["--port", "65536"],
        &["--port", "x"],
        &["--port"],
        &["--bind", "localhost"],
        &["--bind", "300.1.1.1"],
        &["--max-peers", "0"],
        &["--max-peers", "4096"],
        &["--compress", "lz4"],
        &["--verbose"],
        &["7777"],
    ];
    for args in cases {
        let (stdout, stderr, status) = Server::spawn(args).finish();
        assert_eq!(status.code(), Some(2), "{args:?}: stderr {stderr:?}");
        assert_eq!(stdout, Vec::<String>::new(), "{args:?}");
        assert!(
            stderr.starts_with("echo_server: "),
            "{args:?}: stderr {stderr:?}"
        );
    }
}

#[test]
fn help_prints_the_usage_and_exits_0() {
    let (stdout, _, status) = Server::spawn(&["--help"]).finish();
    assert_eq!(status.code(), Some(0));
    assert_eq!(
        stdout.first().map(String::as_str),
        Some("usage: echo_server [--bind <ip>] [--port <n>] [--max-peers <n>] [--compress <mode>]")
    );
}

#[test]
fn compress_makes_the_server_speak_that_mode() {
    for (flag, mode) in [
        ("range-coder", enet::CompressionMode::RangeCoder),
        ("fastlz", enet::CompressionMode::Fastlz),
        ("zlib", enet::CompressionMode::Zlib),
        ("zstd", enet::CompressionMode::Zstd),
    ] {
        let server = Server::spawn(&["--bind", "127.0.0.1", "--port", "0", "--compress", flag]);
        let port = listening_port(&server.line(), "127.0.0.1");
        let client = common::client();
        client.compress(mode).unwrap();
        let peer = connect(&client, port);
        let message: Vec<u8> = b"echo me, compressed "
            .iter()
            .copied()
            .cycle()
            .take(600)
            .collect();
        peer.send(0, &message, PacketPeer::FLAG_RELIABLE).unwrap();
        let mut pump = Pump::new(&[&client]);
        match pump.next(0) {
            Event::Receive {
                peer: from,
                channel: 0,
            } => assert_eq!(&from.get_packet().unwrap()[..], &message[..]),
            other => panic!("--compress {flag}: expected the echo, got {other:?}"),
        }
    }
}

#[cfg(all(target_os = "linux", not(feature = "upstream-platform")))]
#[test]
fn ipv6_binds_print_bracketed_addresses_and_serve_ipv6_clients() {
    let server = Server::spawn(&["--bind", "::1", "--port", "0"]);
    let port = listening_port(&server.line(), "[::1]");
    connect_to(&common::client(), "::1", port);

    // `::` is dual-stack: IPv6 and IPv4 clients both reach it.
    let server = Server::spawn(&["--bind", "::", "--port", "0"]);
    let port = listening_port(&server.line(), "[::]");
    connect_to(&common::client(), "::1", port);
    connect_to(&common::client(), "127.0.0.1", port);
}
