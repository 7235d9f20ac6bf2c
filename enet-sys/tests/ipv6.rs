//! IPv6 through the project's platform layer: every packet kind over `::1`, IPv4 and IPv6 clients
//! on one dual-stack server, IPv4-only binding, and the address text functions.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

mod common;

use common::*;
use enet_sys::platform::*;
use enet_sys::*;
use std::ffi::{CStr, CString};
use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

fn v6_loopback(port: u16) -> ENetAddress {
    address_from_socket_addr(SocketAddr::from((Ipv6Addr::LOCALHOST, port))).expect("::1 maps")
}

fn is_token(address: &ENetAddress) -> bool {
    u32::from_be(address.host) >> 28 == 0xF && address.host != ENET_PLATFORM_HOST_ANY_IPV4
}

#[test]
fn every_packet_kind_crosses_ipv6_loopback_intact() {
    init();
    let server = Host::new(Some(&v6_loopback(0)), 4);
    assert_eq!(
        socket_address_families(server.socket()),
        Some((false, true))
    );
    let client = Host::new(None, 1);
    assert_eq!(socket_address_families(client.socket()), Some((true, true)));

    let to_server = client.connect(&v6_loopback(server.port()), 6);
    let mut pump = Pump::new(vec![&server, &client]);
    let connected = pump.next(0, ENET_EVENT_TYPE_CONNECT);
    assert_eq!(connected.data, 6);
    let to_client = connected.peer;
    assert_eq!(pump.next(1, ENET_EVENT_TYPE_CONNECT).peer, to_server);

    // The server's peer address is a token that stands for [::1]:<client port>.
    // SAFETY: to_client is a connected peer of the live server host.
    let peer_address = unsafe { (*to_client).address };
    assert!(is_token(&peer_address), "{peer_address:?} is not a token");
    assert_eq!(
        socket_addr_from_address(&peer_address),
        Some(SocketAddr::from((Ipv6Addr::LOCALHOST, client.port())))
    );

    // Loopback RTT jitter must not make ENet's throttle drop the unreliable packets under test.
    // SAFETY: to_server is a connected peer of the live client host.
    unsafe { enet_peer_throttle_configure(to_server, 5000, 2, 0) };

    let large = pattern(1 << 20, 1);
    let unreliable_fragmented = pattern(5000, 2);
    let cases: [(u8, &[u8], u32, u32); 5] = [
        (
            0,
            b"reliable",
            ENET_PACKET_FLAG_RELIABLE,
            ENET_PACKET_FLAG_RELIABLE,
        ),
        (1, b"unreliable", 0, 0),
        (
            2,
            b"unsequenced",
            ENET_PACKET_FLAG_UNSEQUENCED,
            ENET_PACKET_FLAG_UNSEQUENCED,
        ),
        (
            3,
            &unreliable_fragmented,
            ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT,
            ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT,
        ),
        (
            0,
            &large,
            ENET_PACKET_FLAG_RELIABLE,
            ENET_PACKET_FLAG_RELIABLE,
        ),
    ];
    for (channel, bytes, sent_flags, received_flags) in cases {
        send(to_server, channel, bytes, sent_flags);
        let got = take(&pump.next(0, ENET_EVENT_TYPE_RECEIVE));
        assert_eq!(
            got,
            Received {
                channel,
                flags: received_flags,
                bytes: bytes.to_vec()
            },
            "packet of {} bytes with flags {sent_flags}",
            bytes.len()
        );
    }

    // And back: the server sends to the token.
    send(to_client, 1, &large, ENET_PACKET_FLAG_RELIABLE);
    let got = take(&pump.next(1, ENET_EVENT_TYPE_RECEIVE));
    assert_eq!((got.channel, got.bytes.len()), (1, large.len()));
    assert!(got.bytes == large, "large packet corrupted on the way back");

    // SAFETY: to_server is the client's connected peer.
    unsafe { enet_peer_disconnect(to_server, 9) };
    assert_eq!(pump.next(0, ENET_EVENT_TYPE_DISCONNECT).data, 9);
    pump.next(1, ENET_EVENT_TYPE_DISCONNECT);
}

#[test]
fn ipv4_and_ipv6_clients_share_one_dual_stack_server() {
    init();
    let server = Host::new(
        Some(&ENetAddress {
            host: ENET_HOST_ANY,
            port: 0,
        }),
        4,
    );
    assert_eq!(server.local_address().host, ENET_HOST_ANY);
    assert_eq!(socket_address_families(server.socket()), Some((true, true)));
    let port = server.port();
    let client4 = Host::new(None, 1);
    let client6 = Host::new(None, 1);
    let to_server4 = client4.connect(&ipv4([127, 0, 0, 1], port), 4);
    let to_server6 = client6.connect(&v6_loopback(port), 6);

    let mut pump = Pump::new(vec![&server, &client4, &client6]);
    let first = pump.next(0, ENET_EVENT_TYPE_CONNECT);
    let second = pump.next(0, ENET_EVENT_TYPE_CONNECT);
    let (peer4, peer6) = if first.data == 4 {
        (first.peer, second.peer)
    } else {
        (second.peer, first.peer)
    };
    assert_eq!(pump.next(1, ENET_EVENT_TYPE_CONNECT).peer, to_server4);
    assert_eq!(pump.next(2, ENET_EVENT_TYPE_CONNECT).peer, to_server6);

    // SAFETY: both are connected peers of the live server host.
    let (address4, address6) = unsafe { ((*peer4).address, (*peer6).address) };
    // An IPv4 peer's address is itself, as with upstream's unix.c.
    assert_eq!(address4.host, u32::from_ne_bytes([127, 0, 0, 1]));
    assert_eq!(address4.port, client4.port());
    assert!(is_token(&address6));
    assert_eq!(
        socket_addr_from_address(&address6),
        Some(SocketAddr::from((Ipv6Addr::LOCALHOST, client6.port())))
    );

    send(peer4, 0, b"to the IPv4 client", ENET_PACKET_FLAG_RELIABLE);
    send(peer6, 0, b"to the IPv6 client", ENET_PACKET_FLAG_RELIABLE);
    assert_eq!(
        take(&pump.next(1, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"to the IPv4 client"
    );
    assert_eq!(
        take(&pump.next(2, ENET_EVENT_TYPE_RECEIVE)).bytes,
        b"to the IPv6 client"
    );

    send(to_server4, 0, b"from IPv4", ENET_PACKET_FLAG_RELIABLE);
    let got = pump.next(0, ENET_EVENT_TYPE_RECEIVE);
    assert_eq!((got.peer, take(&got).bytes), (peer4, b"from IPv4".to_vec()));
    send(to_server6, 0, b"from IPv6", ENET_PACKET_FLAG_RELIABLE);
    let got = pump.next(0, ENET_EVENT_TYPE_RECEIVE);
    assert_eq!((got.peer, take(&got).bytes), (peer6, b"from IPv6".to_vec()));
}

/// Sends one datagram from `[::1]:0` to `[::1]:port` and reports what the connected probe socket
/// then sees: `ConnectionRefused` when no socket takes IPv6 datagrams on that port.
fn probe_ipv6(port: u16) -> UdpSocket {
    let probe = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).expect("bind [::1]:0");
    probe.connect((Ipv6Addr::LOCALHOST, port)).expect("connect");
    probe.set_read_timeout(Some(DEADLINE)).expect("timeout");
    assert_eq!(probe.send(b"probe").expect("send"), 5);
    probe
}

#[test]
fn ipv4_only_binding_refuses_ipv6_traffic() {
    init();
    let any_ipv4 = ENetAddress {
        host: ENET_PLATFORM_HOST_ANY_IPV4,
        port: 0,
    };
    let server = Host::new(Some(&any_ipv4), 4);
    assert_eq!(server.local_address().host, ENET_PLATFORM_HOST_ANY_IPV4);
    assert_eq!(
        socket_address_families(server.socket()),
        Some((true, false))
    );
    let port = server.port();

    // No socket takes IPv6 datagrams on the port: the kernel answers port unreachable.
    let probe = probe_ipv6(port);
    let mut buffer = [0u8; 16];
    let refused = probe
        .recv(&mut buffer)
        .expect_err("an IPv6 datagram was answered");
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);

    // IPv4 still connects, and a send to an IPv6 peer from this socket is dropped (0 bytes).
    let client = Host::new(None, 1);
    client.connect(&ipv4([127, 0, 0, 1], port), 4);
    let mut pump = Pump::new(vec![&server, &client]);
    assert_eq!(pump.next(0, ENET_EVENT_TYPE_CONNECT).data, 4);
    let one_byte = ENetBuffer {
        data: b"x".as_ptr() as *mut _,
        dataLength: 1,
    };
    let receiver = UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).expect("bind [::1]:0");
    receiver.set_read_timeout(Some(DEADLINE)).expect("timeout");
    let destination = v6_loopback(receiver.local_addr().expect("addr").port());
    // SAFETY: the socket is live; address and buffer are valid for the call.
    let sent = unsafe { enet_socket_send(server.socket(), &destination, &one_byte, 1) };
    assert_eq!(sent, 0);
    // The same send from a dual-stack socket goes out, and is the first datagram to arrive.
    // SAFETY: as above.
    let sent = unsafe { enet_socket_send(client.socket(), &destination, &one_byte, 1) };
    assert_eq!(sent, 1);
    let (length, from) = receiver.recv_from(&mut buffer).expect("datagram");
    assert_eq!(
        (length, from),
        (1, SocketAddr::from((Ipv6Addr::LOCALHOST, client.port())))
    );
}

#[test]
fn dual_stack_binding_takes_the_ipv6_probe_datagram() {
    // The control for the test above: the same probe reaches a dual-stack socket.
    init();
    let server = Host::new(
        Some(&ENetAddress {
            host: ENET_HOST_ANY,
            port: 0,
        }),
        4,
    );
    let _probe = probe_ipv6(server.port());
    let mut pump = Pump::new(vec![&server]);
    pump.until("the probe datagram", |_| server.received_datagrams() == 1);
}

fn host_ip(address: &ENetAddress) -> String {
    let mut name = [0 as std::ffi::c_char; 64];
    // SAFETY: the buffer is valid for its length.
    let rc = unsafe { enet_address_get_host_ip(address, name.as_mut_ptr(), name.len()) };
    assert_eq!(rc, 0, "enet_address_get_host_ip failed");
    // SAFETY: on success the buffer holds a NUL-terminated string.
    unsafe { CStr::from_ptr(name.as_ptr()) }
        .to_str()
        .expect("utf-8")
        .to_owned()
}

fn set_host_ip(text: &str) -> Option<ENetAddress> {
    let text = CString::new(text).expect("no NUL");
    let mut address = ipv4([0, 0, 0, 0], 1234);
    // SAFETY: both pointers are valid for the call.
    let rc = unsafe { enet_address_set_host_ip(&mut address, text.as_ptr()) };
    (rc == 0).then(|| {
        assert_eq!(address.port, 1234, "set_host_ip leaves the port alone");
        address
    })
}

#[test]
fn address_text_functions_cover_both_families() {
    let v4 = set_host_ip("192.0.2.7").expect("IPv4 literal");
    assert_eq!(v4.host, u32::from_ne_bytes([192, 0, 2, 7]));
    assert_eq!(host_ip(&v4), "192.0.2.7");

    let mapped = set_host_ip("::ffff:192.0.2.7").expect("IPv4-mapped literal");
    assert_eq!(mapped.host, v4.host);

    let any4 = set_host_ip("0.0.0.0").expect("IPv4 any");
    assert_eq!(any4.host, ENET_PLATFORM_HOST_ANY_IPV4);
    assert_eq!(host_ip(&any4), "0.0.0.0");

    let any = set_host_ip("::").expect("IPv6 any");
    assert_eq!(any.host, ENET_HOST_ANY);
    assert_eq!(host_ip(&any), "::");

    let loopback = set_host_ip("::1").expect("IPv6 literal");
    assert!(is_token(&loopback));
    assert_eq!(loopback.host, v6_loopback(0).host, "one address, one token");
    assert_eq!(host_ip(&loopback), "::1");

    let scoped = set_host_ip("fe80::1%1").expect("scoped literal");
    assert!(is_token(&scoped));
    assert_ne!(scoped.host, set_host_ip("fe80::1").expect("unscoped").host);
    assert_eq!(
        socket_addr_from_address(&scoped),
        Some(SocketAddr::V6(std::net::SocketAddrV6::new(
            "fe80::1".parse().expect("literal"),
            1234,
            0,
            1
        )))
    );
    assert_eq!(host_ip(&scoped), "fe80::1%lo");
    assert_eq!(
        set_host_ip("fe80::1%lo").expect("scope by name").host,
        scoped.host
    );

    assert!(
        set_host_ip("240.0.0.1").is_none(),
        "the token block is not IPv4"
    );
    assert!(set_host_ip("not an address").is_none());
    assert!(set_host_ip("fe80::1%no-such-interface").is_none());

    let name = CString::new("localhost").expect("no NUL");
    let mut resolved = ipv4([0, 0, 0, 0], 0);
    // SAFETY: both pointers are valid for the call.
    let rc = unsafe { enet_address_set_host(&mut resolved, name.as_ptr()) };
    assert_eq!(rc, 0);
    assert_eq!(
        Ipv4Addr::from(resolved.host.to_ne_bytes()),
        Ipv4Addr::LOCALHOST
    );
}
