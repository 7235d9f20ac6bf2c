//! Interoperability with a separately built reference C peer: `tests/c/peer.c` compiled with the
//! pristine upstream ENet 1.3.18 (its protocol files and its own `unix.c`, the upstream Linux
//! defines) by the system C compiler, run as a child process.
//!
//! Both topologies (our server with a C client, a C server with our client) for: every packet
//! kind in each direction with exact bytes, channels and flags; graceful disconnects started by
//! either side carrying data 42; abrupt disconnects (`disconnect_now`) from either side.
//! `peer.c`'s header documents its script and output lines.
#![cfg(unix)]

mod common;

use common::DEADLINE;
use enet::{Connection, Event, PacketPeer};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// The channel count both sides use.
const CHANNELS: i32 = 4;
/// The packet that makes the C peer disconnect: one byte 0xFF, reliable, on channel 0.
const QUIT: [u8; 1] = [0xFF];
/// The disconnect data the C peer sends, and the data we send it.
const DISCONNECT_DATA: u32 = 42;
/// ENet's default throttle interval and acceleration, with deceleration 0: unreliable packets are
/// then never dropped by the throttle, whatever the loopback round-trip times (peer.c does the
/// same on its side).
const THROTTLE: (u32, u32, u32) = (5000, 2, 0);

/// Upstream's Linux defines (upstream-enet.md §2.6), used on Linux as the top-level build.rs does
/// (elsewhere unix.c picks its own).
const LINUX_DEFINES: [&str; 10] = [
    "HAS_FCNTL",
    "HAS_POLL",
    "HAS_GETADDRINFO",
    "HAS_GETNAMEINFO",
    "HAS_GETHOSTBYNAME_R",
    "HAS_GETHOSTBYADDR_R",
    "HAS_INET_PTON",
    "HAS_INET_NTOP",
    "HAS_MSGHDR_FLAGS",
    "HAS_SOCKLEN_T",
];

/// Upstream's sources: the protocol files and the Unix platform layer (not this crate's).
const ENET_SOURCES: [&str; 8] = [
    "callbacks.c",
    "compress.c",
    "host.c",
    "list.c",
    "packet.c",
    "peer.c",
    "protocol.c",
    "unix.c",
];

// ---------------------------------------------------------------------------------------------
// The packet set (identical to peer.c's `packet_set`).

/// One packet of the set: byte `i` of its payload is `(i * 7 + seq) & 0xFF`.
struct Spec {
    seq: usize,
    channel: u8,
    flags: i32,
    len: usize,
}

/// The C peer sends these (seq 1..=5); we send the same kinds with seq + [`OUR_SEQ`].
const SET: [Spec; 5] = [
    Spec {
        seq: 1,
        channel: 0,
        flags: PacketPeer::FLAG_RELIABLE,
        len: 100,
    },
    Spec {
        seq: 2,
        channel: 1,
        flags: 0,
        len: 200,
    },
    Spec {
        seq: 3,
        channel: 1,
        flags: PacketPeer::FLAG_UNSEQUENCED,
        len: 300,
    },
    Spec {
        seq: 4,
        channel: 3,
        flags: PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
        len: 4000,
    },
    Spec {
        seq: 5,
        channel: 0,
        flags: PacketPeer::FLAG_RELIABLE,
        len: 100_000,
    },
];

/// Our packets differ from the C peer's in content: seq offset 100.
const OUR_SEQ: usize = 100;

/// A packet as sent or received: channel, ENet flags, bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Got {
    channel: u8,
    flags: i32,
    bytes: Vec<u8>,
}

impl Got {
    fn of(spec: &Spec, seq_offset: usize) -> Got {
        let seq = spec.seq + seq_offset;
        Got {
            channel: spec.channel,
            flags: spec.flags,
            bytes: (0..spec.len)
                .map(|i| ((i * 7 + seq) & 0xFF) as u8)
                .collect(),
        }
    }

    /// The packet as peer.c reports it: `recv channel=<c> flags=<f> len=<n> crc=<crc32>`.
    fn line(&self) -> String {
        format!(
            "recv channel={} flags={} len={} crc={:08x}",
            self.channel,
            self.flags,
            self.bytes.len(),
            crc32(&self.bytes)
        )
    }
}

/// The set with `seq_offset`, sorted.
fn packet_set(seq_offset: usize) -> Vec<Got> {
    let mut set: Vec<Got> = SET.iter().map(|spec| Got::of(spec, seq_offset)).collect();
    set.sort();
    set
}

/// IEEE CRC-32 (zlib's `crc32`), as peer.c prints it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// Asserts `got` is exactly `expected` as a multiset (the summaries first, for a readable
/// failure, then the bytes).
fn assert_same_packets(mut got: Vec<Got>, expected: Vec<Got>, transcript: &str) {
    got.sort();
    let lines = |packets: &[Got]| packets.iter().map(Got::line).collect::<Vec<_>>();
    assert_eq!(lines(&got), lines(&expected), "{transcript}");
    assert!(
        got == expected,
        "same summaries, different bytes\n{transcript}"
    );
}

// ---------------------------------------------------------------------------------------------
// Building and running the C peer.

/// The C peer, compiled once per test binary into `CARGO_TARGET_TMPDIR`.
fn peer_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_peer)
}

fn build_peer() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vendor = root.join("vendor/enet");
    let include = vendor.join("include");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_interop");
    // A private build directory, then an atomic rename: concurrent builds never see half a file.
    let work = dir.join(format!("build-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("create the C build directory");
    let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());

    // Upstream ENet as upstream builds it (warnings are upstream's business, as in build.rs).
    let mut enet = Command::new(&cc);
    enet.current_dir(&work)
        .args(["-c", "-O2", "-I"])
        .arg(&include);
    if cfg!(any(target_os = "linux", target_os = "android")) {
        for define in LINUX_DEFINES {
            enet.arg(format!("-D{define}=1"));
        }
    }
    for source in ENET_SOURCES {
        enet.arg(vendor.join(source));
    }
    run_compiler(enet, "compiling vendor/enet");

    // The peer itself: strict C99, warning-free.
    let mut peer = Command::new(&cc);
    peer.current_dir(&work)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-O2",
            "-I",
        ])
        .arg(&include)
        .arg(root.join("tests/c/peer.c"));
    for source in ENET_SOURCES {
        peer.arg(source.replace(".c", ".o"));
    }
    peer.args(["-o", "peer"]);
    run_compiler(peer, "compiling tests/c/peer.c");

    let binary = dir.join("peer");
    std::fs::rename(work.join("peer"), &binary).expect("move the C peer into place");
    let _ = std::fs::remove_dir_all(&work);
    binary
}

fn run_compiler(mut command: Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run the C compiler ({command:?}): {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({command:?}):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A running C peer, killed on drop. Its stdout lines arrive through a channel.
struct CPeer {
    child: Child,
    stdout: Receiver<String>,
    lines: Vec<String>,
    eof: bool,
    stderr: Arc<Mutex<String>>,
}

impl CPeer {
    fn spawn(args: &[&str]) -> CPeer {
        let mut child = Command::new(peer_binary())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the C peer");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        CPeer {
            child,
            stdout: forward_lines(stdout),
            lines: Vec::new(),
            eof: false,
            stderr,
        }
    }

    /// Takes the lines printed so far.
    fn poll(&mut self) {
        loop {
            match self.stdout.try_recv() {
                Ok(line) => self.lines.push(line),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    self.eof = true;
                    break;
                }
            }
        }
    }

    /// The port of a C server, from its first line `listening on 127.0.0.1:<port>`.
    fn listening_port(&mut self) -> i32 {
        let line = match self.stdout.recv_timeout(DEADLINE) {
            Ok(line) => line,
            Err(e) => panic!(
                "no first line from the C server ({e})\n{}",
                self.transcript()
            ),
        };
        self.lines.push(line.clone());
        let port = line
            .strip_prefix("listening on 127.0.0.1:")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}\n{}", self.transcript()));
        assert_ne!(port, 0, "{}", self.transcript());
        port
    }

    fn has_line(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }

    fn recv_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .filter(|l| l.starts_with("recv "))
            .cloned()
            .collect();
        lines.sort();
        lines
    }

    fn transcript(&self) -> String {
        format!(
            "--- C peer stdout ---\n{}\n--- C peer stderr ---\n{}",
            self.lines.join("\n"),
            self.stderr.lock().unwrap()
        )
    }
}

impl Drop for CPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Forwards `stdout` line by line into a channel (closed at EOF).
fn forward_lines(stdout: ChildStdout) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

// ---------------------------------------------------------------------------------------------
// A session: our connection and a connected C peer.

#[derive(Debug, Clone, Copy)]
enum Topology {
    /// Our `create_host_bound` server, a C client.
    OurServer,
    /// A C server, our `create_host` client.
    OurClient,
}

struct Session {
    conn: Connection,
    c: CPeer,
    /// Our handle of the C peer, once connected.
    peer: Option<PacketPeer>,
    connects: Vec<(PacketPeer, u32)>,
    received: Vec<Got>,
    disconnects: Vec<u32>,
}

impl Session {
    /// Connects our side and a C peer run with `c_options`, and waits until both sides report the
    /// connection (so nothing either side does next can race the handshake).
    fn start(topology: Topology, c_options: &[&str]) -> Session {
        let (conn, c, outgoing) = match topology {
            Topology::OurServer => {
                let (server, port) = common::server(8, 0);
                let port = port.to_string();
                let c = CPeer::spawn(&[c_options, &["client", "127.0.0.1", &port]].concat());
                (server, c, None)
            }
            Topology::OurClient => {
                let mut c = CPeer::spawn(&[c_options, &["server", "0"]].concat());
                let port = c.listening_port();
                let client = common::client();
                let peer = client
                    .connect_to_host("127.0.0.1", port, CHANNELS, 0)
                    .expect("connect_to_host");
                (client, c, Some(peer))
            }
        };
        let mut session = Session {
            conn,
            c,
            peer: None,
            connects: Vec::new(),
            received: Vec::new(),
            disconnects: Vec::new(),
        };
        session.until("both sides connected", |s| {
            !s.connects.is_empty() && s.c.has_line("connect data=0")
        });
        let (peer, data) = session.connects.remove(0);
        assert_eq!(data, 0);
        if let Some(outgoing) = outgoing {
            assert_eq!(
                peer, outgoing,
                "the Connect event names the connecting handle"
            );
        }
        assert_eq!(peer.get_channels().unwrap(), CHANNELS as usize);
        let (interval, acceleration, deceleration) = THROTTLE;
        peer.throttle_configure(interval, acceleration, deceleration)
            .unwrap();
        session.peer = Some(peer);
        session
    }

    fn peer(&self) -> &PacketPeer {
        self.peer.as_ref().expect("connected")
    }

    /// Services our connection until it has nothing more (1 ms waits), recording events, and
    /// takes the C peer's new lines.
    fn step(&mut self) {
        loop {
            match self.conn.service(1).expect("service") {
                Event::None => break,
                Event::Connect { peer, data } => self.connects.push((peer, data)),
                Event::Receive { peer, channel } => {
                    let flags = peer.get_packet_flags().expect("get_packet_flags");
                    let packet = peer.get_packet().expect("get_packet");
                    self.received.push(Got {
                        channel,
                        flags,
                        bytes: packet.to_vec(),
                    });
                }
                Event::Disconnect { data, .. } => self.disconnects.push(data),
            }
        }
        self.c.poll();
    }

    /// Steps until `done` holds; panics with the C peer's transcript at the deadline.
    fn until(&mut self, what: &str, mut done: impl FnMut(&Session) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: not within {DEADLINE:?} (received {} packets, disconnects {:?})\n{}",
                self.received.len(),
                self.disconnects,
                self.c.transcript()
            );
            self.step();
        }
    }

    /// Waits (still servicing our side) until the C peer exits, and returns its status.
    fn c_exit(&mut self) -> ExitStatus {
        self.until("the C peer exits", |s| s.c.eof);
        self.c.child.wait().expect("wait for the C peer")
    }

    /// Sends [`QUIT`], which makes the C peer disconnect.
    fn send_quit(&self) {
        self.peer()
            .send(0, &QUIT, PacketPeer::FLAG_RELIABLE)
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Behaviours, each in both topologies.

fn c_packets_arrive_with_exact_bytes_channel_and_flags(topology: Topology) {
    let mut s = Session::start(topology, &[]);
    s.until("the C peer's five packets", |s| {
        s.received.len() >= SET.len()
    });
    // Kinds as received: reliable 1, unreliable 0, unsequenced 2, unreliable fragments 8, and
    // the 100,000-byte reliable packet 1 (reliable fragments).
    let transcript = s.c.transcript();
    assert_same_packets(std::mem::take(&mut s.received), packet_set(0), &transcript);
}

#[test]
fn c_client_packets_of_every_kind_reach_our_server_with_exact_bytes_channel_and_flags() {
    c_packets_arrive_with_exact_bytes_channel_and_flags(Topology::OurServer);
}

#[test]
fn c_server_packets_of_every_kind_reach_our_client_with_exact_bytes_channel_and_flags() {
    c_packets_arrive_with_exact_bytes_channel_and_flags(Topology::OurClient);
}

fn our_packets_reach_the_c_peer_and_echo_back_exactly(topology: Topology) {
    let mut s = Session::start(topology, &["--no-send"]);
    let ours = packet_set(OUR_SEQ);
    for packet in &ours {
        s.peer()
            .send(i32::from(packet.channel), &packet.bytes, packet.flags)
            .unwrap();
    }
    s.until("five packets and their five echoes", |s| {
        s.c.recv_lines().len() >= ours.len() && s.received.len() >= ours.len()
    });
    // What the C peer received: exact lengths, channels, flags (as ENet delivered them) and CRCs.
    let expected_lines: Vec<String> = ours.iter().map(Got::line).collect();
    assert_eq!(s.c.recv_lines(), expected_lines, "{}", s.c.transcript());
    // What it echoed (same channel, same flags) arrives back byte for byte.
    let transcript = s.c.transcript();
    assert_same_packets(std::mem::take(&mut s.received), ours, &transcript);
}

#[test]
fn our_server_packets_of_every_kind_reach_the_c_client_and_echo_back_exactly() {
    our_packets_reach_the_c_peer_and_echo_back_exactly(Topology::OurServer);
}

#[test]
fn our_client_packets_of_every_kind_reach_the_c_server_and_echo_back_exactly() {
    our_packets_reach_the_c_peer_and_echo_back_exactly(Topology::OurClient);
}

fn c_graceful_disconnect_delivers_its_data(topology: Topology) {
    let mut s = Session::start(topology, &["--no-send"]);
    s.send_quit();
    s.until("our Disconnect event", |s| !s.disconnects.is_empty());
    assert_eq!(s.disconnects, [DISCONNECT_DATA], "{}", s.c.transcript());
    assert!(!s.peer().is_active());
    let status = s.c_exit();
    assert_eq!(status.code(), Some(0), "{}", s.c.transcript());
    assert!(
        s.c.has_line("disconnecting data=42"),
        "{}",
        s.c.transcript()
    );
    // The initiator's own DISCONNECT event carries 0 (ENet's notify_disconnect).
    assert_eq!(
        s.c.lines.last().map(String::as_str),
        Some("disconnect data=0"),
        "{}",
        s.c.transcript()
    );
}

#[test]
fn c_client_graceful_disconnect_reaches_our_server_with_data_42() {
    c_graceful_disconnect_delivers_its_data(Topology::OurServer);
}

#[test]
fn c_server_graceful_disconnect_reaches_our_client_with_data_42() {
    c_graceful_disconnect_delivers_its_data(Topology::OurClient);
}

fn our_graceful_disconnect_delivers_our_data(topology: Topology) {
    let mut s = Session::start(topology, &["--no-send"]);
    s.peer().peer_disconnect(DISCONNECT_DATA).unwrap();
    s.until("our Disconnect event", |s| !s.disconnects.is_empty());
    // The initiator's DISCONNECT event carries 0; the remote's carries our data.
    assert_eq!(s.disconnects, [0], "{}", s.c.transcript());
    let status = s.c_exit();
    assert_eq!(status.code(), Some(0), "{}", s.c.transcript());
    assert_eq!(
        s.c.lines.last().map(String::as_str),
        Some("disconnect data=42"),
        "{}",
        s.c.transcript()
    );
}

#[test]
fn our_server_graceful_disconnect_reaches_the_c_client_with_data_42() {
    our_graceful_disconnect_delivers_our_data(Topology::OurServer);
}

#[test]
fn our_client_graceful_disconnect_reaches_the_c_server_with_data_42() {
    our_graceful_disconnect_delivers_our_data(Topology::OurClient);
}

fn our_disconnect_now_is_seen_by_the_c_peer(topology: Topology) {
    let mut s = Session::start(topology, &["--no-send"]);
    s.peer().peer_disconnect_now(DISCONNECT_DATA).unwrap();
    assert!(!s.peer().is_active());
    let status = s.c_exit();
    assert_eq!(status.code(), Some(0), "{}", s.c.transcript());
    assert_eq!(
        s.c.lines.last().map(String::as_str),
        Some("disconnect data=42"),
        "{}",
        s.c.transcript()
    );
    // disconnect_now generates no local event.
    assert!(s.disconnects.is_empty());
}

#[test]
fn our_server_disconnect_now_gives_the_c_client_a_disconnect_event() {
    our_disconnect_now_is_seen_by_the_c_peer(Topology::OurServer);
}

#[test]
fn our_client_disconnect_now_gives_the_c_server_a_disconnect_event() {
    our_disconnect_now_is_seen_by_the_c_peer(Topology::OurClient);
}

fn c_disconnect_now_gives_us_a_disconnect_event(topology: Topology) {
    let mut s = Session::start(topology, &["--no-send", "--abrupt"]);
    s.send_quit();
    s.until("our Disconnect event", |s| !s.disconnects.is_empty());
    assert_eq!(s.disconnects, [DISCONNECT_DATA], "{}", s.c.transcript());
    assert!(!s.peer().is_active());
    let status = s.c_exit();
    assert_eq!(status.code(), Some(0), "{}", s.c.transcript());
    assert_eq!(
        s.c.lines.last().map(String::as_str),
        Some("disconnected now data=42"),
        "{}",
        s.c.transcript()
    );
}

#[test]
fn c_client_disconnect_now_gives_our_server_a_disconnect_event_with_data_42() {
    c_disconnect_now_gives_us_a_disconnect_event(Topology::OurServer);
}

#[test]
fn c_server_disconnect_now_gives_our_client_a_disconnect_event_with_data_42() {
    c_disconnect_now_gives_us_a_disconnect_event(Topology::OurClient);
}

#[test]
fn crc32_is_the_ieee_crc_the_c_peer_prints() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}
