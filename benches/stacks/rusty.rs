//! Contender `rusty_enet`: the pure-Rust (c2rust-transpiled) ENet from crates.io, over
//! `std::net::UdpSocket` (its standard socket), used as its documentation shows. `service()` is
//! called until it returns `None`; the server echoes the received `Packet` by reference (it is
//! reference counted: no copy); clients send `Packet::reliable(&[u8])` (one copy).

use crate::common::{Counts, Mode, Stack};
use rusty_enet::{Event, Host, HostSettings, Packet, PacketKind, PeerID};
use std::net::{SocketAddr, UdpSocket};

/// rusty_enet.
pub struct Rusty;

/// A rusty_enet host with its one peer.
pub struct Client {
    host: Host<UdpSocket>,
    peer: Option<PeerID>,
    connected: bool,
}

fn host(bind: &str, peers: usize) -> Host<UdpSocket> {
    let socket = UdpSocket::bind(bind).expect("bind");
    Host::new(
        socket,
        HostSettings {
            peer_limit: peers,
            channel_limit: 1,
            ..HostSettings::default()
        },
    )
    .expect("Host::new")
}

fn packet(payload: &[u8], mode: Mode) -> Packet {
    match mode {
        Mode::Reliable => Packet::reliable(payload),
        Mode::Unreliable => Packet::new(payload, PacketKind::AlwaysUnreliable { sequenced: true }),
    }
}

impl Stack for Rusty {
    type Server = Host<UdpSocket>;
    type Client = Client;

    fn server(&mut self, peers: usize) -> Host<UdpSocket> {
        host("127.0.0.1:0", peers)
    }

    fn port(&mut self, server: &Host<UdpSocket>) -> u16 {
        server.socket().local_addr().expect("local_addr").port()
    }

    fn client(&mut self) -> Client {
        Client {
            host: host("127.0.0.1:0", 1),
            peer: None,
            connected: false,
        }
    }

    fn connect(&mut self, client: &mut Client, port: u16) {
        let to = SocketAddr::from(([127, 0, 0, 1], port));
        let peer = client.host.connect(to, 1, 0).expect("connect");
        client.peer = Some(peer.id());
    }

    fn is_connected(&self, client: &Client) -> bool {
        client.connected
    }

    fn pump_server(&mut self, server: &mut Host<UdpSocket>, echo: bool, counts: &mut Counts) {
        while let Some(event) = server.service().expect("service") {
            match event {
                Event::Connect { .. } => counts.connects += 1,
                Event::Disconnect { .. } => counts.disconnects += 1,
                Event::Receive {
                    peer,
                    channel_id,
                    packet,
                } => {
                    counts.packets += 1;
                    counts.bytes += packet.data().len() as u64;
                    if echo {
                        peer.send(channel_id, &packet).expect("send");
                    }
                }
            }
        }
    }

    fn pump_client(&mut self, client: &mut Client, reply: Option<(&[u8], Mode)>) -> u32 {
        let mut received = 0;
        while let Some(event) = client.host.service().expect("service") {
            match event {
                Event::Connect { .. } => client.connected = true,
                Event::Disconnect { .. } => panic!("client disconnected"),
                Event::Receive { peer, packet, .. } => {
                    assert!(!packet.data().is_empty());
                    drop(packet);
                    if let Some((payload, mode)) = reply {
                        peer.send(0, &self::packet(payload, mode)).expect("send");
                    }
                    received += 1;
                }
            }
        }
        received
    }

    fn send(&mut self, client: &mut Client, payload: &[u8], mode: Mode) {
        let peer = client.peer.expect("send before connect");
        client
            .host
            .peer_mut(peer)
            .send(0, &packet(payload, mode))
            .expect("send");
    }
}
