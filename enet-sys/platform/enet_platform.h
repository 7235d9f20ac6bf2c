/**
 @file  enet_platform.h
 @brief Extensions of the project's own Linux platform layer (unix_platform.c)

 The layer implements every function of upstream's unix.c, plus dual-stack IPv6. IPv6 endpoints
 reach the unchanged protocol code through upstream's 8-byte ENetAddress {host, port}: an IPv4
 address is itself, and an IPv6 address (with its scope id) is a *token* in the reserved block
 240.0.0.0/4, kept in a bounded process-wide table, while the real port stays in `port`.

 Token layout, in host byte order: 0xF0000000 | generation << 16 | slot, with slot < 65536 and
 generation in 0..0xFFE (a slot's generation changes each time the slot is reused, so a stale
 token does not silently reach a new address). 255.240.0.0/12 holds no tokens: it contains
 ENET_HOST_BROADCAST and ENET_PLATFORM_HOST_ANY_IPV4. IPv4 datagrams from 240.0.0.0/4 sources
 are dropped, so no real IPv4 endpoint can ever equal a token.
*/
#ifndef ENET_PLATFORM_H
#define ENET_PLATFORM_H

#include <stdint.h>
#include <sys/socket.h>
#include "enet/enet.h"

#ifdef __cplusplus
extern "C"
{
#endif

/** Most IPv6 addresses (each with its scope id) mapped at once, process-wide. */
#define ENET_PLATFORM_ADDRESS_TABLE_CAPACITY 65536

/** An unpinned, established mapping unused for this long (ms) may be evicted when the table is
    full; twice ENet's default maximum peer timeout (30 s). */
#define ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT 60000

/** ENetAddress host meaning "IPv4 any, IPv4 only" (255.255.255.254, network byte order).
    ENET_HOST_ANY (0) means "any address, dual-stack". Parsing "0.0.0.0" yields this value. */
#define ENET_PLATFORM_HOST_ANY_IPV4 ENET_HOST_TO_NET_32 (0xFFFFFFFEu)

/** Bits returned by enet_platform_socket_address_families. */
#define ENET_PLATFORM_FAMILY_IPV4 1
#define ENET_PLATFORM_FAMILY_IPV6 2

/** A snapshot of the IPv6 address table. */
typedef struct _ENetPlatformAddressTableStats
{
    uint64_t capacity;    /**< ENET_PLATFORM_ADDRESS_TABLE_CAPACITY */
    uint64_t mapped;      /**< IPv6 addresses mapped now */
    uint64_t pinned;      /**< of which pinned (never evicted) */
    uint64_t probation;   /**< of which only ever received from or converted (evicted first) */
    uint64_t established; /**< of which sent to, or unpinned (evicted only after the idle timeout) */
    uint64_t evictions;   /**< mappings evicted so far to make room */
    uint64_t refusals;    /**< new IPv6 addresses refused so far because nothing was evictable */
} ENetPlatformAddressTableStats;

/** Converts a socket address (AF_INET, or AF_INET6 with scope id) to an ENetAddress, mapping an
    IPv6 address into the table (as a probation entry). IPv4 and IPv4-mapped addresses convert
    to themselves, except 0.0.0.0, which converts to ENET_PLATFORM_HOST_ANY_IPV4; "::" converts
    to ENET_HOST_ANY.
    @returns 0 on success; -1 for another family, a short length, an IPv4 address inside
    240.0.0.0/4 (other than 255.255.255.255), or a full table with nothing evictable. */
ENET_API int enet_platform_address_from_sockaddr (ENetAddress * address, const struct sockaddr * sockaddr, socklen_t length);

/** Converts an ENetAddress back to a socket address: sockaddr_in for IPv4 (0.0.0.0 for
    ENET_PLATFORM_HOST_ANY_IPV4), sockaddr_in6 for a token (with its scope id) and for
    ENET_HOST_ANY ("::"). Does not count as a use of the mapping.
    @returns 0 on success, -1 for a stale token or another reserved value. */
ENET_API int enet_platform_address_to_sockaddr (const ENetAddress * address, struct sockaddr_storage * sockaddr, socklen_t * length);

/** Pins the mapping of an address so it is never evicted (pins are counted; call unpin once per
    pin). Pin the address of every peer considered live. IPv4 addresses need no pin.
    @returns 0 on success (always for IPv4), -1 for a stale token. */
ENET_API int enet_platform_address_pin (const ENetAddress * address);

/** Releases one pin. At zero pins the mapping becomes established and evictable after
    ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT of disuse.
    @returns 0 on success (always for IPv4), -1 for a stale token or an unpinned mapping. */
ENET_API int enet_platform_address_unpin (const ENetAddress * address);

/** Which peers a socket can reach, from its family and bound address: IPv4 only (bound to an
    IPv4 address, or an AF_INET socket where the kernel lacks IPv6), IPv6 only (bound to an IPv6
    address) or both (unbound, or bound to "any" dual-stack). Asks the kernel about the socket
    the descriptor names at the time of the call and reads no per-socket state, so it may be
    called with any descriptor at any time, even one another thread is destroying.
    @returns ENET_PLATFORM_FAMILY_* bits, or -1 when the descriptor is not an IPv4/IPv6 socket. */
ENET_API int enet_platform_socket_address_families (ENetSocket socket);

/** Fills *stats with a consistent snapshot of the address table. */
ENET_API void enet_platform_address_table_stats (ENetPlatformAddressTableStats * stats);

#ifdef __cplusplus
}
#endif

#endif /* ENET_PLATFORM_H */
