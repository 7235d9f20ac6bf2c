//! Conversions between `std::net` addresses and `ENetAddress`, and Godot's address rules
//! (bind address `"*"` or an IP literal; connect address an IP literal or a host name).
//!
//! With this project's platform layer (the default on Linux) a host is dual-stack: IPv4
//! addresses are themselves in `ENetAddress` and IPv6 endpoints are represented through the
//! layer's bounded mapping (`enet_sys::platform`). With upstream's `unix.c` (the
//! `upstream-platform` feature) ENet is IPv4-only and an IPv6 address is
//! `ERR_INVALID_PARAMETER`, as in Godot's build over a system ENet.

use crate::error::{Error, Result};
use enet_sys as sys;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// Which address families a host's socket reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Families {
    pub(crate) ipv4: bool,
    pub(crate) ipv6: bool,
}

impl Families {
    fn reaches(self, address: &SocketAddr) -> bool {
        match address {
            SocketAddr::V4(_) => self.ipv4,
            SocketAddr::V6(v6) => self.ipv6 || (self.ipv4 && v6.ip().to_ipv4_mapped().is_some()),
        }
    }
}

#[cfg(all(target_os = "linux", not(feature = "upstream-platform")))]
mod layer {
    use super::*;
    use sys::platform;

    pub(crate) fn to_enet(address: SocketAddr) -> Result<sys::ENetAddress> {
        // Only an IPv6 address can fail: the mapping is full of pinned (live) peers.
        platform::address_from_socket_addr(address).ok_or(Error::CantCreate)
    }

    pub(crate) fn from_enet(address: &sys::ENetAddress) -> SocketAddr {
        // A stale token (its mapping was evicted) names no endpoint any more.
        platform::socket_addr_from_address(address)
            .unwrap_or_else(|| SocketAddr::from(([0u16; 8], address.port)))
    }

    pub(crate) fn bind(ip: Option<IpAddr>, port: u16) -> Result<sys::ENetAddress> {
        match ip {
            // `*` and `::`: one dual-stack socket.
            None => Ok(sys::ENetAddress {
                host: sys::ENET_HOST_ANY,
                port,
            }),
            Some(ip) if ip.is_unspecified() && ip.is_ipv6() => Ok(sys::ENetAddress {
                host: sys::ENET_HOST_ANY,
                port,
            }),
            // `0.0.0.0`: every IPv4 address, IPv4 only.
            Some(ip) if ip.is_unspecified() => Ok(sys::ENetAddress {
                host: platform::ENET_PLATFORM_HOST_ANY_IPV4,
                port,
            }),
            Some(ip) => to_enet(SocketAddr::new(ip, port)),
        }
    }

    pub(crate) fn families(socket: sys::ENetSocket) -> Families {
        let (ipv4, ipv6) = platform::socket_address_families(socket).unwrap_or((true, false));
        Families { ipv4, ipv6 }
    }

    pub(crate) fn pin(address: &sys::ENetAddress) -> bool {
        platform::pin_address(address)
    }

    pub(crate) fn unpin(address: &sys::ENetAddress) {
        platform::unpin_address(address);
    }
}

#[cfg(not(all(target_os = "linux", not(feature = "upstream-platform"))))]
mod layer {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV4};

    pub(crate) fn to_enet(address: SocketAddr) -> Result<sys::ENetAddress> {
        match address {
            // ENetAddress.host is in network byte order: the octets, in memory order.
            SocketAddr::V4(v4) => Ok(sys::ENetAddress {
                host: u32::from_ne_bytes(v4.ip().octets()),
                port: v4.port(),
            }),
            SocketAddr::V6(_) => Err(Error::InvalidParameter),
        }
    }

    pub(crate) fn from_enet(address: &sys::ENetAddress) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(
            Ipv4Addr::from(address.host.to_ne_bytes()),
            address.port,
        ))
    }

    pub(crate) fn bind(ip: Option<IpAddr>, port: u16) -> Result<sys::ENetAddress> {
        to_enet(SocketAddr::new(
            ip.unwrap_or(IpAddr::from([0, 0, 0, 0])),
            port,
        ))
    }

    pub(crate) fn families(_socket: sys::ENetSocket) -> Families {
        Families {
            ipv4: true,
            ipv6: false,
        }
    }

    pub(crate) fn pin(_address: &sys::ENetAddress) -> bool {
        true
    }

    pub(crate) fn unpin(_address: &sys::ENetAddress) {}
}

pub(crate) use layer::{families, from_enet, pin, to_enet, unpin};

/// A bind address as Godot accepts it: `"*"` (any; `None`) or an IP literal. Anything else is
/// `ERR_INVALID_PARAMETER`.
pub(crate) fn parse_bind_ip(bind_address: &str) -> Result<Option<IpAddr>> {
    if bind_address == "*" {
        return Ok(None);
    }
    bind_address
        .parse()
        .map(Some)
        .map_err(|_| Error::InvalidParameter)
}

/// The `ENetAddress` to bind: `None` (`"*"`) and `::` are dual-stack with this project's platform
/// layer, `0.0.0.0` and any IPv4 address IPv4-only, an IPv6 address that address.
pub(crate) fn bind(ip: Option<IpAddr>, port: u16) -> Result<sys::ENetAddress> {
    layer::bind(ip, port)
}

/// Godot's port check for remote ports: 1..=65535, else `ERR_INVALID_PARAMETER`.
pub(crate) fn remote_port(port: i32) -> Result<u16> {
    match u16::try_from(port) {
        Ok(port) if port != 0 => Ok(port),
        _ => Err(Error::InvalidParameter),
    }
}

/// Godot's port check for bind ports: 0..=65535 (0 = any), else `ERR_INVALID_PARAMETER`.
pub(crate) fn bind_port(port: i32) -> Result<u16> {
    u16::try_from(port).map_err(|_| Error::InvalidParameter)
}

/// Resolves `address` (an IP literal or a host name, as Godot accepts) with `port` to an address
/// a socket reaching `families` can use.
///
/// An IP literal of a family the socket cannot reach is `ERR_INVALID_PARAMETER`. A host name
/// resolves with the system resolver (blocking, as in Godot) to either family; when it has both,
/// IPv4 is preferred (every server bound to `*` or to an IPv4 address accepts it). No usable
/// result is `ERR_CANT_RESOLVE`.
pub(crate) fn resolve(address: &str, port: u16, families: Families) -> Result<sys::ENetAddress> {
    if let Ok(ip) = address.parse::<IpAddr>() {
        let target = SocketAddr::new(ip, port);
        if !families.reaches(&target) {
            return Err(Error::InvalidParameter);
        }
        return to_enet(target);
    }
    let candidates: Vec<SocketAddr> = (address, port)
        .to_socket_addrs()
        .map_err(|_| Error::CantResolve)?
        .collect();
    let ipv4_first = candidates
        .iter()
        .filter(|a| a.is_ipv4())
        .chain(candidates.iter().filter(|a| a.is_ipv6()));
    let chosen = ipv4_first
        .filter(|a| families.reaches(a))
        .find_map(|&a| to_enet(a).ok());
    chosen.ok_or(Error::CantResolve)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOTH: Families = Families {
        ipv4: true,
        ipv6: true,
    };
    const IPV4: Families = Families {
        ipv4: true,
        ipv6: false,
    };

    #[test]
    fn ipv4_addresses_are_themselves_in_network_byte_order() {
        let enet = to_enet("192.168.1.2:7777".parse().unwrap()).unwrap();
        assert_eq!(enet.host.to_ne_bytes(), [192, 168, 1, 2]);
        assert_eq!(enet.port, 7777);
        assert_eq!(
            from_enet(&enet),
            "192.168.1.2:7777".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn bind_address_is_star_or_an_ip_literal() {
        assert_eq!(parse_bind_ip("*"), Ok(None));
        assert_eq!(
            parse_bind_ip("127.0.0.1"),
            Ok(Some(IpAddr::from([127, 0, 0, 1])))
        );
        assert_eq!(
            parse_bind_ip("::1"),
            Ok(Some(IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1])))
        );
        assert_eq!(parse_bind_ip("localhost"), Err(Error::InvalidParameter));
        assert_eq!(parse_bind_ip(""), Err(Error::InvalidParameter));
    }

    #[test]
    fn ports_follow_godot_ranges() {
        assert_eq!(remote_port(0), Err(Error::InvalidParameter));
        assert_eq!(remote_port(65536), Err(Error::InvalidParameter));
        assert_eq!(remote_port(-1), Err(Error::InvalidParameter));
        assert_eq!(remote_port(65535), Ok(65535));
        assert_eq!(bind_port(0), Ok(0));
        assert_eq!(bind_port(65536), Err(Error::InvalidParameter));
        assert_eq!(bind_port(-1), Err(Error::InvalidParameter));
    }

    #[test]
    fn an_ipv6_literal_is_invalid_for_an_ipv4_only_socket() {
        assert_eq!(
            resolve("::1", 1000, IPV4).unwrap_err(),
            Error::InvalidParameter
        );
    }

    #[test]
    fn localhost_resolves_to_ipv4_first() {
        let enet = resolve("localhost", 1000, BOTH).unwrap();
        assert_eq!(
            from_enet(&enet),
            "127.0.0.1:1000".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn unresolvable_names_are_cant_resolve() {
        assert_eq!(
            resolve("no-such-host.invalid", 1000, BOTH).unwrap_err(),
            Error::CantResolve
        );
    }

    #[cfg(all(target_os = "linux", not(feature = "upstream-platform")))]
    #[test]
    fn ipv6_endpoints_round_trip_through_the_platform_mapping() {
        let endpoint: SocketAddr = "[2001:db8::7]:4242".parse().unwrap();
        let enet = to_enet(endpoint).unwrap();
        assert_eq!(enet.port, 4242);
        assert_eq!(from_enet(&enet), endpoint);
        assert_eq!(resolve("2001:db8::7", 4242, BOTH).unwrap().host, enet.host);
    }

    #[cfg(not(all(target_os = "linux", not(feature = "upstream-platform"))))]
    #[test]
    fn ipv6_literals_are_invalid_parameters_over_upstream_enet() {
        assert_eq!(
            to_enet("[::1]:1000".parse().unwrap()).unwrap_err(),
            Error::InvalidParameter
        );
    }
}
