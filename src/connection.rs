//! [`Connection`]: Godot's `ENetConnection`, one ENet host.

use crate::address;
use crate::callbacks::InterceptFn;
use crate::compress::CompressionMode;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::host::{Host, RawEvent, State};
use crate::packet::Packet;
use crate::packet_peer::PacketPeer;
use crate::shared::Shared;
use crate::wake::Waiting;
use enet_sys as sys;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Godot's `ENetConnection.HostStatistic`: the host's 32-bit traffic counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum HostStatistic {
    /// `HOST_TOTAL_SENT_DATA` (0): bytes sent.
    TotalSentData = 0,
    /// `HOST_TOTAL_SENT_PACKETS` (1): UDP datagrams sent.
    TotalSentPackets = 1,
    /// `HOST_TOTAL_RECEIVED_DATA` (2): bytes received.
    TotalReceivedData = 2,
    /// `HOST_TOTAL_RECEIVED_PACKETS` (3): UDP datagrams received.
    TotalReceivedPackets = 3,
}

/// Godot's `ENetConnection`: one ENet host (a UDP socket and its peer slots).
///
/// Created empty with [`Connection::new`], then given a host by [`create_host_bound`] (a server,
/// or any host on a known port) or [`create_host`] (a client; the OS picks the port). Everything
/// happens in [`service`]: call it regularly.
///
/// A `Connection` is `Send` and `Sync`: the host is behind a mutex, so peer handles may send from
/// other threads while one thread services. [`service`] does not hold the lock while it waits,
/// and a send, `put_packet`, ping, graceful disconnect, broadcast, `connect_to_host` or `destroy`
/// from another thread wakes that wait, so what it queued leaves at once (in microseconds, not
/// when the servicing thread's timeout ends). The wait itself still lasts until an event or the
/// timeout.
///
/// # Re-entrancy
///
/// Your code runs inside this crate's calls in three places: an [intercept](Self::set_intercept)
/// callback (ENet is in the middle of servicing), a [`drain`](Self::drain) handler, and the `Drop` of what an
/// intercept closure owns. From each of them any method of any connection or peer may be called,
/// nested to any depth, on any thread. Each call either works or returns [`Error::Busy`]; none
/// deadlocks or touches a freed host:
///
/// * On a connection ENet is servicing further up this thread's stack (from inside its own
///   intercept, however deep): `Busy`.
/// * On a connection whose `drain` handler is running further up this thread's stack: it works,
///   on the state `drain` holds (except a nested `drain` of it: `Busy`).
/// * On any other connection: it works, waiting for another thread if needed; if that thread
///   waits, directly or through others, for something this thread holds, `Busy` instead.
///
/// The crate sees only its own waits: a handler or intercept that waits for another thread (a
/// join, a channel) which itself needs the connection the handler runs in deadlocks, as with any
/// lock. Hand such work over without waiting for it.
///
/// A replaced or destroyed intercept closure is dropped after the connection is released, so
/// its `Drop` may call the connection too; a panic in an intercept drops the datagram, and its
/// payload is dropped when ENet has returned (if that `Drop` panics, the panic leaves the
/// servicing call, never aborts).
///
/// Where Godot's method is `void` and only logs when the host is inactive, this returns
/// `Err(Error::Unconfigured)` instead of doing nothing silently. Dropping the connection destroys
/// the host (as Godot's destructor does): remotes are not told and time out.
///
/// ```
/// use enet::{Connection, Event, PacketPeer};
///
/// let server = Connection::new();
/// server.create_host_bound("127.0.0.1", 0, 32, 0, 0, 0).unwrap();
/// let port = server.get_local_port().unwrap();
///
/// let client = Connection::new();
/// client.create_host(1, 0, 0, 0).unwrap();
/// let to_server = client.connect_to_host("127.0.0.1", i32::from(port), 0, 0).unwrap();
///
/// let mut echoed = None;
/// for _ in 0..1000 {
///     if let Event::Connect { .. } = client.service(1).unwrap() {
///         to_server.send(0, b"ping", PacketPeer::FLAG_RELIABLE).unwrap();
///     }
///     if let Event::Receive { peer, channel } = server.service(1).unwrap() {
///         let packet = peer.get_packet().unwrap();
///         peer.send(i32::from(channel), &packet, packet.flags()).unwrap();
///     }
///     if to_server.get_available_packet_count() > 0 {
///         echoed = Some(to_server.get_packet().unwrap());
///         break;
///     }
/// }
/// assert_eq!(&echoed.unwrap()[..], b"ping");
/// ```
///
/// [`create_host_bound`]: Connection::create_host_bound
/// [`create_host`]: Connection::create_host
/// [`service`]: Connection::service
pub struct Connection {
    shared: Arc<Shared>,
}

impl Default for Connection {
    fn default() -> Self {
        Connection::new()
    }
}

impl Connection {
    /// A connection without a host (inactive), as Godot's `ENetConnection.new()`.
    pub fn new() -> Connection {
        Connection {
            shared: Arc::new(Shared::default()),
        }
    }

    /// Runs `f` on the live host, or returns [`Error::Unconfigured`].
    fn with_host<T>(&self, f: impl FnOnce(&mut Host) -> T) -> Result<T> {
        self.shared.with(|state| state.host().map(f))?
    }

    /// Creates a host bound to `bind_address` and `bind_port` (0 = any free port), with room for
    /// `max_peers` peers and `max_channels` channels each (0 = ENet's maximum, 255), and bandwidth
    /// limits in bytes/s (0 = unlimited).
    ///
    /// `bind_address` is `"*"` or an IP literal, as in Godot. With this project's platform layer
    /// (the default on Linux) `"*"` and `"::"` bind one **dual-stack** socket serving IPv4 and IPv6
    /// peers, `"0.0.0.0"` or an IPv4 address binds IPv4 only, and an IPv6 address binds that
    /// address. With the `upstream-platform` feature ENet is IPv4-only and an IPv6 bind address is
    /// [`Error::InvalidParameter`] (as in Godot's build over a system ENet).
    ///
    /// Errors, in Godot's order: [`Error::InvalidParameter`] for a bind address that is neither an
    /// IP nor `"*"` or a port outside `0..=65535`; then the checks of
    /// [`create_host`](Self::create_host).
    pub fn create_host_bound(
        &self,
        bind_address: &str,
        bind_port: i32,
        max_peers: i32,
        max_channels: i32,
        in_bandwidth: i32,
        out_bandwidth: i32,
    ) -> Result<()> {
        let ip = address::parse_bind_ip(bind_address)?;
        let port = address::bind_port(bind_port)?;
        let bind = address::bind(ip, port)?;
        self.create(
            Some(&bind),
            max_peers,
            max_channels,
            in_bandwidth,
            out_bandwidth,
        )
    }

    /// Creates an unbound host (the OS picks a port on the first send): a client.
    ///
    /// Errors, in Godot's order: [`Error::AlreadyInUse`] if the connection already has a host;
    /// [`Error::InvalidParameter`] if `max_peers` is outside `1..=4095`, `max_channels` outside
    /// `0..=255`, or a bandwidth is negative; [`Error::CantCreate`] if ENet fails (for example the
    /// port is in use).
    pub fn create_host(
        &self,
        max_peers: i32,
        max_channels: i32,
        in_bandwidth: i32,
        out_bandwidth: i32,
    ) -> Result<()> {
        self.create(None, max_peers, max_channels, in_bandwidth, out_bandwidth)
    }

    fn create(
        &self,
        bind: Option<&sys::ENetAddress>,
        max_peers: i32,
        max_channels: i32,
        in_bandwidth: i32,
        out_bandwidth: i32,
    ) -> Result<()> {
        self.shared.with(|state| {
            if state.is_active() {
                return Err(Error::AlreadyInUse);
            }
            if !(1..=sys::ENET_PROTOCOL_MAXIMUM_PEER_ID as i32).contains(&max_peers)
                || !(0..=sys::ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT as i32).contains(&max_channels)
                || in_bandwidth < 0
                || out_bandwidth < 0
            {
                return Err(Error::InvalidParameter);
            }
            let host = Host::create(
                bind,
                max_peers as usize,
                max_channels as usize,
                in_bandwidth as u32,
                out_bandwidth as u32,
            )?;
            state.set_host(host);
            Ok(())
        })?
    }

    /// Destroys the host: every peer handle is detached, remotes are not told (they time out).
    /// [`Error::Unconfigured`] if there is no host ("Host already destroyed.").
    pub fn destroy(&self) -> Result<()> {
        self.shared.with(State::destroy)??;
        // A thread waiting in `service` returns (Unconfigured) instead of waiting on.
        self.shared.wake.notify();
        Ok(())
    }

    /// Starts a connection to `address` (an IP literal or a host name, resolved blocking to either
    /// family, IPv4 preferred when it has both) on
    /// `port`, asking for `channels` channels (≤ 0 means 255) and sending `data` in the CONNECT.
    /// The returned peer is `Connecting`; an [`Event::Connect`] follows from `service`.
    ///
    /// Errors, in Godot's order: [`Error::Unconfigured`] (no host); [`Error::AlreadyInUse`] if the
    /// connection already has any peer (Godot: "already connected to a peer"; an `ENetConnection`
    /// only initiates while it has none); [`Error::InvalidParameter`] for a port outside
    /// `1..=65535` or an IP of a family the host's socket cannot reach (IPv6 on an IPv4-only
    /// host); [`Error::CantResolve`] if the name resolves to no reachable address;
    /// [`Error::CantCreate`] if ENet has no free slot (or the IPv6 mapping is full of live
    /// peers).
    pub fn connect_to_host(
        &self,
        address: &str,
        port: i32,
        channels: i32,
        data: u32,
    ) -> Result<PacketPeer> {
        let unused = |host: &mut Host| {
            if host.attached().next().is_some() {
                return Err(Error::AlreadyInUse);
            }
            Ok(host.families())
        };
        let families = self.with_host(unused)??;
        let port = address::remote_port(port)?;
        // Name resolution can block for seconds: never while holding the connection.
        let to = address::resolve(address, port, families)?;
        let channels = if channels <= 0 {
            sys::ENET_PROTOCOL_MAXIMUM_CHANNEL_COUNT as usize
        } else {
            channels as usize
        };
        let id = self.shared.with(|state| {
            // The host may have changed meanwhile: the same checks again.
            if unused(state.host()?)? != families {
                return Err(Error::InvalidParameter);
            }
            state.connect(&to, channels, data)
        })??;
        self.shared.wake.notify();
        Ok(PacketPeer::new(self.shared.clone(), id))
    }

    /// Sends and receives, waiting up to `timeout_ms` for an event, and returns at most one.
    ///
    /// Must be called regularly on both ends: it performs all sends, receives, retransmissions and
    /// timeouts. Received packets are queued on their peer ([`PacketPeer::get_packet`]).
    /// Where Godot returns `EVENT_ERROR`, this returns `Err`: [`Error::Unconfigured`] without a
    /// host, [`Error::Failed`] if ENet's service fails. The lock is released while waiting, so
    /// other threads can use the connection's peers meanwhile (except when called from this
    /// connection's own [`drain`](Self::drain) handler, whose batch holds the lock throughout:
    /// there, prefer `service(0)`).
    pub fn service(&self, timeout_ms: u32) -> Result<Event> {
        // The clock is read only once a pass found nothing and a wait follows: `service(0)`, the
        // hot path of a busy loop, never reads it.
        let mut deadline = None;
        loop {
            // Announced before the pass a wait may follow (see `crate::wake`).
            let waiting = (timeout_ms > 0).then(|| self.shared.wake.announce());
            let (event, socket) = self.shared.with(|state| {
                let event = state.service(true)?;
                Ok::<_, Error>((event, state.host()?.socket()))
            })??;
            if !matches!(event, RawEvent::None) {
                return Ok(self.event(event));
            }
            if !wait_until(&mut deadline, timeout_ms, waiting.as_ref(), socket) {
                return Ok(Event::None);
            }
        }
    }

    /// The batch form of [`service`](Self::service) for busy loops: services and hands **every**
    /// ready event to `handler`, all under one lock, and returns how many it handled.
    ///
    /// It waits up to `timeout_ms` for a first event, as `service` does, then keeps servicing
    /// without waiting until no event is left; that last pass also sends whatever the handler
    /// queued. Inside `handler`, calls on this connection and its peers made from this thread
    /// (`peer.get_packet()`, `peer.send(..)`, `flush()`, ...) use the lock `drain` already holds
    /// instead of taking it again; other threads wait until the batch is done. Events and their
    /// order are exactly those `service` would return one by one.
    ///
    /// ```
    /// # use enet::{Connection, Event};
    /// # fn echo(server: &Connection) -> enet::Result<usize> {
    /// server.drain(0, |event| {
    ///     if let Event::Receive { peer, channel } = event {
    ///         if let Ok(packet) = peer.get_packet() {
    ///             let _ = peer.send_packet(i32::from(channel), packet);
    ///         }
    ///     }
    /// })
    /// # }
    /// ```
    ///
    /// [`Error::Busy`] when called from inside a `drain` handler or an intercept callback of this
    /// same connection (see [Re-entrancy](Connection#re-entrancy)). If the handler destroys the
    /// host, the batch ends with the events handled so far.
    pub fn drain(&self, timeout_ms: u32, mut handler: impl FnMut(Event)) -> Result<usize> {
        let mut deadline = None;
        loop {
            // Announced before the pass a wait may follow (see `crate::wake`).
            let waiting = (timeout_ms > 0).then(|| self.shared.wake.announce());
            let handled = self.shared.drain(|event| self.event(event), &mut handler)?;
            if handled > 0 {
                return Ok(handled);
            }
            let socket = self.with_host(|host| host.socket())?;
            if !wait_until(&mut deadline, timeout_ms, waiting.as_ref(), socket) {
                return Ok(0);
            }
        }
    }

    /// Returns one already-queued event without touching the socket (`enet_host_check_events`);
    /// [`Event::None`] when none is queued.
    pub fn check_events(&self) -> Result<Event> {
        let event = self.shared.with(|state| state.service(false))??;
        Ok(self.event(event))
    }

    fn event(&self, event: RawEvent) -> Event {
        let peer = |id| PacketPeer::new(self.shared.clone(), id);
        match event {
            RawEvent::None => Event::None,
            RawEvent::Connect(id, data) => Event::Connect {
                peer: peer(id),
                data,
            },
            RawEvent::Disconnect(id, data) => Event::Disconnect {
                peer: peer(id),
                data,
            },
            RawEvent::Receive(id, channel) => Event::Receive {
                peer: peer(id),
                channel,
            },
        }
    }

    /// Sends every queued packet now instead of at the next `service`.
    pub fn flush(&self) -> Result<()> {
        self.with_host(Host::flush)
    }

    /// Sets the host's bandwidth limits in bytes/s (0 = unlimited), announced to connected peers.
    pub fn bandwidth_limit(&self, in_bandwidth: u32, out_bandwidth: u32) -> Result<()> {
        self.with_host(|host| host.bandwidth_limit(in_bandwidth, out_bandwidth))
    }

    /// Limits the channels of future incoming connections (0 or above 255 means 255).
    pub fn channel_limit(&self, limit: u32) -> Result<()> {
        self.with_host(|host| host.channel_limit(limit as usize))
    }

    /// Queues a copy of `packet` for every connected peer on `channel` with `flags`.
    ///
    /// [`Error::Unconfigured`] without a host; [`Error::InvalidParameter`] if `channel` is negative
    /// or not below the host's channel limit ("Invalid channel"), or `flags` is outside
    /// `FLAG_RELIABLE | FLAG_UNSEQUENCED | FLAG_UNRELIABLE_FRAGMENT` ("Invalid flags").
    pub fn broadcast(&self, channel: i32, packet: &[u8], flags: i32) -> Result<()> {
        self.with_host(|host| {
            let limit = host.max_channels();
            let in_range = channel >= 0 && (channel as usize) <= limit;
            if !in_range {
                return Err(Error::InvalidParameter);
            }
            let packet = Packet::new(packet, flags)?;
            if channel as usize >= limit {
                return Err(Error::InvalidParameter);
            }
            host.broadcast(channel as u8, packet);
            Ok(())
        })??;
        self.shared.wake.notify();
        Ok(())
    }

    /// Sets how the bodies of outgoing datagrams are compressed (and incoming ones decompressed).
    /// There is no negotiation: both ends must use the same mode, or they cannot talk. Godot's
    /// `ENetMultiplayerPeer` never compresses. See [`CompressionMode`] for each wire format.
    ///
    /// Godot takes an `int` and silently ignores unknown values; here the mode is an enum
    /// (`CompressionMode::try_from(i32)` converts, returning `Err` for unknown values).
    pub fn compress(&self, mode: CompressionMode) -> Result<()> {
        self.with_host(|host| host.set_compression(mode))
    }

    /// DTLS is not available over upstream ENet: always [`Error::Unavailable`] (Godot's build over
    /// a system ENet returns the same).
    pub fn dtls_server_setup(&self) -> Result<()> {
        Err(Error::Unavailable)
    }

    /// DTLS is not available over upstream ENet: always [`Error::Unavailable`].
    pub fn dtls_client_setup(&self, _hostname: &str) -> Result<()> {
        Err(Error::Unavailable)
    }

    /// While `refuse` is true, datagrams that open new connections are dropped before ENet sees
    /// them, so no peer slot is allocated, and each refused client is answered at once with an
    /// ENet DISCONNECT carrying the [refusal data](Self::set_refusal_data) (so it learns within one
    /// round trip instead of waiting out ENet's connect timeout). Established peers are
    /// unaffected.
    ///
    /// Deviation: in Godot this acts only on DTLS hosts (and errors over a system ENet); here it
    /// works on every host.
    pub fn refuse_new_connections(&self, refuse: bool) -> Result<()> {
        self.with_host(|host| host.filter.refusing = refuse)
    }

    /// Sets the `data` of the DISCONNECT that answers refused connections (default 0); the client
    /// sees it in its [`Event::Disconnect`].
    pub fn set_refusal_data(&self, data: u32) -> Result<()> {
        self.with_host(|host| host.filter.refusal_data = data)
    }

    /// Returns a host traffic counter and resets it to 0.
    pub fn pop_statistic(&self, statistic: HostStatistic) -> Result<u32> {
        self.with_host(|host| {
            host.pop_statistic(match statistic {
                HostStatistic::TotalSentData => |h| &mut h.totalSentData,
                HostStatistic::TotalSentPackets => |h| &mut h.totalSentPackets,
                HostStatistic::TotalReceivedData => |h| &mut h.totalReceivedData,
                HostStatistic::TotalReceivedPackets => |h| &mut h.totalReceivedPackets,
            })
        })
    }

    /// The host's channel limit (255 when created with 0).
    pub fn get_max_channels(&self) -> Result<usize> {
        self.with_host(|host| host.max_channels())
    }

    /// The number of peer slots the host was created with.
    pub fn get_max_peers(&self) -> Result<usize> {
        self.with_host(|host| host.peer_count())
    }

    /// The UDP port the host is bound to (0 while an unbound client host has not sent yet).
    pub fn get_local_port(&self) -> Result<u16> {
        self.with_host(|host| host.local_address().map(|a| a.port()))?
    }

    /// The IP address the host is bound to (`0.0.0.0` for any).
    pub fn get_local_address(&self) -> Result<IpAddr> {
        self.with_host(|host| host.local_address().map(|a| a.ip()))?
    }

    /// Handles of every peer of the host, including peers still connecting or disconnecting.
    pub fn get_peers(&self) -> Result<Vec<PacketPeer>> {
        self.with_host(|host| {
            host.attached()
                .map(|id| PacketPeer::new(self.shared.clone(), id))
                .collect()
        })
    }

    /// Sends one raw UDP datagram from the host's socket (for NAT hole punching).
    ///
    /// The address resolves as in [`connect_to_host`](Self::connect_to_host). Errors:
    /// [`Error::Unconfigured`] (no host); [`Error::InvalidParameter`] for a port outside
    /// `1..=65535` or an IP of a family the host's socket cannot reach; [`Error::CantResolve`];
    /// [`Error::Failed`] if the socket refuses the datagram (Godot ignores the send result).
    pub fn socket_send(
        &self,
        destination_address: &str,
        destination_port: i32,
        packet: &[u8],
    ) -> Result<()> {
        let families = self.with_host(|host| host.families())?;
        let port = address::remote_port(destination_port)?;
        // Name resolution can block for seconds: never while holding the connection.
        let to = address::resolve(destination_address, port, families)?;
        self.with_host(|host| {
            if host.families() != families {
                return Err(Error::InvalidParameter);
            }
            host.socket_send(&to, packet)
        })?
    }

    /// Installs (or with `None` removes) a callback that sees every received datagram (source
    /// address and raw bytes) before ENet parses it and may drop it.
    ///
    /// The closure belongs to the host: one that owns its own connection (an `Arc<Connection>`)
    /// forms a cycle that is never dropped; capture a `Weak` or a [`PacketPeer`] instead.
    ///
    /// The callback runs inside [`service`](Self::service) on the servicing thread. Calls on this
    /// same connection or its peers from inside it return [`Error::Busy`]; calls on other
    /// connections work (see [Re-entrancy](Connection#re-entrancy)). A panic inside it is caught
    /// at the FFI boundary and drops the datagram. The replaced closure is dropped after the
    /// connection is released.
    pub fn set_intercept(&self, intercept: Option<Box<InterceptFn>>) -> Result<()> {
        let mut intercept = intercept;
        let result = self.with_host(|host| std::mem::swap(&mut host.filter.user, &mut intercept));
        // The replaced closure (or, on error, the one not installed) is dropped here, outside
        // the lock: its Drop may call this connection.
        drop(intercept);
        result
    }

    /// Turns off (or back on) this crate's fixes for upstream 1.3.18's receive-path defects
    /// (unvalidated unreliable fragments, `totalWaitingData` drift). They are on by default; this
    /// switch exists only so tests can show each defect and that the fix removes it.
    #[doc(hidden)]
    pub fn set_hardening_enabled(&self, enabled: bool) -> Result<()> {
        self.with_host(|host| host.set_hardened(enabled))
    }

    /// Turns ENet's CRC32 checksum on or off. It changes the wire format: both ends must agree
    /// (Godot never enables it).
    pub fn set_checksum_enabled(&self, enabled: bool) -> Result<()> {
        self.with_host(|host| host.set_checksum(enabled))
    }

    /// Whether ENet's CRC32 checksum is on.
    pub fn is_checksum_enabled(&self) -> Result<bool> {
        self.with_host(|host| host.checksum())
    }

    /// Sets the largest packet the host sends or accepts, in bytes. Default **4 MiB** (ENet's own
    /// default is 32 MiB; a peer can make the host allocate a whole maximum packet at once).
    pub fn set_max_packet_size(&self, bytes: usize) -> Result<()> {
        self.with_host(|host| host.set_max_packet_size(bytes))
    }

    /// The largest packet the host sends or accepts, in bytes.
    pub fn get_max_packet_size(&self) -> Result<usize> {
        self.with_host(|host| host.max_packet_size())
    }

    /// Sets how much received, undelivered data one peer may hold, in bytes. Default **8 MiB**
    /// (ENet's is 32 MiB).
    ///
    /// It counts everything received from the peer that the application has not taken yet: what
    /// ENet still reassembles or orders, the packets queued on the peer for
    /// [`PacketPeer::get_packet`], and those in a [`MultiplayerPeer`](crate::MultiplayerPeer)'s
    /// FIFO; each held packet counts its bytes plus a few dozen bytes of bookkeeping. One peer
    /// can therefore pin at most about this plus one maximum packet. At the bound ENet accepts
    /// nothing more from the peer: reliable data is not acknowledged, so the sender retransmits
    /// it and it arrives, in order, once the application reads (a sender kept waiting longer
    /// than its timeout disconnects); unreliable data arriving meanwhile is dropped.
    pub fn set_max_waiting_data(&self, bytes: usize) -> Result<()> {
        self.with_host(|host| host.set_max_waiting_data(bytes))
    }

    /// How much received, undelivered data one peer may hold, in bytes.
    pub fn get_max_waiting_data(&self) -> Result<usize> {
        self.with_host(|host| host.max_waiting_data())
    }

    /// Sets how many peers may connect from one IP address (ENet's default: 4095, no limit).
    pub fn set_duplicate_peers(&self, limit: usize) -> Result<()> {
        self.with_host(|host| host.set_duplicate_peers(limit))
    }

    /// How many peers may connect from one IP address.
    pub fn get_duplicate_peers(&self) -> Result<usize> {
        self.with_host(|host| host.duplicate_peers())
    }

    /// Sets how much may be queued toward one peer and not yet acknowledged (unreliable data: not
    /// yet sent), in bytes; each queued command (a packet, or each fragment of a large one) also
    /// counts ENet's bookkeeping for it (about 90 bytes). Default **8 MiB** (ENet has no limit: a
    /// peer that acknowledges late but never times out made a server queue everything it sent
    /// it).
    ///
    /// A send that does not fit returns [`Error::OutOfMemory`] (as Godot's packet peers do when
    /// their buffer is full) and changes nothing already queued; a broadcast skips that peer.
    /// [`PeerTraffic::queued_outgoing_data`](crate::PeerTraffic::queued_outgoing_data) shows
    /// the queue, for back-pressure. [`Error::InvalidParameter`] for 0.
    pub fn set_max_queued_outgoing(&self, bytes: usize) -> Result<()> {
        self.with_host(|host| {
            if bytes == 0 {
                return Err(Error::InvalidParameter);
            }
            host.set_max_queued_outgoing(bytes);
            Ok(())
        })?
    }

    /// How much may be queued toward one peer, in bytes (see
    /// [`set_max_queued_outgoing`](Self::set_max_queued_outgoing)).
    pub fn get_max_queued_outgoing(&self) -> Result<usize> {
        self.with_host(|host| host.max_queued_outgoing())
    }

    /// Sets how many received commands ENet may hold for one peer before the application gets
    /// them (waiting to be put in order, or dispatched and not yet serviced). Default **4096**.
    ///
    /// ENet keeps about 170 bytes per queued command, zero-length ones included (which count
    /// nothing against [`max_waiting_data`](Self::set_max_waiting_data)), and inserts each in
    /// order by walking its channel's queue: without a bound one peer made a host hold gigabytes
    /// and spend quadratic CPU. At the bound, datagrams carrying more data from that peer are
    /// dropped, as ENet does at its own limits: reliable data is retransmitted by its sender and
    /// arrives once the queue drains, unreliable data is lost. [`Error::InvalidParameter`] for
    /// 0.
    pub fn set_max_queued_commands(&self, limit: usize) -> Result<()> {
        self.with_host(|host| {
            if limit == 0 {
                return Err(Error::InvalidParameter);
            }
            host.set_max_queued_commands(limit);
            Ok(())
        })?
    }

    /// How many received commands ENet may hold for one peer.
    pub fn get_max_queued_commands(&self) -> Result<usize> {
        self.with_host(|host| host.max_queued_commands())
    }

    /// Sets how long a half-open handshake may hold a peer slot while slots are in demand, in ms:
    /// a remote that sent a CONNECT but never acknowledged the answer (a spoofed or abandoned
    /// handshake). Default **5000** (ENet keeps such a slot about 30 s, so a few CONNECTs a second
    /// kept a server full). "In demand": a CONNECT found every slot taken since the handshake
    /// began; a host with free slots leaves slow handshakes alone. Independently of it, a CONNECT that
    /// finds every slot taken evicts the oldest half-open handshake, so a flood of CONNECTs
    /// cannot keep legitimate clients out (a legitimate handshake still in progress on a full
    /// host can be the one evicted: its client retries, or times out if it already counted
    /// itself connected). Half-open remotes
    /// have raised no event and have no handle. [`Error::InvalidParameter`] for 0.
    pub fn set_half_open_timeout(&self, ms: u32) -> Result<()> {
        self.with_host(|host| {
            if ms == 0 {
                return Err(Error::InvalidParameter);
            }
            host.set_half_open_timeout(ms);
            Ok(())
        })?
    }

    /// How long a half-open handshake may hold a peer slot, in ms.
    pub fn get_half_open_timeout(&self) -> Result<u32> {
        self.with_host(|host| host.half_open_timeout())
    }

    /// Sets the MTU the host proposes to new connections, within ENet's protocol range
    /// `576..=4096` (default 1392). Outside it is [`Error::InvalidParameter`]: ENet clamps only the
    /// MTU a remote proposes, and a host whose own MTU cannot hold a command never finishes a
    /// service pass.
    pub fn set_mtu(&self, mtu: u32) -> Result<()> {
        self.with_host(|host| {
            let range = sys::ENET_PROTOCOL_MINIMUM_MTU..=sys::ENET_PROTOCOL_MAXIMUM_MTU;
            if !range.contains(&mtu) {
                return Err(Error::InvalidParameter);
            }
            host.set_mtu(mtu);
            Ok(())
        })?
    }

    /// The MTU the host proposes to new connections.
    pub fn get_mtu(&self) -> Result<u32> {
        self.with_host(|host| host.mtu())
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for Connection {
    /// The host's UDP socket, for readiness polling in an event loop (`service` must still be
    /// called: it also drives retransmissions and timeouts). -1 when there is no host.
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.with_host(|host| host.socket()).unwrap_or(-1)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let _ = self.shared.with(State::destroy);
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let active = self.shared.with(|s| s.is_active()).unwrap_or(true);
        f.debug_struct("Connection")
            .field("active", &active)
            .finish()
    }
}

/// Waits, as the thread that announced `waiting` (none with a timeout of 0), until `socket` is
/// readable, a wake-up arrives or the deadline `timeout_ms` after the first call passes
/// (`deadline` remembers it; the clock is read only here, when a wait is due). False once the
/// deadline has passed: the caller stops.
fn wait_until(
    deadline: &mut Option<Instant>,
    timeout_ms: u32,
    waiting: Option<&Waiting<'_>>,
    socket: sys::ENetSocket,
) -> bool {
    let Some(waiting) = waiting else {
        return false;
    };
    let deadline = *deadline
        .get_or_insert_with(|| Instant::now() + Duration::from_millis(u64::from(timeout_ms)));
    let remaining = deadline.saturating_duration_since(Instant::now());
    if remaining.is_zero() {
        return false;
    }
    waiting.wait(socket, remaining);
    true
}
