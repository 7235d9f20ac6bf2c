//! Refusing new connections on a server host **and telling the client at once**.
//!
//! [`Connection::refuse_new_connections`] drops every datagram addressed to "no peer yet" before
//! ENet allocates a slot, which is what a refusing server wants, but the client is never answered
//! and sits in `CONNECTING` until ENet's timeout. This hook keeps the "no slot" property and adds
//! the answer: while refusing, a CONNECT datagram is dropped and its sender is remembered; after
//! the host was serviced, [`Refusal::notify`] sends each one a single ENet DISCONNECT command from
//! the server's socket, so the client's ENet reports a DISCONNECT event (with the refusal's data)
//! within one round trip.
//!
//! The notice is the datagram `enet_peer_disconnect_now` would send: a 2-byte protocol header
//! (peer id = the client's own peer id from its CONNECT, no sent time), and one unsequenced
//! `DISCONNECT` command on channel 0xFF carrying `data`. A client still connecting accepts it
//! without a session check (its `outgoingPeerID` is still 0xFFF in upstream `protocol.c`), moves
//! to `ZOMBIE` and dispatches the DISCONNECT event.

use crate::callbacks::Verdict;
use crate::connection::Connection;
use crate::error::Result;
use enet_sys as sys;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// The most refusals remembered between two polls; further CONNECT datagrams are dropped
/// unanswered (ENet retransmits them, so their senders are answered at a later poll).
const MAX_PENDING: usize = 64;

const PEER_ID_MASK: u16 = sys::ENET_PROTOCOL_MAXIMUM_PEER_ID as u16;

#[derive(Default)]
struct Shared {
    refusing: AtomicBool,
    /// Senders of dropped CONNECTs: source address and the peer id they asked to be answered on.
    refused: Mutex<Vec<(SocketAddr, u16)>>,
}

/// The refusal hook of one server host: installed as the host's intercept.
pub(super) struct Refusal {
    shared: Arc<Shared>,
}

impl Refusal {
    /// Installs the hook as `host`'s intercept (not refusing yet).
    pub(super) fn install(host: &Connection) -> Result<Refusal> {
        let shared = Arc::new(Shared::default());
        let hook = shared.clone();
        host.set_intercept(Some(Box::new(move |from, datagram| {
            hook.judge(from, datagram)
        })))?;
        Ok(Refusal { shared })
    }

    /// Starts or stops refusing.
    pub(super) fn set(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::Relaxed);
    }

    /// Answers every CONNECT dropped since the last call with a DISCONNECT carrying `data`, sent
    /// from `host`'s socket. Send failures are ignored: the client retransmits its CONNECT.
    pub(super) fn notify(&self, host: &Connection, data: u32) {
        let refused = std::mem::take(&mut *self.shared.lock());
        for (from, peer_id) in refused {
            let ip = from.ip().to_string();
            let _ = host.socket_send(&ip, i32::from(from.port()), &notice(peer_id, data));
        }
    }
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(SocketAddr, u16)>> {
        // A Vec push cannot leave the list inconsistent, so a poisoned lock is still usable.
        self.refused.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs inside the host's servicing for every received datagram.
    fn judge(&self, from: SocketAddr, datagram: &[u8]) -> Verdict {
        if !self.refusing.load(Ordering::Relaxed) {
            return Verdict::Pass;
        }
        // Datagrams this cannot read (compressed, checksummed) pass: ENet then allocates a slot
        // and the multiplayer peer refuses the connection at its CONNECT event instead.
        let Some(peer_id) = connect_request(datagram) else {
            return Verdict::Pass;
        };
        let mut refused = self.lock();
        if refused.len() < MAX_PENDING && !refused.contains(&(from, peer_id)) {
            refused.push((from, peer_id));
        }
        Verdict::Drop
    }
}

/// If `datagram` is a plain (uncompressed, no checksum) ENet datagram holding exactly one CONNECT
/// command addressed to "no peer yet", the peer id the client wants replies addressed to.
fn connect_request(datagram: &[u8]) -> Option<u16> {
    let header = u16::from_be_bytes([*datagram.first()?, *datagram.get(1)?]);
    let flags = u32::from(header);
    if header & PEER_ID_MASK != PEER_ID_MASK
        || flags & sys::ENET_PROTOCOL_HEADER_FLAG_COMPRESSED != 0
    {
        return None;
    }
    let start = if flags & sys::ENET_PROTOCOL_HEADER_FLAG_SENT_TIME != 0 {
        4
    } else {
        2
    };
    let command = datagram.get(start..)?;
    if command.len() != std::mem::size_of::<sys::ENetProtocolConnect>()
        || u32::from(command[0]) & sys::ENET_PROTOCOL_COMMAND_MASK
            != sys::ENET_PROTOCOL_COMMAND_CONNECT
    {
        return None;
    }
    // ENetProtocolConnect.outgoingPeerID: bytes 4..6, after the 4-byte command header.
    Some(u16::from_be_bytes([command[4], command[5]]) & PEER_ID_MASK)
}

/// The datagram `enet_peer_disconnect_now(data)` sends, addressed to `peer_id`.
fn notice(peer_id: u16, data: u32) -> [u8; 10] {
    let [p0, p1] = peer_id.to_be_bytes();
    let [d0, d1, d2, d3] = data.to_be_bytes();
    let command =
        (sys::ENET_PROTOCOL_COMMAND_DISCONNECT | sys::ENET_PROTOCOL_COMMAND_FLAG_UNSEQUENCED) as u8;
    [p0, p1, command, 0xFF, 0, 0, d0, d1, d2, d3]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CONNECT datagram as ENet 1.3 sends it: header with sent time, then the 48-byte command.
    fn connect_datagram(outgoing_peer_id: u16) -> Vec<u8> {
        let mut datagram = vec![0x8F, 0xFF, 0x12, 0x34, 0x82, 0xFF, 0x00, 0x01];
        datagram.extend_from_slice(&outgoing_peer_id.to_be_bytes());
        datagram.resize(4 + 48, 0);
        datagram
    }

    #[test]
    fn reads_the_peer_id_of_a_connect() {
        assert_eq!(connect_request(&connect_datagram(7)), Some(7));
    }

    #[test]
    fn ignores_what_is_not_a_lone_plain_connect() {
        let mut to_a_peer = connect_datagram(7);
        to_a_peer[1] = 0x00;
        let mut compressed = connect_datagram(7);
        compressed[0] |= 0x40;
        let mut checksummed = connect_datagram(7);
        checksummed.extend_from_slice(&[0; 4]);
        let mut not_connect = connect_datagram(7);
        not_connect[4] = 0x84;
        for datagram in [to_a_peer, compressed, checksummed, not_connect] {
            assert_eq!(connect_request(&datagram), None, "{datagram:02x?}");
        }
        assert_eq!(connect_request(&[0x0F]), None);
        assert_eq!(connect_request(&[0x0F, 0xFF]), None);
    }

    #[test]
    fn notice_is_an_unsequenced_disconnect_with_the_data() {
        assert_eq!(
            notice(3, 0x0102_0304),
            [0x00, 0x03, 0x44, 0xFF, 0, 0, 1, 2, 3, 4]
        );
    }
}
