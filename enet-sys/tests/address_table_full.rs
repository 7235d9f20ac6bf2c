//! A full table of the project's platform layer whose entries are all pinned or recently
//! established: a new IPv6 address is refused, a datagram from it is skipped (-2) while IPv4
//! keeps flowing. Its own test binary, because it fills the process-wide table for good.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

use enet_sys::platform::*;
use enet_sys::*;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Instant;

const DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// `enet_socket_receive` into a 4096-byte buffer, waiting (up to the deadline) for a datagram:
/// the result and the source.
fn receive_next(socket: ENetSocket) -> (i32, ENetAddress) {
    let mut data = [0u8; 4096];
    let mut buffer = ENetBuffer {
        data: data.as_mut_ptr().cast(),
        dataLength: data.len(),
    };
    let mut source = ENetAddress { host: 0, port: 0 };
    let start = Instant::now();
    loop {
        // SAFETY: the socket is live; source and buffer are valid for the call.
        let rc = unsafe { enet_socket_receive(socket, &mut source, &mut buffer, 1) };
        if rc != 0 {
            return (rc, source);
        }
        assert!(start.elapsed() < DEADLINE, "no datagram arrived");
        let mut condition = ENET_SOCKET_WAIT_RECEIVE;
        // SAFETY: the socket is live; condition is a valid in/out pointer.
        assert_eq!(unsafe { enet_socket_wait(socket, &mut condition, 100) }, 0);
    }
}

#[test]
fn a_full_table_of_live_entries_refuses_new_ipv6_sources_and_ipv4_still_flows() {
    let capacity = ENET_PLATFORM_ADDRESS_TABLE_CAPACITY as u32;
    let mut last = ENetAddress { host: 0, port: 0 };
    for i in 0..capacity {
        let ip = Ipv6Addr::new(0x2001, 0xdb8, 3, 0, 0, 0, (i >> 16) as u16, i as u16);
        last = address_from_socket_addr(SocketAddr::from((ip, 1))).expect("room left");
        assert!(pin_address(&last));
    }
    let full = address_table_stats();
    assert_eq!(
        (full.mapped, full.pinned),
        (u64::from(capacity), u64::from(capacity))
    );

    let newcomer = SocketAddr::from((Ipv6Addr::new(0x2001, 0xdb8, 4, 0, 0, 0, 0, 1), 1));
    assert!(address_from_socket_addr(newcomer).is_none());
    assert_eq!(address_table_stats().refusals, full.refusals + 1);

    // An unpinned entry becomes established: still protected during the idle timeout.
    assert!(unpin_address(&last));
    assert!(address_from_socket_addr(newcomer).is_none());
    let stats = address_table_stats();
    assert_eq!((stats.established, stats.refusals), (1, full.refusals + 2));

    // A dual-stack socket skips a datagram from an unmappable IPv6 source, then takes IPv4.
    // SAFETY: plain socket calls on a socket this test owns and destroys.
    let socket = unsafe { enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM) };
    assert!(socket >= 0);
    let any = ENetAddress {
        host: ENET_HOST_ANY,
        port: 0,
    };
    let mut bound = any;
    // SAFETY: the socket is live; the addresses are valid for the calls.
    unsafe {
        assert_eq!(enet_socket_bind(socket, &any), 0);
        assert_eq!(enet_socket_set_option(socket, ENET_SOCKOPT_NONBLOCK, 1), 0);
        assert_eq!(enet_socket_get_address(socket, &mut bound), 0);
    }
    let from6 = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).expect("bind [::1]:0");
    from6
        .send_to(b"six", (Ipv6Addr::LOCALHOST, bound.port))
        .expect("send");
    assert_eq!(receive_next(socket).0, -2);
    assert_eq!(address_table_stats().refusals, full.refusals + 3);

    let from4 = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    from4
        .send_to(b"four", (Ipv4Addr::LOCALHOST, bound.port))
        .expect("send");
    let (length, source) = receive_next(socket);
    assert_eq!(length, 4);
    assert_eq!(
        socket_addr_from_address(&source),
        Some(from4.local_addr().expect("addr"))
    );
    // SAFETY: the socket is destroyed once.
    unsafe { enet_socket_destroy(socket) };
}
