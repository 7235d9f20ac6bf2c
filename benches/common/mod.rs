//! The measuring half of the throughput benchmark, shared word for word by every contender.
//!
//! Two binaries include this file: the `throughput` bench (contenders `raw`, `safe`,
//! `rusty_enet`, `udp`) and the separate `bench-enet-crate` project (contender `enet_crate`, which
//! cannot share our dependency graph). Each implements [`Stack`] for its library and calls
//! [`child_main`]; everything that decides *what* is measured and *how* lives here, so every
//! contender runs the same loop.
//!
//! # The shape
//!
//! One process per measurement (the parent re-executes the binary with `--child`), one thread,
//! everything on 127.0.0.1 with OS-chosen ports. The server and all clients live in that thread
//! and are serviced in turn with zero timeouts, each host drained until it has no event left (the
//! canonical ENet loop: the final `service` of a drain flushes what the event handlers queued).
//! Each client is its own host with its own socket and one peer slot (the realistic shape, and the
//! only one our Godot-shaped `Connection` allows). The server is serviced after every
//! [`SERVER_EVERY`] clients so its socket buffer never overflows (loopback delivers synchronously,
//! so nothing else bounds the queue); the same interleaving is used for every contender.
//!
//! Why one thread: on the 2 shared cores of the project's machine a second busy thread makes the
//! result depend on the scheduler and on whatever else runs; with one thread, wall time is CPU time
//! spent in the library plus the kernel's loopback path, and contenders are compared on the same
//! work. (NetworkBenchmarkDotNet runs its server and clients on separate threads, so its absolute
//! figures are not comparable with these.)
//!
//! # Workloads
//!
//! * **ping-pong** (`pingpong/<clients>/<in flight>`): NetworkBenchmarkDotNet's shape. Each
//!   client keeps `in flight` 32-byte reliable messages outstanding; the server echoes every
//!   message to its sender on the same channel with the same flags; a client sends the next
//!   message from inside its event loop as each echo arrives. A *message* is one completed round
//!   trip. The round trip time is taken from the end of the client drain that sent a message to the
//!   end of the one that received its echo (per-client FIFO: reliable, ordered).
//! * **bulk** (`bulk/<reliable|unreliable>/<bytes>`): one client streams packets of the given size
//!   to a server that discards them. The sender keeps at most [`BULK_WINDOW_BYTES`] of packets
//!   outstanding (sent but not yet delivered to the server application) and queues at most
//!   [`BULK_BURST_BYTES`] per loop pass. Unreliable packets larger than the MTU are sent as
//!   unreliable fragments where the library allows it. An unreliable packet that has not arrived
//!   after three passes in which nothing arrived is counted lost (loopback is synchronous, so it
//!   was dropped). A *message* is one packet delivered to the server application.
//! * **scale** (`scale/<peers>`): `peers` clients connect (at most [`MAX_PENDING_CONNECTS`]
//!   handshakes in progress at once) and then idle. Reported: connections established per second
//!   (first connect call to the last CONNECT event on both ends), resident memory per connection
//!   (RSS growth from "all client hosts created" to "all connected", divided by `peers`: the
//!   server's preallocated slot plus the per-connection state of both ends, not the client hosts
//!   themselves), and the cost of one server `service` pass with all peers idle (each pass timed
//!   alone; clients are serviced, untimed, every 100 ms so pings are answered).
//!
//! # Measurement
//!
//! Every workload runs a warm-up, then a timed window. Counters, the round-trip histogram and the
//! CPU time (user+sys from `getrusage`) cover the window only; peak RSS (`ru_maxrss`) is the child
//! process's, which is why each contender runs in a process of its own. The child prints one line
//! `RESULT key=value ...` that the parent parses.
#![allow(dead_code)] // each binary uses a different subset

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Payload size of a ping-pong message (NetworkBenchmarkDotNet's 32 bytes).
pub const PING_PONG_PAYLOAD: usize = 32;
/// The server is drained after this many clients (and after the last), in every workload.
pub const SERVER_EVERY: usize = 16;
/// At most this many handshakes are in progress at once while clients connect.
pub const MAX_PENDING_CONNECTS: usize = 64;
/// Bulk: at most this many bytes of packets sent but not yet delivered (at least two packets).
pub const BULK_WINDOW_BYTES: usize = 128 * 1024;
/// Bulk: at most this many bytes queued per loop pass (at least one packet).
pub const BULK_BURST_BYTES: usize = 32 * 1024;

/// How a packet is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reliable, sequenced (ENet's `FLAG_RELIABLE`).
    Reliable,
    /// Unreliable, sequenced; sent as unreliable fragments when larger than the MTU where the
    /// library allows it.
    Unreliable,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Reliable => "reliable",
            Mode::Unreliable => "unreliable",
        }
    }
}

/// What the server counted while draining.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// CONNECT events.
    pub connects: u64,
    /// DISCONNECT events (none are expected; reported so a timeout cannot go unnoticed).
    pub disconnects: u64,
    /// Packets received by the server application.
    pub packets: u64,
    /// Their payload bytes.
    pub bytes: u64,
}

/// One library under test. Every method is called from the single benchmark thread.
pub trait Stack {
    /// The server end: one host bound to 127.0.0.1:0.
    type Server;
    /// One client: its own host (or socket) with one peer slot.
    type Client;
    /// True for plain UDP, which has no handshake: a client counts as connected at once and the
    /// server reports no CONNECT events.
    const CONNECTIONLESS: bool = false;

    /// A server with room for `peers` peers and one channel.
    fn server(&mut self, peers: usize) -> Self::Server;
    /// The server's bound port.
    fn port(&mut self, server: &Self::Server) -> u16;
    /// A client endpoint, not yet connected.
    fn client(&mut self) -> Self::Client;
    /// Starts connecting `client` to 127.0.0.1:`port` with one channel.
    fn connect(&mut self, client: &mut Self::Client, port: u16);
    /// True once the client has seen its CONNECT event.
    fn is_connected(&self, client: &Self::Client) -> bool;
    /// Services the server until it has no event left, counting into `counts`. With `echo`, every
    /// received packet is sent back to its sender on the same channel with the same flags, from
    /// inside the loop (without copying where the library allows it).
    fn pump_server(&mut self, server: &mut Self::Server, echo: bool, counts: &mut Counts);
    /// Services a client until it has no event left and returns the number of packets it
    /// received (each is checked and dropped). With `reply`, each received packet is answered
    /// from inside the loop by sending `reply` with the given mode.
    fn pump_client(&mut self, client: &mut Self::Client, reply: Option<(&[u8], Mode)>) -> u32;
    /// Queues one packet on the client's channel 0.
    fn send(&mut self, client: &mut Self::Client, payload: &[u8], mode: Mode);
}

/// A workload and its parameters, as written on the command line (`pingpong/100/10`,
/// `bulk/reliable/1024`, `scale/4095`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    PingPong { clients: usize, in_flight: usize },
    Bulk { mode: Mode, size: usize },
    Scale { peers: usize },
}

impl Workload {
    pub fn parse(text: &str) -> Option<Workload> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            ["pingpong", clients, in_flight] => Some(Workload::PingPong {
                clients: clients.parse().ok()?,
                in_flight: in_flight.parse().ok()?,
            }),
            ["bulk", mode, size] => Some(Workload::Bulk {
                mode: match *mode {
                    "reliable" => Mode::Reliable,
                    "unreliable" => Mode::Unreliable,
                    _ => return None,
                },
                size: size.parse().ok()?,
            }),
            ["scale", peers] => Some(Workload::Scale {
                peers: peers.parse().ok()?,
            }),
            _ => None,
        }
    }

    pub fn spec(&self) -> String {
        match self {
            Workload::PingPong { clients, in_flight } => format!("pingpong/{clients}/{in_flight}"),
            Workload::Bulk { mode, size } => format!("bulk/{}/{size}", mode.name()),
            Workload::Scale { peers } => format!("scale/{peers}"),
        }
    }
}

/// Durations of one child run.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Warm-up before the timed window.
    pub warm: Duration,
    /// The timed window.
    pub window: Duration,
    /// Hard limit for the whole run (setup included); the child aborts past it.
    pub limit: Duration,
}

/// A log-linear histogram of nanosecond values: 32 buckets per power of two (about 3% resolution),
/// fixed size, so recording never allocates.
pub struct Histogram {
    counts: Box<[u64; Histogram::BUCKETS]>,
    total: u64,
}

impl Histogram {
    const SUB: u32 = 32;
    const BUCKETS: usize = 64 * Self::SUB as usize;

    pub fn new() -> Histogram {
        Histogram {
            counts: Box::new([0; Self::BUCKETS]),
            total: 0,
        }
    }

    fn index(value: u64) -> usize {
        if value < u64::from(Self::SUB) {
            return value as usize;
        }
        let exp = 63 - value.leading_zeros(); // >= 5
        let sub = (value >> (exp - 5)) & u64::from(Self::SUB - 1);
        ((exp - 4) * Self::SUB) as usize + sub as usize
    }

    /// The midpoint of bucket `index`.
    fn value(index: usize) -> u64 {
        let sub_count = Self::SUB as usize;
        if index < sub_count {
            return index as u64;
        }
        let exp = (index / sub_count) as u32 + 4;
        let sub = (index % sub_count) as u64;
        let width = 1u64 << (exp - 5);
        ((u64::from(Self::SUB) + sub) << (exp - 5)) + width / 2
    }

    pub fn record(&mut self, value: u64) {
        self.counts[Self::index(value)] += 1;
        self.total += 1;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The value below which a fraction `q` of the samples lie (0 without samples).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::value(index);
            }
        }
        Self::value(Self::BUCKETS - 1)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

/// User+system CPU time of this process so far (getrusage).
pub fn cpu_time() -> Duration {
    let usage = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .expect("getrusage");
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::from_secs(t.tv_sec() as u64) + Duration::from_micros(t.tv_usec() as u64)
    };
    tv(usage.user_time()) + tv(usage.system_time())
}

/// Peak resident set size of this process so far, in KiB (getrusage `ru_maxrss`).
pub fn peak_rss_kib() -> u64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_SELF)
        .map(|usage| usage.max_rss() as u64)
        .unwrap_or(0)
}

/// Current resident set size in bytes (`/proc/self/statm`, 4 KiB pages).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// The key=value result of one child run.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub fields: BTreeMap<String, String>,
}

impl Report {
    pub fn set(&mut self, key: &str, value: impl ToString) -> &mut Self {
        self.fields.insert(key.to_string(), value.to_string());
        self
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.fields.get(key)?.parse().ok()
    }

    pub fn line(&self) -> String {
        let mut line = String::from("RESULT");
        for (key, value) in &self.fields {
            let _ = write!(line, " {key}={value}");
        }
        line
    }

    pub fn parse(line: &str) -> Option<Report> {
        let rest = line.strip_prefix("RESULT")?;
        let mut report = Report::default();
        for pair in rest.split_whitespace() {
            let (key, value) = pair.split_once('=')?;
            report.set(key, value);
        }
        Some(report)
    }
}

/// Messages per second of CPU time (user+sys) spent in the window. The loop is single-threaded
/// and never sleeps, so on an idle machine this equals messages per wall-clock second; on a shared
/// machine it leaves out the time the process waited for a core (which wall-clock rates include
/// and which differs from one contender's run to the next).
fn cpu_rate(messages: u64, cpu: Duration) -> String {
    format!("{:.1}", messages as f64 / cpu.as_secs_f64().max(1e-9))
}

/// Panics with a clear message when a run exceeds its hard limit (the parent reports it).
fn check_deadline(deadline: Instant, what: &str) {
    assert!(
        Instant::now() < deadline,
        "{what}: exceeded the run's time limit"
    );
}

/// Connects every client to the server, at most [`MAX_PENDING_CONNECTS`] handshakes at a time,
/// and returns how long it took (first connect call to the last CONNECT event on both ends).
pub fn connect_all<S: Stack>(
    stack: &mut S,
    server: &mut S::Server,
    clients: &mut [S::Client],
    port: u16,
    counts: &mut Counts,
    deadline: Instant,
) -> Duration {
    let start = Instant::now();
    let base = counts.connects;
    let total = clients.len();
    let mut started = 0;
    let mut done = vec![false; total];
    let mut connected = 0;
    loop {
        let server_side = if S::CONNECTIONLESS {
            started
        } else {
            (counts.connects - base) as usize
        };
        let pending = started - server_side.min(started);
        let start_now = (total - started).min(MAX_PENDING_CONNECTS.saturating_sub(pending));
        for client in &mut clients[started..started + start_now] {
            stack.connect(client, port);
        }
        started += start_now;
        let mut since_server = 0;
        for (client, done) in clients[..started].iter_mut().zip(done.iter_mut()) {
            if *done {
                continue;
            }
            stack.pump_client(client, None);
            if stack.is_connected(client) {
                *done = true;
                connected += 1;
            }
            since_server += 1;
            if since_server == SERVER_EVERY {
                stack.pump_server(server, false, counts);
                since_server = 0;
            }
        }
        stack.pump_server(server, false, counts);
        let server_side = if S::CONNECTIONLESS {
            total
        } else {
            (counts.connects - base) as usize
        };
        if started == total && connected == total && server_side >= total {
            return start.elapsed();
        }
        check_deadline(deadline, "connecting");
    }
}

/// A fixed-capacity FIFO of send timestamps per client (no allocation after setup).
struct Fifos {
    stamps: Vec<u64>,
    head: Vec<u32>,
    len: Vec<u32>,
    capacity: usize,
}

impl Fifos {
    fn new(clients: usize, capacity: usize) -> Fifos {
        Fifos {
            stamps: vec![0; clients * capacity],
            head: vec![0; clients],
            len: vec![0; clients],
            capacity,
        }
    }

    fn push(&mut self, client: usize, stamp: u64) {
        let len = self.len[client] as usize;
        assert!(len < self.capacity, "more messages in flight than sent");
        let slot = (self.head[client] as usize + len) % self.capacity;
        self.stamps[client * self.capacity + slot] = stamp;
        self.len[client] += 1;
    }

    fn pop(&mut self, client: usize) -> u64 {
        assert!(self.len[client] > 0, "an echo arrived that was never sent");
        let head = self.head[client] as usize;
        self.head[client] = ((head + 1) % self.capacity) as u32;
        self.len[client] -= 1;
        self.stamps[client * self.capacity + head]
    }

    fn oldest(&self, client: usize) -> Option<u64> {
        (self.len[client] > 0)
            .then(|| self.stamps[client * self.capacity + self.head[client] as usize])
    }
}

/// The warm-up/window clock shared by the workloads.
struct Window {
    timing: Timing,
    begun: Instant,
    measuring: Option<(Instant, Duration)>,
}

impl Window {
    fn new(timing: Timing) -> Window {
        Window {
            timing,
            begun: Instant::now(),
            measuring: None,
        }
    }

    /// Advances the clock; returns false once the window is over.
    fn tick(&mut self, now: Instant) -> bool {
        match self.measuring {
            None if now >= self.begun + self.timing.warm => {
                self.measuring = Some((now, cpu_time()));
                true
            }
            Some((start, _)) => now < start + self.timing.window,
            None => true,
        }
    }

    fn measuring(&self) -> bool {
        self.measuring.is_some()
    }

    /// (wall, cpu) of the window so far.
    fn finish(&self) -> (Duration, Duration) {
        let (start, cpu) = self.measuring.expect("window never started");
        (start.elapsed(), cpu_time().saturating_sub(cpu))
    }
}

/// NetworkBenchmarkDotNet's ping-pong; see the module docs.
pub fn ping_pong<S: Stack>(
    stack: &mut S,
    clients: usize,
    in_flight: usize,
    timing: Timing,
) -> Report {
    let deadline = Instant::now() + timing.limit;
    let mut server = stack.server(clients);
    let port = stack.port(&server);
    let mut peers: Vec<S::Client> = (0..clients).map(|_| stack.client()).collect();
    let mut counts = Counts::default();
    let connect_time = connect_all(stack, &mut server, &mut peers, port, &mut counts, deadline);

    let payload = [0x5a_u8; PING_PONG_PAYLOAD];
    let epoch = Instant::now();
    let stamp = |at: Instant| at.duration_since(epoch).as_nanos() as u64;
    let mut fifos = Fifos::new(clients, in_flight);
    for (index, client) in peers.iter_mut().enumerate() {
        for _ in 0..in_flight {
            stack.send(client, &payload, Mode::Reliable);
            fifos.push(index, stamp(Instant::now()));
        }
        if index % SERVER_EVERY == SERVER_EVERY - 1 {
            stack.pump_server(&mut server, true, &mut counts);
        }
    }

    let mut rtt = Histogram::new();
    let mut window = Window::new(timing);
    let mut round_trips = 0u64;
    let mut passes = 0u64;
    loop {
        for (index, client) in peers.iter_mut().enumerate() {
            let echoes = stack.pump_client(client, Some((&payload, Mode::Reliable)));
            if echoes > 0 {
                let now = stamp(Instant::now());
                for _ in 0..echoes {
                    let sent = fifos.pop(index);
                    if window.measuring() {
                        rtt.record(now - sent);
                        round_trips += 1;
                    }
                    fifos.push(index, now);
                }
            }
            if index % SERVER_EVERY == SERVER_EVERY - 1 {
                stack.pump_server(&mut server, true, &mut counts);
            }
        }
        stack.pump_server(&mut server, true, &mut counts);
        passes += 1;
        let now = Instant::now();
        if !window.tick(now) {
            break;
        }
        check_deadline(deadline, "ping-pong");
    }
    let (wall, cpu) = window.finish();
    // A message outstanding for over a second was lost (only plain UDP can lose one).
    let now = stamp(Instant::now());
    let stalled = (0..clients)
        .filter(|&c| fifos.oldest(c).is_some_and(|t| now - t > 1_000_000_000))
        .count();

    let mut report = Report::default();
    report
        .set("msgs", round_trips)
        .set("secs", format!("{:.4}", wall.as_secs_f64()))
        .set(
            "rate",
            format!("{:.1}", round_trips as f64 / wall.as_secs_f64()),
        )
        .set("cpu_rate", cpu_rate(round_trips, cpu))
        .set("p50_ns", rtt.quantile(0.50))
        .set("p99_ns", rtt.quantile(0.99))
        .set("cpu_s", format!("{:.4}", cpu.as_secs_f64()))
        .set("passes", passes)
        .set("stalled_clients", stalled)
        .set("disconnects", counts.disconnects)
        .set("connect_s", format!("{:.4}", connect_time.as_secs_f64()));
    report
}

/// One client streaming to a discarding server; see the module docs.
pub fn bulk<S: Stack>(stack: &mut S, mode: Mode, size: usize, timing: Timing) -> Report {
    let deadline = Instant::now() + timing.limit;
    let mut server = stack.server(1);
    let port = stack.port(&server);
    let mut client = [stack.client()];
    let mut counts = Counts::default();
    connect_all(stack, &mut server, &mut client, port, &mut counts, deadline);
    let client = &mut client[0];

    let payload = vec![0xa5_u8; size];
    let window_packets = (BULK_WINDOW_BYTES / size).max(2) as u64;
    let burst = (BULK_BURST_BYTES / size).max(1) as u64;
    let (mut sent, mut lost, mut idle) = (0u64, 0u64, 0u32);
    let base = counts.packets;
    let mut window = Window::new(timing);
    let (mut start_packets, mut start_bytes, mut start_sent, mut start_lost) = (0, 0, 0, 0);
    loop {
        let outstanding = sent - (counts.packets - base) - lost;
        let now_sending = burst.min(window_packets.saturating_sub(outstanding));
        for _ in 0..now_sending {
            stack.send(client, &payload, mode);
        }
        sent += now_sending;
        stack.pump_client(client, None);
        let before = counts.packets;
        stack.pump_server(&mut server, false, &mut counts);
        if counts.packets == before && now_sending == 0 {
            idle += 1;
            if mode == Mode::Unreliable && idle >= 3 {
                lost += sent - (counts.packets - base) - lost;
                idle = 0;
            }
        } else {
            idle = 0;
        }
        let was_measuring = window.measuring();
        let more = window.tick(Instant::now());
        if !was_measuring && window.measuring() {
            (start_packets, start_bytes, start_sent, start_lost) =
                (counts.packets, counts.bytes, sent, lost);
        }
        if !more {
            break;
        }
        check_deadline(deadline, "bulk");
    }
    let (wall, cpu) = window.finish();
    let packets = counts.packets - start_packets;
    let bytes = counts.bytes - start_bytes;
    let mut report = Report::default();
    report
        .set("msgs", packets)
        .set("secs", format!("{:.4}", wall.as_secs_f64()))
        .set(
            "rate",
            format!("{:.1}", packets as f64 / wall.as_secs_f64()),
        )
        .set("cpu_rate", cpu_rate(packets, cpu))
        .set(
            "mbytes_per_s",
            format!("{:.2}", bytes as f64 / wall.as_secs_f64() / 1e6),
        )
        .set("sent", sent - start_sent)
        .set("lost", lost - start_lost)
        .set("cpu_s", format!("{:.4}", cpu.as_secs_f64()))
        .set("disconnects", counts.disconnects);
    report
}

/// Connection rate, memory per connection and idle service-pass cost; see the module docs.
pub fn scale<S: Stack>(stack: &mut S, peers: usize, timing: Timing) -> Report {
    let deadline = Instant::now() + timing.limit;
    let mut clients: Vec<S::Client> = (0..peers).map(|_| stack.client()).collect();
    let rss_clients = rss_bytes();
    let mut server = stack.server(peers);
    let rss_server = rss_bytes();
    let port = stack.port(&server);
    let mut counts = Counts::default();
    let connect_time = connect_all(
        stack,
        &mut server,
        &mut clients,
        port,
        &mut counts,
        deadline,
    );
    let rss_connected = rss_bytes();

    let mut passes = Histogram::new();
    let (mut timed, mut pass_count) = (Duration::ZERO, 0u64);
    let mut window = Window::new(timing);
    let mut clients_serviced = Instant::now();
    loop {
        let before = Instant::now();
        stack.pump_server(&mut server, false, &mut counts);
        let after = Instant::now();
        if window.measuring() {
            let took = after - before;
            passes.record(took.as_nanos() as u64);
            timed += took;
            pass_count += 1;
        }
        if after - clients_serviced >= Duration::from_millis(100) {
            for client in &mut clients {
                stack.pump_client(client, None);
            }
            clients_serviced = Instant::now();
        }
        if !window.tick(after) {
            break;
        }
        check_deadline(deadline, "scale");
    }
    let (wall, cpu) = window.finish();
    let per_peer = |bytes: u64| bytes as f64 / peers as f64;
    let mut report = Report::default();
    report
        .set("secs", format!("{:.4}", wall.as_secs_f64()))
        .set("passes", pass_count)
        .set(
            "pass_mean_ns",
            format!("{:.0}", timed.as_nanos() as f64 / pass_count.max(1) as f64),
        )
        .set("pass_p50_ns", passes.quantile(0.50))
        .set("pass_p99_ns", passes.quantile(0.99))
        .set(
            "connects_per_s",
            format!("{:.1}", peers as f64 / connect_time.as_secs_f64()),
        )
        .set(
            "mem_per_peer_b",
            format!("{:.0}", per_peer(rss_connected.saturating_sub(rss_clients))),
        )
        .set(
            "slot_mem_per_peer_b",
            format!("{:.0}", per_peer(rss_server.saturating_sub(rss_clients))),
        )
        .set("cpu_s", format!("{:.4}", cpu.as_secs_f64()))
        .set("disconnects", counts.disconnects);
    report
}

/// Runs one workload on `stack` and returns its report (with peak RSS and identification).
pub fn run<S: Stack>(stack: &mut S, contender: &str, workload: Workload, timing: Timing) -> Report {
    let mut report = match workload {
        Workload::PingPong { clients, in_flight } => ping_pong(stack, clients, in_flight, timing),
        Workload::Bulk { mode, size } => bulk(stack, mode, size, timing),
        Workload::Scale { peers } => scale(stack, peers, timing),
    };
    report
        .set("contender", contender)
        .set("workload", workload.spec())
        .set("maxrss_kib", peak_rss_kib());
    report
}

/// Parses a child command line: `--child <contender> <workload> [--warm s] [--window s]
/// [--limit s]` (extra arguments such as cargo's `--bench` are ignored). Returns the contender
/// name, the workload and the timing.
pub fn parse_child_args(args: &[String]) -> Result<(String, Workload, Timing), String> {
    let position = args
        .iter()
        .position(|a| a == "--child")
        .ok_or("missing --child")?;
    let contender = args.get(position + 1).ok_or("missing contender")?.clone();
    let workload = args
        .get(position + 2)
        .and_then(|w| Workload::parse(w))
        .ok_or("missing or bad workload")?;
    let seconds = |flag: &str, default: f64| -> Result<Duration, String> {
        match args.iter().position(|a| a == flag) {
            Some(i) => args
                .get(i + 1)
                .and_then(|v| v.parse::<f64>().ok())
                .map(Duration::from_secs_f64)
                .ok_or(format!("bad {flag}")),
            None => Ok(Duration::from_secs_f64(default)),
        }
    };
    let timing = Timing {
        warm: seconds("--warm", 0.2)?,
        window: seconds("--window", 1.0)?,
        limit: seconds("--limit", 60.0)?,
    };
    Ok((contender, workload, timing))
}

/// The whole of a child process: parse the arguments, run, print the `RESULT` line.
pub fn child_main<S: Stack>(stack: &mut S, contender: &str, args: &[String]) {
    let (_, workload, timing) = parse_child_args(args).unwrap_or_else(|e| {
        eprintln!("bad child arguments: {e}");
        std::process::exit(2)
    });
    let report = run(stack, contender, workload, timing);
    println!("{}", report.line());
}
