//! Conversions between `std::net` addresses and `ENetAddress`, and Godot's address rules
//! (bind address `"*"` or an IP literal; connect address an IP literal or a host name).

use crate::error::{Error, Result};
use enet_sys as sys;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};

/// `std::net` → ENet. IPv6 is not representable in upstream ENet's 4-byte `ENetAddress`; like
/// Godot's build over upstream ENet, it is `ERR_INVALID_PARAMETER`.
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

/// ENet → `std::net`.
pub(crate) fn from_enet(address: &sys::ENetAddress) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(
        Ipv4Addr::from(address.host.to_ne_bytes()),
        address.port,
    ))
}

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

/// Resolves `address` (an IP literal or a host name, as Godot accepts) with `port`, to an address
/// ENet can reach. An IPv6 literal is `ERR_INVALID_PARAMETER`; a name that resolves to no usable
/// address is `ERR_CANT_RESOLVE`. Host names resolve with the system resolver (blocking, as in
/// Godot).
pub(crate) fn resolve(address: &str, port: u16) -> Result<sys::ENetAddress> {
    if let Ok(ip) = address.parse::<IpAddr>() {
        return to_enet(SocketAddr::new(ip, port));
    }
    let candidates = (address, port)
        .to_socket_addrs()
        .map_err(|_| Error::CantResolve)?;
    candidates
        .filter_map(|candidate| to_enet(candidate).ok())
        .next()
        .ok_or(Error::CantResolve)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enet_host_is_network_byte_order() {
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
    fn ipv6_literals_are_invalid_parameters_over_upstream_enet() {
        assert_eq!(resolve("::1", 1000).unwrap_err(), Error::InvalidParameter);
    }

    #[test]
    fn localhost_resolves_to_ipv4() {
        let enet = resolve("localhost", 1000).unwrap();
        assert_eq!(
            from_enet(&enet),
            "127.0.0.1:1000".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn unresolvable_names_are_cant_resolve() {
        assert_eq!(
            resolve("no-such-host.invalid", 1000).unwrap_err(),
            Error::CantResolve
        );
    }
}
