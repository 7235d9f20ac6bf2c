//! Safe Rust wrapper around the **reference C ENet 1.3.18**, shaped like Godot 4's ENet classes.
//!
//! The protocol code is upstream C ENet, vendored pristine and compiled unchanged, so this crate
//! is wire-compatible with every C ENet 1.3 peer by construction. The API mirrors Godot's
//! classes method for method, with Godot's numeric error codes ([`Error::code`]):
//!
//! | Godot | this crate |
//! |---|---|
//! | `ENetConnection` | [`Connection`] |
//! | `ENetPacketPeer` | [`PacketPeer`] |
//! | `ENetMultiplayerPeer` | [`MultiplayerPeer`] (signals: [`MultiplayerEvent`]) |
//! | `ENetConnection.service()` array | [`Event`] |
//! | `@GlobalScope.Error` | [`Error`] |
//!
//! Every safe call is free of undefined behaviour: peer handles are generational (a stale handle
//! returns [`Error::Unconfigured`] and never reaches a recycled ENet slot), packets are owned and
//! freed exactly once, and callbacks never unwind into C.
#![deny(missing_docs)]

mod address;
mod callbacks;
mod compress;
mod connection;
mod error;
mod event;
mod hardening;
mod host;
mod multiplayer_peer;
mod packet;
mod packet_peer;
mod shared;
mod wake;

pub use callbacks::{InterceptFn, Verdict};
pub use compress::CompressionMode;
pub use connection::{Connection, HostStatistic};
pub use error::{Error, Result};
pub use event::{Event, EventType};
pub use multiplayer_peer::{ConnectionStatus, MultiplayerEvent, MultiplayerPeer, TransferMode};
pub use packet::Packet;
pub use packet_peer::{PacketPeer, PeerState, PeerStatistic, PeerTraffic};

/// Compile-time pins of the thread-safety decisions: a connection, its peer handles and owned
/// packets may all move between and be shared across threads.
const _: () = {
    const fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Connection>();
    send_and_sync::<PacketPeer>();
    send_and_sync::<Packet>();
    send_and_sync::<Event>();
    send_and_sync::<Error>();
    send_and_sync::<MultiplayerPeer>();
};
