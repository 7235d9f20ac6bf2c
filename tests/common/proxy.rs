//! A seeded lossy UDP proxy on loopback: sits between one client and one server and drops,
//! duplicates, delays and reorders datagrams in both directions, reproducibly for a given seed.
#![allow(dead_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the link misbehaves. Probabilities are in [0, 1].
#[derive(Debug, Clone, Copy)]
pub struct Impairment {
    pub drop: f64,
    pub duplicate: f64,
    /// Each datagram is held for a uniformly random delay in `0..=max_delay`, so datagrams sent
    /// close together are reordered.
    pub max_delay: Duration,
    pub seed: u64,
}

/// What the proxy did, for the test's report.
#[derive(Debug, Default)]
pub struct Counters {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
}

/// A running proxy; stopped and joined on drop.
pub struct Proxy {
    /// The address clients connect to.
    pub address: SocketAddr,
    pub counters: Arc<Counters>,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }
}

impl Proxy {
    /// Starts a proxy in front of `server` (a 127.0.0.1 address).
    pub fn start(server: SocketAddr, impairment: Impairment) -> Proxy {
        let front = UdpSocket::bind("127.0.0.1:0").unwrap();
        let back = UdpSocket::bind("127.0.0.1:0").unwrap();
        front.set_nonblocking(true).unwrap();
        back.set_nonblocking(true).unwrap();
        let address = front.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (counters, cut, stop) = (counters.clone(), cut.clone(), stop.clone());
            std::thread::spawn(move || run(front, back, server, impairment, &counters, &cut, &stop))
        };
        Proxy {
            address,
            counters,
            cut,
            stop,
            thread: Some(thread),
        }
    }

    /// From now on every datagram in both directions is dropped.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A datagram waiting for its release time.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    release: Instant,
    order: u64,
    to_server: bool,
    bytes: Vec<u8>,
}

fn run(
    front: UdpSocket,
    back: UdpSocket,
    server: SocketAddr,
    impairment: Impairment,
    counters: &Counters,
    cut: &AtomicBool,
    stop: &AtomicBool,
) {
    let mut rng = Rng(impairment.seed | 1);
    let mut client: Option<SocketAddr> = None;
    let mut held: BinaryHeap<Reverse<Held>> = BinaryHeap::new();
    let mut order = 0u64;
    let mut buffer = [0u8; 65536];
    let max_delay_us = impairment.max_delay.as_micros() as u64;
    while !stop.load(Ordering::SeqCst) {
        let mut idle = true;
        for to_server in [true, false] {
            let socket = if to_server { &front } else { &back };
            while let Ok((len, from)) = socket.recv_from(&mut buffer) {
                idle = false;
                if to_server {
                    client = Some(from);
                }
                if cut.load(Ordering::SeqCst) || rng.chance(impairment.drop) {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let copies = if rng.chance(impairment.duplicate) {
                    counters.duplicated.fetch_add(1, Ordering::Relaxed);
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let delay = if max_delay_us == 0 {
                        0
                    } else {
                        rng.next() % (max_delay_us + 1)
                    };
                    order += 1;
                    held.push(Reverse(Held {
                        release: Instant::now() + Duration::from_micros(delay),
                        order,
                        to_server,
                        bytes: buffer[..len].to_vec(),
                    }));
                }
            }
        }
        while held
            .peek()
            .is_some_and(|Reverse(h)| h.release <= Instant::now())
        {
            let Reverse(h) = held.pop().unwrap();
            idle = false;
            let sent = if h.to_server {
                back.send_to(&h.bytes, server)
            } else if let Some(client) = client {
                front.send_to(&h.bytes, client)
            } else {
                continue;
            };
            if sent.is_ok() {
                counters.forwarded.fetch_add(1, Ordering::Relaxed);
            }
        }
        if idle {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}
