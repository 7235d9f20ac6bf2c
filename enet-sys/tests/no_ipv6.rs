//! The project's layer on a kernel without IPv6. This test binary interposes `socket` (it defines
//! it, so the statically linked C calls this instead of libc's) and refuses `AF_INET6` with
//! `EAFNOSUPPORT`, as a kernel built without IPv6 does: ENet falls back to `AF_INET` sockets and
//! IPv4 works as before.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

mod common;

use common::*;
use enet_sys::platform::*;
use enet_sys::*;
use std::ffi::c_int;
use std::net::{Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};

/// `AF_INET6` sockets refused so far.
static REFUSED: AtomicUsize = AtomicUsize::new(0);

/// Interposes libc's `socket`.
#[no_mangle]
pub extern "C" fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int {
    if domain == libc::AF_INET6 {
        REFUSED.fetch_add(1, Ordering::SeqCst);
        // SAFETY: errno is thread-local and writable.
        unsafe { *libc::__errno_location() = libc::EAFNOSUPPORT };
        return -1;
    }
    // SAFETY: the raw system call with the caller's arguments, as libc's wrapper makes it.
    unsafe { libc::syscall(libc::SYS_socket, domain, kind, protocol) as c_int }
}

#[test]
fn without_kernel_ipv6_hosts_fall_back_to_ipv4_sockets() {
    init();
    let refused_before = REFUSED.load(Ordering::SeqCst);
    let server = Host::new(
        Some(&ENetAddress {
            host: ENET_HOST_ANY,
            port: 0,
        }),
        2,
    );
    assert!(
        REFUSED.load(Ordering::SeqCst) > refused_before,
        "AF_INET6 was never asked for"
    );
    assert_eq!(
        socket_address_families(server.socket()),
        Some((true, false))
    );
    // "Any" on an AF_INET socket is IPv4-any.
    assert_eq!(server.local_address().host, ENET_PLATFORM_HOST_ANY_IPV4);

    let client = Host::new(None, 1);
    let to_server = client.connect(&ipv4([127, 0, 0, 1], server.port()), 1);
    let mut pump = Pump::new(vec![&server, &client]);
    let to_client = pump.next(0, ENET_EVENT_TYPE_CONNECT).peer;
    pump.next(1, ENET_EVENT_TYPE_CONNECT);
    send(to_server, 0, b"over IPv4", ENET_PACKET_FLAG_RELIABLE);
    assert_eq!(
        take(&pump.next(0, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"over IPv4"
    );
    send(to_client, 0, b"and back", ENET_PACKET_FLAG_RELIABLE);
    assert_eq!(
        take(&pump.next(1, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"and back"
    );

    // IPv6 destinations cannot be reached: a send is dropped (0 bytes), a bind fails.
    let v6 = address_from_socket_addr(SocketAddr::from((Ipv6Addr::LOCALHOST, 9))).expect("maps");
    let one_byte = ENetBuffer {
        data: b"x".as_ptr() as *mut _,
        dataLength: 1,
    };
    // SAFETY: plain socket calls on live sockets with valid pointers.
    unsafe {
        assert_eq!(enet_socket_send(server.socket(), &v6, &one_byte, 1), 0);
        let socket = enet_socket_create(ENET_SOCKET_TYPE_DATAGRAM);
        assert!(socket >= 0);
        assert_eq!(enet_socket_bind(socket, &v6), -1);
        enet_socket_destroy(socket);
    }
}
