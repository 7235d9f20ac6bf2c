//! Contender `safe`: this crate's Godot-shaped API (`enet::Connection`, `enet::PacketPeer`), used
//! the way its documentation shows for a busy loop: `drain(0, ..)` hands over every ready event
//! under one lock (the batch form of `service(0)` until `Event::None`); a received packet is taken
//! with `get_packet` (owned, not copied) and the server echoes it with `send_packet` (no copy);
//! clients send with `send(channel, &[u8], flags)` (one copy into an ENet packet, as Godot's
//! `send` does).

use crate::common::{Counts, Mode, Stack};
use enet::{Connection, Event, PacketPeer};

/// Our safe layer. `hardened: false` is a diagnostic only (contender `safe_unhardened`): it turns
/// off the crate's receive-path fixes for upstream 1.3.18's defects (the per-datagram
/// unreliable-fragment check and the `totalWaitingData` recount) with the crate's test-only
/// switch, to show what they cost. The intercept trampoline stays installed.
pub struct Safe {
    hardened: bool,
}

impl Safe {
    pub fn new(hardened: bool) -> Safe {
        Safe { hardened }
    }
}

/// A client connection and its one peer.
pub struct Client {
    connection: Connection,
    peer: Option<PacketPeer>,
    connected: bool,
}

fn flags(mode: Mode) -> i32 {
    match mode {
        Mode::Reliable => PacketPeer::FLAG_RELIABLE,
        Mode::Unreliable => PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
    }
}

impl Stack for Safe {
    type Server = Connection;
    type Client = Client;

    fn server(&mut self, peers: usize) -> Connection {
        let server = Connection::new();
        server
            .create_host_bound("127.0.0.1", 0, peers as i32, 1, 0, 0)
            .expect("create_host_bound");
        server
            .set_hardening_enabled(self.hardened)
            .expect("set_hardening_enabled");
        server
    }

    fn port(&mut self, server: &Connection) -> u16 {
        server.get_local_port().expect("get_local_port")
    }

    fn client(&mut self) -> Client {
        let connection = Connection::new();
        connection.create_host(1, 1, 0, 0).expect("create_host");
        connection
            .set_hardening_enabled(self.hardened)
            .expect("set_hardening_enabled");
        Client {
            connection,
            peer: None,
            connected: false,
        }
    }

    fn connect(&mut self, client: &mut Client, port: u16) {
        let peer = client
            .connection
            .connect_to_host("127.0.0.1", i32::from(port), 1, 0)
            .expect("connect_to_host");
        client.peer = Some(peer);
    }

    fn is_connected(&self, client: &Client) -> bool {
        client.connected
    }

    fn pump_server(&mut self, server: &mut Connection, echo: bool, counts: &mut Counts) {
        server
            .drain(0, |event| match event {
                Event::None => {}
                Event::Connect { .. } => counts.connects += 1,
                Event::Disconnect { .. } => counts.disconnects += 1,
                Event::Receive { peer, channel } => {
                    let packet = peer.get_packet().expect("get_packet");
                    counts.packets += 1;
                    counts.bytes += packet.len() as u64;
                    if echo {
                        peer.send_packet(i32::from(channel), packet)
                            .expect("send_packet");
                    }
                }
            })
            .expect("drain");
    }

    fn pump_client(&mut self, client: &mut Client, reply: Option<(&[u8], Mode)>) -> u32 {
        let mut received = 0;
        let connected = &mut client.connected;
        client
            .connection
            .drain(0, |event| match event {
                Event::None => {}
                Event::Connect { .. } => *connected = true,
                Event::Disconnect { .. } => panic!("client disconnected"),
                Event::Receive { peer, .. } => {
                    let packet = peer.get_packet().expect("get_packet");
                    assert!(!packet.is_empty());
                    drop(packet);
                    if let Some((payload, mode)) = reply {
                        peer.send(0, payload, flags(mode)).expect("send");
                    }
                    received += 1;
                }
            })
            .expect("drain");
        received
    }

    fn send(&mut self, client: &mut Client, payload: &[u8], mode: Mode) {
        let peer = client.peer.as_ref().expect("send before connect");
        peer.send(0, payload, flags(mode)).expect("send");
    }
}
