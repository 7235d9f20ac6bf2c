/*
 * peer.c: a reference ENet peer for interoperability tests.
 *
 * A small C99 program over the public ENet 1.3 API only (nothing newer than
 * 1.3.17), so it can be built against any ENet 1.3 library: the vendored
 * upstream 1.3.18 with its own unix.c, or a distribution's libenet.
 *
 *   peer [options] server <port>          bind 127.0.0.1:<port> (0 = any free port)
 *   peer [options] client <host> <port>   connect to <host>:<port>
 *
 * Options:
 *   --abrupt       on the quit packet, disconnect with enet_peer_disconnect_now
 *                  instead of enet_peer_disconnect
 *   --no-send      do not send the packet set on connect (only echo)
 *   --range-coder  enable ENet's range coder (the remote must enable it too)
 *
 * Script, with one peer (4 channels, connect data 0):
 *   1. On CONNECT: sets throttle deceleration 0 (so loopback tests never see
 *      unreliable packets dropped by ENet's throttle; the setting also reaches
 *      the remote), then sends the packet set below unless --no-send.
 *   2. Every received packet is reported and echoed back to its sender on the
 *      same channel with the same flags, except the quit packet: one byte 0xFF
 *      on channel 0, which makes this side disconnect with data 42 (gracefully,
 *      or with enet_peer_disconnect_now on --abrupt, then exit 0).
 *   3. On DISCONNECT: reports it, flushes and exits 0.
 *   Exits 1 on an ENet failure or when 20 s pass without finishing, 2 on bad
 *   arguments.
 *
 * The packet set (seq identifies the packet; byte i is (i * 7 + seq) & 0xFF):
 *   seq 1: channel 0, RELIABLE,               100 bytes
 *   seq 2: channel 1, 0 (unreliable),         200 bytes
 *   seq 3: channel 1, UNSEQUENCED,            300 bytes
 *   seq 4: channel 3, UNRELIABLE_FRAGMENT,   4000 bytes (fragmented)
 *   seq 5: channel 0, RELIABLE,            100000 bytes (fragmented)
 *
 * Output on stdout, one line each, flushed:
 *   listening on 127.0.0.1:<port>                        (server, first line)
 *   connect data=<d>
 *   sent channel=<c> flags=<f> len=<n> crc=<crc>
 *   recv channel=<c> flags=<f> len=<n> crc=<crc>          (flags as received)
 *   disconnecting data=42 | disconnected now data=42     (on the quit packet)
 *   disconnect data=<d>
 * crc is the IEEE CRC-32 (as zlib's crc32) in 8 lowercase hex digits.
 */
#include <enet/enet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNELS 4
#define DEADLINE_MS 20000u
#define QUIT_BYTE 0xFF
#define DISCONNECT_DATA 42u
#define FLAGS_ALLOWED                                                          \
    (ENET_PACKET_FLAG_RELIABLE | ENET_PACKET_FLAG_UNSEQUENCED |                \
     ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT)

struct packet_spec {
    unsigned seq;
    enet_uint8 channel;
    enet_uint32 flags;
    size_t length;
};

static const struct packet_spec packet_set[] = {
    {1, 0, ENET_PACKET_FLAG_RELIABLE, 100},
    {2, 1, 0, 200},
    {3, 1, ENET_PACKET_FLAG_UNSEQUENCED, 300},
    {4, 3, ENET_PACKET_FLAG_UNRELIABLE_FRAGMENT, 4000},
    {5, 0, ENET_PACKET_FLAG_RELIABLE, 100000},
};

static void fail(const char *format, ...)
{
    va_list args;
    fputs("peer: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(1);
}

static void say(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vprintf(format, args);
    va_end(args);
    putchar('\n');
    fflush(stdout);
}

static int usage(void)
{
    fputs("usage: peer [--abrupt] [--no-send] [--range-coder] server <port>\n"
          "       peer [--abrupt] [--no-send] [--range-coder] client <host> <port>\n",
          stderr);
    return 2;
}

static unsigned long crc32_ieee(const enet_uint8 *data, size_t length)
{
    unsigned long crc = 0xFFFFFFFFul;
    size_t i;
    int bit;
    for (i = 0; i < length; ++i) {
        crc ^= data[i];
        for (bit = 0; bit < 8; ++bit)
            crc = (crc >> 1) ^ (0xEDB88320ul & (0ul - (crc & 1ul)));
    }
    return ~crc & 0xFFFFFFFFul;
}

static void report(const char *what, enet_uint8 channel, enet_uint32 flags,
                   const enet_uint8 *data, size_t length)
{
    say("%s channel=%u flags=%lu len=%lu crc=%08lx", what, (unsigned)channel,
        (unsigned long)flags, (unsigned long)length, crc32_ieee(data, length));
}

static void send_copy(ENetPeer *peer, enet_uint8 channel, const void *data,
                      size_t length, enet_uint32 flags)
{
    ENetPacket *packet = enet_packet_create(data, length, flags);
    if (packet == NULL)
        fail("enet_packet_create(%lu bytes) failed", (unsigned long)length);
    if (enet_peer_send(peer, channel, packet) < 0) {
        enet_packet_destroy(packet);
        fail("enet_peer_send on channel %u failed", (unsigned)channel);
    }
}

static void send_packet_set(ENetPeer *peer)
{
    size_t k, i;
    for (k = 0; k < sizeof packet_set / sizeof packet_set[0]; ++k) {
        const struct packet_spec *spec = &packet_set[k];
        enet_uint8 *data = malloc(spec->length);
        if (data == NULL)
            fail("out of memory");
        for (i = 0; i < spec->length; ++i)
            data[i] = (enet_uint8)((i * 7 + spec->seq) & 0xFF);
        send_copy(peer, spec->channel, data, spec->length, spec->flags);
        report("sent", spec->channel, spec->flags, data, spec->length);
        free(data);
    }
}

static int parse_port(const char *text, int allow_zero)
{
    char *end = NULL;
    long port = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || port < (allow_zero ? 0 : 1) ||
        port > 65535)
        return -1;
    return (int)port;
}

int main(int argc, char **argv)
{
    int abrupt = 0, no_send = 0, range_coder = 0, is_server, port, i;
    const char *positional[3];
    int positionals = 0;
    ENetAddress address;
    ENetHost *host;
    ENetEvent event;
    enet_uint32 start;
    int finished = 0;

    for (i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--abrupt") == 0)
            abrupt = 1;
        else if (strcmp(argv[i], "--no-send") == 0)
            no_send = 1;
        else if (strcmp(argv[i], "--range-coder") == 0)
            range_coder = 1;
        else if (strncmp(argv[i], "--", 2) == 0 || positionals == 3)
            return usage();
        else
            positional[positionals++] = argv[i];
    }
    if (positionals == 2 && strcmp(positional[0], "server") == 0)
        is_server = 1;
    else if (positionals == 3 && strcmp(positional[0], "client") == 0)
        is_server = 0;
    else
        return usage();
    port = parse_port(positional[positionals - 1], is_server);
    if (port < 0)
        return usage();

    if (enet_initialize() != 0)
        fail("enet_initialize failed");

    if (is_server) {
        if (enet_address_set_host_ip(&address, "127.0.0.1") != 0)
            fail("enet_address_set_host_ip failed");
        address.port = (enet_uint16)port;
        host = enet_host_create(&address, 1, CHANNELS, 0, 0);
        if (host == NULL)
            fail("enet_host_create on 127.0.0.1:%d failed", port);
        if (enet_socket_get_address(host->socket, &address) != 0)
            fail("enet_socket_get_address failed");
        say("listening on 127.0.0.1:%u", (unsigned)address.port);
    } else {
        host = enet_host_create(NULL, 1, CHANNELS, 0, 0);
        if (host == NULL)
            fail("enet_host_create failed");
        if (enet_address_set_host(&address, positional[1]) != 0)
            fail("cannot resolve %s", positional[1]);
        address.port = (enet_uint16)port;
        if (enet_host_connect(host, &address, CHANNELS, 0) == NULL)
            fail("enet_host_connect failed");
    }
    if (range_coder && enet_host_compress_with_range_coder(host) != 0)
        fail("enet_host_compress_with_range_coder failed");

    start = enet_time_get();
    while (!finished) {
        int result;
        if ((enet_uint32)(enet_time_get() - start) >= DEADLINE_MS)
            fail("deadline of %u ms passed", DEADLINE_MS);
        result = enet_host_service(host, &event, 10);
        if (result < 0)
            fail("enet_host_service failed");
        if (result == 0)
            continue;
        switch (event.type) {
        case ENET_EVENT_TYPE_CONNECT:
            say("connect data=%lu", (unsigned long)event.data);
            enet_peer_throttle_configure(event.peer,
                                         ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                         ENET_PEER_PACKET_THROTTLE_ACCELERATION,
                                         0);
            if (!no_send)
                send_packet_set(event.peer);
            break;
        case ENET_EVENT_TYPE_RECEIVE: {
            ENetPacket *packet = event.packet;
            report("recv", event.channelID, packet->flags, packet->data,
                   packet->dataLength);
            if (event.channelID == 0 && packet->dataLength == 1 &&
                packet->data[0] == QUIT_BYTE) {
                if (abrupt) {
                    enet_peer_disconnect_now(event.peer, DISCONNECT_DATA);
                    say("disconnected now data=%u", DISCONNECT_DATA);
                    finished = 1;
                } else {
                    enet_peer_disconnect(event.peer, DISCONNECT_DATA);
                    say("disconnecting data=%u", DISCONNECT_DATA);
                }
            } else {
                send_copy(event.peer, event.channelID, packet->data,
                          packet->dataLength, packet->flags & FLAGS_ALLOWED);
            }
            enet_packet_destroy(packet);
            break;
        }
        case ENET_EVENT_TYPE_DISCONNECT:
            say("disconnect data=%lu", (unsigned long)event.data);
            finished = 1;
            break;
        case ENET_EVENT_TYPE_NONE:
            break;
        }
    }

    enet_host_flush(host);
    enet_host_destroy(host);
    enet_deinitialize();
    return 0;
}
