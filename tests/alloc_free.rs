//! The safe layer's send and receive paths make no Rust heap allocation per message.
//!
//! A counting global allocator wraps the system allocator and counts the allocations (including
//! reallocations) made on a thread while that thread has armed it. ENet's own `malloc`s (its
//! packets, commands and acknowledgements) call libc directly, not the Rust allocator, so they are
//! not counted: what is counted is exactly what the Rust side adds. Each test warms up (queues and
//! buffers reach their steady-state capacity), arms the counter on its own thread, runs a
//! steady-state ping-pong of 10,000 reliable messages over loopback, disarms, and requires the
//! count to be zero. Counts are per thread, so tests running in parallel do not see each other's.

use enet::{Connection, Event, PacketPeer};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// The system allocator, counting the allocations of armed threads.
struct Counting;

thread_local! {
    /// Whether this thread counts its allocations. Const-initialised without a destructor, like
    /// `ALLOCATIONS`, so using it never allocates.
    static ARMED: Cell<bool> = const { Cell::new(false) };
    /// This thread's count (per thread, so tests running in parallel do not see each other's).
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    if ARMED.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees are ours; counting only touches const thread-locals, and never allocates or unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's (valid) layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`, per the caller.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through us) with `layout`, per the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Rust heap allocations made by this thread while running `f`.
fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    ARMED.with(|armed| armed.set(true));
    f();
    ARMED.with(|armed| armed.set(false));
    ALLOCATIONS.with(Cell::get) - before
}

const PAYLOAD: [u8; 32] = [0x5a; 32];
const MESSAGES: u64 = 10_000;

/// How the server sends the echo back.
#[derive(Clone, Copy)]
enum Echo {
    /// `send_packet` with the received `Packet` itself (no copy).
    Packet,
    /// `send(channel, &bytes, flags)`, Godot's copying `send`.
    Copy,
}

/// A server and one client on loopback, driven from the calling thread.
struct PingPong {
    server: Connection,
    client: Connection,
    to_server: PacketPeer,
    echo: Echo,
    in_flight: u64,
    completed: u64,
}

impl PingPong {
    fn new(echo: Echo, in_flight: u64) -> PingPong {
        let server = Connection::new();
        server
            .create_host_bound("127.0.0.1", 0, 4, 1, 0, 0)
            .expect("server");
        let port = server.get_local_port().expect("port");
        let client = Connection::new();
        client.create_host(1, 1, 0, 0).expect("client");
        let to_server = client
            .connect_to_host("127.0.0.1", i32::from(port), 1, 0)
            .expect("connect");
        let mut ping = PingPong {
            server,
            client,
            to_server,
            echo,
            in_flight,
            completed: 0,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut connected = false;
        while !connected {
            assert!(Instant::now() < deadline, "connect timed out");
            ping.pump_server();
            loop {
                match ping.client.service(1).expect("service") {
                    Event::None => break,
                    Event::Connect { .. } => connected = true,
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        for _ in 0..in_flight {
            ping.to_server
                .send(0, &PAYLOAD, PacketPeer::FLAG_RELIABLE)
                .expect("send");
        }
        ping
    }

    fn pump_server(&mut self) {
        loop {
            match self.server.service(0).expect("server service") {
                Event::None => break,
                Event::Connect { .. } => {}
                Event::Disconnect { .. } => panic!("server lost its client"),
                Event::Receive { peer, channel } => {
                    let packet = peer.get_packet().expect("get_packet");
                    match self.echo {
                        Echo::Packet => peer
                            .send_packet(i32::from(channel), packet)
                            .expect("send_packet"),
                        Echo::Copy => peer
                            .send(i32::from(channel), &packet, packet.flags())
                            .expect("send"),
                    }
                }
            }
        }
    }

    fn pump_client(&mut self) {
        loop {
            match self.client.service(0).expect("client service") {
                Event::None => break,
                Event::Receive { peer, .. } => {
                    let packet = peer.get_packet().expect("get_packet");
                    assert_eq!(&packet[..], &PAYLOAD);
                    drop(packet);
                    self.completed += 1;
                    peer.send(0, &PAYLOAD, PacketPeer::FLAG_RELIABLE)
                        .expect("send");
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    /// Runs until `messages` more round trips have completed.
    fn run(&mut self, messages: u64) {
        let target = self.completed + messages;
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.completed < target {
            self.pump_client();
            self.pump_server();
            assert!(Instant::now() < deadline, "ping-pong stalled");
        }
        assert!(self.in_flight > 0);
    }
}

fn assert_alloc_free(echo: Echo, in_flight: u64) {
    let mut ping = PingPong::new(echo, in_flight);
    // Warm-up: the per-peer receive queues and ENet's lists reach their steady-state size.
    ping.run(2_000);
    let allocations = allocations_during(|| ping.run(MESSAGES));
    assert_eq!(
        allocations, 0,
        "{allocations} Rust heap allocations during {MESSAGES} round trips (expected none)"
    );
}

#[test]
fn ping_pong_echoing_the_received_packet_allocates_nothing() {
    assert_alloc_free(Echo::Packet, 1);
}

#[test]
fn ping_pong_with_ten_in_flight_and_copying_sends_allocates_nothing() {
    assert_alloc_free(Echo::Copy, 10);
}

#[test]
fn the_counter_sees_rust_allocations() {
    let allocations = allocations_during(|| {
        let v: Vec<u8> = std::hint::black_box(vec![1, 2, 3]);
        drop(v);
    });
    assert_eq!(allocations, 1);
}
