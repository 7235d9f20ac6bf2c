//! Contender `enet_crate`: the `enet` crate 0.3.0 from crates.io (futile/enet-rs over ruabmbua's
//! enet-sys 1.0.x, which builds C ENet at upstream commit 2a85cd6 with cmake), used as its
//! documentation shows. Run by the parent `throughput` bench as
//! `bench-enet-crate --child enet_crate <workload> ...`; the measuring code is the bench's own
//! `common` module, included verbatim.
//!
//! API notes that shape the loop: `Host::service(0)` is called until it returns `None`. A received
//! packet cannot be moved out of an `Event` (the type implements `Drop`), so the server echoes a
//! copy (`Packet::new(packet.data(), ..)`) rather than the packet itself. The crate has no
//! unreliable-fragment mode, so an unreliable packet larger than the MTU is sent reliably by ENet.

#[path = "../../benches/common/mod.rs"]
mod common;

use common::{Counts, Mode, Stack};
use enet::{Address, BandwidthLimit, ChannelLimit, Enet, Event, Host, Packet, PacketMode};
use std::net::Ipv4Addr;

struct EnetCrate {
    enet: Enet,
}

struct Client {
    host: Host<()>,
    connected: bool,
}

fn mode(mode: Mode) -> PacketMode {
    match mode {
        Mode::Reliable => PacketMode::ReliableSequenced,
        Mode::Unreliable => PacketMode::UnreliableSequenced,
    }
}

impl EnetCrate {
    fn host(&self, bind: Option<&Address>, peers: usize) -> Host<()> {
        self.enet
            .create_host::<()>(
                bind,
                peers as _,
                ChannelLimit::Limited(1),
                BandwidthLimit::Unlimited,
                BandwidthLimit::Unlimited,
            )
            .expect("create_host")
    }
}

impl Stack for EnetCrate {
    type Server = Host<()>;
    type Client = Client;

    fn server(&mut self, peers: usize) -> Host<()> {
        self.host(Some(&Address::new(Ipv4Addr::LOCALHOST, 0)), peers)
    }

    fn port(&mut self, server: &Host<()>) -> u16 {
        server.address().port()
    }

    fn client(&mut self) -> Client {
        Client {
            host: self.host(None, 1),
            connected: false,
        }
    }

    fn connect(&mut self, client: &mut Client, port: u16) {
        client
            .host
            .connect(&Address::new(Ipv4Addr::LOCALHOST, port), 1, 0)
            .expect("connect");
    }

    fn is_connected(&self, client: &Client) -> bool {
        client.connected
    }

    fn pump_server(&mut self, server: &mut Host<()>, echo: bool, counts: &mut Counts) {
        while let Some(mut event) = server.service(0).expect("service") {
            match &mut event {
                Event::Connect(_) => counts.connects += 1,
                Event::Disconnect(..) => counts.disconnects += 1,
                Event::Receive {
                    sender,
                    channel_id,
                    packet,
                } => {
                    counts.packets += 1;
                    counts.bytes += packet.data().len() as u64;
                    if echo {
                        let reliable = PacketMode::ReliableSequenced;
                        let copy = Packet::new(packet.data(), reliable).expect("Packet::new");
                        sender.send_packet(copy, *channel_id).expect("send_packet");
                    }
                }
            }
        }
    }

    fn pump_client(&mut self, client: &mut Client, reply: Option<(&[u8], Mode)>) -> u32 {
        let mut received = 0;
        while let Some(mut event) = client.host.service(0).expect("service") {
            match &mut event {
                Event::Connect(_) => client.connected = true,
                Event::Disconnect(..) => panic!("client disconnected"),
                Event::Receive { sender, packet, .. } => {
                    assert!(!packet.data().is_empty());
                    if let Some((payload, m)) = reply {
                        let next = Packet::new(payload, mode(m)).expect("Packet::new");
                        sender.send_packet(next, 0).expect("send_packet");
                    }
                    received += 1;
                }
            }
        }
        received
    }

    fn send(&mut self, client: &mut Client, payload: &[u8], m: Mode) {
        let packet = Packet::new(payload, mode(m)).expect("Packet::new");
        let mut peer = client.host.peers().next().expect("send before connect");
        peer.send_packet(packet, 0).expect("send_packet");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut stack = EnetCrate {
        enet: Enet::new().expect("Enet::new"),
    };
    common::child_main(&mut stack, "enet_crate", &args);
}
