//! Extensions of the project's Linux platform layer (`enet-sys/platform/unix_platform.c`), which
//! replaces upstream's `unix.c` unless the `upstream-platform` feature is on.
//!
//! The layer gives ENet dual-stack IPv6 without changing upstream's 8-byte [`ENetAddress`]: an
//! IPv4 address is itself, and an IPv6 address (with its scope id) is a *token* in the reserved
//! block 240.0.0.0/4, kept in a bounded, thread-safe, process-wide table
//! ([`ENET_PLATFORM_ADDRESS_TABLE_CAPACITY`] addresses), while the real port stays in `port`. So
//! ENet's address equality (host and port) is still endpoint equality.
//!
//! Binding: [`ENET_HOST_ANY`](crate::ENET_HOST_ANY) (`::`, Godot's `*`) is dual-stack;
//! [`ENET_PLATFORM_HOST_ANY_IPV4`] (what `0.0.0.0` converts to) and any IPv4 address bind IPv4
//! only; an IPv6 address binds that address only.
//!
//! Keeping mappings alive: pin the address of every peer the application considers live
//! ([`pin_address`] when it connects, [`unpin_address`] when it disconnects). When the table is
//! full, a new address evicts the least recently used *probation* entry (an address only
//! received from or converted, such as a flood of junk sources), else the least recently used
//! *established* entry (sent to, or unpinned) idle for [`ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT`] ms,
//! else it is refused: a datagram from it is skipped. Pinned entries are never evicted. A send
//! to a stale token is dropped (0 bytes sent) rather than failing the whole host.
//!
//! The raw functions are declared by hand (bindgen covers upstream's headers only); the safe
//! functions below wrap them for [`core::net`] addresses.

// Hand-written, unlike the generated bindings the crate-level `allow(clippy::all)` is for.
#![warn(clippy::all)]

use crate::{ENetAddress, ENetSocket};
use core::ffi::c_int;
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// Most IPv6 addresses (each with its scope id) mapped at once, process-wide.
pub const ENET_PLATFORM_ADDRESS_TABLE_CAPACITY: usize = 65_536;

/// Milliseconds of disuse after which an unpinned, established mapping may be evicted when the
/// table is full (twice ENet's default maximum peer timeout).
pub const ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT: u32 = 60_000;

/// `ENetAddress::host` meaning "IPv4 any, IPv4 only" (255.255.255.254 in network byte order).
/// [`ENET_HOST_ANY`](crate::ENET_HOST_ANY) (0) means "any address, dual-stack".
pub const ENET_PLATFORM_HOST_ANY_IPV4: u32 = u32::from_ne_bytes([255, 255, 255, 254]);

/// Bit of [`enet_platform_socket_address_families`]: the socket reaches IPv4 peers.
pub const ENET_PLATFORM_FAMILY_IPV4: c_int = 1;

/// Bit of [`enet_platform_socket_address_families`]: the socket reaches IPv6 peers.
pub const ENET_PLATFORM_FAMILY_IPV6: c_int = 2;

/// A snapshot of the IPv6 address table (`ENetPlatformAddressTableStats` in C).
#[repr(C)]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ENetPlatformAddressTableStats {
    /// [`ENET_PLATFORM_ADDRESS_TABLE_CAPACITY`].
    pub capacity: u64,
    /// IPv6 addresses mapped now.
    pub mapped: u64,
    /// Of which pinned (never evicted).
    pub pinned: u64,
    /// Of which only ever received from or converted (evicted first).
    pub probation: u64,
    /// Of which sent to, or unpinned (evicted only after the idle timeout).
    pub established: u64,
    /// Mappings evicted so far to make room.
    pub evictions: u64,
    /// New IPv6 addresses refused so far because nothing was evictable.
    pub refusals: u64,
}

extern "C" {
    /// Converts a socket address (`AF_INET`, or `AF_INET6` with scope id) to an `ENetAddress`,
    /// mapping an IPv6 address into the table. IPv4 and IPv4-mapped addresses convert to
    /// themselves, except `0.0.0.0` → [`ENET_PLATFORM_HOST_ANY_IPV4`]; `::` converts to
    /// `ENET_HOST_ANY`. Returns 0, or -1 for another family, a short `length`, an IPv4 address
    /// inside 240.0.0.0/4 (other than 255.255.255.255), or a full table with nothing evictable.
    pub fn enet_platform_address_from_sockaddr(
        address: *mut ENetAddress,
        sockaddr: *const libc::sockaddr,
        length: libc::socklen_t,
    ) -> c_int;

    /// Converts an `ENetAddress` back: `sockaddr_in` for IPv4, `sockaddr_in6` for a token (with
    /// its scope id) and for `ENET_HOST_ANY` (`::`). Not a use of the mapping. Returns 0, or -1
    /// for a stale token or another reserved value.
    pub fn enet_platform_address_to_sockaddr(
        address: *const ENetAddress,
        sockaddr: *mut libc::sockaddr_storage,
        length: *mut libc::socklen_t,
    ) -> c_int;

    /// Pins an address's mapping so it is never evicted (counted: one unpin per pin). Returns 0
    /// (always for IPv4), or -1 for a stale token.
    pub fn enet_platform_address_pin(address: *const ENetAddress) -> c_int;

    /// Releases one pin. Returns 0 (always for IPv4), or -1 for a stale token or an unpinned
    /// mapping.
    pub fn enet_platform_address_unpin(address: *const ENetAddress) -> c_int;

    /// Which peers a socket reaches (`ENET_PLATFORM_FAMILY_*` bits, from its family and bound
    /// address), or -1 when the descriptor is not an IPv4/IPv6 socket. Asks the kernel about the
    /// socket the descriptor names at the time of the call and reads no per-socket state, so any
    /// value may be passed at any time, even a descriptor another thread is destroying.
    pub fn enet_platform_socket_address_families(socket: ENetSocket) -> c_int;

    /// Fills `*stats` with a consistent snapshot of the address table.
    pub fn enet_platform_address_table_stats(stats: *mut ENetPlatformAddressTableStats);
}

/// The `ENetAddress` for a socket address, mapping an IPv6 address into the table (see
/// [`enet_platform_address_from_sockaddr`]); `None` when it cannot be represented.
pub fn address_from_socket_addr(address: SocketAddr) -> Option<ENetAddress> {
    let mut result = ENetAddress { host: 0, port: 0 };
    let rc = match address {
        SocketAddr::V4(v4) => {
            let sockaddr = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: both pointers are valid for the call; the length is the struct's size.
            unsafe {
                enet_platform_address_from_sockaddr(
                    &mut result,
                    (&sockaddr as *const libc::sockaddr_in).cast(),
                    core::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        SocketAddr::V6(v6) => {
            let sockaddr = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: v6.port().to_be(),
                sin6_flowinfo: v6.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: v6.ip().octets(),
                },
                sin6_scope_id: v6.scope_id(),
            };
            // SAFETY: both pointers are valid for the call; the length is the struct's size.
            unsafe {
                enet_platform_address_from_sockaddr(
                    &mut result,
                    (&sockaddr as *const libc::sockaddr_in6).cast(),
                    core::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    (rc == 0).then_some(result)
}

/// The socket address an `ENetAddress` stands for (see [`enet_platform_address_to_sockaddr`]);
/// `None` for a stale token or an unused reserved value.
pub fn socket_addr_from_address(address: &ENetAddress) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; all-zero is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { core::mem::zeroed() };
    let mut length = core::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: all three pointers are valid for the call.
    if unsafe { enet_platform_address_to_sockaddr(address, &mut storage, &mut length) } != 0 {
        return None;
    }
    match c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the C side wrote a sockaddr_in (family AF_INET), which fits in and is less
            // aligned than sockaddr_storage.
            let v4 = unsafe {
                &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>()
            };
            let ip = Ipv4Addr::from(v4.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(v4.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the C side wrote a sockaddr_in6 (family AF_INET6), which fits in and is
            // less aligned than sockaddr_storage.
            let v6 = unsafe {
                &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(v6.sin6_addr.s6_addr),
                u16::from_be(v6.sin6_port),
                v6.sin6_flowinfo,
                v6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Pins the mapping of `address` (see [`enet_platform_address_pin`]); `false` for a stale token.
pub fn pin_address(address: &ENetAddress) -> bool {
    // SAFETY: the pointer is valid for the call.
    unsafe { enet_platform_address_pin(address) == 0 }
}

/// Releases one pin of `address` (see [`enet_platform_address_unpin`]); `false` for a stale
/// token or an unpinned mapping.
pub fn unpin_address(address: &ENetAddress) -> bool {
    // SAFETY: the pointer is valid for the call.
    unsafe { enet_platform_address_unpin(address) == 0 }
}

/// `(reaches IPv4, reaches IPv6)` for a socket (see [`enet_platform_socket_address_families`]);
/// `None` when the descriptor is not an IPv4/IPv6 socket. The answer is about the socket the
/// descriptor names during the call: a descriptor closed (or reused) meanwhile answers for what it
/// names then.
pub fn socket_address_families(socket: ENetSocket) -> Option<(bool, bool)> {
    // SAFETY: the function touches no memory but its own locals: it only asks the kernel about
    // the descriptor (getsockopt, getsockname), never the layer's per-socket state, which another
    // thread's enet_socket_destroy may free. So any value, at any time, is acceptable.
    let families = unsafe { enet_platform_socket_address_families(socket) };
    (families >= 0).then_some((
        families & ENET_PLATFORM_FAMILY_IPV4 != 0,
        families & ENET_PLATFORM_FAMILY_IPV6 != 0,
    ))
}

/// A snapshot of the address table.
pub fn address_table_stats() -> ENetPlatformAddressTableStats {
    let mut stats = ENetPlatformAddressTableStats::default();
    // SAFETY: the pointer is valid for the call.
    unsafe { enet_platform_address_table_stats(&mut stats) };
    stats
}
