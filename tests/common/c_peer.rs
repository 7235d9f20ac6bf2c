//! The harness shared by the interop tests against real C ENet peers (`tests/c_interop.rs`: the
//! vendored upstream 1.3.18; `tests/libenet_interop.rs`: Debian's system libenet 1.3.17): building
//! `tests/c/peer.c` against either library, running it as a child process (killed on drop),
//! parsing its output lines, the packet set both sides exchange, and the matrix of behaviours each
//! test file runs against its own binary. `peer.c`'s header documents the child's script and
//! output lines.
//!
//! Included with `#[path = "common/c_peer.rs"] mod c_peer;` next to `mod common;`.
#![allow(dead_code)]

use crate::common::{self, DEADLINE};
use enet::{Connection, Event, PacketPeer};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The channel count both sides use.
pub const CHANNELS: i32 = 4;
/// The packet that makes the C peer disconnect: one byte 0xFF, reliable, on channel 0.
pub const QUIT: [u8; 1] = [0xFF];
/// The disconnect data the C peer sends, and the data we send it.
pub const DISCONNECT_DATA: u32 = 42;
/// ENet's default throttle interval and acceleration, with deceleration 0: unreliable packets are
/// then never dropped by the throttle, whatever the loopback round-trip times (peer.c does the
/// same on its side).
pub const THROTTLE: (u32, u32, u32) = (5000, 2, 0);

/// Upstream's Linux defines (upstream-enet.md §2.6), one per line, used on Linux as the top-level
/// build.rs uses them for `unix.c` (elsewhere unix.c picks its own).
const LINUX_DEFINES: &str = include_str!("../../enet-sys/linux-defines.txt");

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
pub struct Spec {
    pub seq: usize,
    pub channel: u8,
    pub flags: i32,
    pub len: usize,
}

/// The C peer sends these (seq 1..=5); we send the same kinds with seq + [`OUR_SEQ`].
pub const SET: [Spec; 5] = [
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
pub const OUR_SEQ: usize = 100;

/// A packet as sent or received: channel, ENet flags, bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Got {
    pub channel: u8,
    pub flags: i32,
    pub bytes: Vec<u8>,
}

impl Got {
    pub fn of(spec: &Spec, seq_offset: usize) -> Got {
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
    pub fn line(&self) -> String {
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
pub fn packet_set(seq_offset: usize) -> Vec<Got> {
    let mut set: Vec<Got> = SET.iter().map(|spec| Got::of(spec, seq_offset)).collect();
    set.sort();
    set
}

/// IEEE CRC-32 (zlib's `crc32`), as peer.c prints it.
pub fn crc32(bytes: &[u8]) -> u32 {
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
pub fn assert_same_packets(mut got: Vec<Got>, expected: Vec<Got>, transcript: &str) {
    got.sort();
    let lines = |packets: &[Got]| packets.iter().map(Got::line).collect::<Vec<_>>();
    assert_eq!(lines(&got), lines(&expected), "{transcript}");
    assert!(
        got == expected,
        "same summaries, different bytes\n{transcript}"
    );
}

// ---------------------------------------------------------------------------------------------
// Building the C peer.

/// A private build directory under `CARGO_TARGET_TMPDIR/<name>` (then an atomic rename of the
/// result: concurrent builds never see half a file).
fn build_dir(name: &str) -> (PathBuf, PathBuf) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let work = dir.join(format!("build-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("create the C build directory");
    (dir, work)
}

fn c_compiler() -> std::ffi::OsString {
    std::env::var_os("CC").unwrap_or_else(|| "cc".into())
}

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn install(dir: &Path, work: &Path, name: &str) -> PathBuf {
    let binary = dir.join(name);
    std::fs::rename(work.join(name), &binary).expect("move the C program into place");
    let _ = std::fs::remove_dir_all(work);
    binary
}

/// `tests/c/peer.c` compiled with the pristine upstream ENet 1.3.18 of `vendor/enet` (its
/// protocol files and its own `unix.c`, upstream's Linux defines), not this crate's build.
pub fn build_vendored_peer() -> PathBuf {
    let vendor = repository().join("vendor/enet");
    let include = vendor.join("include");
    let (dir, work) = build_dir("c_interop");
    let cc = c_compiler();

    // Upstream ENet as upstream builds it (warnings are upstream's business, as in build.rs).
    let mut enet = Command::new(&cc);
    enet.current_dir(&work)
        .args(["-c", "-O2", "-I"])
        .arg(&include);
    if cfg!(any(target_os = "linux", target_os = "android")) {
        let defines = LINUX_DEFINES.lines().map(str::trim);
        for define in defines.filter(|line| !line.is_empty() && !line.starts_with('#')) {
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
        .arg(repository().join("tests/c/peer.c"));
    for source in ENET_SOURCES {
        peer.arg(source.replace(".c", ".o"));
    }
    peer.args(["-o", "peer"]);
    run_compiler(peer, "compiling tests/c/peer.c");
    install(&dir, &work, "peer")
}

/// What a test says when the system libenet cannot be used: never a silent pass.
pub const LIBENET_MISSING: &str =
    "LIBENET 1.3.17 MISSING: interop with Debian's libenet NOT TESTED";

/// Fails the test loudly because the system libenet is unusable: the message goes to stderr (so
/// it shows even in a captured run's summary) and into the panic. Under CI (`CI` set) the cause
/// is a broken install step; elsewhere, `apt-get install libenet-dev`.
fn libenet_missing(why: &str) -> ! {
    let hint = if std::env::var_os("CI").is_some() {
        "CI is set: .ci/run must install libenet-dev"
    } else {
        "install it with `apt-get install libenet-dev` (what .ci/run does)"
    };
    eprintln!("\n!!!!!!!! {LIBENET_MISSING} !!!!!!!!\n{why}\n{hint}\n");
    panic!("{LIBENET_MISSING}: {why}; {hint}");
}

/// Compiles `source` (a file under the repository) with the system's `<enet/enet.h>` and
/// `-lenet`, strict C99, into `name`; a failure to find the header or library fails loudly.
fn build_against_system_libenet(source: &Path, name: &str) -> PathBuf {
    let (dir, work) = build_dir("libenet_interop");
    let mut command = Command::new(c_compiler());
    command
        .current_dir(&work)
        .args([
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-pedantic",
            "-Werror",
            "-O2",
        ])
        .arg(source)
        .args(["-lenet", "-o", name]);
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler ({command:?}): {e}"));
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("enet/enet.h") || stderr.contains("-lenet") {
            libenet_missing(&format!("{command:?} failed:\n{stderr}"));
        }
        panic!("{command:?} failed:\n{stderr}");
    }
    install(&dir, &work, name)
}

/// `tests/c/peer.c` built as `cc -std=c99 tests/c/peer.c -lenet`: the system's ENet headers and
/// shared library (Debian's libenet-dev), none of the vendored sources.
pub fn build_libenet_peer() -> PathBuf {
    build_against_system_libenet(&repository().join("tests/c/peer.c"), "peer")
}

/// The version of the ENet library a program built with `-lenet` loads at run time, from
/// `enet_linked_version()`, as `(major, minor, patch)`.
pub fn system_libenet_version() -> (u32, u32, u32) {
    let (dir, _work) = build_dir("libenet_interop");
    let source = dir.join("linked_version.c");
    std::fs::write(
        &source,
        "#include <enet/enet.h>\n#include <stdio.h>\n\
         int main(void) {\n  ENetVersion v = enet_linked_version();\n  \
         printf(\"%u.%u.%u\\n\", (unsigned)ENET_VERSION_GET_MAJOR(v),\n         \
         (unsigned)ENET_VERSION_GET_MINOR(v), (unsigned)ENET_VERSION_GET_PATCH(v));\n  \
         return 0;\n}\n",
    )
    .expect("write linked_version.c");
    let binary = build_against_system_libenet(&source, "linked_version");
    let output = Command::new(&binary).output().expect("run linked_version");
    assert!(output.status.success(), "linked_version failed");
    let text = String::from_utf8(output.stdout).expect("utf-8");
    let parts: Vec<u32> = text
        .trim()
        .split('.')
        .map(|n| n.parse().expect("version number"))
        .collect();
    assert_eq!(parts.len(), 3, "unexpected version output {text:?}");
    (parts[0], parts[1], parts[2])
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

// ---------------------------------------------------------------------------------------------
// Running the C peer.

/// A running C peer, killed on drop. Its stdout lines arrive through a channel.
pub struct CPeer {
    pub child: Child,
    stdout: Receiver<String>,
    pub lines: Vec<String>,
    pub eof: bool,
    stderr: Arc<Mutex<String>>,
}

impl CPeer {
    pub fn spawn(binary: &Path, args: &[&str]) -> CPeer {
        let mut child = Command::new(binary)
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
    pub fn poll(&mut self) {
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
    pub fn listening_port(&mut self) -> i32 {
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

    pub fn has_line(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }

    pub fn recv_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .filter(|l| l.starts_with("recv "))
            .cloned()
            .collect();
        lines.sort();
        lines
    }

    pub fn transcript(&self) -> String {
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
pub enum Topology {
    /// Our `create_host_bound` server, a C client.
    OurServer,
    /// A C server, our `create_host` client.
    OurClient,
}

pub struct Session {
    pub conn: Connection,
    pub c: CPeer,
    /// Our handle of the C peer, once connected.
    pub peer: Option<PacketPeer>,
    pub connects: Vec<(PacketPeer, u32)>,
    pub received: Vec<Got>,
    pub disconnects: Vec<u32>,
}

impl Session {
    /// Connects our side and a C peer (`binary`) run with `c_options`, and waits until both
    /// sides report the connection (so nothing either side does next can race the handshake).
    pub fn start(binary: &Path, topology: Topology, c_options: &[&str]) -> Session {
        Session::start_configured(binary, topology, c_options, |_| {})
    }

    /// As [`start`](Self::start), with `configure` applied to our host before any datagram is
    /// sent (for example a compressor, which both ends must use from the CONNECT on).
    pub fn start_configured(
        binary: &Path,
        topology: Topology,
        c_options: &[&str],
        configure: impl FnOnce(&Connection),
    ) -> Session {
        let (conn, c, outgoing) = match topology {
            Topology::OurServer => {
                let (server, port) = common::server(8, 0);
                configure(&server);
                let port = port.to_string();
                let c = CPeer::spawn(
                    binary,
                    &[c_options, &["client", "127.0.0.1", &port]].concat(),
                );
                (server, c, None)
            }
            Topology::OurClient => {
                let mut c = CPeer::spawn(binary, &[c_options, &["server", "0"]].concat());
                let port = c.listening_port();
                let client = common::client();
                configure(&client);
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

    pub fn peer(&self) -> &PacketPeer {
        self.peer.as_ref().expect("connected")
    }

    /// Services our connection until it has nothing more (1 ms waits), recording events, and
    /// takes the C peer's new lines.
    pub fn step(&mut self) {
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
    pub fn until(&mut self, what: &str, mut done: impl FnMut(&Session) -> bool) {
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
    pub fn c_exit(&mut self) -> ExitStatus {
        self.until("the C peer exits", |s| s.c.eof);
        self.c.child.wait().expect("wait for the C peer")
    }

    /// Sends [`QUIT`], which makes the C peer disconnect.
    pub fn send_quit(&self) {
        self.peer()
            .send(0, &QUIT, PacketPeer::FLAG_RELIABLE)
            .unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Behaviours, each run by the test files in both topologies against their own C peer binary.

pub fn c_packets_arrive_with_exact_bytes_channel_and_flags(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &[]);
    s.until("the C peer's five packets", |s| {
        s.received.len() >= SET.len()
    });
    // Kinds as received: reliable 1, unreliable 0, unsequenced 2, unreliable fragments 8, and
    // the 100,000-byte reliable packet 1 (reliable fragments).
    let transcript = s.c.transcript();
    assert_same_packets(std::mem::take(&mut s.received), packet_set(0), &transcript);
}

pub fn our_packets_reach_the_c_peer_and_echo_back_exactly(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &["--no-send"]);
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

pub fn c_graceful_disconnect_delivers_its_data(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &["--no-send"]);
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

pub fn our_graceful_disconnect_delivers_our_data(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &["--no-send"]);
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

pub fn our_disconnect_now_is_seen_by_the_c_peer(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &["--no-send"]);
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

pub fn c_disconnect_now_gives_us_a_disconnect_event(binary: &Path, topology: Topology) {
    let mut s = Session::start(binary, topology, &["--no-send", "--abrupt"]);
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

/// Both ends use ENet's range coder (`--range-coder` on the C side,
/// `compress(CompressionMode::RangeCoder)` on ours): the C peer's set and ours (echoed back)
/// cross with exact bytes, channels and flags, and the datagrams we receive really are compressed
/// (`ENET_PROTOCOL_HEADER_FLAG_COMPRESSED`, bit 14 of the header, seen by our intercept).
pub fn range_coded_packets_of_every_kind_cross_both_ways(binary: &Path, topology: Topology) {
    use enet::{CompressionMode, Verdict};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let compressed = Arc::new(AtomicUsize::new(0));
    let seen = compressed.clone();
    let mut s = Session::start_configured(binary, topology, &["--range-coder"], |conn| {
        conn.compress(CompressionMode::RangeCoder)
            .expect("compress");
        conn.set_intercept(Some(Box::new(move |_, datagram: &[u8]| {
            if datagram.first().is_some_and(|b| b & 0x40 != 0) {
                seen.fetch_add(1, Ordering::Relaxed);
            }
            Verdict::Pass
        })))
        .expect("set_intercept");
    });
    let ours = packet_set(OUR_SEQ);
    for packet in &ours {
        s.peer()
            .send(i32::from(packet.channel), &packet.bytes, packet.flags)
            .unwrap();
    }
    s.until("the C peer's five packets and five echoes of ours", |s| {
        s.c.recv_lines().len() >= ours.len() && s.received.len() >= 2 * ours.len()
    });
    let expected_lines: Vec<String> = ours.iter().map(Got::line).collect();
    assert_eq!(s.c.recv_lines(), expected_lines, "{}", s.c.transcript());
    let mut expected = packet_set(0);
    expected.extend(ours);
    expected.sort();
    let transcript = s.c.transcript();
    assert_same_packets(std::mem::take(&mut s.received), expected, &transcript);
    assert!(
        compressed.load(Ordering::Relaxed) > 0,
        "no range-coded datagram arrived\n{transcript}"
    );
}

/// Sends one 5000-byte datagram (longer than ENet's 4096-byte receive buffer) to a C server
/// started with `--no-send`, and returns the server, still running or not.
fn c_server_hit_by_an_oversized_datagram(binary: &Path) -> (CPeer, i32) {
    let mut c = CPeer::spawn(binary, &["--no-send", "server", "0"]);
    let port = c.listening_port();
    let raw = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a raw socket");
    raw.send_to(&[0u8; 5000], ("127.0.0.1", port as u16))
        .expect("send the oversized datagram");
    (c, port)
}

/// ENet 1.3.18 (2a85cd6, with `HAS_MSGHDR_FLAGS`) skips a truncated datagram: the C server keeps
/// serving and our client still connects to it afterwards.
pub fn an_oversized_datagram_leaves_the_c_server_serving(binary: &Path) {
    let (mut c, port) = c_server_hit_by_an_oversized_datagram(binary);
    let client = common::client();
    let to_server = client
        .connect_to_host("127.0.0.1", port, CHANNELS, 0)
        .expect("connect_to_host");
    let start = Instant::now();
    loop {
        assert!(
            start.elapsed() < DEADLINE,
            "no connection after the oversized datagram\n{}",
            c.transcript()
        );
        c.poll();
        assert!(!c.eof, "the C server exited\n{}", c.transcript());
        if let Event::Connect { peer, .. } = client.service(1).expect("service") {
            assert_eq!(peer, to_server);
            break;
        }
    }
}

/// ENet up to 1.3.17 (before 2a85cd6): one datagram longer than 4096 bytes makes
/// `enet_host_service` return -1, and peer.c exits 1 on that ("enet_host_service failed"): a
/// remote denial of service with a single unauthenticated datagram.
pub fn an_oversized_datagram_makes_the_c_server_fail(binary: &Path) {
    let (mut c, _) = c_server_hit_by_an_oversized_datagram(binary);
    let start = Instant::now();
    while !c.eof {
        assert!(
            start.elapsed() < DEADLINE,
            "the C server survived\n{}",
            c.transcript()
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        c.poll();
    }
    let status = c.child.wait().expect("wait for the C peer");
    assert_eq!(status.code(), Some(1), "{}", c.transcript());
    // The stderr reader may lag the exit by a moment.
    let start = Instant::now();
    while !c.transcript().contains("enet_host_service failed") && start.elapsed() < DEADLINE {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        c.transcript().contains("peer: enet_host_service failed"),
        "{}",
        c.transcript()
    );
}

/// Upstream's range coder (1.3.17 and 1.3.18) reads through the `{NULL, 0}` buffer ENet adds for
/// an empty packet: a C peer that range-codes one crashes (SIGSEGV). Our side sends the C peer an
/// empty reliable packet (our coder leaves empty buffers out, so it arrives), and the C peer
/// dies echoing it.
pub fn range_coding_an_empty_packet_crashes_the_c_peer(binary: &Path) {
    use enet::CompressionMode;
    use std::os::unix::process::ExitStatusExt;
    let mut s = Session::start_configured(
        binary,
        Topology::OurServer,
        &["--no-send", "--range-coder"],
        |conn| {
            conn.compress(CompressionMode::RangeCoder)
                .expect("compress")
        },
    );
    s.peer().send(2, &[], PacketPeer::FLAG_RELIABLE).unwrap();
    let status = s.c_exit();
    assert!(
        s.c.has_line("recv channel=2 flags=1 len=0 crc=00000000"),
        "{}",
        s.c.transcript()
    );
    assert_eq!(
        status.signal(),
        Some(11),
        "{status:?}\n{}",
        s.c.transcript()
    );
}
