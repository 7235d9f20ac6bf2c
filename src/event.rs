//! [`Event`] and [`EventType`]: what [`Connection::service`](crate::Connection::service) returns.

use crate::packet_peer::PacketPeer;

/// Godot's `ENetConnection.EventType`, with its numeric values.
///
/// `Error` (-1) is never carried by an [`Event`]: where Godot returns `EVENT_ERROR`,
/// [`Connection::service`](crate::Connection::service) returns `Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum EventType {
    /// `EVENT_ERROR` (-1): servicing failed (returned as `Err` by this crate).
    Error = -1,
    /// `EVENT_NONE` (0): nothing happened within the timeout.
    None = 0,
    /// `EVENT_CONNECT` (1): a connection completed (incoming or outgoing).
    Connect = 1,
    /// `EVENT_DISCONNECT` (2): a peer disconnected or timed out.
    Disconnect = 2,
    /// `EVENT_RECEIVE` (3): a packet arrived and was queued on the peer.
    Receive = 3,
}

/// One event from [`Connection::service`](crate::Connection::service): Godot's 4-element array
/// `[event_type, peer, data, channel]` as a Rust enum.
///
/// A received packet is not inside the event: as in Godot it is queued on the peer, read with
/// [`PacketPeer::get_packet`]. The peer of a `Disconnect` is already detached
/// ([`PacketPeer::is_active`] is false) but still identifies which peer left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `EVENT_NONE`: nothing happened within the timeout.
    None,
    /// `EVENT_CONNECT`: `peer` connected; `data` is the 32-bit value the remote passed to its
    /// connect call (0 for a connection this side initiated).
    Connect {
        /// The connected peer.
        peer: PacketPeer,
        /// The remote's connect data.
        data: u32,
    },
    /// `EVENT_DISCONNECT`: `peer` disconnected (gracefully, with the remote's `data`) or timed out
    /// (`data` 0).
    Disconnect {
        /// The peer that left (already detached).
        peer: PacketPeer,
        /// The remote's disconnect data.
        data: u32,
    },
    /// `EVENT_RECEIVE`: a packet from `peer` arrived on ENet channel `channel` and is queued on
    /// the peer.
    Receive {
        /// The sender, whose queue now holds the packet.
        peer: PacketPeer,
        /// The ENet channel the packet arrived on.
        channel: u8,
    },
}

impl Event {
    /// Godot's `EventType` of this event.
    pub fn event_type(&self) -> EventType {
        match self {
            Event::None => EventType::None,
            Event::Connect { .. } => EventType::Connect,
            Event::Disconnect { .. } => EventType::Disconnect,
            Event::Receive { .. } => EventType::Receive,
        }
    }

    /// The event's peer (Godot's element 1), `None` for [`Event::None`].
    pub fn peer(&self) -> Option<&PacketPeer> {
        match self {
            Event::None => None,
            Event::Connect { peer, .. }
            | Event::Disconnect { peer, .. }
            | Event::Receive { peer, .. } => Some(peer),
        }
    }
}
