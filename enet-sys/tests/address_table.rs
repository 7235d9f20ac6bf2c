//! The IPv6 address table of the project's platform layer, at unit level through its extension
//! calls: the bound under a flood of distinct addresses, pins, equality of tokens, the reserved
//! block, and concurrent use. The table is process-wide, so the tests here take turns.
#![cfg(all(target_os = "linux", not(feature = "upstream-platform")))]

use enet_sys::platform::*;
use enet_sys::ENetAddress;
use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::{Mutex, MutexGuard};

static TABLE: Mutex<()> = Mutex::new(());

fn take_turn() -> MutexGuard<'static, ()> {
    TABLE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A distinct documentation address (2001:db8::/32) per `(group, index)`.
fn v6(group: u16, index: u32, port: u16) -> SocketAddr {
    let ip = Ipv6Addr::new(
        0x2001,
        0xdb8,
        group,
        0,
        0,
        0,
        (index >> 16) as u16,
        index as u16,
    );
    SocketAddr::from((ip, port))
}

fn map(address: SocketAddr) -> ENetAddress {
    address_from_socket_addr(address).unwrap_or_else(|| panic!("{address} was refused"))
}

#[test]
fn table_stays_at_its_bound_under_100000_distinct_addresses_and_keeps_pinned_ones() {
    let _turn = take_turn();
    let pinned: Vec<SocketAddr> = (0..3).map(|i| v6(1, i, 7)).collect();
    let pinned_tokens: Vec<ENetAddress> = pinned.iter().map(|&a| map(a)).collect();
    for token in &pinned_tokens {
        assert!(pin_address(token));
    }
    let before = address_table_stats();
    // Entries a flood cannot evict: pinned ones, and established ones used within the idle timeout.
    let protected = (before.pinned + before.established) as usize;

    const FLOOD: u32 = 100_000;
    let tokens: Vec<ENetAddress> = (0..FLOOD).map(|i| map(v6(2, i, 9))).collect();

    let after = address_table_stats();
    let capacity = ENET_PLATFORM_ADDRESS_TABLE_CAPACITY;
    assert_eq!(after.capacity, capacity as u64);
    assert_eq!(
        after.mapped, capacity as u64,
        "the table stays at its bound"
    );
    assert_eq!(after.pinned, before.pinned);
    assert_eq!(
        after.refusals, before.refusals,
        "probation entries always make room"
    );
    assert_eq!(
        after.evictions - before.evictions,
        before.mapped + u64::from(FLOOD) - capacity as u64
    );

    // Pinned entries survive and still stand for their address.
    for (address, token) in pinned.iter().zip(&pinned_tokens) {
        assert_eq!(socket_addr_from_address(token), Some(*address));
        assert_eq!(map(*address).host, token.host, "equal inputs, equal tokens");
    }

    // The most recent `survivors` addresses are mapped, to distinct tokens; older ones are stale.
    let survivors = capacity - protected;
    let (evicted, kept) = tokens.split_at(FLOOD as usize - survivors);
    for (i, token) in kept.iter().enumerate() {
        let index = (evicted.len() + i) as u32;
        assert_eq!(socket_addr_from_address(token), Some(v6(2, index, 9)));
    }
    // Lookups still find survivors after 100,000 insertions and the evictions' index deletions.
    for (i, token) in kept.iter().enumerate().step_by(97) {
        let index = (evicted.len() + i) as u32;
        assert_eq!(
            map(v6(2, index, 9)).host,
            token.host,
            "equal inputs, equal tokens"
        );
    }
    let distinct: HashSet<u32> = kept.iter().map(|t| t.host).collect();
    assert_eq!(
        distinct.len(),
        survivors,
        "distinct inputs, distinct tokens"
    );
    assert!(evicted
        .iter()
        .all(|token| socket_addr_from_address(token).is_none()));
    assert!(!pin_address(&evicted[0]), "a stale token cannot be pinned");

    // An evicted address maps again, to a token its stale one can never equal.
    let again = map(v6(2, 0, 9));
    assert_ne!(again.host, evicted[0].host);
    assert_eq!(socket_addr_from_address(&again), Some(v6(2, 0, 9)));
    assert!(socket_addr_from_address(&evicted[0]).is_none());

    for token in &pinned_tokens {
        assert!(unpin_address(token));
        assert!(!unpin_address(token), "one unpin per pin");
    }
}

#[test]
fn ipv4_addresses_are_themselves_and_the_reserved_block_is_refused() {
    let _turn = take_turn();
    let v4 = map(SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), 5)));
    assert_eq!((v4.host, v4.port), (u32::from_ne_bytes([192, 0, 2, 1]), 5));
    let mapped = map("[::ffff:192.0.2.1]:5".parse().expect("literal"));
    assert_eq!((mapped.host, mapped.port), (v4.host, 5));
    assert_eq!(
        socket_addr_from_address(&v4),
        Some(SocketAddr::from((Ipv4Addr::new(192, 0, 2, 1), 5)))
    );

    let any4 = map(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 7)));
    assert_eq!((any4.host, any4.port), (ENET_PLATFORM_HOST_ANY_IPV4, 7));
    assert_eq!(
        socket_addr_from_address(&any4),
        Some(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 7)))
    );
    let any = map(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 8)));
    assert_eq!((any.host, any.port), (0, 8));
    assert_eq!(
        socket_addr_from_address(&any),
        Some(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 8)))
    );
    let broadcast = map(SocketAddr::from((Ipv4Addr::BROADCAST, 9)));
    assert_eq!(broadcast.host, u32::MAX);

    for reserved in [
        Ipv4Addr::new(240, 0, 0, 1),
        Ipv4Addr::new(250, 1, 2, 3),
        Ipv4Addr::new(255, 255, 255, 254),
    ] {
        assert!(address_from_socket_addr(SocketAddr::from((reserved, 1))).is_none());
    }
    // A never-issued token, and a value of the block that holds no tokens, stand for nothing.
    for host in [[240, 0, 0xFF, 0xFF], [255, 240, 0, 1]] {
        let address = ENetAddress {
            host: u32::from_ne_bytes(host),
            port: 1,
        };
        assert!(socket_addr_from_address(&address).is_none());
    }

    assert!(pin_address(&v4), "IPv4 needs no pin and always succeeds");
    assert!(unpin_address(&v4));
}

#[test]
fn scope_and_port_are_part_of_the_endpoint() {
    let _turn = take_turn();
    let link_local: Ipv6Addr = "fe80::1234".parse().expect("literal");
    let scope1 = map(SocketAddr::V6(SocketAddrV6::new(link_local, 5, 0, 1)));
    let scope2 = map(SocketAddr::V6(SocketAddrV6::new(link_local, 5, 0, 2)));
    assert_ne!(scope1.host, scope2.host, "one address on two links");
    assert_eq!(
        socket_addr_from_address(&scope2),
        Some(SocketAddr::V6(SocketAddrV6::new(link_local, 5, 0, 2)))
    );
    let other_port = map(SocketAddr::V6(SocketAddrV6::new(link_local, 6, 0, 1)));
    assert_eq!(
        (other_port.host, other_port.port),
        (scope1.host, 6),
        "ports share the address's token"
    );
}

#[test]
fn four_threads_mapping_and_pinning_at_once_stay_consistent() {
    let _turn = take_turn();
    let threads: Vec<_> = (0..4u16)
        .map(|thread| {
            std::thread::spawn(move || {
                for i in 0..5_000 {
                    let address = v6(100 + thread, i, 3);
                    let token = map(address);
                    assert!(pin_address(&token));
                    assert_eq!(socket_addr_from_address(&token), Some(address));
                    assert_eq!(map(address).host, token.host);
                    assert!(unpin_address(&token));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("thread panicked");
    }
}
