//! Interoperability with an older, separately built real C ENet: Debian's system libenet 1.3.17
//! (package `libenet-dev`). `tests/c/peer.c` is compiled as `cc -std=c99 tests/c/peer.c -lenet`,
//! with the system's `<enet/enet.h>` and shared library and none of the vendored sources, and run
//! as a child process against our 1.3.18-based wrapper.
//!
//! The same matrix as tests/c_interop.rs (shared in tests/common/c_peer.rs), both topologies:
//! every packet kind on channels 0, 1 and 3 with exact bytes, channels and flags in each
//! direction; graceful disconnects from either side with data 42; abrupt disconnects from either
//! side; the range coder on both ends.
//!
//! A machine without libenet-dev fails every test with `LIBENET 1.3.17 MISSING: interop with
//! Debian's libenet NOT TESTED` (also on stderr): a missing library never passes silently. CI
//! installs it (.ci/run).
#![cfg(unix)]

#[path = "common/c_peer.rs"]
mod c_peer;
mod common;

use c_peer::Topology;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The C peer over the system libenet, compiled once per test binary.
fn peer_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(c_peer::build_libenet_peer)
}

#[test]
fn the_system_libenet_is_enet_1_3_17_not_the_vendored_1_3_18() {
    assert_eq!(c_peer::system_libenet_version(), (1, 3, 17));
}

#[test]
fn libenet_client_packets_of_every_kind_reach_our_server_with_exact_bytes_channel_and_flags() {
    c_peer::c_packets_arrive_with_exact_bytes_channel_and_flags(peer_binary(), Topology::OurServer);
}

#[test]
fn libenet_server_packets_of_every_kind_reach_our_client_with_exact_bytes_channel_and_flags() {
    c_peer::c_packets_arrive_with_exact_bytes_channel_and_flags(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_packets_of_every_kind_reach_the_libenet_client_and_echo_back_exactly() {
    c_peer::our_packets_reach_the_c_peer_and_echo_back_exactly(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_packets_of_every_kind_reach_the_libenet_server_and_echo_back_exactly() {
    c_peer::our_packets_reach_the_c_peer_and_echo_back_exactly(peer_binary(), Topology::OurClient);
}

#[test]
fn libenet_client_graceful_disconnect_reaches_our_server_with_data_42() {
    c_peer::c_graceful_disconnect_delivers_its_data(peer_binary(), Topology::OurServer);
}

#[test]
fn libenet_server_graceful_disconnect_reaches_our_client_with_data_42() {
    c_peer::c_graceful_disconnect_delivers_its_data(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_graceful_disconnect_reaches_the_libenet_client_with_data_42() {
    c_peer::our_graceful_disconnect_delivers_our_data(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_graceful_disconnect_reaches_the_libenet_server_with_data_42() {
    c_peer::our_graceful_disconnect_delivers_our_data(peer_binary(), Topology::OurClient);
}

#[test]
fn our_server_disconnect_now_gives_the_libenet_client_a_disconnect_event() {
    c_peer::our_disconnect_now_is_seen_by_the_c_peer(peer_binary(), Topology::OurServer);
}

#[test]
fn our_client_disconnect_now_gives_the_libenet_server_a_disconnect_event() {
    c_peer::our_disconnect_now_is_seen_by_the_c_peer(peer_binary(), Topology::OurClient);
}

#[test]
fn libenet_client_disconnect_now_gives_our_server_a_disconnect_event_with_data_42() {
    c_peer::c_disconnect_now_gives_us_a_disconnect_event(peer_binary(), Topology::OurServer);
}

#[test]
fn libenet_server_disconnect_now_gives_our_client_a_disconnect_event_with_data_42() {
    c_peer::c_disconnect_now_gives_us_a_disconnect_event(peer_binary(), Topology::OurClient);
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_our_server_and_the_libenet_client() {
    c_peer::range_coded_packets_of_every_kind_cross_both_ways(peer_binary(), Topology::OurServer);
}

#[test]
fn range_coded_packets_of_every_kind_cross_between_the_libenet_server_and_our_client() {
    c_peer::range_coded_packets_of_every_kind_cross_both_ways(peer_binary(), Topology::OurClient);
}

/// Debian's 1.3.17 predates upstream's fix 2a85cd6 (shipped in 1.3.18, Godot 4.0.4/4.1.2): one
/// unauthenticated datagram longer than 4096 bytes makes its `enet_host_service` fail. Pinned as
/// a property of the peer we interoperate with (our wrapper, on 1.3.18 with `HAS_MSGHDR_FLAGS`,
/// skips such datagrams: tests/c_interop.rs and tests/rusty_enet_interop.rs).
#[test]
fn one_oversized_datagram_makes_a_libenet_1_3_17_server_fail() {
    c_peer::an_oversized_datagram_makes_the_c_server_fail(peer_binary());
}

/// Debian's 1.3.17 has the same range-coder crash on an empty packet as upstream 1.3.18.
#[test]
fn range_coding_an_empty_packet_crashes_the_libenet_1_3_17_peer() {
    c_peer::range_coding_an_empty_packet_crashes_the_c_peer(peer_binary());
}
