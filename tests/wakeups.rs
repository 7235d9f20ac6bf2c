//! Wake-ups: a thread waiting in `service`/`drain` with a long timeout is woken when another
//! thread gives it work, so what that thread queues leaves at once instead of when the wait ends.

mod common;

use common::DEADLINE;
use enet::{Connection, Error, Event, PacketPeer};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The network thread's wait: long enough that a send waiting for it would be obvious.
const LONG_WAIT_MS: u32 = 5_000;
/// Well above a wake-up's microseconds, well below `LONG_WAIT_MS` and ENet's own traffic (the
/// server's pings are turned down to every 10 s).
const PROMPT: Duration = Duration::from_millis(250);

/// A connected pair whose client is serviced by its own network thread, waiting `LONG_WAIT_MS`
/// per call with `service` or `drain`; returns the server, the client's handle of the server,
/// the server's handle of the client and a stop switch with the thread's handle.
fn client_on_a_network_thread(
    with_drain: bool,
) -> (
    Connection,
    PacketPeer,
    PacketPeer,
    Arc<AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let (server, client, to_client, to_server) = common::connected_pair(1);
    to_client.ping_interval(10_000).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let running = stop.clone();
    let network = std::thread::spawn(move || {
        while !running.load(Ordering::SeqCst) {
            if with_drain {
                client.drain(LONG_WAIT_MS, |_| {}).unwrap();
            } else {
                client.service(LONG_WAIT_MS).unwrap();
            }
        }
    });
    // Let the network thread settle into its wait.
    std::thread::sleep(Duration::from_millis(50));
    (server, to_server, to_client, stop, network)
}

/// Sends five packets from this (game) thread while the network thread waits, and returns the
/// longest time any took to reach the server.
fn slowest_delivery(
    server: &Connection,
    to_server: &PacketPeer,
    to_client: &PacketPeer,
) -> Duration {
    let mut slowest = Duration::ZERO;
    for i in 0..5u8 {
        std::thread::sleep(Duration::from_millis(20));
        let sent = Instant::now();
        to_server.send(0, &[i], PacketPeer::FLAG_RELIABLE).unwrap();
        loop {
            assert!(sent.elapsed() < DEADLINE, "packet {i} never arrived");
            if let Event::Receive { .. } = server.service(1).unwrap() {
                assert_eq!(&to_client.get_packet().unwrap()[..], &[i]);
                break;
            }
        }
        slowest = slowest.max(sent.elapsed());
    }
    slowest
}

/// Stops the network thread: a packet from the server ends its wait with an event.
fn stop(
    stop: Arc<AtomicBool>,
    network: std::thread::JoinHandle<()>,
    server: &Connection,
    to_client: &PacketPeer,
) {
    stop.store(true, Ordering::SeqCst);
    to_client
        .send(0, b"stop", PacketPeer::FLAG_RELIABLE)
        .unwrap();
    server.flush().unwrap();
    network.join().unwrap();
}

#[test]
fn a_send_from_another_thread_wakes_a_service_waiting_with_a_long_timeout() {
    let (server, to_server, to_client, switch, network) = client_on_a_network_thread(false);
    let slowest = slowest_delivery(&server, &to_server, &to_client);
    stop(switch, network, &server, &to_client);
    eprintln!("wake-up figures: service, slowest of 5 deliveries {slowest:?}");
    assert!(slowest < PROMPT, "a packet took {slowest:?}");
}

#[test]
fn a_send_from_another_thread_wakes_a_drain_waiting_with_a_long_timeout() {
    let (server, to_server, to_client, switch, network) = client_on_a_network_thread(true);
    let slowest = slowest_delivery(&server, &to_server, &to_client);
    stop(switch, network, &server, &to_client);
    assert!(slowest < PROMPT, "a packet took {slowest:?}");
}

#[test]
fn destroying_the_host_from_another_thread_ends_a_waiting_service() {
    let client = Arc::new(common::client());
    let waiting = client.clone();
    let network = std::thread::spawn(move || {
        let start = Instant::now();
        let result = waiting.service(LONG_WAIT_MS);
        (result, start.elapsed())
    });
    std::thread::sleep(Duration::from_millis(50));
    client.destroy().unwrap();
    let (result, waited) = network.join().unwrap();
    assert_eq!(result, Err(Error::Unconfigured));
    assert!(
        waited < Duration::from_millis(50) + PROMPT,
        "waited {waited:?}"
    );
}
