//! [`MultiplayerPeer`]: Godot's `ENetMultiplayerPeer`, speaking Godot 4's wire protocol.
//!
//! The protocol (Godot 4.0 to current 4.x, identical on the wire):
//!
//! * **Handshake.** A client picks its own unique id (2..=2³¹−1, [`generate_unique_id`]) and
//!   sends it as the ENet CONNECT `data`; there is no other hello. The server is always id 1. The
//!   server refuses ids below 2 and ids already in use.
//! * **Channels.** ENet channel 0 carries reliable packets of transfer channel 0, ENet channel 1
//!   unreliable and unreliable-ordered packets of transfer channel 0, and transfer channel
//!   `n ≥ 1` uses ENet channel `n + 1` in every mode. On receive, ENet channel `c ≥ 2` is
//!   transfer channel `c − 1`, and 0 and 1 are transfer channel 0.
//! * **Flags.** [`TransferMode::Unreliable`] sends with `UNSEQUENCED | UNRELIABLE_FRAGMENT` (10),
//!   [`TransferMode::UnreliableOrdered`] with `UNRELIABLE_FRAGMENT` (8),
//!   [`TransferMode::Reliable`] with `RELIABLE` (1); a receiver infers the mode from the flags
//!   ENet delivered the packet with ([`TransferMode::from_enet_flags`]).
//! * **Payload.** No header: the ENet packet is exactly the bytes given to
//!   [`put_packet`](MultiplayerPeer::put_packet).
//!
//! [`generate_unique_id`]: MultiplayerPeer::generate_unique_id

use crate::address;
use crate::connection::Connection;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::host::held_cost;
use crate::packet::Packet;
use crate::packet_peer::{PacketPeer, PeerState};
use enet_sys as sys;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime};

/// Godot's `SYSCH_MAX`: ENet channels 0 and 1 are the system channels of transfer channel 0.
const SYSCH_MAX: i32 = 2;
/// The highest usable transfer channel: it maps to ENet channel 254, ENet's last.
const MAX_TRANSFER_CHANNEL: i32 = sys::ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT as i32 - SYSCH_MAX;

/// Godot's `MultiplayerPeer.TransferMode`, with its numeric values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum TransferMode {
    /// `TRANSFER_MODE_UNRELIABLE` (0): unordered, may be lost or arrive once out of order.
    Unreliable = 0,
    /// `TRANSFER_MODE_UNRELIABLE_ORDERED` (1): may be lost; a packet older than one already
    /// delivered on its channel is dropped.
    UnreliableOrdered = 1,
    /// `TRANSFER_MODE_RELIABLE` (2, the default): delivered, in order per channel.
    #[default]
    Reliable = 2,
}

impl TransferMode {
    /// The ENet packet flags Godot sends this mode with: 10 (`UNSEQUENCED |
    /// UNRELIABLE_FRAGMENT`), 8 (`UNRELIABLE_FRAGMENT`) or 1 (`RELIABLE`). For peers written on
    /// [`Connection`] that speak Godot's protocol.
    pub const fn enet_flags(self) -> i32 {
        match self {
            TransferMode::Unreliable => {
                PacketPeer::FLAG_UNSEQUENCED | PacketPeer::FLAG_UNRELIABLE_FRAGMENT
            }
            TransferMode::UnreliableOrdered => PacketPeer::FLAG_UNRELIABLE_FRAGMENT,
            TransferMode::Reliable => PacketPeer::FLAG_RELIABLE,
        }
    }

    /// The mode Godot infers from the flags a packet was delivered with
    /// ([`Packet::flags`]): `RELIABLE` → reliable, else `UNSEQUENCED` → unreliable, else
    /// unreliable-ordered.
    ///
    /// So an unreliable packet too large for one datagram, which ENet delivers as (sequenced)
    /// unreliable fragments, is reported as [`TransferMode::UnreliableOrdered`], as in Godot.
    pub const fn from_enet_flags(flags: i32) -> TransferMode {
        if flags & PacketPeer::FLAG_RELIABLE != 0 {
            TransferMode::Reliable
        } else if flags & PacketPeer::FLAG_UNSEQUENCED != 0 {
            TransferMode::Unreliable
        } else {
            TransferMode::UnreliableOrdered
        }
    }
}

/// Godot's `MultiplayerPeer.ConnectionStatus`, with its numeric values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ConnectionStatus {
    /// `CONNECTION_DISCONNECTED` (0): not active, or closed.
    #[default]
    Disconnected = 0,
    /// `CONNECTION_CONNECTING` (1): a client waiting for the server.
    Connecting = 1,
    /// `CONNECTION_CONNECTED` (2): a server, a mesh, or a client the server accepted.
    Connected = 2,
}

/// Godot's two `MultiplayerPeer` signals, returned by [`MultiplayerPeer::poll`] in the order
/// Godot emits them.
///
/// Every `PeerDisconnected(id)` follows a `PeerConnected(id)` for the same peer, and at most one
/// does: peers dropped by [`close`](MultiplayerPeer::close) or by
/// [`disconnect_peer`](MultiplayerPeer::disconnect_peer) with `force` get none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MultiplayerEvent {
    /// `peer_connected(id)`: a client was accepted (server), the server accepted us (client, id
    /// 1), or a mesh peer was added.
    PeerConnected(i32),
    /// `peer_disconnected(id)`: the peer left, timed out or was disconnected.
    PeerDisconnected(i32),
}

/// A received packet waiting in the FIFO, with what `get_packet_*` report about it. It keeps
/// counting against its sender's `max_waiting_data` until taken, so the FIFO holds at most that
/// much (plus one packet) per remote, as ENet's own queues do.
struct Incoming {
    packet: Packet,
    /// The handle it came through, to release its count when taken.
    peer: PacketPeer,
    from: i32,
    /// The ENet channel it arrived on.
    channel: u8,
}

enum Mode {
    None,
    Server {
        host: Connection,
        /// The id of each accepted client's peer (Godot's `_net_id` metadata).
        ids: HashMap<PacketPeer, i32>,
    },
    Client {
        host: Connection,
    },
    /// One connection per remote, keyed by the remote's id (the keys of `peers` too).
    Mesh {
        hosts: BTreeMap<i32, Connection>,
    },
}

/// Godot's `ENetMultiplayerPeer`: a server, a client or a mesh member speaking Godot 4's
/// high-level multiplayer protocol over ENet, so Godot 4 games and this crate interoperate.
///
/// Set it up with [`create_server`], [`create_client`] or [`create_mesh`] (+
/// [`add_mesh_peer`]), then call [`poll`] regularly: it does all network I/O and returns
/// Godot's signals as [`MultiplayerEvent`]s. Received packets queue in one FIFO: inspect the
/// head with [`get_packet_peer`], [`get_packet_channel`] and [`get_packet_mode`], take it with
/// [`get_packet`]. Send with [`put_packet`] to the peer chosen by [`set_target_peer`], in the
/// mode and channel set by [`set_transfer_mode`] and [`set_transfer_channel`].
///
/// Methods keep Godot's names and error codes. Where Godot returns a placeholder value with an
/// error print (for example `get_packet_peer()` → 1 on an empty queue), this returns `Err` with
/// the code documented on the method; where Godot's method is `void` and only logs, this returns
/// `Err` too.
///
/// `MultiplayerPeer` is `Send` and `Sync` (everything that changes state takes `&mut self`).
/// Dropping it [`close`]s it, as Godot's destructor does.
///
/// # Deviations from Godot
///
/// Each is documented on its method; in short:
/// * [`create_server`] passes `in_bandwidth` and the channel limit where they belong (Godot
///   passes `max_channels + 2` as the incoming bandwidth and leaves the channel limit at 255,
///   godotengine/godot#123254).
/// * A refused client (server refusing new connections, id below 2 or above 2³¹−1, id in use) is
///   told at once with an ENet DISCONNECT carrying [`DISCONNECT_REFUSED`],
///   [`DISCONNECT_INVALID_ID`] or [`DISCONNECT_DUPLICATE_ID`], instead of being reset silently
///   and left to time out. While refusing, CONNECTs are answered without allocating a slot.
/// * [`add_mesh_peer`] rejects ids below 1 and ids already added, and gives the connection back
///   on every error.
/// * [`put_packet`] rejects transfer channels outside `0..=253` and reports a send to a single
///   peer that ENet refuses.
///
/// ```
/// use enet::{MultiplayerEvent, MultiplayerPeer, TransferMode};
///
/// let mut server = MultiplayerPeer::new();
/// server.set_bind_ip("127.0.0.1").unwrap();
/// server.create_server(0, 32, 0, 0, 0).unwrap();
/// let port = server.get_host().unwrap().get_local_port().unwrap();
///
/// let mut client = MultiplayerPeer::new();
/// client.create_client("127.0.0.1", i32::from(port), 0, 0, 0, 0).unwrap();
/// let client_id = client.get_unique_id().unwrap();
///
/// let mut connected = false;
/// while !connected {
///     for event in server.poll().unwrap() {
///         assert_eq!(event, MultiplayerEvent::PeerConnected(client_id));
///         connected = true;
///     }
///     client.poll().unwrap();
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
///
/// client.put_packet(b"hello").unwrap(); // reliable, transfer channel 0, to the server
/// while server.get_available_packet_count() == 0 {
///     server.poll().unwrap();
///     client.poll().unwrap();
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// assert_eq!(server.get_packet_peer(), Ok(client_id));
/// assert_eq!(server.get_packet_mode(), Ok(TransferMode::Reliable));
/// assert_eq!(&server.get_packet().unwrap()[..], b"hello");
/// ```
///
/// [`create_server`]: MultiplayerPeer::create_server
/// [`create_client`]: MultiplayerPeer::create_client
/// [`create_mesh`]: MultiplayerPeer::create_mesh
/// [`add_mesh_peer`]: MultiplayerPeer::add_mesh_peer
/// [`poll`]: MultiplayerPeer::poll
/// [`close`]: MultiplayerPeer::close
/// [`get_packet_peer`]: MultiplayerPeer::get_packet_peer
/// [`get_packet_channel`]: MultiplayerPeer::get_packet_channel
/// [`get_packet_mode`]: MultiplayerPeer::get_packet_mode
/// [`get_packet`]: MultiplayerPeer::get_packet
/// [`put_packet`]: MultiplayerPeer::put_packet
/// [`set_target_peer`]: MultiplayerPeer::set_target_peer
/// [`set_transfer_mode`]: MultiplayerPeer::set_transfer_mode
/// [`set_transfer_channel`]: MultiplayerPeer::set_transfer_channel
/// [`DISCONNECT_REFUSED`]: MultiplayerPeer::DISCONNECT_REFUSED
/// [`DISCONNECT_INVALID_ID`]: MultiplayerPeer::DISCONNECT_INVALID_ID
/// [`DISCONNECT_DUPLICATE_ID`]: MultiplayerPeer::DISCONNECT_DUPLICATE_ID
pub struct MultiplayerPeer {
    mode: Mode,
    unique_id: i32,
    target_peer: i32,
    transfer_mode: TransferMode,
    transfer_channel: i32,
    refuse_new_connections: bool,
    connection_status: ConnectionStatus,
    /// The connected remotes by id: the server (1) for a client, accepted clients for a server,
    /// added peers for a mesh.
    peers: BTreeMap<i32, PacketPeer>,
    incoming: VecDeque<Incoming>,
    /// Events raised outside `poll` (by `add_mesh_peer`), returned first by the next `poll`.
    events: Vec<MultiplayerEvent>,
    bind_ip: String,
}

impl Default for MultiplayerPeer {
    fn default() -> Self {
        MultiplayerPeer::new()
    }
}

impl MultiplayerPeer {
    /// `TARGET_PEER_BROADCAST` (0): [`set_target_peer`](Self::set_target_peer) value for "every
    /// peer".
    pub const TARGET_PEER_BROADCAST: i32 = 0;
    /// `TARGET_PEER_SERVER` (1): the server's id, always.
    pub const TARGET_PEER_SERVER: i32 = 1;
    /// DISCONNECT data a refused client receives when the server is refusing new connections
    /// ([`set_refuse_new_connections`](Self::set_refuse_new_connections)). Not in Godot, which
    /// resets the connection silently; Godot clients ignore disconnect data.
    pub const DISCONNECT_REFUSED: u32 = 1;
    /// DISCONNECT data a client receives when its CONNECT data is not a valid unique id (below 2,
    /// or above 2³¹−1). Not in Godot (silent reset).
    pub const DISCONNECT_INVALID_ID: u32 = 2;
    /// DISCONNECT data a client receives when another connected client already has its unique
    /// id. Not in Godot (silent reset).
    pub const DISCONNECT_DUPLICATE_ID: u32 = 3;

    /// An inactive peer (`Disconnected`), bind IP `"*"`, transfer mode reliable, transfer channel
    /// 0, target broadcast: Godot's `ENetMultiplayerPeer.new()`.
    pub fn new() -> MultiplayerPeer {
        MultiplayerPeer {
            mode: Mode::None,
            unique_id: 0,
            target_peer: Self::TARGET_PEER_BROADCAST,
            transfer_mode: TransferMode::Reliable,
            transfer_channel: 0,
            refuse_new_connections: false,
            connection_status: ConnectionStatus::Disconnected,
            peers: BTreeMap::new(),
            incoming: VecDeque::new(),
            events: Vec::new(),
            bind_ip: "*".to_owned(),
        }
    }

    fn is_active(&self) -> bool {
        !matches!(self.mode, Mode::None)
    }

    /// Creates a server listening on `port` (0 = any free port) of the bind IP
    /// ([`set_bind_ip`](Self::set_bind_ip)) for up to `max_clients` clients, with `max_channels`
    /// custom transfer channels (0 = as many as ENet allows, 253) and bandwidth limits in bytes/s
    /// (0 = unlimited). The server's unique id is 1 and its status `Connected`. Resets
    /// [`is_refusing_new_connections`](Self::is_refusing_new_connections) to false.
    ///
    /// Errors: [`Error::AlreadyInUse`] if this peer is active (call [`close`](Self::close)
    /// first); [`Error::InvalidParameter`] for a bind IP ENet cannot use (IPv6), a port outside
    /// `0..=65535`, `max_clients` outside `1..=4095`, `max_channels` above 253 or a negative
    /// bandwidth; [`Error::CantCreate`] if the socket cannot be bound (port in use).
    ///
    /// **Deviation (Godot issue #123254):** Godot passes `max_channels + 2` as the host's
    /// *incoming bandwidth* and 0 as its channel limit, ignoring `in_bandwidth`; with
    /// `max_channels > 0` that throttles every client to a few bytes per second. Here the host's
    /// channel limit is `max_channels + 2` (0 stays ENet's 255) and `in_bandwidth` is the incoming
    /// bandwidth. Godot clients are unaffected as long as they use only the transfer channels the
    /// server was created with (Godot's server would grant up to 255 channels regardless).
    pub fn create_server(
        &mut self,
        port: i32,
        max_clients: i32,
        max_channels: i32,
        in_bandwidth: i32,
        out_bandwidth: i32,
    ) -> Result<()> {
        if self.is_active() {
            return Err(Error::AlreadyInUse);
        }
        self.refuse_new_connections = false;
        let channels = if max_channels > 0 {
            max_channels.saturating_add(SYSCH_MAX)
        } else {
            0
        };
        let host = Connection::new();
        host.create_host_bound(
            &self.bind_ip,
            port,
            max_clients,
            channels,
            in_bandwidth,
            out_bandwidth,
        )?;
        host.set_refusal_data(Self::DISCONNECT_REFUSED)?;
        self.mode = Mode::Server {
            host,
            ids: HashMap::new(),
        };
        self.unique_id = Self::TARGET_PEER_SERVER;
        self.connection_status = ConnectionStatus::Connected;
        Ok(())
    }

    /// Creates a client and starts connecting to the server at `address` (an IPv4 literal or a
    /// host name, resolved blocking) on `port`, with `channel_count` custom transfer channels (0 =
    /// as many as the server allows) and bandwidth limits in bytes/s (0 = unlimited). A
    /// `local_port` other than 0 binds the client to that port of the bind IP (NAT traversal).
    ///
    /// The client's unique id is chosen here ([`generate_unique_id`](Self::generate_unique_id))
    /// and sent in the ENet CONNECT; the status is `Connecting` until the server answers, when
    /// [`poll`](Self::poll) returns [`MultiplayerEvent::PeerConnected`]`(1)`. `Ok` does not mean a
    /// server exists. Resets [`is_refusing_new_connections`](Self::is_refusing_new_connections).
    ///
    /// Errors: [`Error::AlreadyInUse`] if active; [`Error::InvalidParameter`] for a `local_port`
    /// outside `0..=65535` or a negative bandwidth; [`Error::CantCreate`] if the host cannot be
    /// created (local port in use) or the connection cannot be started (a `port` outside
    /// `1..=65535`, an IPv6 address, a name that does not resolve — Godot reports all of these as
    /// `ERR_CANT_CREATE`).
    pub fn create_client(
        &mut self,
        address: &str,
        port: i32,
        channel_count: i32,
        in_bandwidth: i32,
        out_bandwidth: i32,
        local_port: i32,
    ) -> Result<()> {
        if self.is_active() {
            return Err(Error::AlreadyInUse);
        }
        self.refuse_new_connections = false;
        let host = Connection::new();
        if local_port != 0 {
            host.create_host_bound(&self.bind_ip, local_port, 1, 0, in_bandwidth, out_bandwidth)?;
        } else {
            host.create_host(1, 0, in_bandwidth, out_bandwidth)?;
        }
        let unique_id = self.generate_unique_id();
        let channels = if channel_count > 0 {
            channel_count.saturating_add(SYSCH_MAX)
        } else {
            0
        };
        let server = host
            .connect_to_host(address, port, channels, unique_id as u32)
            .map_err(|_| Error::CantCreate)?;
        self.peers.insert(Self::TARGET_PEER_SERVER, server);
        self.mode = Mode::Client { host };
        self.unique_id = unique_id;
        self.connection_status = ConnectionStatus::Connecting;
        Ok(())
    }

    /// Starts a mesh with `unique_id` as this peer's id (any positive id, 1 included; ids are not
    /// negotiated). No host is created: connect each remote yourself with a [`Connection`] and
    /// hand it over with [`add_mesh_peer`](Self::add_mesh_peer). The status is `Connected` at
    /// once.
    ///
    /// Errors, in Godot's order: [`Error::InvalidParameter`] if `unique_id <= 0`;
    /// [`Error::AlreadyInUse`] if active.
    pub fn create_mesh(&mut self, unique_id: i32) -> Result<()> {
        if unique_id <= 0 {
            return Err(Error::InvalidParameter);
        }
        if self.is_active() {
            return Err(Error::AlreadyInUse);
        }
        self.mode = Mode::Mesh {
            hosts: BTreeMap::new(),
        };
        self.unique_id = unique_id;
        self.connection_status = ConnectionStatus::Connected;
        Ok(())
    }

    /// Adds the remote `peer_id`, connected through `host`, to the mesh. `host` must have exactly
    /// one peer, in state [`PeerState::Connected`] (service it until both sides saw
    /// [`Event::Connect`]). The peer takes ownership of `host` and services it from then on;
    /// further CONNECTs to it are refused ([`DISCONNECT_REFUSED`](Self::DISCONNECT_REFUSED)).
    ///
    /// Godot emits `peer_connected(peer_id)` synchronously here; this queues
    /// [`MultiplayerEvent::PeerConnected`]`(peer_id)` and the next [`poll`](Self::poll) returns it
    /// first. Packets already queued on the host's peer before the call are not taken over (as in
    /// Godot).
    ///
    /// Errors, with `host` handed back: [`Error::Unconfigured`] if this is not a mesh;
    /// [`Error::InvalidParameter`] if `peer_id < 1` or `host` does not have exactly one connected
    /// peer; [`Error::AlreadyInUse`] if `peer_id` was already added.
    ///
    /// **Deviation:** Godot accepts any `peer_id` and silently replaces an existing entry
    /// (destroying its connection and emitting a second `peer_connected`); ids below 1 would
    /// clash with the broadcast/exclude targets.
    pub fn add_mesh_peer(
        &mut self,
        peer_id: i32,
        host: Connection,
    ) -> std::result::Result<(), (Error, Connection)> {
        let Mode::Mesh { hosts } = &mut self.mode else {
            return Err((Error::Unconfigured, host));
        };
        if peer_id < 1 {
            return Err((Error::InvalidParameter, host));
        }
        if hosts.contains_key(&peer_id) {
            return Err((Error::AlreadyInUse, host));
        }
        let peer = match host.get_peers().as_deref() {
            Ok([peer]) if peer.get_state() == PeerState::Connected => peer.clone(),
            _ => return Err((Error::InvalidParameter, host)),
        };
        hosts.insert(peer_id, host);
        self.peers.insert(peer_id, peer);
        self.events.push(MultiplayerEvent::PeerConnected(peer_id));
        Ok(())
    }

    /// Sets the IP [`create_server`](Self::create_server) (and
    /// [`create_client`](Self::create_client) with a `local_port`) binds to: `"*"` (the default,
    /// all interfaces, shown as `0.0.0.0`) or an IP literal. Anything else is
    /// [`Error::InvalidParameter`] and leaves the bind IP unchanged (Godot: error print).
    pub fn set_bind_ip(&mut self, ip: &str) -> Result<()> {
        address::parse_bind_ip(ip)?;
        self.bind_ip = ip.to_owned();
        Ok(())
    }

    /// The server's or client's [`Connection`] (Godot's `host` property), for its statistics,
    /// timeouts, bandwidth limits or local port, borrowed from this peer.
    ///
    /// Do not [`service`](Connection::service) it or take events from it yourself: the
    /// multiplayer peer would miss them. On a server the peer uses the connection's intercept
    /// ([`Connection::set_intercept`]) to answer refused connections; replacing it makes refused
    /// clients be answered one round trip later, from an allocated slot.
    ///
    /// Errors: [`Error::Unconfigured`] if not active; [`Error::Unavailable`] in mesh mode, which
    /// has one connection per remote (Godot returns null with an error print in both cases).
    pub fn get_host(&self) -> Result<&Connection> {
        match &self.mode {
            Mode::None => Err(Error::Unconfigured),
            Mode::Mesh { .. } => Err(Error::Unavailable),
            Mode::Server { host, .. } | Mode::Client { host } => Ok(host),
        }
    }

    /// The [`PacketPeer`] of the remote `id` (a client's only remote is the server, 1), for its
    /// statistics or timeouts. Disconnecting it directly is reported by the next
    /// [`poll`](Self::poll) as [`MultiplayerEvent::PeerDisconnected`].
    ///
    /// Errors (Godot: null with an error print): [`Error::Unconfigured`] if not active;
    /// [`Error::InvalidParameter`] if no connected remote has that id.
    pub fn get_peer(&self, id: i32) -> Result<PacketPeer> {
        if !self.is_active() {
            return Err(Error::Unconfigured);
        }
        self.peers.get(&id).cloned().ok_or(Error::InvalidParameter)
    }

    /// Does all network I/O without blocking and returns the signals Godot would emit, in
    /// Godot's order: first events queued since the last poll
    /// ([`add_mesh_peer`](Self::add_mesh_peer)), then `PeerDisconnected` for peers that became
    /// inactive without an ENet event (for example after
    /// [`get_peer`](Self::get_peer)`(id)?.peer_disconnect_now(..)`), then the events of this
    /// service, in the order ENet delivered them. Received packets join the FIFO.
    ///
    /// * **Server:** a client whose CONNECT data is a free id in `2..=2³¹−1` is accepted
    ///   ([`MultiplayerEvent::PeerConnected`]`(id)`); others are refused with an immediate
    ///   DISCONNECT (see the `DISCONNECT_*` constants). A validated client leaving gives
    ///   `PeerDisconnected(id)`.
    /// * **Client:** the server's answer gives status `Connected` and `PeerConnected(1)`. An ENet
    ///   disconnect (server closed, kicked us, timed out, refused us) gives `PeerDisconnected(1)`
    ///   if we were connected, then closes: the status becomes `Disconnected` (while still
    ///   `Connecting`, no event: Godot's `SceneMultiplayer` reports that as `connection_failed`).
    /// * **Mesh:** a remote that disconnects or fails gives `PeerDisconnected(id)` and its
    ///   connection is dropped.
    ///
    /// An ENet failure on a server or client host closes the peer, as in Godot (status
    /// `Disconnected`; the events gathered so far are still returned).
    ///
    /// **Deviation:** poll ends by flushing its hosts, so what servicing queued (acknowledgements,
    /// among them the one that completes a client's handshake) leaves now rather than at the next
    /// poll. Godot sends it one poll later: a Godot client that stops polling right after
    /// connecting is never seen by the server.
    ///
    /// [`Error::Unconfigured`] if not active (Godot: error print).
    #[must_use = "the events are Godot's peer_connected/peer_disconnected signals"]
    pub fn poll(&mut self) -> Result<Vec<MultiplayerEvent>> {
        if !self.is_active() {
            return Err(Error::Unconfigured);
        }
        let mut events = std::mem::take(&mut self.events);
        self.disconnect_inactive_peers(&mut events);
        match self.mode {
            Mode::None => {}
            Mode::Server { .. } => self.poll_server(&mut events),
            Mode::Client { .. } => self.poll_client(&mut events),
            Mode::Mesh { .. } => self.poll_mesh(&mut events),
        }
        Ok(events)
    }

    /// Drops remotes whose handle went inactive without an ENet event.
    fn disconnect_inactive_peers(&mut self, events: &mut Vec<MultiplayerEvent>) {
        let gone: Vec<i32> = self
            .peers
            .iter()
            .filter(|(_, peer)| peer.is_detached())
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            let peer = self.peers.remove(&id);
            match &mut self.mode {
                Mode::Server { ids, .. } => {
                    if let Some(peer) = peer {
                        ids.remove(&peer);
                    }
                }
                Mode::Mesh { hosts } => {
                    hosts.remove(&id);
                }
                // Godot emits peer_disconnected(1) here even for a server that never answered;
                // only a connected server was announced, so only it is un-announced.
                Mode::Client { .. } if self.connection_status != ConnectionStatus::Connected => {
                    continue;
                }
                Mode::Client { .. } | Mode::None => {}
            }
            events.push(MultiplayerEvent::PeerDisconnected(id));
        }
    }

    fn poll_server(&mut self, events: &mut Vec<MultiplayerEvent>) {
        let Mode::Server { host, ids } = &mut self.mode else {
            return;
        };
        let mut failed = false;
        for event in drain(host) {
            match event {
                Ok(Event::None) => {}
                Err(_) => {
                    failed = true;
                    break;
                }
                Ok(Event::Connect { peer, data }) => {
                    match admit(data, self.refuse_new_connections, &self.peers) {
                        Ok(id) => {
                            ids.insert(peer.clone(), id);
                            self.peers.insert(id, peer);
                            events.push(MultiplayerEvent::PeerConnected(id));
                        }
                        // disconnect_now frees the slot at once; no local event follows.
                        Err(reason) => {
                            let _ = peer.peer_disconnect_now(reason);
                        }
                    }
                }
                Ok(Event::Disconnect { peer, .. }) => {
                    // A peer never accepted (or dropped by a forced disconnect_peer) is ignored.
                    if let Some(id) = ids.remove(&peer) {
                        self.peers.remove(&id);
                        events.push(MultiplayerEvent::PeerDisconnected(id));
                    }
                }
                Ok(Event::Receive { peer, channel }) => match ids.get(&peer) {
                    Some(&from) => store(&mut self.incoming, &peer, from, channel),
                    // Only reachable if someone else took the CONNECT event: drop the packet.
                    None => {
                        let _ = peer.get_packet();
                    }
                },
            }
        }
        if failed {
            self.close_session();
        } else {
            let _ = host.flush();
        }
    }

    fn poll_client(&mut self, events: &mut Vec<MultiplayerEvent>) {
        let Mode::Client { host } = &self.mode else {
            return;
        };
        let mut close = !self.peers.contains_key(&Self::TARGET_PEER_SERVER);
        if !close {
            for event in drain(host) {
                match event {
                    Ok(Event::None) => {}
                    Ok(Event::Connect { .. }) => {
                        self.connection_status = ConnectionStatus::Connected;
                        events.push(MultiplayerEvent::PeerConnected(Self::TARGET_PEER_SERVER));
                    }
                    Ok(Event::Disconnect { .. }) => {
                        if self.connection_status == ConnectionStatus::Connected {
                            events
                                .push(MultiplayerEvent::PeerDisconnected(Self::TARGET_PEER_SERVER));
                        }
                        close = true;
                        break;
                    }
                    Err(_) => {
                        close = true;
                        break;
                    }
                    Ok(Event::Receive { peer, channel }) => {
                        store(&mut self.incoming, &peer, Self::TARGET_PEER_SERVER, channel)
                    }
                }
            }
        }
        if close {
            self.close_session();
        } else {
            let _ = host.flush();
        }
    }

    fn poll_mesh(&mut self, events: &mut Vec<MultiplayerEvent>) {
        let Mode::Mesh { hosts } = &mut self.mode else {
            return;
        };
        let mut dropped = Vec::new();
        for (&id, host) in hosts.iter() {
            for event in drain(host) {
                match event {
                    Ok(Event::None) => {}
                    // A mesh connection carries exactly one peer: refuse anyone else.
                    Ok(Event::Connect { peer, .. }) => {
                        let _ = peer.peer_disconnect_now(Self::DISCONNECT_REFUSED);
                    }
                    Ok(Event::Receive { peer, channel }) => {
                        store(&mut self.incoming, &peer, id, channel)
                    }
                    Ok(Event::Disconnect { .. }) | Err(_) => {
                        dropped.push(id);
                        break;
                    }
                }
            }
            let _ = host.flush();
        }
        for id in dropped {
            hosts.remove(&id);
            if self.peers.remove(&id).is_some() {
                events.push(MultiplayerEvent::PeerDisconnected(id));
            }
        }
    }

    /// Sends a copy of `buffer` to the target peer ([`set_target_peer`](Self::set_target_peer))
    /// in the current transfer mode and channel, and flushes at once (no wait for the next
    /// [`poll`](Self::poll)). The packet is exactly `buffer`: no header.
    ///
    /// Routing: a server sends to every connected client (target 0), every client but `-target`
    /// (negative target) or one client; a client always sends to the server (targets 0, 1 and
    /// −1 are accepted, there is no relay at this layer: Godot's `SceneMultiplayer` relays by
    /// wrapping packets in its own protocol); a mesh peer sends to every remote but `-target`
    /// (target ≤ 0) or one remote.
    ///
    /// Errors, in Godot's order: [`Error::Unconfigured`] if not active, or not connected (a
    /// client still connecting); [`Error::InvalidParameter`] if the target is neither 0 nor a
    /// connected remote's id (or its negation); [`Error::Bug`] for a client without its server
    /// peer (unreachable: Godot's internal check). Then, **deviations**:
    /// [`Error::InvalidParameter`] if the transfer channel is outside `0..=253` (Godot wraps or
    /// fails silently); and for a send to one peer (a client, or a positive target) the error of
    /// [`PacketPeer::send`] if ENet refuses it (the channel is beyond what the remote negotiated:
    /// [`Error::InvalidParameter`]/[`Error::Failed`]; the remote is already gone:
    /// [`Error::Unconfigured`]) where Godot prints and returns OK. A server broadcast returns the
    /// error of [`Connection::broadcast`] (channel above the host's limit). Sends to several
    /// peers skip peers that refuse, as Godot does.
    pub fn put_packet(&self, buffer: &[u8]) -> Result<()> {
        if !self.is_active() || self.connection_status != ConnectionStatus::Connected {
            return Err(Error::Unconfigured);
        }
        let target = self.target_peer;
        let exclude = match i32::try_from(target.unsigned_abs()) {
            Ok(id) if id == 0 || self.peers.contains_key(&id) => id,
            _ => return Err(Error::InvalidParameter),
        };
        let (channel, flags) = enet_channel_and_flags(self.transfer_mode, self.transfer_channel)?;
        let others = || self.peers.iter().filter(move |(id, _)| **id != exclude);
        match &self.mode {
            Mode::None => Err(Error::Unconfigured),
            Mode::Server { host, .. } => {
                if target == Self::TARGET_PEER_BROADCAST {
                    host.broadcast(channel, buffer, flags)?;
                } else if target < 0 {
                    for (_, peer) in others() {
                        let _ = peer.send(channel, buffer, flags);
                    }
                } else {
                    self.peers[&target].send(channel, buffer, flags)?;
                }
                host.flush()
            }
            Mode::Client { host } => {
                let server = self
                    .peers
                    .get(&Self::TARGET_PEER_SERVER)
                    .ok_or(Error::Bug)?;
                server.send(channel, buffer, flags)?;
                host.flush()
            }
            Mode::Mesh { hosts } => {
                if target <= 0 {
                    for (id, peer) in others() {
                        let _ = peer.send(channel, buffer, flags);
                        let _ = hosts[id].flush();
                    }
                    Ok(())
                } else {
                    self.peers[&target].send(channel, buffer, flags)?;
                    hosts[&target].flush()
                }
            }
        }
    }

    /// Takes the oldest received packet (the one `get_packet_peer`/`_channel`/`_mode` describe),
    /// without copying. [`Error::Unavailable`] when none is queued.
    ///
    /// Packets wait in the FIFO until taken, and count against their sender's
    /// [`max_waiting_data`](Connection::set_max_waiting_data) until then: the FIFO holds at most
    /// about that much (plus one packet) per remote, and at that point ENet accepts nothing more
    /// from the remote until you read (reliable data is retransmitted, nothing reliable is lost).
    pub fn get_packet(&mut self) -> Result<Packet> {
        let incoming = self.incoming.pop_front().ok_or(Error::Unavailable)?;
        // Only fails if this thread is inside the remote's connection (Busy); the count then
        // stays until ENet resets the peer: conservative, never over the bound.
        incoming.peer.release_held(held_cost(&incoming.packet));
        Ok(incoming.packet)
    }

    /// The number of received packets waiting in the FIFO.
    pub fn get_available_packet_count(&self) -> usize {
        self.incoming.len()
    }

    fn head(&self) -> Result<&Incoming> {
        if !self.is_active() {
            return Err(Error::Unconfigured);
        }
        self.incoming.front().ok_or(Error::Unavailable)
    }

    /// The sender's id of the next packet: a client's id on a server, 1 on a client, the remote's
    /// id in a mesh. Errors (Godot: 1 with an error print): [`Error::Unconfigured`] if not
    /// active, [`Error::Unavailable`] if no packet is queued.
    pub fn get_packet_peer(&self) -> Result<i32> {
        self.head().map(|head| head.from)
    }

    /// The transfer channel the next packet was sent on (ENet channel `c ≥ 2` → `c − 1`, channels
    /// 0 and 1 → 0). Errors (Godot: 1 with an error print): [`Error::Unconfigured`] if not
    /// active, [`Error::Unavailable`] if no packet is queued.
    pub fn get_packet_channel(&self) -> Result<i32> {
        self.head()
            .map(|head| (i32::from(head.channel) - (SYSCH_MAX - 1)).max(0))
    }

    /// The transfer mode the next packet was sent with, inferred from its ENet flags
    /// ([`TransferMode::from_enet_flags`]). Errors (Godot: `TRANSFER_MODE_RELIABLE` with an error
    /// print): [`Error::Unconfigured`] if not active, [`Error::Unavailable`] if no packet is
    /// queued.
    pub fn get_packet_mode(&self) -> Result<TransferMode> {
        self.head()
            .map(|head| TransferMode::from_enet_flags(head.packet.flags()))
    }

    /// Chooses where [`put_packet`](Self::put_packet) sends: 0 (`TARGET_PEER_BROADCAST`) every
    /// peer, 1 (`TARGET_PEER_SERVER`) the server, another positive id that peer, a negative id
    /// every peer but `-id`. Not validated here (put_packet does), as in Godot.
    pub fn set_target_peer(&mut self, id: i32) {
        self.target_peer = id;
    }

    /// Sets the transfer mode of the next [`put_packet`](Self::put_packet)s.
    pub fn set_transfer_mode(&mut self, mode: TransferMode) {
        self.transfer_mode = mode;
    }

    /// The transfer mode of the next [`put_packet`](Self::put_packet)s (default reliable).
    pub fn get_transfer_mode(&self) -> TransferMode {
        self.transfer_mode
    }

    /// Sets the transfer channel of the next [`put_packet`](Self::put_packet)s: 0 (the default)
    /// uses the two system channels, `n` in `1..=253` uses ENet channel `n + 1` in every mode.
    /// Stored as given, as in Godot; put_packet rejects values outside `0..=253`.
    pub fn set_transfer_channel(&mut self, channel: i32) {
        self.transfer_channel = channel;
    }

    /// The transfer channel of the next [`put_packet`](Self::put_packet)s.
    pub fn get_transfer_channel(&self) -> i32 {
        self.transfer_channel
    }

    /// While `enable` is true, a server refuses new clients: each is told at once with an ENet
    /// DISCONNECT carrying [`DISCONNECT_REFUSED`](Self::DISCONNECT_REFUSED). Connected clients
    /// are unaffected. Takes effect on the current server; `create_server` and `create_client`
    /// reset it to false (as in Godot).
    ///
    /// **Deviation:** Godot resets refused peers silently (the client waits for ENet's timeout,
    /// 5–30 s). Here a CONNECT arriving while refusing is dropped before ENet allocates a slot
    /// and answered with the DISCONNECT straight from the server's socket
    /// ([`Connection::refuse_new_connections`]); a handshake already in
    /// progress when refusing starts is refused at its CONNECT event with
    /// [`PacketPeer::peer_disconnect_now`], which frees the slot at once.
    pub fn set_refuse_new_connections(&mut self, enable: bool) {
        self.refuse_new_connections = enable;
        if let Mode::Server { host, .. } = &self.mode {
            // Only fails without a host, which a server always has.
            let _ = host.refuse_new_connections(enable);
        }
    }

    /// Whether new connections are refused.
    pub fn is_refusing_new_connections(&self) -> bool {
        self.refuse_new_connections
    }

    /// This peer's unique id: 1 for a server, the generated id for a client, the given id in a
    /// mesh. [`Error::Unconfigured`] if not active (Godot: 0 with an error print).
    pub fn get_unique_id(&self) -> Result<i32> {
        if !self.is_active() {
            return Err(Error::Unconfigured);
        }
        Ok(self.unique_id)
    }

    /// `Disconnected` (inactive or closed), `Connecting` (a client waiting for the server) or
    /// `Connected`.
    pub fn get_connection_status(&self) -> ConnectionStatus {
        self.connection_status
    }

    /// Closes at once: every connected remote gets an ENet DISCONNECT (data 0) without waiting
    /// for an answer, the hosts are destroyed, queued packets and undelivered events are
    /// discarded, and the status becomes `Disconnected` (refusal reset, unique id 0). **No**
    /// `PeerDisconnected` events, as in Godot. Does nothing if not active.
    pub fn close(&mut self) {
        if self.is_active() {
            self.close_session();
            self.events.clear();
        }
    }

    /// Godot's `close()` body, also run by `poll` when the client loses its server; leaves the
    /// events of the running poll alone.
    fn close_session(&mut self) {
        for peer in self.peers.values() {
            if peer.get_state() == PeerState::Connected {
                let _ = peer.peer_disconnect_now(0);
            }
        }
        self.peers.clear();
        self.incoming.clear();
        // Dropping the connections destroys their hosts.
        self.mode = Mode::None;
        self.unique_id = 0;
        self.connection_status = ConnectionStatus::Disconnected;
        self.refuse_new_connections = false;
    }

    /// Disconnects the remote `peer` gracefully (ENet DISCONNECT with data 0, flushed now).
    /// Without `force` the next polls return [`MultiplayerEvent::PeerDisconnected`]`(peer)` once
    /// ENet completes the disconnect. With `force` the peer is forgotten at once and no event
    /// follows; a forced client closes (status `Disconnected`); a forced mesh remote's connection
    /// is destroyed right after the DISCONNECT is flushed.
    ///
    /// Errors (Godot: error print, no-op): [`Error::Unconfigured`] if not active;
    /// [`Error::InvalidParameter`] if `peer` is not a connected remote.
    pub fn disconnect_peer(&mut self, peer: i32, force: bool) -> Result<()> {
        if !self.is_active() {
            return Err(Error::Unconfigured);
        }
        let handle = self.peers.get(&peer).ok_or(Error::InvalidParameter)?;
        // A remote that is already gone is reported by the next poll (or forgotten with force).
        let _ = handle.peer_disconnect(0);
        let _ = match &self.mode {
            Mode::Server { host, .. } | Mode::Client { host } => host.flush(),
            Mode::Mesh { hosts } => hosts[&peer].flush(),
            Mode::None => Ok(()),
        };
        if force {
            let handle = self.peers.remove(&peer);
            match &mut self.mode {
                Mode::Server { ids, .. } => {
                    if let Some(handle) = handle {
                        ids.remove(&handle);
                    }
                }
                Mode::Mesh { hosts } => {
                    hosts.remove(&peer);
                }
                Mode::Client { .. } => self.close_session(),
                Mode::None => {}
            }
        }
        Ok(())
    }

    /// True for a server (Godot's C++-only `is_server()`).
    pub fn is_server(&self) -> bool {
        matches!(self.mode, Mode::Server { .. })
    }

    /// True for a server or a client: the layer above (Godot's `SceneMultiplayer`) may relay
    /// client-to-client packets through the server. This peer itself never relays.
    pub fn is_server_relay_supported(&self) -> bool {
        matches!(self.mode, Mode::Server { .. } | Mode::Client { .. })
    }

    /// A random id in `2..=2³¹−1`, Godot's range for client ids (never 0, never 1, the server,
    /// never negative, which means "exclude" as a target).
    ///
    /// Godot hashes clocks and addresses with MurmurHash3; this hashes clocks, this peer's
    /// address and a process-wide counter with SipHash under a randomly keyed
    /// [`RandomState`]. Neither is cryptographic, and ids are not negotiated: a duplicate is
    /// refused by the server with [`DISCONNECT_DUPLICATE_ID`](Self::DISCONNECT_DUPLICATE_ID).
    pub fn generate_unique_id(&self) -> i32 {
        static CALLS: AtomicU64 = AtomicU64::new(0);
        loop {
            let hash = RandomState::new().hash_one((
                SystemTime::now(),
                Instant::now(),
                self as *const Self as usize,
                CALLS.fetch_add(1, Ordering::Relaxed),
            ));
            let id = (hash & 0x7FFF_FFFF) as i32;
            if id >= 2 {
                return id;
            }
        }
    }
}

impl Drop for MultiplayerPeer {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for MultiplayerPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
            Mode::None => "none",
            Mode::Server { .. } => "server",
            Mode::Client { .. } => "client",
            Mode::Mesh { .. } => "mesh",
        };
        f.debug_struct("MultiplayerPeer")
            .field("mode", &mode)
            .field("unique_id", &self.unique_id)
            .field("connection_status", &self.connection_status)
            .field("peers", &self.peers.keys().collect::<Vec<_>>())
            .field("queued_packets", &self.incoming.len())
            .finish()
    }
}

/// The server's decision on a CONNECT carrying `data`: the client's id, or the DISCONNECT data
/// refusing it (Godot's checks, in Godot's order, plus ids above 2³¹−1, which Godot turns into
/// negative ids).
fn admit(data: u32, refusing: bool, peers: &BTreeMap<i32, PacketPeer>) -> Result<i32, u32> {
    if refusing {
        return Err(MultiplayerPeer::DISCONNECT_REFUSED);
    }
    let id = i32::try_from(data)
        .ok()
        .filter(|id| *id >= 2)
        .ok_or(MultiplayerPeer::DISCONNECT_INVALID_ID)?;
    if peers.contains_key(&id) {
        return Err(MultiplayerPeer::DISCONNECT_DUPLICATE_ID);
    }
    Ok(id)
}

/// Godot's channel layout: the ENet channel and flags of a packet sent in `mode` on
/// `transfer_channel`; [`Error::InvalidParameter`] for a transfer channel outside `0..=253`.
fn enet_channel_and_flags(mode: TransferMode, transfer_channel: i32) -> Result<(i32, i32)> {
    let channel = match transfer_channel {
        0 if mode == TransferMode::Reliable => 0,
        0 => 1,
        n if (1..=MAX_TRANSFER_CHANNEL).contains(&n) => n + SYSCH_MAX - 1,
        _ => return Err(Error::InvalidParameter),
    };
    Ok((channel, mode.enet_flags()))
}

/// Godot's servicing loop over one host: one non-blocking `service(0)`, then the events ENet
/// already queued (`check_events`), until there is none (`Event::None` is never yielded).
fn drain(host: &Connection) -> impl Iterator<Item = Result<Event>> + '_ {
    let mut first = true;
    std::iter::from_fn(move || {
        let next = if std::mem::take(&mut first) {
            host.service(0)
        } else {
            host.check_events()
        };
        (!matches!(next, Ok(Event::None))).then_some(next)
    })
}

/// Moves the packet a RECEIVE event queued on `peer` into the FIFO (still counted against the
/// peer's `max_waiting_data`).
fn store(incoming: &mut VecDeque<Incoming>, peer: &PacketPeer, from: i32, channel: u8) {
    if let Ok(packet) = peer.take_held_packet() {
        incoming.push_back(Incoming {
            packet,
            peer: peer.clone(),
            from,
            channel,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_have_godots_values() {
        assert_eq!(TransferMode::Unreliable as i32, 0);
        assert_eq!(TransferMode::UnreliableOrdered as i32, 1);
        assert_eq!(TransferMode::Reliable as i32, 2);
        assert_eq!(TransferMode::default(), TransferMode::Reliable);
        assert_eq!(ConnectionStatus::Disconnected as i32, 0);
        assert_eq!(ConnectionStatus::Connecting as i32, 1);
        assert_eq!(ConnectionStatus::Connected as i32, 2);
        assert_eq!(MultiplayerPeer::TARGET_PEER_BROADCAST, 0);
        assert_eq!(MultiplayerPeer::TARGET_PEER_SERVER, 1);
    }

    #[test]
    fn flags_per_mode_are_godots() {
        assert_eq!(TransferMode::Unreliable.enet_flags(), 10);
        assert_eq!(TransferMode::UnreliableOrdered.enet_flags(), 8);
        assert_eq!(TransferMode::Reliable.enet_flags(), 1);
        assert_eq!(TransferMode::from_enet_flags(1), TransferMode::Reliable);
        assert_eq!(TransferMode::from_enet_flags(1 | 8), TransferMode::Reliable);
        assert_eq!(TransferMode::from_enet_flags(2), TransferMode::Unreliable);
        assert_eq!(TransferMode::from_enet_flags(10), TransferMode::Unreliable);
        assert_eq!(
            TransferMode::from_enet_flags(8),
            TransferMode::UnreliableOrdered
        );
        assert_eq!(
            TransferMode::from_enet_flags(0),
            TransferMode::UnreliableOrdered
        );
    }

    #[test]
    fn channel_layout_is_godots() {
        use TransferMode::*;
        assert_eq!(enet_channel_and_flags(Reliable, 0), Ok((0, 1)));
        assert_eq!(enet_channel_and_flags(Unreliable, 0), Ok((1, 10)));
        assert_eq!(enet_channel_and_flags(UnreliableOrdered, 0), Ok((1, 8)));
        assert_eq!(enet_channel_and_flags(Reliable, 1), Ok((2, 1)));
        assert_eq!(enet_channel_and_flags(Unreliable, 5), Ok((6, 10)));
        assert_eq!(enet_channel_and_flags(UnreliableOrdered, 253), Ok((254, 8)));
        for bad in [-1, 254, 255, i32::MAX, i32::MIN] {
            assert_eq!(
                enet_channel_and_flags(Reliable, bad),
                Err(Error::InvalidParameter),
                "{bad}"
            );
        }
    }

    #[test]
    fn admission_follows_godots_order_with_a_reason() {
        let mut peers = BTreeMap::new();
        assert_eq!(admit(2, false, &peers), Ok(2));
        assert_eq!(admit(0x7FFF_FFFF, false, &peers), Ok(i32::MAX));
        for invalid in [0, 1, 0x8000_0000, u32::MAX] {
            assert_eq!(
                admit(invalid, false, &peers),
                Err(MultiplayerPeer::DISCONNECT_INVALID_ID)
            );
        }
        let connection = Connection::new();
        connection.create_host(1, 0, 0, 0).unwrap();
        let peer = connection
            .connect_to_host("127.0.0.1", 9, 0, 0)
            .expect("a connecting peer");
        peers.insert(7, peer);
        assert_eq!(
            admit(7, false, &peers),
            Err(MultiplayerPeer::DISCONNECT_DUPLICATE_ID)
        );
        // Refusing is checked first, whatever the id.
        assert_eq!(
            admit(0, true, &peers),
            Err(MultiplayerPeer::DISCONNECT_REFUSED)
        );
        assert_eq!(
            admit(8, true, &peers),
            Err(MultiplayerPeer::DISCONNECT_REFUSED)
        );
    }

    #[test]
    fn generated_ids_are_in_godots_range_and_vary() {
        let peer = MultiplayerPeer::new();
        let ids: std::collections::HashSet<i32> =
            (0..1000).map(|_| peer.generate_unique_id()).collect();
        assert!(ids.iter().all(|id| *id >= 2));
        assert!(ids.len() > 990, "only {} distinct ids", ids.len());
    }
}
