/**
 @file  unix_platform.c
 @brief The project's Linux platform layer for ENet 1.3.18, replacing upstream's unix.c

 Same contract as unix.c (non-blocking sockets, oversized or truncated datagrams skipped with
 -2, the same socket options), plus:
 - dual-stack IPv6: one AF_INET6 socket with IPV6_V6ONLY=0 serves IPv4 and IPv6 peers (AF_INET
   when the kernel has no IPv6); IPv6 addresses reach the protocol code as tokens (see
   enet_platform.h) from a bounded, thread-safe table;
 - I/O: each datagram is sent from one contiguous buffer with one sendto; receives are batched
   with recvmmsg into a per-socket ring; EINTR is retried;
 - time: enet_time_get reads CLOCK_MONOTONIC, so a wall-clock jump cannot time peers out.
 The protocol files (callbacks.c compress.c host.c list.c packet.c peer.c protocol.c) are
 compiled unchanged against it.
*/
#define _GNU_SOURCE 1

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#define ENET_BUILDING_LIB 1
#include "enet/enet.h"
#include "enet_platform.h"

typedef union
{
    struct sockaddr any;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} PlatformSockaddr;

/* ---------------------------------------------------------------------------------------------
   Time
   ------------------------------------------------------------------------------------------- */

static _Atomic enet_uint32 timeBase = 0;

static uint64_t
monotonic_ms (void)
{
    struct timespec now;

    clock_gettime (CLOCK_MONOTONIC, & now);

    return (uint64_t) now.tv_sec * 1000u + (uint64_t) now.tv_nsec / 1000000u;
}

enet_uint32
enet_time_get (void)
{
    return (enet_uint32) monotonic_ms () - atomic_load_explicit (& timeBase, memory_order_relaxed);
}

void
enet_time_set (enet_uint32 newTimeBase)
{
    atomic_store_explicit (& timeBase, (enet_uint32) monotonic_ms () - newTimeBase, memory_order_relaxed);
}

int
enet_initialize (void)
{
    return 0;
}

void
enet_deinitialize (void)
{
}

enet_uint32
enet_host_random_seed (void)
{
    enet_uint32 seed;

    if (getrandom (& seed, sizeof (seed), GRND_NONBLOCK) == (ssize_t) sizeof (seed))
      return seed;

    return (enet_uint32) time (NULL) ^ (enet_uint32) monotonic_ms ();
}

/* ---------------------------------------------------------------------------------------------
   The IPv6 address table

   Entries live in slots; a token names a slot and its generation. A keyed hash index (SipHash
   over address and scope, linear probing) finds the slot of an address. Unpinned entries sit
   on one of two LRU lists: probation (only received from or converted: a flood of junk sources
   lands here and is evicted first) and established (sent to, i.e. ENet answered, or unpinned:
   evicted only after ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT of disuse). Pinned entries are on no
   list and are never evicted. The table grows by doubling up to its capacity.
   ------------------------------------------------------------------------------------------- */

#define TOKEN_PREFIX 0xF0000000u
#define TOKEN_GENERATIONS 0xFFFu       /* generations 0..0xFFE; 0xFFF marks 255.240.0.0/12 */
#define TOKEN_SLOT_MASK 0xFFFFu
#define NIL 0xFFFFFFFFu
#define TABLE_INITIAL_CAPACITY 64u

enum { LIST_PROBATION, LIST_ESTABLISHED, LIST_COUNT, LIST_PINNED = LIST_COUNT, LIST_FREE };

typedef struct
{
    struct in6_addr address;
    enet_uint32 scope;
    enet_uint32 hash;
    enet_uint32 pins;
    enet_uint32 previous;   /* LRU neighbours, or the next free slot */
    enet_uint32 next;
    uint64_t lastUsed;   /* monotonic_ms */
    enet_uint16 generation;
    enet_uint8 list;
} MappedAddress;

typedef struct
{
    enet_uint32 head;       /* least recently used */
    enet_uint32 tail;
    enet_uint32 count;
} LruList;

static struct
{
    pthread_mutex_t lock;
    MappedAddress * entries;
    enet_uint32 capacity;
    enet_uint32 * index;    /* 2 * capacity buckets holding slots, NIL when empty */
    enet_uint32 indexMask;
    enet_uint32 freeHead;
    enet_uint32 mapped;
    enet_uint32 pinned;
    LruList lists [LIST_COUNT];
    uint64_t key [2];
    uint64_t evictions;
    uint64_t refusals;
} table = { .lock = PTHREAD_MUTEX_INITIALIZER, .freeHead = NIL,
            .lists = { { NIL, NIL, 0 }, { NIL, NIL, 0 } } };

static int
ipv4_is_reserved (enet_uint32 hostOrder)
{
    return (hostOrder & TOKEN_PREFIX) == TOKEN_PREFIX;
}

static int
ipv4_is_token (enet_uint32 hostOrder)
{
    return ipv4_is_reserved (hostOrder) && ((hostOrder >> 16) & TOKEN_GENERATIONS) != TOKEN_GENERATIONS;
}

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND \
    do { \
        v0 += v1; v1 = ROTL (v1, 13); v1 ^= v0; v0 = ROTL (v0, 32); \
        v2 += v3; v3 = ROTL (v3, 16); v3 ^= v2; \
        v0 += v3; v3 = ROTL (v3, 21); v3 ^= v0; \
        v2 += v1; v1 = ROTL (v1, 17); v1 ^= v2; v2 = ROTL (v2, 32); \
    } while (0)

/* SipHash-1-3 of the 20 bytes address || scope, keyed per process: sources cannot be chosen to
   collide in the index. */
static enet_uint32
address_hash (const struct in6_addr * address, enet_uint32 scope)
{
    uint64_t v0 = table.key [0] ^ 0x736f6d6570736575ull, v1 = table.key [1] ^ 0x646f72616e646f6dull,
                v2 = table.key [0] ^ 0x6c7967656e657261ull, v3 = table.key [1] ^ 0x7465646279746573ull;
    uint64_t words [3];
    size_t i;

    memcpy (& words [0], & address -> s6_addr [0], 8);
    memcpy (& words [1], & address -> s6_addr [8], 8);
    words [2] = (uint64_t) scope | ((uint64_t) 20 << 56);

    for (i = 0; i < 3; ++ i)
    {
        v3 ^= words [i];
        SIPROUND;
        v0 ^= words [i];
    }
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;

    return (enet_uint32) (v0 ^ v1 ^ v2 ^ v3);
}

static void
list_remove (MappedAddress * entry)
{
    LruList * list = & table.lists [entry -> list];

    if (entry -> previous != NIL)
      table.entries [entry -> previous].next = entry -> next;
    else
      list -> head = entry -> next;

    if (entry -> next != NIL)
      table.entries [entry -> next].previous = entry -> previous;
    else
      list -> tail = entry -> previous;

    -- list -> count;
}

static void
list_append (MappedAddress * entry, enet_uint32 slot, enet_uint8 which)
{
    LruList * list = & table.lists [which];

    entry -> list = which;
    entry -> previous = list -> tail;
    entry -> next = NIL;

    if (list -> tail != NIL)
      table.entries [list -> tail].next = slot;
    else
      list -> head = slot;

    list -> tail = slot;
    ++ list -> count;
}

/* Marks a use: the entry moves to the most recently used end of its list, or to the established
   list when `establish` is set. Pinned entries only record the time. */
static void
entry_touch (enet_uint32 slot, uint64_t now, int establish)
{
    MappedAddress * entry = & table.entries [slot];

    entry -> lastUsed = now;
    if (entry -> list == LIST_PINNED)
      return;

    list_remove (entry);
    list_append (entry, slot, establish ? LIST_ESTABLISHED : entry -> list);
}

static enet_uint32
index_find (const struct in6_addr * address, enet_uint32 scope, enet_uint32 hash)
{
    enet_uint32 bucket = hash & table.indexMask;

    for (;;)
    {
        enet_uint32 slot = table.index [bucket];

        if (slot == NIL)
          return NIL;

        if (table.entries [slot].hash == hash && table.entries [slot].scope == scope &&
            memcmp (& table.entries [slot].address, address, sizeof (struct in6_addr)) == 0)
          return slot;

        bucket = (bucket + 1) & table.indexMask;
    }
}

static void
index_insert (enet_uint32 slot)
{
    enet_uint32 bucket = table.entries [slot].hash & table.indexMask;

    while (table.index [bucket] != NIL)
      bucket = (bucket + 1) & table.indexMask;

    table.index [bucket] = slot;
}

/* Linear-probing deletion by backward shift: no tombstones, so lookups stay short. */
static void
index_erase (enet_uint32 slot)
{
    enet_uint32 hole = table.entries [slot].hash & table.indexMask, bucket;

    while (table.index [hole] != slot)
      hole = (hole + 1) & table.indexMask;

    for (bucket = (hole + 1) & table.indexMask; table.index [bucket] != NIL; bucket = (bucket + 1) & table.indexMask)
    {
        enet_uint32 home = table.entries [table.index [bucket]].hash & table.indexMask;

        /* The entry may fill the hole unless its home lies cyclically in (hole, bucket]. */
        if (((bucket - home) & table.indexMask) >= ((bucket - hole) & table.indexMask))
        {
            table.index [hole] = table.index [bucket];
            hole = bucket;
        }
    }

    table.index [hole] = NIL;
}

static int
table_grow (void)
{
    enet_uint32 capacity = table.capacity ? table.capacity * 2 : TABLE_INITIAL_CAPACITY, slot;
    MappedAddress * entries;
    enet_uint32 * index;

    if (table.capacity == 0 && getrandom (table.key, sizeof (table.key), GRND_NONBLOCK) != (ssize_t) sizeof (table.key))
    {
        table.key [0] = monotonic_ms () ^ (uint64_t) (uintptr_t) & table;
        table.key [1] = (uint64_t) time (NULL) * 0x9E3779B97F4A7C15ull;
    }

    entries = (MappedAddress *) realloc (table.entries, capacity * sizeof (MappedAddress));
    if (entries == NULL)
      return -1;
    table.entries = entries;

    index = (enet_uint32 *) malloc (2 * (size_t) capacity * sizeof (enet_uint32));
    if (index == NULL)
      return -1;

    for (slot = capacity; slot-- > table.capacity;)
    {
        entries [slot].generation = 0;
        entries [slot].list = LIST_FREE;
        entries [slot].next = table.freeHead;
        table.freeHead = slot;
    }

    free (table.index);
    table.index = index;
    table.indexMask = 2 * capacity - 1;
    memset (index, 0xFF, 2 * (size_t) capacity * sizeof (enet_uint32));
    table.capacity = capacity;

    for (slot = 0; slot < capacity; ++ slot)
      if (entries [slot].list != LIST_FREE)
        index_insert (slot);

    return 0;
}

static void
entry_evict (enet_uint32 slot)
{
    MappedAddress * entry = & table.entries [slot];

    list_remove (entry);
    index_erase (slot);
    entry -> list = LIST_FREE;
    entry -> generation = (enet_uint16) ((entry -> generation + 1) % TOKEN_GENERATIONS);
    entry -> next = table.freeHead;
    table.freeHead = slot;
    -- table.mapped;
    ++ table.evictions;
}

/* A free slot: unused, or grown, or evicted (probation LRU first, then an established entry idle
   for long enough). NIL when every entry is pinned or recently established. */
static enet_uint32
slot_allocate (uint64_t now)
{
    enet_uint32 slot;

    if (table.freeHead == NIL && table.capacity < ENET_PLATFORM_ADDRESS_TABLE_CAPACITY)
      table_grow ();

    if (table.freeHead == NIL)
    {
        enet_uint32 oldest = table.lists [LIST_ESTABLISHED].head;

        if (table.lists [LIST_PROBATION].head != NIL)
          entry_evict (table.lists [LIST_PROBATION].head);
        else
        /* `now` was read before the lock, so another thread may have stamped a later time. */
        if (oldest != NIL && now >= table.entries [oldest].lastUsed &&
            now - table.entries [oldest].lastUsed >= ENET_PLATFORM_ADDRESS_IDLE_TIMEOUT)
          entry_evict (oldest);
        else
          return NIL;
    }

    slot = table.freeHead;
    table.freeHead = table.entries [slot].next;

    return slot;
}

static enet_uint32
token_of (enet_uint32 slot)
{
    return TOKEN_PREFIX | ((enet_uint32) table.entries [slot].generation << 16) | slot;
}

/* Maps an IPv6 address to its token (host byte order), creating a probation entry if needed. */
static int
table_map (const struct in6_addr * address, enet_uint32 scope, enet_uint32 * token)
{
    uint64_t now = monotonic_ms ();
    enet_uint32 hash, slot;

    pthread_mutex_lock (& table.lock);

    if (table.capacity == 0 && table_grow () != 0)
    {
        pthread_mutex_unlock (& table.lock);
        return -1;
    }

    hash = address_hash (address, scope);
    slot = index_find (address, scope, hash);
    if (slot != NIL)
      entry_touch (slot, now, 0);
    else
    {
        MappedAddress * entry;

        slot = slot_allocate (now);
        if (slot == NIL)
        {
            ++ table.refusals;
            pthread_mutex_unlock (& table.lock);
            return -1;
        }

        entry = & table.entries [slot];
        entry -> address = * address;
        entry -> scope = scope;
        entry -> hash = hash;
        entry -> pins = 0;
        entry -> lastUsed = now;
        list_append (entry, slot, LIST_PROBATION);
        index_insert (slot);
        ++ table.mapped;
    }

    * token = token_of (slot);

    pthread_mutex_unlock (& table.lock);
    return 0;
}

/* The live slot a token names, or NIL. Called with the lock held. */
static enet_uint32
token_slot (enet_uint32 token)
{
    enet_uint32 slot = token & TOKEN_SLOT_MASK;

    if (! ipv4_is_token (token) || slot >= table.capacity || table.entries [slot].list == LIST_FREE ||
        table.entries [slot].generation != ((token >> 16) & TOKEN_GENERATIONS))
      return NIL;

    return slot;
}

enum { USE_NONE, USE_SEND };

static int
table_lookup (enet_uint32 token, int use, struct in6_addr * address, enet_uint32 * scope)
{
    enet_uint32 slot;
    uint64_t now = use == USE_SEND ? monotonic_ms () : 0;

    pthread_mutex_lock (& table.lock);

    slot = token_slot (token);
    if (slot != NIL)
    {
        * address = table.entries [slot].address;
        * scope = table.entries [slot].scope;
        if (use == USE_SEND)
          entry_touch (slot, now, 1);
    }

    pthread_mutex_unlock (& table.lock);
    return slot == NIL ? -1 : 0;
}

int
enet_platform_address_pin (const ENetAddress * address)
{
    enet_uint32 token = ENET_NET_TO_HOST_32 (address -> host), slot;
    int result = 0;

    if (! ipv4_is_token (token))
      return 0;

    pthread_mutex_lock (& table.lock);

    slot = token_slot (token);
    if (slot == NIL || table.entries [slot].pins == UINT32_MAX)
      result = -1;
    else
    {
        MappedAddress * entry = & table.entries [slot];

        if (entry -> pins ++ == 0)
        {
            list_remove (entry);
            entry -> list = LIST_PINNED;
            ++ table.pinned;
        }
    }

    pthread_mutex_unlock (& table.lock);
    return result;
}

int
enet_platform_address_unpin (const ENetAddress * address)
{
    enet_uint32 token = ENET_NET_TO_HOST_32 (address -> host), slot;
    uint64_t now = monotonic_ms ();
    int result = 0;

    if (! ipv4_is_token (token))
      return 0;

    pthread_mutex_lock (& table.lock);

    slot = token_slot (token);
    if (slot == NIL || table.entries [slot].pins == 0)
      result = -1;
    else
    {
        MappedAddress * entry = & table.entries [slot];

        if (-- entry -> pins == 0)
        {
            entry -> lastUsed = now;
            list_append (entry, slot, LIST_ESTABLISHED);
            -- table.pinned;
        }
    }

    pthread_mutex_unlock (& table.lock);
    return result;
}

void
enet_platform_address_table_stats (ENetPlatformAddressTableStats * stats)
{
    pthread_mutex_lock (& table.lock);

    stats -> capacity = ENET_PLATFORM_ADDRESS_TABLE_CAPACITY;
    stats -> mapped = table.mapped;
    stats -> pinned = table.pinned;
    stats -> probation = table.lists [LIST_PROBATION].count;
    stats -> established = table.lists [LIST_ESTABLISHED].count;
    stats -> evictions = table.evictions;
    stats -> refusals = table.refusals;

    pthread_mutex_unlock (& table.lock);
}

/* ---------------------------------------------------------------------------------------------
   Address conversion
   ------------------------------------------------------------------------------------------- */

static int
ipv4_to_address (enet_uint32 networkOrder, ENetAddress * address)
{
    enet_uint32 hostOrder = ENET_NET_TO_HOST_32 (networkOrder);

    if (ipv4_is_reserved (hostOrder) && hostOrder != 0xFFFFFFFFu)
      return -1;

    address -> host = hostOrder == 0 ? ENET_PLATFORM_HOST_ANY_IPV4 : networkOrder;
    return 0;
}

/* Sets address->host from an IPv6 address (port untouched). */
static int
ipv6_to_address (const struct in6_addr * in6, enet_uint32 scope, ENetAddress * address)
{
    enet_uint32 token;

    if (IN6_IS_ADDR_V4MAPPED (in6))
    {
        enet_uint32 networkOrder;

        memcpy (& networkOrder, & in6 -> s6_addr [12], sizeof (networkOrder));
        return ipv4_to_address (networkOrder, address);
    }

    if (IN6_IS_ADDR_UNSPECIFIED (in6))
    {
        address -> host = ENET_HOST_ANY;
        return 0;
    }

    if (table_map (in6, scope, & token) != 0)
      return -1;

    address -> host = ENET_HOST_TO_NET_32 (token);
    return 0;
}

int
enet_platform_address_from_sockaddr (ENetAddress * address, const struct sockaddr * sockaddr, socklen_t length)
{
    ENetAddress result;

    if (sockaddr == NULL)
      return -1;

    if (sockaddr -> sa_family == AF_INET && length >= (socklen_t) sizeof (struct sockaddr_in))
    {
        const struct sockaddr_in * in = (const struct sockaddr_in *) sockaddr;

        if (ipv4_to_address (in -> sin_addr.s_addr, & result) != 0)
          return -1;
        result.port = ENET_NET_TO_HOST_16 (in -> sin_port);
    }
    else
    if (sockaddr -> sa_family == AF_INET6 && length >= (socklen_t) sizeof (struct sockaddr_in6))
    {
        const struct sockaddr_in6 * in6 = (const struct sockaddr_in6 *) sockaddr;

        if (ipv6_to_address (& in6 -> sin6_addr, in6 -> sin6_scope_id, & result) != 0)
          return -1;
        result.port = ENET_NET_TO_HOST_16 (in6 -> sin6_port);
    }
    else
      return -1;

    * address = result;
    return 0;
}

/* What an ENetAddress names: an IPv4 address (network order), the dual-stack "any", or an IPv6
   address. Returns -1 for stale tokens and unused reserved values. */
enum { NAMED_IPV4, NAMED_ANY, NAMED_IPV6 };

typedef struct
{
    int kind;
    enet_uint32 ipv4;
    struct in6_addr ipv6;
    enet_uint32 scope;
} NamedAddress;

static int
address_resolve (const ENetAddress * address, int use, NamedAddress * named)
{
    enet_uint32 hostOrder = ENET_NET_TO_HOST_32 (address -> host);

    if (address -> host == ENET_HOST_ANY)
    {
        named -> kind = NAMED_ANY;
        return 0;
    }

    if (ipv4_is_token (hostOrder))
    {
        named -> kind = NAMED_IPV6;
        return table_lookup (hostOrder, use, & named -> ipv6, & named -> scope);
    }

    named -> kind = NAMED_IPV4;
    if (hostOrder == 0xFFFFFFFEu)
      named -> ipv4 = 0;
    else
    if (ipv4_is_reserved (hostOrder) && hostOrder != 0xFFFFFFFFu)
      return -1;
    else
      named -> ipv4 = address -> host;

    return 0;
}

/* The socket address for `named` on a socket of `family`; -1 when that family cannot express it. */
static int
named_to_sockaddr (const NamedAddress * named, enet_uint16 port, int family, PlatformSockaddr * out, socklen_t * length)
{
    memset (out, 0, sizeof (* out));

    if (family == AF_INET)
    {
        if (named -> kind == NAMED_IPV6)
          return -1;

        out -> in.sin_family = AF_INET;
        out -> in.sin_port = ENET_HOST_TO_NET_16 (port);
        out -> in.sin_addr.s_addr = named -> kind == NAMED_ANY ? INADDR_ANY : named -> ipv4;
        * length = sizeof (struct sockaddr_in);
        return 0;
    }

    out -> in6.sin6_family = AF_INET6;
    out -> in6.sin6_port = ENET_HOST_TO_NET_16 (port);
    if (named -> kind == NAMED_IPV6)
    {
        out -> in6.sin6_addr = named -> ipv6;
        out -> in6.sin6_scope_id = named -> scope;
    }
    else
    if (named -> kind == NAMED_IPV4)
    {
        out -> in6.sin6_addr.s6_addr [10] = 0xFF;
        out -> in6.sin6_addr.s6_addr [11] = 0xFF;
        memcpy (& out -> in6.sin6_addr.s6_addr [12], & named -> ipv4, sizeof (named -> ipv4));
    }
    * length = sizeof (struct sockaddr_in6);
    return 0;
}

int
enet_platform_address_to_sockaddr (const ENetAddress * address, struct sockaddr_storage * sockaddr, socklen_t * length)
{
    NamedAddress named;
    PlatformSockaddr out;
    socklen_t outLength;

    if (address_resolve (address, USE_NONE, & named) != 0 ||
        named_to_sockaddr (& named, address -> port, named.kind == NAMED_IPV4 ? AF_INET : AF_INET6, & out, & outLength) != 0)
      return -1;

    memset (sockaddr, 0, sizeof (* sockaddr));
    memcpy (sockaddr, & out, outLength);
    * length = outLength;
    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Per-socket state: family, reachable families, and the receive ring. Indexed by descriptor in
   a two-level table of atomic pointers (chunks allocated on demand), so lookups take no lock.
   A socket is used by one host, and a host by one thread at a time; sends keep no per-socket
   mutable state and are as thread-safe as sendto.

   Lifetime: a state is freed by enet_socket_destroy (and a stale one, left by a descriptor
   closed without it, when ENet creates or accepts a new socket under the same number). So every
   function that reads the state requires, as upstream's API does, a socket that stays open and
   is not destroyed during the call: the send, receive, wait, select, bind, connect and option
   calls. They are reached only through a host its owner holds.

   enet_platform_socket_address_families is the exception: Rust exposes it as a safe function of
   any descriptor, which another thread may be destroying (or whose number the kernel may have
   reused) meanwhile. It therefore never reads the state: it asks the kernel (SO_DOMAIN, then
   for AF_INET6 IPV6_V6ONLY and getsockname, the probe that also fills state -> families) about
   whatever socket the descriptor names at that moment. That costs up to three system calls on a
   path that is not hot (connecting, raw sends) and leaves the table, destroy and the hot send
   and receive paths exactly as they were. Alternatives considered: deferred freeing (hazard
   pointers, epochs) or a lock shared with destroy is new machinery on destroy for one cold
   reader; states never freed, or families stored by value in the table, avoid the freed memory
   but still answer from a cached value for a number whose socket was closed behind ENet's back
   and reused; only the kernel knows which socket a number names now.
   ------------------------------------------------------------------------------------------- */

#define RING_INITIAL 8u
#define RING_MAXIMUM 64u
#define RING_SLOT_SIZE ENET_PROTOCOL_MAXIMUM_MTU

typedef struct
{
    struct mmsghdr * messages;
    struct iovec * vectors;
    enet_uint8 * data;
    PlatformSockaddr * names;
    unsigned capacity;
    unsigned count;         /* datagrams in the last batch */
    unsigned next;          /* the next one to hand out */
    int drained;            /* the last batch was short: the kernel queue was empty */
    int grow;               /* the last batch was full: double the ring at the next refill */
} ReceiveRing;

typedef struct
{
    int family;             /* AF_INET6, or AF_INET without kernel IPv6 */
    int datagram;           /* SOCK_DGRAM: receives are batched */
    _Atomic int families;   /* ENET_PLATFORM_FAMILY_* this socket can reach */
    int nonblocking;
    ReceiveRing ring;
} SocketState;

#define STATE_CHUNK_BITS 16
#define STATE_CHUNK_SIZE (1u << STATE_CHUNK_BITS)
#define STATE_CHUNKS (((unsigned) INT_MAX >> STATE_CHUNK_BITS) + 1)

typedef _Atomic (SocketState *) StateSlot;

static StateSlot * _Atomic stateChunks [STATE_CHUNKS];

static SocketState *
state_get (ENetSocket socket)
{
    StateSlot * chunk;

    if (socket < 0)
      return NULL;

    chunk = atomic_load_explicit (& stateChunks [(unsigned) socket >> STATE_CHUNK_BITS], memory_order_acquire);
    if (chunk == NULL)
      return NULL;

    return atomic_load_explicit (& chunk [(unsigned) socket & (STATE_CHUNK_SIZE - 1)], memory_order_acquire);
}

static StateSlot *
state_slot (ENetSocket socket)
{
    StateSlot * _Atomic * top = & stateChunks [(unsigned) socket >> STATE_CHUNK_BITS];
    StateSlot * chunk = atomic_load_explicit (top, memory_order_acquire), * expected = NULL;

    if (chunk == NULL)
    {
        StateSlot * fresh = (StateSlot *) calloc (STATE_CHUNK_SIZE, sizeof (StateSlot));

        if (fresh == NULL)
          return NULL;

        if (atomic_compare_exchange_strong_explicit (top, & expected, fresh, memory_order_acq_rel, memory_order_acquire))
          chunk = fresh;
        else
        {
            free (fresh);
            chunk = expected;
        }
    }

    return & chunk [(unsigned) socket & (STATE_CHUNK_SIZE - 1)];
}

static void
state_free (SocketState * state)
{
    if (state == NULL)
      return;

    free (state -> ring.messages);
    free (state);
}

/* Which families a socket reaches, from its family, IPV6_V6ONLY and bound address. */
static int
families_probe (ENetSocket socket, int family)
{
    PlatformSockaddr bound;
    socklen_t length = sizeof (bound);
    int v6only = 0;
    socklen_t v6onlyLength = sizeof (v6only);

    if (family == AF_INET)
      return ENET_PLATFORM_FAMILY_IPV4;

    if (getsockopt (socket, IPPROTO_IPV6, IPV6_V6ONLY, & v6only, & v6onlyLength) == 0 && v6only)
      return ENET_PLATFORM_FAMILY_IPV6;

    if (getsockname (socket, & bound.any, & length) != 0 || bound.any.sa_family != AF_INET6)
      return ENET_PLATFORM_FAMILY_IPV4 | ENET_PLATFORM_FAMILY_IPV6;

    if (IN6_IS_ADDR_V4MAPPED (& bound.in6.sin6_addr))
      return ENET_PLATFORM_FAMILY_IPV4;

    if (IN6_IS_ADDR_UNSPECIFIED (& bound.in6.sin6_addr))
      return ENET_PLATFORM_FAMILY_IPV4 | ENET_PLATFORM_FAMILY_IPV6;

    return ENET_PLATFORM_FAMILY_IPV6;
}

static SocketState *
state_new (ENetSocket socket, int family, int type)
{
    SocketState * state = (SocketState *) calloc (1, sizeof (SocketState));
    int flags;

    if (state == NULL)
      return NULL;

    state -> family = family;
    state -> datagram = type == SOCK_DGRAM;
    flags = fcntl (socket, F_GETFL);
    state -> nonblocking = flags != -1 && (flags & O_NONBLOCK);
    atomic_init (& state -> families, families_probe (socket, family));

    return state;
}

/* The state of a socket; created on first use for sockets ENet did not create (accepted ones). */
static SocketState *
state_for (ENetSocket socket)
{
    SocketState * state = state_get (socket), * expected = NULL;
    StateSlot * slot;
    int family, type;
    socklen_t length = sizeof (int);

    if (state != NULL || socket < 0)
      return state;

    if (getsockopt (socket, SOL_SOCKET, SO_DOMAIN, & family, & length) != 0 || (family != AF_INET && family != AF_INET6))
      return NULL;
    length = sizeof (int);
    if (getsockopt (socket, SOL_SOCKET, SO_TYPE, & type, & length) != 0)
      return NULL;

    slot = state_slot (socket);
    state = slot != NULL ? state_new (socket, family, type) : NULL;
    if (state == NULL)
      return NULL;

    if (atomic_compare_exchange_strong_explicit (slot, & expected, state, memory_order_acq_rel, memory_order_acquire))
      return state;

    state_free (state);
    return expected;
}

ENetSocket
enet_socket_create (ENetSocketType type)
{
    int kind = type == ENET_SOCKET_TYPE_DATAGRAM ? SOCK_DGRAM : SOCK_STREAM, off = 0, family = AF_INET6;
    ENetSocket result = socket (AF_INET6, kind | SOCK_CLOEXEC, 0);
    StateSlot * slot;
    SocketState * state;

    if (result != -1 && setsockopt (result, IPPROTO_IPV6, IPV6_V6ONLY, & off, sizeof (off)) != 0)
    {
        close (result);
        result = -1;
    }

    if (result == -1)
    {
        family = AF_INET;
        result = socket (AF_INET, kind | SOCK_CLOEXEC, 0);
        if (result == -1)
          return ENET_SOCKET_NULL;
    }

    slot = state_slot (result);
    state = slot != NULL ? state_new (result, family, kind) : NULL;
    if (state == NULL)
    {
        close (result);
        return ENET_SOCKET_NULL;
    }

    /* A descriptor closed without enet_socket_destroy may have left a stale state behind. */
    state_free (atomic_exchange_explicit (slot, state, memory_order_acq_rel));

    return result;
}

void
enet_socket_destroy (ENetSocket socket)
{
    if (socket == -1)
      return;

    if (state_get (socket) != NULL)
      state_free (atomic_exchange_explicit (state_slot (socket), NULL, memory_order_acq_rel));

    close (socket);
}

/* Never reads the per-socket state: see "Lifetime" above. */
int
enet_platform_socket_address_families (ENetSocket socket)
{
    int family;
    socklen_t length = sizeof (int);

    if (socket < 0 || getsockopt (socket, SOL_SOCKET, SO_DOMAIN, & family, & length) != 0 ||
        (family != AF_INET && family != AF_INET6))
      return -1;

    return families_probe (socket, family);
}

/* The destination for `address` on this socket; -1 when the socket cannot reach it. */
static int
state_destination (SocketState * state, const ENetAddress * address, int use, PlatformSockaddr * out, socklen_t * length)
{
    NamedAddress named;
    int families = atomic_load_explicit (& state -> families, memory_order_relaxed);

    if (address_resolve (address, use, & named) != 0)
      return -1;

    if ((named.kind == NAMED_IPV6 && ! (families & ENET_PLATFORM_FAMILY_IPV6)) ||
        (named.kind == NAMED_IPV4 && ! (families & ENET_PLATFORM_FAMILY_IPV4)))
      return -1;

    return named_to_sockaddr (& named, address -> port, state -> family, out, length);
}

int
enet_socket_bind (ENetSocket socket, const ENetAddress * address)
{
    SocketState * state = state_for (socket);
    PlatformSockaddr name;
    socklen_t length;
    NamedAddress named;
    int result;

    if (state == NULL)
      return -1;

    if (address == NULL)
      named.kind = NAMED_ANY;
    else
    if (address_resolve (address, USE_NONE, & named) != 0)
    {
        errno = EADDRNOTAVAIL;
        return -1;
    }

    if (named_to_sockaddr (& named, address != NULL ? address -> port : 0, state -> family, & name, & length) != 0)
    {
        errno = EAFNOSUPPORT;
        return -1;
    }

    result = bind (socket, & name.any, length);
    if (result == 0)
      atomic_store_explicit (& state -> families, families_probe (socket, state -> family), memory_order_relaxed);

    return result;
}

int
enet_socket_get_address (ENetSocket socket, ENetAddress * address)
{
    PlatformSockaddr name;
    socklen_t length = sizeof (name);

    if (getsockname (socket, & name.any, & length) == -1)
      return -1;

    return enet_platform_address_from_sockaddr (address, & name.any, length);
}

int
enet_socket_listen (ENetSocket socket, int backlog)
{
    return listen (socket, backlog < 0 ? SOMAXCONN : backlog);
}

int
enet_socket_set_option (ENetSocket socket, ENetSocketOption option, int value)
{
    SocketState * state = state_for (socket);
    int result = -1;

    switch (option)
    {
        case ENET_SOCKOPT_NONBLOCK:
        {
            int flags = fcntl (socket, F_GETFL);

            if (flags != -1)
              result = fcntl (socket, F_SETFL, value ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
            if (result != -1 && state != NULL)
              state -> nonblocking = value != 0;
            break;
        }

        case ENET_SOCKOPT_BROADCAST:
            result = setsockopt (socket, SOL_SOCKET, SO_BROADCAST, & value, sizeof (int));
            break;

        case ENET_SOCKOPT_REUSEADDR:
            result = setsockopt (socket, SOL_SOCKET, SO_REUSEADDR, & value, sizeof (int));
            break;

        case ENET_SOCKOPT_RCVBUF:
            result = setsockopt (socket, SOL_SOCKET, SO_RCVBUF, & value, sizeof (int));
            break;

        case ENET_SOCKOPT_SNDBUF:
            result = setsockopt (socket, SOL_SOCKET, SO_SNDBUF, & value, sizeof (int));
            break;

        case ENET_SOCKOPT_RCVTIMEO:
        case ENET_SOCKOPT_SNDTIMEO:
        {
            struct timeval timeVal;

            timeVal.tv_sec = value / 1000;
            timeVal.tv_usec = (value % 1000) * 1000;
            result = setsockopt (socket, SOL_SOCKET, option == ENET_SOCKOPT_RCVTIMEO ? SO_RCVTIMEO : SO_SNDTIMEO,
                                 & timeVal, sizeof (struct timeval));
            break;
        }

        case ENET_SOCKOPT_NODELAY:
            result = setsockopt (socket, IPPROTO_TCP, TCP_NODELAY, & value, sizeof (int));
            break;

        case ENET_SOCKOPT_TTL:
            /* On an IPv6 socket the hop limit covers IPv6 peers and IP_TTL the IPv4-mapped ones. */
            if (state != NULL && state -> family == AF_INET6)
            {
                result = setsockopt (socket, IPPROTO_IPV6, IPV6_UNICAST_HOPS, & value, sizeof (int));
                if (result != -1)
                  result = setsockopt (socket, IPPROTO_IP, IP_TTL, & value, sizeof (int));
            }
            else
              result = setsockopt (socket, IPPROTO_IP, IP_TTL, & value, sizeof (int));
            break;

        default:
            break;
    }

    return result == -1 ? -1 : 0;
}

int
enet_socket_get_option (ENetSocket socket, ENetSocketOption option, int * value)
{
    SocketState * state = state_for (socket);
    int result = -1;
    socklen_t len = sizeof (int);

    switch (option)
    {
        case ENET_SOCKOPT_ERROR:
            result = getsockopt (socket, SOL_SOCKET, SO_ERROR, value, & len);
            break;

        case ENET_SOCKOPT_TTL:
            if (state != NULL && state -> family == AF_INET6 &&
                (atomic_load_explicit (& state -> families, memory_order_relaxed) & ENET_PLATFORM_FAMILY_IPV6))
              result = getsockopt (socket, IPPROTO_IPV6, IPV6_UNICAST_HOPS, value, & len);
            else
              result = getsockopt (socket, IPPROTO_IP, IP_TTL, value, & len);
            break;

        default:
            break;
    }

    return result == -1 ? -1 : 0;
}

int
enet_socket_connect (ENetSocket socket, const ENetAddress * address)
{
    SocketState * state = state_for (socket);
    PlatformSockaddr name;
    socklen_t length;
    int result;

    if (state == NULL)
      return -1;

    if (state_destination (state, address, USE_SEND, & name, & length) != 0)
    {
        errno = EADDRNOTAVAIL;
        return -1;
    }

    result = connect (socket, & name.any, length);
    if (result == -1 && errno == EINPROGRESS)
      return 0;

    return result;
}

ENetSocket
enet_socket_accept (ENetSocket socket, ENetAddress * address)
{
    PlatformSockaddr name;
    socklen_t length = sizeof (name);
    ENetSocket result;

    do
      result = accept4 (socket, address != NULL ? & name.any : NULL, address != NULL ? & length : NULL, SOCK_CLOEXEC);
    while (result == -1 && errno == EINTR);

    if (result == -1)
      return ENET_SOCKET_NULL;

    /* A descriptor closed without enet_socket_destroy may have left a stale state behind; the
       new socket gets its own on first use. */
    if (state_get (result) != NULL)
      state_free (atomic_exchange_explicit (state_slot (result), NULL, memory_order_acq_rel));

    if (address != NULL && enet_platform_address_from_sockaddr (address, & name.any, length) != 0)
    {
        close (result);
        errno = EADDRNOTAVAIL;
        return ENET_SOCKET_NULL;
    }

    return result;
}

int
enet_socket_shutdown (ENetSocket socket, ENetSocketShutdown how)
{
    return shutdown (socket, (int) how);
}

/* ---------------------------------------------------------------------------------------------
   Send: one contiguous datagram, one sendto. ENet never sends more than one MTU (at most
   ENET_PROTOCOL_MAXIMUM_MTU bytes), so the gather buffer lives on the stack; longer sends from
   other callers go out with sendmsg as upstream does.

   sendmmsg is not used: ENet sends inside enet_host_service, one peer at a time, and reuses its
   command and buffer state between peers, so deferring datagrams to batch them would change
   when they leave and what a send error means.

   A destination this socket cannot reach (a stale token, an IPv6 peer on an IPv4-only socket
   or the reverse) is dropped, and 0 bytes are reported, never -1: ENet turns a send error into
   an error of enet_host_service that it repeats on every call until the peer times out, while
   a dropped datagram only lets that one peer time out.
   ------------------------------------------------------------------------------------------- */

int
enet_socket_send (ENetSocket socket, const ENetAddress * address, const ENetBuffer * buffers, size_t bufferCount)
{
    SocketState * state = state_for (socket);
    PlatformSockaddr name;
    socklen_t nameLength = 0;
    enet_uint8 gathered [ENET_PROTOCOL_MAXIMUM_MTU];
    size_t total = 0, i;
    ssize_t sentLength;

    if (state == NULL)
      return -1;

    if (address != NULL && state_destination (state, address, USE_SEND, & name, & nameLength) != 0)
    {
        errno = EADDRNOTAVAIL;
        return 0;
    }

    for (i = 0; i < bufferCount; ++ i)
      total += buffers [i].dataLength;

    if (bufferCount == 1 || total <= sizeof (gathered))
    {
        const void * data = bufferCount == 1 ? buffers [0].data : gathered;

        if (bufferCount != 1)
        {
            enet_uint8 * cursor = gathered;

            for (i = 0; i < bufferCount; ++ i)
            {
                memcpy (cursor, buffers [i].data, buffers [i].dataLength);
                cursor += buffers [i].dataLength;
            }
        }

        do
          sentLength = sendto (socket, data, total, MSG_NOSIGNAL, address != NULL ? & name.any : NULL, nameLength);
        while (sentLength == -1 && errno == EINTR);
    }
    else
    {
        struct msghdr message;

        memset (& message, 0, sizeof (message));
        if (address != NULL)
        {
            message.msg_name = & name;
            message.msg_namelen = nameLength;
        }
        message.msg_iov = (struct iovec *) buffers;
        message.msg_iovlen = bufferCount;

        do
          sentLength = sendmsg (socket, & message, MSG_NOSIGNAL);
        while (sentLength == -1 && errno == EINTR);
    }

    if (sentLength == -1)
      return errno == EWOULDBLOCK || errno == EAGAIN ? 0 : -1;

    return (int) sentLength;
}

/* ---------------------------------------------------------------------------------------------
   Receive: datagram sockets fill a ring with recvmmsg when it is empty and hand out one
   datagram per call. The ring starts at RING_INITIAL datagrams and doubles, up to RING_MAXIMUM,
   each time a batch fills it. When a batch came back short the kernel queue was empty, so the
   call after its last datagram reports 0 without a system call (only on non-blocking sockets;
   enet_socket_wait rearms the ring). Every datagram keeps its own source and truncation flag.
   ------------------------------------------------------------------------------------------- */

static size_t
buffers_capacity (const ENetBuffer * buffers, size_t bufferCount)
{
    size_t total = 0, i;

    for (i = 0; i < bufferCount; ++ i)
      total += buffers [i].dataLength;

    return total;
}

/* Sets *address from a received source; -1 (skip the datagram) when it cannot be represented. */
static int
source_to_address (const PlatformSockaddr * source, socklen_t length, ENetAddress * address)
{
    if (address == NULL || length == 0)
      return 0;

    return enet_platform_address_from_sockaddr (address, & source -> any, length);
}

static int
receive_direct (ENetSocket socket, ENetAddress * address, ENetBuffer * buffers, size_t bufferCount)
{
    struct msghdr message;
    PlatformSockaddr source;
    ssize_t receivedLength;

    memset (& message, 0, sizeof (message));
    if (address != NULL)
    {
        message.msg_name = & source;
        message.msg_namelen = sizeof (source);
    }
    message.msg_iov = (struct iovec *) buffers;
    message.msg_iovlen = bufferCount;

    do
      receivedLength = recvmsg (socket, & message, MSG_NOSIGNAL);
    while (receivedLength == -1 && errno == EINTR);

    if (receivedLength == -1)
      return errno == EWOULDBLOCK || errno == EAGAIN ? 0 : -1;

    if (message.msg_flags & MSG_TRUNC)
      return -2;

    if (source_to_address (& source, message.msg_namelen, address) != 0)
      return -2;

    return (int) receivedLength;
}

/* Makes room for a batch; the ring is empty whenever this runs. */
static int
ring_reserve (ReceiveRing * ring)
{
    unsigned capacity, i;
    size_t messagesSize, vectorsSize, dataSize;
    enet_uint8 * block;

    if (ring -> messages != NULL && ! (ring -> grow && ring -> capacity < RING_MAXIMUM))
      return 0;

    capacity = ring -> messages == NULL ? RING_INITIAL : ring -> capacity * 2;
    messagesSize = capacity * sizeof (struct mmsghdr);
    vectorsSize = capacity * sizeof (struct iovec);
    dataSize = (size_t) capacity * RING_SLOT_SIZE;

    block = (enet_uint8 *) malloc (messagesSize + vectorsSize + dataSize + capacity * sizeof (PlatformSockaddr));
    if (block == NULL)
      return ring -> messages != NULL ? 0 : -1;

    free (ring -> messages);
    ring -> messages = (struct mmsghdr *) block;
    ring -> vectors = (struct iovec *) (block + messagesSize);
    ring -> data = block + messagesSize + vectorsSize;
    ring -> names = (PlatformSockaddr *) (block + messagesSize + vectorsSize + dataSize);
    ring -> capacity = capacity;
    ring -> grow = 0;

    for (i = 0; i < capacity; ++ i)
    {
        ring -> vectors [i].iov_base = ring -> data + (size_t) i * RING_SLOT_SIZE;
        ring -> vectors [i].iov_len = RING_SLOT_SIZE;
        memset (& ring -> messages [i], 0, sizeof (struct mmsghdr));
        ring -> messages [i].msg_hdr.msg_iov = & ring -> vectors [i];
        ring -> messages [i].msg_hdr.msg_iovlen = 1;
        ring -> messages [i].msg_hdr.msg_name = & ring -> names [i];
    }

    return 0;
}

static int
ring_refill (ENetSocket socket, ReceiveRing * ring)
{
    unsigned i;
    int received;

    for (i = 0; i < ring -> capacity; ++ i)
      ring -> messages [i].msg_hdr.msg_namelen = sizeof (PlatformSockaddr);

    do
      received = recvmmsg (socket, ring -> messages, ring -> capacity, MSG_WAITFORONE, NULL);
    while (received == -1 && errno == EINTR);

    if (received == -1)
      return errno == EWOULDBLOCK || errno == EAGAIN ? 0 : -1;

    ring -> count = (unsigned) received;
    ring -> next = 0;
    ring -> drained = (unsigned) received < ring -> capacity;
    ring -> grow = (unsigned) received == ring -> capacity;

    return received;
}

int
enet_socket_receive (ENetSocket socket, ENetAddress * address, ENetBuffer * buffers, size_t bufferCount)
{
    SocketState * state = state_for (socket);
    ReceiveRing * ring;
    struct mmsghdr * message;
    size_t capacity = buffers_capacity (buffers, bufferCount), length, i;
    const enet_uint8 * data;

    if (state == NULL)
      return -1;

    ring = & state -> ring;
    if (ring -> next >= ring -> count)
    {
        /* Streams, and callers whose buffers take more than a ring slot, read as upstream does. */
        if (! state -> datagram || capacity > RING_SLOT_SIZE)
          return receive_direct (socket, address, buffers, bufferCount);

        if (ring -> drained && state -> nonblocking)
        {
            ring -> drained = 0;
            return 0;
        }

        if (ring_reserve (ring) != 0)
          return receive_direct (socket, address, buffers, bufferCount);

        switch (ring_refill (socket, ring))
        {
        case -1:
            return -1;
        case 0:
            return 0;
        default:
            break;
        }
    }

    i = ring -> next ++;
    message = & ring -> messages [i];
    length = message -> msg_len;

    if ((message -> msg_hdr.msg_flags & MSG_TRUNC) || length > capacity)
      return -2;

    if (source_to_address (& ring -> names [i], message -> msg_hdr.msg_namelen, address) != 0)
      return -2;

    data = ring -> data + i * RING_SLOT_SIZE;
    for (i = 0; i < bufferCount && length > 0; ++ i)
    {
        size_t chunk = buffers [i].dataLength < length ? buffers [i].dataLength : length;

        memcpy (buffers [i].data, data, chunk);
        data += chunk;
        length -= chunk;
    }

    return (int) message -> msg_len;
}

static int
state_has_buffered (ENetSocket socket)
{
    SocketState * state = state_get (socket);

    return state != NULL && state -> ring.next < state -> ring.count;
}

int
enet_socketset_select (ENetSocket maxSocket, ENetSocketSet * readSet, ENetSocketSet * writeSet, enet_uint32 timeout)
{
    struct timeval timeVal;
    fd_set buffered;
    int selectCount, anyBuffered = 0;
    ENetSocket socket;

    FD_ZERO (& buffered);
    if (readSet != NULL)
      for (socket = 0; socket <= maxSocket; ++ socket)
        if (FD_ISSET (socket, readSet) && state_has_buffered (socket))
        {
            FD_SET (socket, & buffered);
            anyBuffered = 1;
        }

    timeVal.tv_sec = anyBuffered ? 0 : timeout / 1000;
    timeVal.tv_usec = anyBuffered ? 0 : (timeout % 1000) * 1000;

    selectCount = select (maxSocket + 1, readSet, writeSet, NULL, & timeVal);
    if (selectCount < 0 || ! anyBuffered)
      return selectCount;

    for (socket = 0; socket <= maxSocket; ++ socket)
      if (FD_ISSET (socket, & buffered) && ! FD_ISSET (socket, readSet))
      {
          FD_SET (socket, readSet);
          ++ selectCount;
      }

    return selectCount;
}

int
enet_socket_wait (ENetSocket socket, enet_uint32 * condition, enet_uint32 timeout)
{
    SocketState * state = state_get (socket);
    struct pollfd pollSocket;
    int pollCount, buffered = 0;
    uint64_t deadline = monotonic_ms () + timeout;

    if (state != NULL)
    {
        state -> ring.drained = 0;
        buffered = (* condition & ENET_SOCKET_WAIT_RECEIVE) && state -> ring.next < state -> ring.count;
    }

    pollSocket.fd = socket;
    pollSocket.events = 0;

    if (* condition & ENET_SOCKET_WAIT_SEND)
      pollSocket.events |= POLLOUT;

    if (* condition & ENET_SOCKET_WAIT_RECEIVE)
      pollSocket.events |= POLLIN;

    for (;;)
    {
        uint64_t now = monotonic_ms ();
        uint64_t remaining = buffered || now >= deadline ? 0 : deadline - now;

        pollCount = poll (& pollSocket, 1, remaining > INT_MAX ? INT_MAX : (int) remaining);
        if (pollCount >= 0 || errno != EINTR)
          break;

        if (* condition & ENET_SOCKET_WAIT_INTERRUPT)
        {
            * condition = ENET_SOCKET_WAIT_INTERRUPT;

            return 0;
        }
    }

    if (pollCount < 0)
      return -1;

    * condition = ENET_SOCKET_WAIT_NONE;

    if (buffered)
      * condition |= ENET_SOCKET_WAIT_RECEIVE;

    if (pollCount == 0)
      return 0;

    if (pollSocket.revents & POLLOUT)
      * condition |= ENET_SOCKET_WAIT_SEND;

    if (pollSocket.revents & POLLIN)
      * condition |= ENET_SOCKET_WAIT_RECEIVE;

    return 0;
}

/* ---------------------------------------------------------------------------------------------
   Names: IPv4 literals and names behave as upstream (first IPv4 result), except that "0.0.0.0"
   parses to ENET_PLATFORM_HOST_ANY_IPV4; IPv6 literals ("::1", "fe80::1%eth0") and names with
   only IPv6 results map through the table; "::" is ENET_HOST_ANY.
   ------------------------------------------------------------------------------------------- */

/* Parses "address[%scope]", the scope an interface name or number. */
static int
ipv6_parse (const char * name, struct in6_addr * address, enet_uint32 * scope)
{
    char literal [INET6_ADDRSTRLEN];
    const char * percent = strchr (name, '%');
    size_t length = percent != NULL ? (size_t) (percent - name) : strlen (name);

    if (length >= sizeof (literal))
      return -1;

    memcpy (literal, name, length);
    literal [length] = '\0';
    if (inet_pton (AF_INET6, literal, address) != 1)
      return -1;

    * scope = 0;
    if (percent != NULL)
    {
        char * end;
        unsigned long number = strtoul (percent + 1, & end, 10);

        if (percent [1] != '\0' && * end == '\0' && number <= UINT32_MAX)
          * scope = (enet_uint32) number;
        else
        if ((* scope = if_nametoindex (percent + 1)) == 0)
          return -1;
    }

    return 0;
}

int
enet_address_set_host_ip (ENetAddress * address, const char * name)
{
    struct in_addr in;
    struct in6_addr in6;
    enet_uint32 scope;

    if (inet_pton (AF_INET, name, & in) == 1)
      return ipv4_to_address (in.s_addr, address);

    if (ipv6_parse (name, & in6, & scope) == 0)
      return ipv6_to_address (& in6, scope, address);

    return -1;
}

int
enet_address_set_host (ENetAddress * address, const char * name)
{
    struct addrinfo hints, * resultList = NULL, * result;
    int family, found = -1;

    if (enet_address_set_host_ip (address, name) == 0)
      return 0;

    memset (& hints, 0, sizeof (hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;

    if (getaddrinfo (name, NULL, & hints, & resultList) != 0)
      return -1;

    for (family = 0; family < 2 && found != 0; ++ family)
      for (result = resultList; result != NULL && found != 0; result = result -> ai_next)
        if (result -> ai_family == (family == 0 ? AF_INET : AF_INET6) && result -> ai_addr != NULL)
        {
            ENetAddress resolved;

            found = enet_platform_address_from_sockaddr (& resolved, result -> ai_addr, result -> ai_addrlen);
            if (found == 0)
              address -> host = resolved.host;
        }

    freeaddrinfo (resultList);

    return found;
}

int
enet_address_get_host_ip (const ENetAddress * address, char * name, size_t nameLength)
{
    NamedAddress named;
    size_t length;

    if (address_resolve (address, USE_NONE, & named) != 0)
      return -1;

    if (named.kind == NAMED_IPV4)
      return inet_ntop (AF_INET, & named.ipv4, name, nameLength) != NULL ? 0 : -1;

    if (named.kind == NAMED_ANY)
      memset (& named.ipv6, 0, sizeof (named.ipv6));

    if (inet_ntop (AF_INET6, & named.ipv6, name, nameLength) == NULL)
      return -1;

    if (named.kind == NAMED_IPV6 && named.scope != 0)
    {
        char interface [IF_NAMESIZE];
        int written;

        length = strlen (name);
        if (if_indextoname (named.scope, interface) != NULL)
          written = snprintf (name + length, nameLength - length, "%%%s", interface);
        else
          written = snprintf (name + length, nameLength - length, "%%%u", (unsigned) named.scope);

        if (written < 0 || (size_t) written >= nameLength - length)
          return -1;
    }

    return 0;
}

int
enet_address_get_host (const ENetAddress * address, char * name, size_t nameLength)
{
    struct sockaddr_storage storage;
    socklen_t length;
    int err;

    if (enet_platform_address_to_sockaddr (address, & storage, & length) != 0)
      return -1;

    err = getnameinfo ((struct sockaddr *) & storage, length, name, nameLength, NULL, 0, NI_NAMEREQD);
    if (! err)
    {
        if (name != NULL && nameLength > 0 && ! memchr (name, '\0', nameLength))
          return -1;
        return 0;
    }
    if (err != EAI_NONAME)
      return -1;

    return enet_address_get_host_ip (address, name, nameLength);
}
