//! Interoperability with a separately built reference C peer: `tests/c/peer.c` compiled with the
//! pristine upstream ENet 1.3.18 (its protocol files and its own `unix.c`, the upstream Linux
//! defines) by the system C compiler, run as a child process.
//!
//! Both topologies (our server with a C client, a C server with our client) for: every packet
//! kind in each direction with exact bytes, channels and flags; graceful disconnects started by
//! either side carrying data 42; abrupt disconnects (`disconnect_now`) from either side; the
//! range coder on both ends. `peer.c`'s header documents its script and output lines; the harness
//! and the behaviours are shared with `tests/libenet_interop.rs` (tests/common/c_peer.rs).
#![cfg(unix)]

#[path = "common/c_peer.rs"]
mod c_peer;
mod common;

use c_peer::Topology;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The C peer over the vendored ENet 1.3.18, compiled once per test binary.
fn peer_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(c_peer::build_vendored_peer)
}

#[test]
fn c_client_packets_of_every_kind_reach_our_server_with_exact_bytes_channel_and_flags() {
    c_peer::c_packets_arrive_with_exact_bytes_channel_and_flags(peer_binary(), Topology::OurServer);
}

#[test]
fn c_server_packets_of_every_kind_reach_our_client_with_exact_bytes_channel_and_flags() {
    c_peer::c_packets_arrive_with_exact_bytes_channel_and_flags(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_packets_of_every_kind_reach_the_c_client_and_echo_back_exactly() {
    c_peer::our_packets_reach_the_c_peer_and_echo_back_exactly(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_packets_of_every_kind_reach_the_c_server_and_echo_back_exactly() {
    c_peer::our_packets_reach_the_c_peer_and_echo_back_exactly(peer_binary(), Topology::OurClient);
}

#[test]
fn c_client_graceful_disconnect_reaches_our_server_with_data_42() {
    c_peer::c_graceful_disconnect_delivers_its_data(peer_binary(), Topology::OurServer);
}

#[test]
fn c_server_graceful_disconnect_reaches_our_client_with_data_42() {
    c_peer::c_graceful_disconnect_delivers_its_data(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_graceful_disconnect_reaches_the_c_client_with_data_42() {
    c_peer::our_graceful_disconnect_delivers_our_data(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_graceful_disconnect_reaches_the_c_server_with_data_42() {
    c_peer::our_graceful_disconnect_delivers_our_data(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_disconnect_now_gives_the_c_client_a_disconnect_event() {
    c_peer::our_disconnect_now_is_seen_by_the_c_peer(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_disconnect_now_gives_the_c_server_a_disconnect_event() {
    c_peer::our_disconnect_now_is_seen_by_the_c_peer(peer_binary(), Topology::OurClient);
}

#[test]
fn c_client_disconnect_now_gives_our_server_a_disconnect_event_with_data_42() {
    c_peer::c_disconnect_now_gives_us_a_disconnect_event(peer_binary(), Topology::OurServer);
}

#[test]
fn c_server_disconnect_now_gives_our_client_a_disconnect_event_with_data_42() {
    c_peer::c_disconnect_now_gives_us_a_disconnect_event(peer_binary(), Topology::OurClient);
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_our_server_and_the_c_client() {
    c_peer::range_coded_packets_of_every_kind_cross_both_ways(peer_binary(), Topology::OurServer);
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_the_c_server_and_our_client() {
    c_peer::range_coded_packets_of_every_kind_cross_both_ways(peer_binary(), Topology::OurClient);
}

#[test]
fn crc32_is_the_ieee_crc_the_c_peer_prints() {
    assert_eq!(c_peer::crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn an_oversized_datagram_leaves_the_c_1_3_18_server_serving() {
    c_peer::an_oversized_datagram_leaves_the_c_server_serving(peer_binary());
}

/// Why our range coder leaves empty buffers out (src/compress.rs): upstream 1.3.18's crashes.
#[test]
fn range_coding_an_empty_packet_crashes_the_c_1_3_18_peer() {
    c_peer::range_coding_an_empty_packet_crashes_the_c_peer(peer_binary());
}
