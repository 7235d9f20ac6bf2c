//! Fuzz target: the received-datagram path.
//!
//! Six live server `Connection`s, each with a connected client, one per wire configuration: no
//! compression, the range coder, FastLZ, zlib, zstd, and no compression with CRC32 checksums
//! (both ends of a pair agree, as ENet requires). Each input picks a pair and is split into
//! datagrams, injected into that pair's server either from the connected client's own socket
//! (`Connection::socket_send` on the client host: the server sees the peer's address), by default
//! prefixed with the 2-byte header the client's datagrams carry (its peer id and session bits as
//! the server expects them, captured with the server's intercept) so the bytes reach the
//! connected peer's command parser, or from an unrelated raw UDP socket. Then both ends are
//! serviced.
//!
//! Invariants (a violation panics, which libFuzzer reports as a crash):
//! - no crash or undefined behaviour, no panic, and `service` never returns `Err`;
//! - every few inputs, for each pair touched since: the legitimate client still exchanges a
//!   reliable message with the server. Datagrams from the client's own address may legitimately
//!   desynchronise or end that connection (they *are* the peer, as far as ENet can tell): the
//!   server must then still serve a fresh client, which must connect and exchange a message.
//!   Datagrams from the raw socket alone must never disturb the connection.
//!
//! Injected CONNECTs reserve a peer slot for up to 30 s (a known, unprotected ENet weakness), so
//! they must not make a fresh client's failure a false alarm: servers allow one peer per IP
//! (`set_duplicate_peers(1)`), so the raw socket holds at most one slot, and the server's
//! intercept drops datagrams to peer id 0xFFF (new connections) from the client's addresses
//! except while a fresh client connects. The CONNECT path is fuzzed from the raw socket.
//!
//! Input format, repeated: a control byte `c`, a length (one byte, or two big-endian bytes when
//! `c & 0x10`, capped at 5000 so datagrams over ENet's 4096-byte buffer occur), then that many
//! body bytes. `c & 0x01`: prefix the captured header, with the sent-time and compressed flags
//! taken from `c & 0x80` and `c & 0x40`; `c & 0x02`: send from the raw socket instead of the
//! client's; `c & 0x04`: service the server right after this datagram. The first byte of the
//! input, modulo 6, picks the pair.
#![no_main]

use enet::{CompressionMode, Connection, Event, PacketPeer, Verdict};
use libfuzzer_sys::fuzz_target;
use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Inputs between liveness checks.
const CHECK_EVERY: u64 = 64;
/// At most this many datagrams per input.
const MAX_DATAGRAMS: usize = 64;
/// How long a probe waits first: plenty on loopback, and short, because a connection that
/// injected datagrams desynchronised (say, a forged reliable command took the sequence number
/// the client uses next) fails every probe.
const QUICK_PATIENCE: Duration = Duration::from_millis(250);
/// Generous bounds for loopback on a loaded 2-core machine, before any verdict that panics.
const PROBE_PATIENCE: Duration = Duration::from_secs(3);
const CONNECT_PATIENCE: Duration = Duration::from_secs(5);

/// The raw socket's address: no client ever uses it.
const RAW_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

const MODES: [(CompressionMode, bool); 6] = [
    (CompressionMode::None, false),
    (CompressionMode::RangeCoder, false),
    (CompressionMode::Fastlz, false),
    (CompressionMode::Zlib, false),
    (CompressionMode::Zstd, false),
    (CompressionMode::None, true),
];

struct Pair {
    mode: (CompressionMode, bool),
    server: Connection,
    port: u16,
    client: Connection,
    /// The server's handle of the client, and the client's handle of the server (`None` only
    /// before the first connection).
    to_client: Option<PacketPeer>,
    to_server: Option<PacketPeer>,
    /// The first two bytes of the client's datagrams, flags masked out.
    header: [u8; 2],
    /// A Disconnect for the legitimate connection was seen on either side.
    broken: bool,
    /// Set while a fresh client connects: only then may datagrams to peer id 0xFFF come from a
    /// client address.
    connecting: Arc<AtomicBool>,
    /// Datagrams from the client's address since the last check.
    from_client: bool,
    touched: bool,
}

struct Fuzz {
    pairs: Vec<Pair>,
    raw: UdpSocket,
    inputs: u64,
    probes: u64,
    /// Fresh clients needed after datagrams from a client's address broke its connection.
    reconnects: u64,
    /// The next loopback address a fresh client binds.
    next_ip: u32,
}

fn next_client_ip(next: &mut u32) -> String {
    // 127.0.2.1 ..= 127.0.255.254, 64k addresses: a half-open slot an injected CONNECT reserved
    // from an old client's address has long expired (30 s) when the address comes round again.
    let ip = Ipv4Addr::from(0x7F00_0201 + (*next % (254 * 254)) / 254 * 256 + *next % 254);
    *next += 1;
    ip.to_string()
}

/// Services `hosts` until `done` or `patience` passes; every event goes to `on_event`.
fn pump(
    hosts: &[&Connection],
    patience: Duration,
    mut on_event: impl FnMut(usize, Event),
    mut done: impl FnMut() -> bool,
) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() > patience {
            return false;
        }
        for (i, host) in hosts.iter().enumerate() {
            loop {
                match host.service(1) {
                    Ok(Event::None) => break,
                    Ok(event) => on_event(i, event),
                    Err(e) => panic!("service returned Err({e:?})"),
                }
            }
        }
    }
}

impl Pair {
    fn new(mode: (CompressionMode, bool), next_ip: &mut u32) -> Pair {
        let server = Connection::new();
        server
            .create_host_bound("127.0.0.1", 0, 8, 4, 0, 0)
            .expect("create_host_bound");
        server.compress(mode.0).expect("compress");
        server.set_checksum_enabled(mode.1).expect("checksum");
        server.set_duplicate_peers(1).expect("duplicate peers");
        let port = server.get_local_port().expect("port");
        let mut pair = Pair {
            mode,
            port,
            client: Connection::new(),
            to_client: None,
            to_server: None,
            server,
            header: [0; 2],
            broken: false,
            connecting: Arc::new(AtomicBool::new(false)),
            from_client: false,
            touched: false,
        };
        pair.install_filter();
        assert!(
            pair.reconnect(next_ip),
            "{mode:?}: the first client cannot connect"
        );
        pair
    }

    /// The server's intercept: datagrams to peer id 0xFFF from anywhere but the raw socket
    /// (127.0.0.3) are dropped unless a fresh client is connecting.
    fn install_filter(&self) {
        let connecting = self.connecting.clone();
        self.server
            .set_intercept(Some(Box::new(move |from, datagram: &[u8]| {
                let to_new_peer =
                    datagram.len() >= 2 && datagram[0] & 0x0F == 0x0F && datagram[1] == 0xFF;
                let raw = from.ip() == std::net::IpAddr::from(RAW_IP);
                if to_new_peer && !raw && !connecting.load(Ordering::Relaxed) {
                    Verdict::Drop
                } else {
                    Verdict::Pass
                }
            })))
            .expect("set_intercept");
    }

    /// Replaces the client with a fresh one from a new loopback address; true once it is
    /// connected, its header captured, and a reliable message exchanged.
    fn reconnect(&mut self, next_ip: &mut u32) -> bool {
        if let Some(old) = self.to_client.take() {
            let _ = old.reset();
        }
        let _ = self.client.destroy();
        let ip = next_client_ip(next_ip);
        self.client
            .create_host_bound(&ip, 0, 1, 4, 0, 0)
            .expect("client create_host_bound");
        self.client.compress(self.mode.0).expect("compress");
        self.client
            .set_checksum_enabled(self.mode.1)
            .expect("checksum");
        let to_server = self
            .client
            .connect_to_host("127.0.0.1", i32::from(self.port), 4, 0)
            .expect("connect_to_host");
        self.connecting.store(true, Ordering::Relaxed);
        let to_client = RefCell::new(None);
        let connected = pump(
            &[&self.server, &self.client],
            CONNECT_PATIENCE,
            |i, event| {
                if let (0, Event::Connect { peer, .. }) = (i, event) {
                    if peer.get_remote_address().map(|a| a.to_string()) == Ok(ip.clone()) {
                        *to_client.borrow_mut() = Some(peer);
                    } else {
                        // A handshake completed by injected datagrams: not ours.
                        let _ = peer.reset();
                    }
                }
            },
            || to_client.borrow().is_some() && to_server.get_state() == enet::PeerState::Connected,
        );
        self.connecting.store(false, Ordering::Relaxed);
        if !connected {
            return false;
        }
        self.to_client = to_client.into_inner();
        self.to_server = Some(to_server);
        self.broken = false;
        self.from_client = false;
        self.header = self.capture_header();
        self.probe(&mut 0, PROBE_PATIENCE)
    }

    /// The two header bytes of the client's next datagram, as the server receives it.
    fn capture_header(&self) -> [u8; 2] {
        let seen = Arc::new(Mutex::new(None));
        let sink = seen.clone();
        self.server
            .set_intercept(Some(Box::new(move |_, datagram: &[u8]| {
                if datagram.len() >= 2 {
                    *sink.lock().unwrap() = Some([datagram[0] & 0x3F, datagram[1]]);
                }
                Verdict::Pass
            })))
            .expect("set_intercept");
        self.to_server().ping().expect("ping");
        let got = pump(
            &[&self.server, &self.client],
            CONNECT_PATIENCE,
            |_, _| {},
            || seen.lock().unwrap().is_some(),
        );
        self.install_filter();
        assert!(got, "{:?}: no datagram from the client", self.mode);
        let header = seen.lock().unwrap().unwrap();
        header
    }

    fn to_server(&self) -> &PacketPeer {
        self.to_server.as_ref().expect("connected")
    }

    /// Whether a reliable message from the client reaches the server's handle of it.
    fn probe(&mut self, counter: &mut u64, patience: Duration) -> bool {
        *counter += 1;
        let message = format!("probe {counter}").into_bytes();
        if self
            .to_server()
            .send(0, &message, PacketPeer::FLAG_RELIABLE)
            .is_err()
        {
            return false;
        }
        let (arrived, broken) = (Cell::new(false), Cell::new(false));
        let (to_client, to_server) = (self.to_client.clone(), self.to_server.clone());
        let (to_client, to_server) = (to_client.unwrap(), to_server.unwrap());
        pump(
            &[&self.server, &self.client],
            patience,
            |_, event| match event {
                Event::Receive { peer, .. } => {
                    while let Ok(packet) = peer.get_packet() {
                        if peer == to_client && packet[..] == message[..] {
                            arrived.set(true);
                        }
                    }
                }
                Event::Disconnect { peer, .. } if peer == to_client || peer == to_server => {
                    broken.set(true);
                }
                _ => {}
            },
            || arrived.get() || broken.get(),
        );
        self.broken |= broken.get();
        arrived.get()
    }
}

impl Fuzz {
    fn new() -> Fuzz {
        let mut next_ip = 0;
        let pairs = MODES
            .iter()
            .map(|&mode| Pair::new(mode, &mut next_ip))
            .collect();
        let raw = UdpSocket::bind((RAW_IP, 0)).expect("bind the raw socket");
        Fuzz {
            pairs,
            raw,
            inputs: 0,
            probes: 0,
            reconnects: 0,
            next_ip,
        }
    }

    fn run(&mut self, data: &[u8]) {
        let Some((&selector, mut rest)) = data.split_first() else {
            return;
        };
        let pair = &mut self.pairs[usize::from(selector) % MODES.len()];
        pair.touched = true;
        let mut sent = 0;
        while let Some((&control, tail)) = rest.split_first() {
            if sent == MAX_DATAGRAMS {
                break;
            }
            let (len, tail) = if control & 0x10 != 0 {
                match tail {
                    [hi, lo, tail @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), tail),
                    _ => break,
                }
            } else {
                match tail {
                    [len, tail @ ..] => (usize::from(*len), tail),
                    _ => break,
                }
            };
            let len = len.min(5000).min(tail.len());
            let (body, tail) = tail.split_at(len);
            rest = tail;
            let mut datagram = Vec::with_capacity(body.len() + 2);
            if control & 0x01 != 0 {
                datagram.push(pair.header[0] | (control & 0xC0));
                datagram.push(pair.header[1]);
            }
            datagram.extend_from_slice(body);
            if datagram.is_empty() {
                continue;
            }
            if control & 0x02 != 0 {
                let _ = self.raw.send_to(&datagram, ("127.0.0.1", pair.port));
            } else {
                pair.from_client = true;
                pair.client
                    .socket_send("127.0.0.1", i32::from(pair.port), &datagram)
                    .expect("socket_send");
            }
            sent += 1;
            if control & 0x04 != 0 {
                service_once(pair);
            }
        }
        for _ in 0..3 {
            service_once(pair);
        }

        self.inputs += 1;
        if self.inputs.is_multiple_of(CHECK_EVERY) {
            self.check();
        }
        if self.inputs.is_multiple_of(100_000) {
            eprintln!(
                "received_datagrams: {} inputs, {} probes, {} fresh clients after broken \
                 connections",
                self.inputs, self.probes, self.reconnects
            );
        }
    }

    /// The liveness invariant for every pair touched since the last check.
    fn check(&mut self) {
        // Keep-alive: a pair nobody serviced for ENet's 30 s timeout would time out by itself.
        for pair in self.pairs.iter_mut().filter(|pair| !pair.touched) {
            service_once(pair);
        }
        for pair in self.pairs.iter_mut().filter(|pair| pair.touched) {
            pair.touched = false;
            let alive = !pair.broken
                && (pair.probe(&mut self.probes, QUICK_PATIENCE)
                    || !pair.from_client && pair.probe(&mut self.probes, PROBE_PATIENCE));
            if alive {
                pair.from_client = false;
                continue;
            }
            assert!(
                pair.from_client,
                "{:?}: datagrams from an unrelated socket alone broke the legitimate connection \
                 (broken: {})",
                pair.mode, pair.broken
            );
            self.reconnects += 1;
            assert!(
                pair.reconnect(&mut self.next_ip),
                "{:?}: the server no longer serves a fresh client",
                pair.mode
            );
        }
    }
}

/// Services both ends of `pair` once, without waiting; drains received packets; notes a broken
/// legitimate connection.
fn service_once(pair: &mut Pair) {
    for (i, host) in [&pair.server, &pair.client].into_iter().enumerate() {
        loop {
            match host.service(0) {
                Ok(Event::None) => break,
                Ok(Event::Receive { peer, .. }) => while peer.get_packet().is_ok() {},
                Ok(Event::Disconnect { peer, .. }) => {
                    if Some(&peer) == pair.to_client.as_ref()
                        || Some(&peer) == pair.to_server.as_ref()
                    {
                        pair.broken = true;
                    }
                }
                Ok(Event::Connect { peer, .. }) => {
                    // Only a fresh client connects legitimately (in reconnect); anything else
                    // completed a handshake through injected datagrams: forget it.
                    if i == 0 {
                        let _ = peer.reset();
                    }
                }
                Err(e) => panic!("{:?}: service returned Err({e:?})", pair.mode),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    static FUZZ: OnceLock<Mutex<Fuzz>> = OnceLock::new();
    let fuzz = FUZZ.get_or_init(|| Mutex::new(Fuzz::new()));
    // A panic poisons the lock only when libFuzzer is about to report it and exit.
    let mut fuzz = fuzz
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    fuzz.run(data);
});
