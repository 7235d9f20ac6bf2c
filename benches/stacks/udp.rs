//! Contender `udp`: plain non-blocking `std::net::UdpSocket`s, the floor. No handshake, no
//! acknowledgements, no batching: one datagram per message each way (`send_to`/`recv_from` on the
//! server, a connected socket per client). It only runs the workloads plain UDP can do: ping-pong
//! (no loss is expected on loopback with the harness's interleaving; a lost datagram would show
//! as `stalled_clients`) and unreliable bulk with packets that fit in one datagram.

use crate::common::{Counts, Mode, Stack};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};

/// Plain UDP.
pub struct Udp {
    buffer: Vec<u8>,
}

impl Udp {
    pub fn new() -> Udp {
        Udp {
            buffer: vec![0; 65536],
        }
    }
}

fn socket() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket.set_nonblocking(true).expect("set_nonblocking");
    socket
}

fn would_block<T>(result: std::io::Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) if e.kind() == ErrorKind::WouldBlock => None,
        Err(e) => panic!("udp: {e}"),
    }
}

impl Stack for Udp {
    type Server = UdpSocket;
    type Client = UdpSocket;
    const CONNECTIONLESS: bool = true;

    fn server(&mut self, _peers: usize) -> UdpSocket {
        socket()
    }

    fn port(&mut self, server: &UdpSocket) -> u16 {
        server.local_addr().expect("local_addr").port()
    }

    fn client(&mut self) -> UdpSocket {
        socket()
    }

    fn connect(&mut self, client: &mut UdpSocket, port: u16) {
        client
            .connect(SocketAddr::from(([127, 0, 0, 1], port)))
            .expect("connect");
    }

    fn is_connected(&self, _client: &UdpSocket) -> bool {
        true
    }

    fn pump_server(&mut self, server: &mut UdpSocket, echo: bool, counts: &mut Counts) {
        while let Some((len, from)) = would_block(server.recv_from(&mut self.buffer)) {
            counts.packets += 1;
            counts.bytes += len as u64;
            if echo {
                // A full send buffer drops the echo, as the kernel would for any UDP sender.
                let _ = would_block(server.send_to(&self.buffer[..len], from));
            }
        }
    }

    fn pump_client(&mut self, client: &mut UdpSocket, reply: Option<(&[u8], Mode)>) -> u32 {
        let mut received = 0;
        while let Some(len) = would_block(client.recv(&mut self.buffer)) {
            assert!(len > 0);
            if let Some((payload, _)) = reply {
                let _ = would_block(client.send(payload));
            }
            received += 1;
        }
        received
    }

    /// Every mode is one plain datagram: ping-pong's "reliable" messages included (loopback does
    /// not lose them at these rates; the parent runs no reliable bulk workload on `udp`).
    fn send(&mut self, client: &mut UdpSocket, payload: &[u8], _mode: Mode) {
        let _ = would_block(client.send(payload));
    }
}
