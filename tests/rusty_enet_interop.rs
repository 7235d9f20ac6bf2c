//! Interoperability with rusty_enet 0.4.1 (crates.io): a pure-Rust ENet, transpiled from C ENet
//! 1.3.18 (2662c0d) with c2rust, that claims wire compatibility. It runs in this process on its
//! own `std::net::UdpSocket`, serviced in turn with our `Connection`, on loopback.
//!
//! Both topologies (our server with a rusty_enet client, a rusty_enet server with our client):
//! every packet kind in each direction (reliable, sequenced unreliable, unsequenced, unreliable
//! fragments sequenced and unsequenced, reliable fragments, an oversized plain-unreliable packet
//! that ENet turns into reliable fragments, an empty packet) on channels 0 to 3 with exact bytes,
//! channels and delivered flags; graceful, immediate (`disconnect_now`) and silent (vanished
//! host: timeout) disconnects from either side with their data; the range coder, CRC32
//! checksums, and both together.
//!
//! Our side records every datagram it receives (through `set_intercept`) so a failure prints the
//! offending bytes. What differs from C ENet is pinned by the last tests, each with its datagram:
//! rusty_enet's range coder codes an empty packet as an extra 0 byte (later commands in that
//! datagram are lost; with checksums, every datagram carrying it is dropped until the connection
//! times out); rusty_enet parses the first 4096 bytes of an oversized datagram that C ENet 1.3.18
//! drops whole; and its `Packet::kind()` reports every received packet as reliable.

mod common;

use enet::{CompressionMode, Connection, Event, PacketPeer, Verdict};
use rusty_enet as re;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::DEADLINE;

/// The channel count both sides use.
const CHANNELS: usize = 4;
/// The data carried by every disconnect in these tests.
const DISCONNECT_DATA: u32 = 42;
/// ENet's default throttle interval and acceleration with deceleration 0: loopback round-trip
/// jitter never makes either side's throttle drop unreliable packets.
const THROTTLE: (u32, u32, u32) = (5000, 2, 0);

const RELIABLE: i32 = PacketPeer::FLAG_RELIABLE;
const UNSEQUENCED: i32 = PacketPeer::FLAG_UNSEQUENCED;
const UNRELIABLE_FRAGMENT: i32 = PacketPeer::FLAG_UNRELIABLE_FRAGMENT;

// ---------------------------------------------------------------------------------------------
// The packet set.

/// One packet kind: sent with our `flags` or rusty_enet's `kind`, delivered by ENet with
/// `delivered` flags. Byte `i` of the payload is `(i * 7 + seq) & 0xFF`.
struct Kind {
    seq: usize,
    channel: u8,
    flags: i32,
    kind: re::PacketKind,
    delivered: i32,
    len: usize,
}

const KINDS: [Kind; 8] = [
    Kind {
        seq: 1,
        channel: 0,
        flags: RELIABLE,
        kind: re::PacketKind::Reliable,
        delivered: RELIABLE,
        len: 100,
    },
    Kind {
        seq: 2,
        channel: 1,
        flags: 0,
        kind: re::PacketKind::Unreliable { sequenced: true },
        delivered: 0,
        len: 200,
    },
    Kind {
        seq: 3,
        channel: 1,
        flags: UNSEQUENCED,
        kind: re::PacketKind::Unreliable { sequenced: false },
        delivered: UNSEQUENCED,
        len: 300,
    },
    // Larger than one datagram: SEND_UNRELIABLE_FRAGMENT commands.
    Kind {
        seq: 4,
        channel: 3,
        flags: UNRELIABLE_FRAGMENT,
        kind: re::PacketKind::AlwaysUnreliable { sequenced: true },
        delivered: UNRELIABLE_FRAGMENT,
        len: 4000,
    },
    // Reliable fragments (SEND_FRAGMENT), 73 of them at the default MTU.
    Kind {
        seq: 5,
        channel: 0,
        flags: RELIABLE,
        kind: re::PacketKind::Reliable,
        delivered: RELIABLE,
        len: 100_000,
    },
    // Unsequenced unreliable fragments: ENet sends them as (sequenced) unreliable fragments.
    Kind {
        seq: 6,
        channel: 2,
        flags: UNRELIABLE_FRAGMENT | UNSEQUENCED,
        kind: re::PacketKind::AlwaysUnreliable { sequenced: false },
        delivered: UNRELIABLE_FRAGMENT,
        len: 3000,
    },
    // Plain unreliable but larger than one datagram: ENet sends reliable fragments.
    Kind {
        seq: 7,
        channel: 2,
        flags: 0,
        kind: re::PacketKind::Unreliable { sequenced: true },
        delivered: RELIABLE,
        len: 5000,
    },
    Kind {
        seq: 8,
        channel: 3,
        flags: RELIABLE,
        kind: re::PacketKind::Reliable,
        delivered: RELIABLE,
        len: 0,
    },
];

/// Our packets differ from rusty_enet's in content: seq offset 100.
const OUR_SEQ: usize = 100;

fn payload(kind: &Kind, seq_offset: usize) -> Vec<u8> {
    let seq = kind.seq + seq_offset;
    (0..kind.len)
        .map(|i| ((i * 7 + seq) & 0xFF) as u8)
        .collect()
}

/// A packet as received: channel, delivered ENet flags, bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Got {
    channel: u8,
    flags: i32,
    bytes: Vec<u8>,
}

impl Got {
    fn summary(&self) -> String {
        format!(
            "channel={} flags={} len={} head={:02x?}",
            self.channel,
            self.flags,
            self.bytes.len(),
            &self.bytes[..self.bytes.len().min(4)]
        )
    }
}

/// What a receiver must get for `kinds` sent with `seq_offset`, sorted.
fn expected(kinds: &[&Kind], seq_offset: usize) -> Vec<Got> {
    let mut set: Vec<Got> = kinds
        .iter()
        .map(|kind| Got {
            channel: kind.channel,
            flags: kind.delivered,
            bytes: payload(kind, seq_offset),
        })
        .collect();
    set.sort();
    set
}

fn all_kinds() -> Vec<&'static Kind> {
    KINDS.iter().collect()
}

/// Asserts `got` is exactly `expected` as a multiset: summaries first (readable), then bytes.
fn assert_same_packets(what: &str, mut got: Vec<Got>, expected: Vec<Got>, wire: &str) {
    got.sort();
    let summaries = |set: &[Got]| set.iter().map(Got::summary).collect::<Vec<_>>();
    assert_eq!(summaries(&got), summaries(&expected), "{what}\n{wire}");
    assert!(got == expected, "{what}: same summaries, different bytes");
}

// ---------------------------------------------------------------------------------------------
// rusty_enet's side.

/// The raw ENet flags of a rusty_enet packet. rusty_enet exposes them only through `Debug`
/// (`Packet::kind()` misreports them, see the test below).
fn rusty_flags(packet: &re::Packet) -> i32 {
    let debug = format!("{packet:?}");
    let flags = debug
        .split("flags: ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok());
    flags.unwrap_or_else(|| panic!("no flags in rusty_enet's {debug}"))
}

/// A rusty_enet host on 127.0.0.1 and what it has seen. It echoes every packet it receives back
/// to its sender on the same channel as the same `Packet` (so with the flags ENet delivered).
struct Rusty {
    host: re::Host<UdpSocket>,
    echo: bool,
    connects: Vec<(re::PeerID, u32)>,
    received: Vec<Got>,
    kinds: Vec<re::PacketKind>,
    disconnects: Vec<(re::PeerID, u32)>,
}

impl Rusty {
    fn new(options: Options) -> Rusty {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind rusty_enet's socket");
        let settings = re::HostSettings {
            peer_limit: 8,
            channel_limit: CHANNELS,
            compressor: if options.range_coder {
                Some(Box::new(re::RangeCoder::new()))
            } else {
                None
            },
            checksum: if options.checksum {
                Some(Box::new(re::crc32))
            } else {
                None
            },
            ..re::HostSettings::default()
        };
        let host = re::Host::new(socket, settings).expect("rusty_enet Host::new");
        Rusty {
            host,
            echo: false,
            connects: Vec::new(),
            received: Vec::new(),
            kinds: Vec::new(),
            disconnects: Vec::new(),
        }
    }

    fn port(&self) -> i32 {
        i32::from(self.host.socket().local_addr().unwrap().port())
    }

    fn peer(&mut self, id: re::PeerID) -> &mut re::Peer<UdpSocket> {
        self.host.peer_mut(id)
    }

    /// Services until nothing more happens, recording (and echoing) events.
    fn step(&mut self) {
        while let Some(event) = self.host.service().expect("rusty_enet service") {
            match event {
                re::Event::Connect { peer, data } => {
                    let (interval, acceleration, deceleration) = THROTTLE;
                    peer.set_throttle(interval, acceleration, deceleration);
                    self.connects.push((peer.id(), data));
                }
                re::Event::Receive {
                    peer,
                    channel_id,
                    packet,
                } => {
                    self.received.push(Got {
                        channel: channel_id,
                        flags: rusty_flags(&packet),
                        bytes: packet.data().to_vec(),
                    });
                    self.kinds.push(packet.kind());
                    if self.echo {
                        peer.send(channel_id, &packet).expect("rusty_enet echo");
                    }
                }
                re::Event::Disconnect { peer, data } => self.disconnects.push((peer.id(), data)),
            }
        }
    }

    fn send_set(&mut self, id: re::PeerID, kinds: &[&Kind]) {
        for kind in kinds {
            let packet = re::Packet::new(payload(kind, 0), kind.kind);
            self.peer(id)
                .send(kind.channel, &packet)
                .expect("rusty_enet send");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A session: our connection and a connected rusty_enet host.

/// What both ends use besides plain ENet.
#[derive(Debug, Clone, Copy, Default)]
struct Options {
    /// ENet's range coder (`compress(CompressionMode::RangeCoder)`, `re::RangeCoder`).
    range_coder: bool,
    /// ENet's CRC32 checksum (`set_checksum_enabled`, `re::crc32`).
    checksum: bool,
}

const PLAIN: Options = Options {
    range_coder: false,
    checksum: false,
};
const RANGE_CODER: Options = Options {
    range_coder: true,
    checksum: false,
};

#[derive(Debug, Clone, Copy)]
enum Topology {
    /// Our `create_host_bound` server, a rusty_enet client.
    OurServer,
    /// A rusty_enet server, our `create_host` client.
    OurClient,
}

/// Every datagram our side received, for failure messages.
type Wire = Arc<Mutex<Vec<(SocketAddr, Vec<u8>)>>>;

struct Session {
    ours: Connection,
    rusty: Rusty,
    /// Our handle of the rusty_enet peer.
    peer: PacketPeer,
    /// rusty_enet's id of our peer.
    rusty_peer: re::PeerID,
    received: Vec<Got>,
    disconnects: Vec<u32>,
    wire: Wire,
    compressed: Arc<AtomicUsize>,
}

impl Session {
    fn start(topology: Topology, options: Options) -> Session {
        let mut rusty = Rusty::new(options);
        let (ours, outgoing) = match topology {
            Topology::OurServer => {
                let (server, port) = common::server(8, 0);
                let to = SocketAddr::from(([127, 0, 0, 1], port as u16));
                rusty
                    .host
                    .connect(to, CHANNELS, 7)
                    .expect("rusty_enet connect");
                (server, None)
            }
            Topology::OurClient => {
                let client = common::client();
                let peer = client
                    .connect_to_host("127.0.0.1", rusty.port(), CHANNELS as i32, 7)
                    .expect("connect_to_host");
                (client, Some(peer))
            }
        };
        if options.range_coder {
            ours.compress(CompressionMode::RangeCoder)
                .expect("compress");
        }
        if options.checksum {
            ours.set_checksum_enabled(true)
                .expect("set_checksum_enabled");
        }
        let wire: Wire = Arc::default();
        let compressed = Arc::new(AtomicUsize::new(0));
        let (log, count) = (wire.clone(), compressed.clone());
        ours.set_intercept(Some(Box::new(move |from, datagram: &[u8]| {
            if datagram.first().is_some_and(|b| b & 0x40 != 0) {
                count.fetch_add(1, Ordering::Relaxed);
            }
            log.lock().unwrap().push((from, datagram.to_vec()));
            Verdict::Pass
        })))
        .expect("set_intercept");

        let mut connected = None;
        let start = Instant::now();
        while connected.is_none() || rusty.connects.is_empty() {
            assert!(
                start.elapsed() < DEADLINE,
                "{topology:?}: no connection (ours {:?}, rusty_enet {:?})\n{}",
                connected,
                rusty.connects,
                dump(&wire)
            );
            while let Event::Connect { peer, data } = ours.service(1).expect("service") {
                connected = Some((peer, data));
            }
            rusty.step();
        }
        let (peer, data) = connected.unwrap();
        let (rusty_peer, rusty_data) = rusty.connects.remove(0);
        match outgoing {
            // The initiator's own Connect event carries 0; the remote's carries the connect data.
            Some(outgoing) => {
                assert_eq!(peer, outgoing);
                assert_eq!((data, rusty_data), (0, 7));
            }
            None => assert_eq!((data, rusty_data), (7, 0)),
        }
        assert_eq!(peer.get_channels().unwrap(), CHANNELS);
        assert_eq!(rusty.peer(rusty_peer).channel_count(), CHANNELS);
        let (interval, acceleration, deceleration) = THROTTLE;
        peer.throttle_configure(interval, acceleration, deceleration)
            .unwrap();
        Session {
            ours,
            rusty,
            peer,
            rusty_peer,
            received: Vec::new(),
            disconnects: Vec::new(),
            wire,
            compressed,
        }
    }

    /// Services both sides once, recording our events.
    fn step(&mut self) {
        loop {
            match self.ours.service(1).expect("service") {
                Event::None => break,
                Event::Connect { peer, .. } => panic!("a second Connect: {peer:?}"),
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
        self.rusty.step();
    }

    fn until(&mut self, what: &str, mut done: impl FnMut(&Session) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: not within {DEADLINE:?} (we received {}, rusty_enet received {}, \
                 our disconnects {:?}, rusty_enet's {:?})\n{}",
                self.received.len(),
                self.rusty.received.len(),
                self.disconnects,
                self.rusty.disconnects,
                dump(&self.wire)
            );
            self.step();
        }
    }

    fn send_ours(&self, kinds: &[&Kind]) {
        for kind in kinds {
            self.peer
                .send(i32::from(kind.channel), &payload(kind, OUR_SEQ), kind.flags)
                .unwrap();
        }
    }
}

/// The last datagrams our side received, in hex (for failure messages).
fn dump(wire: &Wire) -> String {
    let wire = wire.lock().unwrap();
    let skip = wire.len().saturating_sub(12);
    let mut out = format!(
        "--- last {} of {} datagrams we received ---\n",
        wire.len() - skip,
        wire.len()
    );
    for (from, bytes) in &wire[skip..] {
        let head = &bytes[..bytes.len().min(48)];
        out.push_str(&format!("{from} {} bytes: {head:02x?}\n", bytes.len()));
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Behaviours, each in both topologies.

fn rusty_packets_arrive_with_exact_bytes_channel_and_flags(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    s.rusty.send_set(s.rusty_peer, &all_kinds());
    s.until("rusty_enet's packets", |s| s.received.len() >= KINDS.len());
    s.until("a quiet moment", |_| true);
    let wire = dump(&s.wire);
    assert_same_packets(
        "what we received from rusty_enet",
        std::mem::take(&mut s.received),
        expected(&all_kinds(), 0),
        &wire,
    );
}

#[test]
fn rusty_enet_client_packets_of_every_kind_reach_our_server_exactly() {
    rusty_packets_arrive_with_exact_bytes_channel_and_flags(Topology::OurServer);
}

#[test]
fn rusty_enet_server_packets_of_every_kind_reach_our_client_exactly() {
    rusty_packets_arrive_with_exact_bytes_channel_and_flags(Topology::OurClient);
}

fn our_packets_reach_rusty_and_echo_back_exactly(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    s.rusty.echo = true;
    s.send_ours(&all_kinds());
    s.until("our packets and their echoes", |s| {
        s.rusty.received.len() >= KINDS.len() && s.received.len() >= KINDS.len()
    });
    let wire = dump(&s.wire);
    assert_same_packets(
        "what rusty_enet received from us",
        std::mem::take(&mut s.rusty.received),
        expected(&all_kinds(), OUR_SEQ),
        &wire,
    );
    assert_same_packets(
        "what rusty_enet echoed back",
        std::mem::take(&mut s.received),
        expected(&all_kinds(), OUR_SEQ),
        &wire,
    );
}

#[test]
fn our_server_packets_of_every_kind_reach_the_rusty_enet_client_and_echo_back_exactly() {
    our_packets_reach_rusty_and_echo_back_exactly(Topology::OurServer);
}

#[test]
fn our_client_packets_of_every_kind_reach_the_rusty_enet_server_and_echo_back_exactly() {
    our_packets_reach_rusty_and_echo_back_exactly(Topology::OurClient);
}

fn rusty_graceful_disconnect_delivers_its_data(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    let id = s.rusty_peer;
    s.rusty.peer(id).disconnect(DISCONNECT_DATA);
    s.until("both Disconnect events", |s| {
        !s.disconnects.is_empty() && !s.rusty.disconnects.is_empty()
    });
    assert_eq!(s.disconnects, [DISCONNECT_DATA]);
    // The initiator's own Disconnect event carries 0.
    assert_eq!(s.rusty.disconnects, [(id, 0)]);
    assert!(!s.peer.is_active());
}

#[test]
fn rusty_enet_client_graceful_disconnect_reaches_our_server_with_its_data() {
    rusty_graceful_disconnect_delivers_its_data(Topology::OurServer);
}

#[test]
fn rusty_enet_server_graceful_disconnect_reaches_our_client_with_its_data() {
    rusty_graceful_disconnect_delivers_its_data(Topology::OurClient);
}

fn our_graceful_disconnect_delivers_our_data(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    s.peer.peer_disconnect(DISCONNECT_DATA).unwrap();
    s.until("both Disconnect events", |s| {
        !s.disconnects.is_empty() && !s.rusty.disconnects.is_empty()
    });
    assert_eq!(s.disconnects, [0]);
    assert_eq!(s.rusty.disconnects, [(s.rusty_peer, DISCONNECT_DATA)]);
}

#[test]
fn our_server_graceful_disconnect_reaches_the_rusty_enet_client_with_our_data() {
    our_graceful_disconnect_delivers_our_data(Topology::OurServer);
}

#[test]
fn our_client_graceful_disconnect_reaches_the_rusty_enet_server_with_our_data() {
    our_graceful_disconnect_delivers_our_data(Topology::OurClient);
}

fn rusty_disconnect_now_gives_us_a_disconnect_event(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    let id = s.rusty_peer;
    s.rusty.peer(id).disconnect_now(DISCONNECT_DATA);
    s.until("our Disconnect event", |s| !s.disconnects.is_empty());
    assert_eq!(s.disconnects, [DISCONNECT_DATA]);
    assert!(!s.peer.is_active());
    // disconnect_now generates no event on its own side.
    assert!(s.rusty.disconnects.is_empty());
}

#[test]
fn rusty_enet_client_disconnect_now_gives_our_server_a_disconnect_event_with_its_data() {
    rusty_disconnect_now_gives_us_a_disconnect_event(Topology::OurServer);
}

#[test]
fn rusty_enet_server_disconnect_now_gives_our_client_a_disconnect_event_with_its_data() {
    rusty_disconnect_now_gives_us_a_disconnect_event(Topology::OurClient);
}

fn our_disconnect_now_is_seen_by_rusty(topology: Topology) {
    let mut s = Session::start(topology, PLAIN);
    s.peer.peer_disconnect_now(DISCONNECT_DATA).unwrap();
    assert!(!s.peer.is_active());
    s.until("rusty_enet's Disconnect event", |s| {
        !s.rusty.disconnects.is_empty()
    });
    assert_eq!(s.rusty.disconnects, [(s.rusty_peer, DISCONNECT_DATA)]);
    assert!(s.disconnects.is_empty());
}

#[test]
fn our_server_disconnect_now_gives_the_rusty_enet_client_a_disconnect_event_with_our_data() {
    our_disconnect_now_is_seen_by_rusty(Topology::OurServer);
}

#[test]
fn our_client_disconnect_now_gives_the_rusty_enet_server_a_disconnect_event_with_our_data() {
    our_disconnect_now_is_seen_by_rusty(Topology::OurClient);
}

fn a_vanished_rusty_host_times_out_on_our_side(topology: Topology) {
    let s = Session::start(topology, PLAIN);
    s.peer.set_timeout(1, 200, 500).unwrap();
    s.peer.ping_interval(20).unwrap();
    // rusty_enet's host disappears without a word (dropped: its socket closes).
    let Session {
        ours, peer, wire, ..
    } = s;
    let vanished = Instant::now();
    let start = Instant::now();
    loop {
        assert!(start.elapsed() < DEADLINE, "no timeout\n{}", dump(&wire));
        match ours.service(1).expect("service") {
            Event::Disconnect { peer: gone, data } => {
                assert_eq!((gone, data), (peer.clone(), 0));
                break;
            }
            Event::None => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(!peer.is_active());
    assert!(vanished.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_vanished_rusty_enet_client_times_out_on_our_server() {
    a_vanished_rusty_host_times_out_on_our_side(Topology::OurServer);
}

#[test]
fn a_vanished_rusty_enet_server_times_out_on_our_client() {
    a_vanished_rusty_host_times_out_on_our_side(Topology::OurClient);
}

fn packets_cross_both_ways(topology: Topology, options: Options) {
    packets_of_kinds_cross_both_ways(topology, options, &all_kinds());
}

fn packets_of_kinds_cross_both_ways(topology: Topology, options: Options, kinds: &[&Kind]) {
    let mut s = Session::start(topology, options);
    s.rusty.echo = true;
    s.rusty.send_set(s.rusty_peer, kinds);
    s.send_ours(kinds);
    // rusty_enet receives our set; we receive its set and the echoes of ours.
    s.until("both sets and the echoes", |s| {
        s.rusty.received.len() >= kinds.len() && s.received.len() >= 2 * kinds.len()
    });
    let wire = dump(&s.wire);
    assert_same_packets(
        "what rusty_enet received from us",
        std::mem::take(&mut s.rusty.received),
        expected(kinds, OUR_SEQ),
        &wire,
    );
    let mut both = expected(kinds, 0);
    both.extend(expected(kinds, OUR_SEQ));
    both.sort();
    assert_same_packets(
        "what we received (rusty_enet's set and echoes)",
        std::mem::take(&mut s.received),
        both,
        &wire,
    );
    let compressed = s.compressed.load(Ordering::Relaxed);
    if options.range_coder {
        assert!(compressed > 0, "no range-coded datagram arrived\n{wire}");
    } else {
        assert_eq!(compressed, 0, "{wire}");
    }
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_our_server_and_the_rusty_enet_client() {
    packets_cross_both_ways(Topology::OurServer, RANGE_CODER);
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_the_rusty_enet_server_and_our_client() {
    packets_cross_both_ways(Topology::OurClient, RANGE_CODER);
}

/// rusty_enet 0.4.1's `Packet::kind()` computes `flags | !ENET_PACKET_FLAG_SENT` where C has
/// `flags & ~...`, so the RELIABLE bit always reads as set: every received packet claims to be
/// reliable, whatever ENet delivered (the raw flags, visible through `Debug`, are right). Pinned
/// so a fixed rusty_enet shows up here; our side reports the delivered flags exactly.
#[test]
fn rusty_enet_packet_kind_misreports_every_received_packet_as_reliable() {
    let mut s = Session::start(Topology::OurServer, PLAIN);
    s.send_ours(&all_kinds());
    s.until("our packets", |s| s.rusty.received.len() >= KINDS.len());
    assert!(s
        .rusty
        .kinds
        .iter()
        .all(|kind| *kind == re::PacketKind::Reliable));
    let delivered: Vec<i32> = s.rusty.received.iter().map(|got| got.flags).collect();
    assert!(
        delivered.iter().any(|&flags| flags != RELIABLE),
        "{delivered:?}"
    );
}

const CHECKSUM: Options = Options {
    range_coder: false,
    checksum: true,
};

#[test]
fn crc32_checksummed_packets_of_every_kind_cross_between_our_server_and_the_rusty_enet_client() {
    packets_cross_both_ways(Topology::OurServer, CHECKSUM);
}

#[test]
fn crc32_checksummed_packets_of_every_kind_cross_between_the_rusty_enet_server_and_our_client() {
    packets_cross_both_ways(Topology::OurClient, CHECKSUM);
}

#[test]
fn range_coded_and_checksummed_packets_cross_between_our_server_and_the_rusty_enet_client() {
    let both = Options {
        range_coder: true,
        checksum: true,
    };
    packets_of_kinds_cross_both_ways(
        Topology::OurServer,
        both,
        &KINDS[..7].iter().collect::<Vec<_>>(),
    );
}

/// Decodes a range-coded datagram body with C ENet 1.3.18's own range decoder.
fn range_decode(body: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 4096];
    // SAFETY: a fresh coder context, freed below; `body` and `out` are valid for their lengths.
    unsafe {
        let coder = enet_sys::enet_range_coder_create();
        assert!(!coder.is_null());
        let n = enet_sys::enet_range_coder_decompress(
            coder,
            body.as_ptr(),
            body.len(),
            out.as_mut_ptr(),
            out.len(),
        );
        enet_sys::enet_range_coder_destroy(coder);
        out.truncate(n);
    }
    out
}

/// **Incompatibility (rusty_enet 0.4.1, range coder).** C ENet 1.3.18's range coder dereferences
/// the `{NULL, 0}` buffer ENet adds for an empty packet (a crash in C; our wrapper leaves empty
/// buffers out). rusty_enet's transpile "fixed" that by coding a 0 byte for the empty buffer, so
/// the decoded datagram has one byte more than was sent, right after the empty packet's command.
/// Any ENet receiver (C, ours, rusty_enet itself) reads that 0 as command 0 and stops parsing the
/// datagram: every command after the empty packet in the same datagram is lost. Reliable ones are
/// retransmitted; unreliable and unsequenced ones are gone.
///
/// Pinned as found: the datagram decodes (with C ENet's decoder) to `.. 86 03 ss ss 00 00 | 00 |
/// 49 01 ..` (SEND_RELIABLE on channel 3 with dataLength 0, the extra 00, then the
/// SEND_UNSEQUENCED that ENet never reaches). The same four packets sent by our side all arrive.
#[test]
fn rusty_enet_range_coder_codes_an_empty_packet_as_a_zero_byte_so_later_commands_in_its_datagram_are_lost(
) {
    let mut s = Session::start(Topology::OurServer, RANGE_CODER);
    s.rusty.echo = false;
    // One service of each side sends them in one datagram: an empty reliable packet (channel 3),
    // then an unsequenced (channel 1), a sequenced unreliable (channel 1) and a reliable one
    // (channel 0).
    let kinds = [&KINDS[7], &KINDS[2], &KINDS[1], &KINDS[0]];
    s.rusty.send_set(s.rusty_peer, &kinds);
    s.send_ours(&kinds);
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(600) {
        s.step();
    }
    let wire = dump(&s.wire);
    // Ours reach rusty_enet, every one.
    assert_same_packets(
        "what rusty_enet received from us",
        std::mem::take(&mut s.rusty.received),
        expected(&kinds, OUR_SEQ),
        &wire,
    );
    // Of rusty_enet's, only the empty packet and (retransmitted) the reliable one arrive.
    assert_same_packets(
        "what we received from rusty_enet",
        std::mem::take(&mut s.received),
        expected(&[&KINDS[7], &KINDS[0]], 0),
        &wire,
    );
    // The culprit on the wire: a compressed datagram whose decoded body has a 0 byte between the
    // empty SEND_RELIABLE on channel 3 and the SEND_UNSEQUENCED (0x49) on channel 1.
    let datagrams = s.wire.lock().unwrap().clone();
    let culprit = datagrams.iter().find_map(|(_, datagram)| {
        let flags = u16::from_be_bytes([datagram[0], datagram[1]]);
        if flags & 0x4000 == 0 {
            return None;
        }
        let header = if flags & 0x8000 != 0 { 4 } else { 2 };
        let decoded = range_decode(&datagram[header..]);
        let at = decoded.windows(9).position(|w| {
            w[0] == 0x86 && w[1] == 3 && w[4..7] == [0, 0, 0] && w[7] == 0x49 && w[8] == 1
        })?;
        Some((datagram.clone(), decoded, at))
    });
    let (datagram, decoded, at) = culprit.unwrap_or_else(|| {
        panic!("no range-coded datagram with the extra zero byte\n{wire}");
    });
    eprintln!(
        "rusty_enet datagram ({} bytes): {:02x?}\ndecoded body ({} bytes): {:02x?}\n\
         empty SEND_RELIABLE at {at}: {:02x?}",
        datagram.len(),
        datagram,
        decoded.len(),
        decoded,
        &decoded[at..at + 9]
    );
}

/// A CONNECT datagram from our client host, captured on a raw socket.
fn captured_connect() -> Vec<u8> {
    let raw = UdpSocket::bind("127.0.0.1:0").unwrap();
    raw.set_read_timeout(Some(DEADLINE)).unwrap();
    let client = common::client();
    let port = i32::from(raw.local_addr().unwrap().port());
    client.connect_to_host("127.0.0.1", port, 4, 0).unwrap();
    client.flush().unwrap();
    let mut buffer = [0u8; 4096];
    let (n, _) = raw.recv_from(&mut buffer).expect("the CONNECT datagram");
    // Header with sent time (4 bytes), then CONNECT (command 2 with the acknowledge flag).
    assert_eq!(buffer[4], 0x82, "{:02x?}", &buffer[..n]);
    buffer[..n].to_vec()
}

/// What `raw` receives within `wait` while `service` runs.
fn replies(raw: &UdpSocket, wait: Duration, mut service: impl FnMut()) -> Vec<Vec<u8>> {
    raw.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    let mut buffer = [0u8; 4096];
    while start.elapsed() < wait {
        service();
        while let Ok((n, _)) = raw.recv_from(&mut buffer) {
            got.push(buffer[..n].to_vec());
        }
    }
    got
}

/// **Divergence (rusty_enet 0.4.1, hostile input).** A datagram longer than ENet's 4096-byte
/// receive buffer is dropped whole by C ENet 1.3.18 (`MSG_TRUNC`, with `HAS_MSGHDR_FLAGS`) and by
/// our wrapper. rusty_enet's `UdpSocket` transport cannot see truncation (its source: "TODO:
/// MSG_TRUNC? (not supported by rust stdlib)"), so it parses the first 4096 bytes as a complete
/// datagram: a CONNECT padded to 5000 bytes gets a VERIFY_CONNECT (and a peer slot) from it, and
/// nothing from us. The unpadded CONNECT shows our server would have answered it.
#[test]
fn an_oversized_datagram_is_dropped_whole_by_our_server_but_parsed_truncated_by_rusty_enet() {
    let connect = captured_connect();
    let mut oversized = connect.clone();
    oversized.resize(5000, 0);

    let (server, port) = common::server(8, 0);
    let ours = SocketAddr::from(([127, 0, 0, 1], port as u16));
    let raw = UdpSocket::bind("127.0.0.1:0").unwrap();
    raw.send_to(&oversized, ours).unwrap();
    let got = replies(&raw, Duration::from_millis(300), || {
        assert_eq!(server.service(1).unwrap(), Event::None);
    });
    assert!(got.is_empty(), "our server answered: {got:02x?}");
    raw.send_to(&connect, ours).unwrap();
    let got = replies(&raw, Duration::from_millis(300), || {
        assert_eq!(server.service(1).unwrap(), Event::None);
    });
    assert!(
        got.iter().any(|d| d.len() > 4 && d[4] == 0x83),
        "no VERIFY_CONNECT from our server for the plain CONNECT: {got:02x?}"
    );

    let mut rusty = Rusty::new(PLAIN);
    let theirs = SocketAddr::from(([127, 0, 0, 1], rusty.port() as u16));
    let raw = UdpSocket::bind("127.0.0.1:0").unwrap();
    raw.send_to(&oversized, theirs).unwrap();
    let got = replies(&raw, Duration::from_millis(300), || rusty.step());
    assert!(
        got.iter().any(|d| d.len() > 4 && d[4] == 0x83),
        "rusty_enet did not answer the oversized CONNECT: {got:02x?}"
    );
}

/// Whether a range-coded datagram decodes (with C ENet's decoder) to an empty SEND_RELIABLE on
/// channel 3 followed by rusty_enet's extra 0 byte: `86 03 ss ss 00 00 | 00`.
fn has_extra_zero_after_empty_packet(datagram: &[u8]) -> bool {
    let flags = u16::from_be_bytes([datagram[0], datagram[1]]);
    if flags & 0x4000 == 0 {
        return false;
    }
    let mut header = if flags & 0x8000 != 0 { 4 } else { 2 };
    header += 4; // the checksum
    range_decode(&datagram[header..])
        .windows(7)
        .any(|w| w[0] == 0x86 && w[1] == 3 && w[4..7] == [0, 0, 0])
}

/// **Incompatibility (rusty_enet 0.4.1, range coder with CRC32 checksums).** The extra 0 byte
/// of the test above is not covered by the sender's checksum (computed over what it meant to
/// send) but is in what the receiver decodes, so with checksums on the whole datagram fails
/// verification and is dropped. Every retransmission that bundles the empty packet with other
/// reliable data is compressed again, gets the extra byte again and is dropped again: the echo
/// of our eight packets never completes and rusty_enet finally times our peer out (4 of 4 runs
/// before this was pinned). The same set crosses without the empty packet (the test
/// `range_coded_and_checksummed_packets_cross_between_our_server_and_the_rusty_enet_client`).
#[test]
fn with_checksums_an_empty_packet_range_coded_by_rusty_enet_poisons_its_datagrams_until_it_times_out(
) {
    let mut s = Session::start(
        Topology::OurServer,
        Options {
            range_coder: true,
            checksum: true,
        },
    );
    s.rusty.echo = true;
    let id = s.rusty_peer;
    s.rusty.peer(id).set_timeout(32, 1000, 3000);
    s.send_ours(&all_kinds());
    s.until("rusty_enet times our peer out", |s| {
        !s.rusty.disconnects.is_empty()
    });
    let wire = dump(&s.wire);
    assert_eq!(s.rusty.disconnects, [(id, 0)], "{wire}");
    // rusty_enet had all of ours: the poison is in its echoes.
    assert_same_packets(
        "what rusty_enet received from us",
        std::mem::take(&mut s.rusty.received),
        expected(&all_kinds(), OUR_SEQ),
        &wire,
    );
    assert!(
        !s.received
            .iter()
            .any(|got| got.channel == 3 && got.bytes.is_empty()),
        "the empty packet's echo arrived: {:?}",
        s.received.iter().map(Got::summary).collect::<Vec<_>>()
    );
    let datagrams = s.wire.lock().unwrap().clone();
    let poisoned: Vec<&Vec<u8>> = datagrams
        .iter()
        .map(|(_, d)| d)
        .filter(|d| has_extra_zero_after_empty_packet(d))
        .collect();
    assert!(poisoned.len() >= 2, "{wire}");
    eprintln!(
        "echoes that arrived: {:?}\n{} poisoned datagrams, the first ({} bytes): {:02x?}",
        s.received.iter().map(Got::summary).collect::<Vec<_>>(),
        poisoned.len(),
        poisoned[0].len(),
        poisoned[0]
    );
}
