//! Demonstration over the raw bindings: a server and a client on 127.0.0.1 exchange reliable
//! packets and print the round-trip time. (Replaced by the safe layer's demonstration later.)

use enet_sys::*;
use std::ffi::c_void;
use std::ptr;
use std::time::Instant;

fn service(host: *mut ENetHost) -> ENetEvent {
    // SAFETY: ENetEvent is plain data; all-zero is a valid NONE event.
    let mut event: ENetEvent = unsafe { std::mem::zeroed() };
    // SAFETY: host is live for the whole program; event is a valid out-pointer.
    assert!(unsafe { enet_host_service(host, &mut event, 1) } >= 0);
    event
}

fn main() {
    // SAFETY: raw C calls on hosts that live until the end of main, each pointer checked for null.
    unsafe {
        assert_eq!(enet_initialize(), 0);
        let mut address = ENetAddress {
            host: u32::from_ne_bytes([127, 0, 0, 1]),
            port: 0,
        };
        let server = enet_host_create(&address, 8, 2, 0, 0);
        let client = enet_host_create(ptr::null(), 1, 2, 0, 0);
        assert!(!server.is_null() && !client.is_null());
        assert_eq!(enet_socket_get_address((*server).socket, &mut address), 0);
        println!("server listening on 127.0.0.1:{}", address.port);
        let to_server = enet_host_connect(client, &address, 2, 0);
        assert!(!to_server.is_null());
        let mut rounds = 0;
        let mut sent_at = Instant::now();
        let mut total = 0.0;
        while rounds < 10 {
            let event = service(server);
            if event.type_ == ENET_EVENT_TYPE_RECEIVE {
                // Echo back on the same channel.
                let packet = &*event.packet;
                let echo = enet_packet_create(
                    packet.data as *const c_void,
                    packet.dataLength,
                    packet.flags,
                );
                enet_packet_destroy(event.packet);
                assert_eq!(enet_peer_send(event.peer, event.channelID, echo), 0);
            }
            let event = service(client);
            if event.type_ == ENET_EVENT_TYPE_CONNECT || event.type_ == ENET_EVENT_TYPE_RECEIVE {
                if event.type_ == ENET_EVENT_TYPE_RECEIVE {
                    let rtt = sent_at.elapsed().as_secs_f64() * 1e6;
                    total += rtt;
                    rounds += 1;
                    println!("round trip {rounds}: {rtt:.0} µs");
                    enet_packet_destroy(event.packet);
                } else {
                    println!("client connected");
                }
                let msg = b"ping";
                let packet = enet_packet_create(
                    msg.as_ptr() as *const c_void,
                    msg.len(),
                    ENET_PACKET_FLAG_RELIABLE,
                );
                sent_at = Instant::now();
                assert_eq!(enet_peer_send(to_server, 0, packet), 0);
            }
        }
        println!(
            "mean round trip over {rounds} reliable packets: {:.0} µs",
            total / rounds as f64
        );
        enet_host_destroy(client);
        enet_host_destroy(server);
    }
}
