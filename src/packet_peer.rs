//! [`PacketPeer`]: Godot's `ENetPacketPeer`, a handle to one remote peer of a
//! [`Connection`](crate::Connection).

use crate::error::{Error, Result};
use crate::host::{PeerId, PeerMut};
use crate::packet::Packet;
use crate::shared::Shared;
use enet_sys as sys;
use std::net::IpAddr;
use std::sync::Arc;

/// Godot's `ENetPacketPeer.PeerState`: ENet's `ENetPeerState`, value for value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum PeerState {
    /// `STATE_DISCONNECTED` (0).
    Disconnected = 0,
    /// `STATE_CONNECTING` (1): an outgoing connection was started.
    Connecting = 1,
    /// `STATE_ACKNOWLEDGING_CONNECT` (2).
    AcknowledgingConnect = 2,
    /// `STATE_CONNECTION_PENDING` (3).
    ConnectionPending = 3,
    /// `STATE_CONNECTION_SUCCEEDED` (4).
    ConnectionSucceeded = 4,
    /// `STATE_CONNECTED` (5).
    Connected = 5,
    /// `STATE_DISCONNECT_LATER` (6): disconnecting once queued packets are sent.
    DisconnectLater = 6,
    /// `STATE_DISCONNECTING` (7).
    Disconnecting = 7,
    /// `STATE_ACKNOWLEDGING_DISCONNECT` (8).
    AcknowledgingDisconnect = 8,
    /// `STATE_ZOMBIE` (9): disconnected, event not yet delivered.
    Zombie = 9,
}

impl PeerState {
    fn from_raw(state: sys::ENetPeerState) -> PeerState {
        match state {
            sys::ENET_PEER_STATE_CONNECTING => PeerState::Connecting,
            sys::ENET_PEER_STATE_ACKNOWLEDGING_CONNECT => PeerState::AcknowledgingConnect,
            sys::ENET_PEER_STATE_CONNECTION_PENDING => PeerState::ConnectionPending,
            sys::ENET_PEER_STATE_CONNECTION_SUCCEEDED => PeerState::ConnectionSucceeded,
            sys::ENET_PEER_STATE_CONNECTED => PeerState::Connected,
            sys::ENET_PEER_STATE_DISCONNECT_LATER => PeerState::DisconnectLater,
            sys::ENET_PEER_STATE_DISCONNECTING => PeerState::Disconnecting,
            sys::ENET_PEER_STATE_ACKNOWLEDGING_DISCONNECT => PeerState::AcknowledgingDisconnect,
            sys::ENET_PEER_STATE_ZOMBIE => PeerState::Zombie,
            _ => PeerState::Disconnected,
        }
    }
}

/// Godot's `ENetPacketPeer.PeerStatistic`: each reads the same-named `ENetPeer` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum PeerStatistic {
    /// `PEER_PACKET_LOSS` (0): mean packet loss, scaled by [`PacketPeer::PACKET_LOSS_SCALE`].
    PacketLoss = 0,
    /// `PEER_PACKET_LOSS_VARIANCE` (1).
    PacketLossVariance = 1,
    /// `PEER_PACKET_LOSS_EPOCH` (2): when the loss was last measured (ENet ms clock).
    PacketLossEpoch = 2,
    /// `PEER_ROUND_TRIP_TIME` (3): mean round trip time, ms.
    RoundTripTime = 3,
    /// `PEER_ROUND_TRIP_TIME_VARIANCE` (4), ms.
    RoundTripTimeVariance = 4,
    /// `PEER_LAST_ROUND_TRIP_TIME` (5), ms.
    LastRoundTripTime = 5,
    /// `PEER_LAST_ROUND_TRIP_TIME_VARIANCE` (6), ms.
    LastRoundTripTimeVariance = 6,
    /// `PEER_PACKET_THROTTLE` (7), out of [`PacketPeer::PACKET_THROTTLE_SCALE`].
    PacketThrottle = 7,
    /// `PEER_PACKET_THROTTLE_LIMIT` (8).
    PacketThrottleLimit = 8,
    /// `PEER_PACKET_THROTTLE_COUNTER` (9).
    PacketThrottleCounter = 9,
    /// `PEER_PACKET_THROTTLE_EPOCH` (10).
    PacketThrottleEpoch = 10,
    /// `PEER_PACKET_THROTTLE_ACCELERATION` (11).
    PacketThrottleAcceleration = 11,
    /// `PEER_PACKET_THROTTLE_DECELERATION` (12).
    PacketThrottleDeceleration = 12,
    /// `PEER_PACKET_THROTTLE_INTERVAL` (13), ms.
    PacketThrottleInterval = 13,
}

/// Per-peer traffic counters (ENet's `ENetPeer` totals; beyond Godot's API).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PeerTraffic {
    /// Bytes received from the peer (`incomingDataTotal`, wraps at 2^32).
    pub incoming_data_total: u32,
    /// Bytes sent to the peer (`outgoingDataTotal`, wraps at 2^32).
    pub outgoing_data_total: u32,
    /// Reliable packets sent in the current loss interval (`packetsSent`).
    pub packets_sent: u32,
    /// Reliable packets lost in the current loss interval (`packetsLost`).
    pub packets_lost: u32,
    /// The peer's negotiated MTU.
    pub mtu: u32,
    /// What is queued toward the peer and not yet acknowledged (unreliable data: not yet sent),
    /// as [`Connection::set_max_queued_outgoing`](crate::Connection::set_max_queued_outgoing)
    /// counts it: bytes plus per-command overhead. A growing figure means the peer acknowledges
    /// slower than the application sends: apply back-pressure.
    pub queued_outgoing_data: usize,
}

/// A handle to one remote peer: Godot's `ENetPacketPeer`.
///
/// Obtained from [`Connection::service`](crate::Connection::service) events,
/// [`Connection::connect_to_host`](crate::Connection::connect_to_host) or
/// [`Connection::get_peers`](crate::Connection::get_peers). It can be cloned, stored and moved to
/// other threads. Once its peer is gone (a DISCONNECT event, [`peer_disconnect_now`],
/// [`reset`], or the connection's destroy or drop) the handle is detached for good: every call
/// returns [`Error::Unconfigured`] (or the value Godot returns without an error:
/// [`get_state`] is `Disconnected`, [`is_active`] false, [`get_available_packet_count`] 0), and
/// it never reaches whatever peer later occupies the same ENet slot.
///
/// Where Godot's method is `void` and only logs on an inactive peer, this returns
/// `Err(Error::Unconfigured)` instead of doing nothing silently.
///
/// Handles compare equal when they name the same peer occupancy of the same connection; `Hash` and
/// `Eq` use only that immutable identity, so a handle is a sound `HashMap`/`HashSet` key (clippy's
/// `mutable_key_type` lint sees the shared mutex inside: add
/// `ignore-interior-mutability = ["enet::PacketPeer"]` to your `clippy.toml`).
///
/// [`peer_disconnect_now`]: PacketPeer::peer_disconnect_now
/// [`reset`]: PacketPeer::reset
/// [`get_state`]: PacketPeer::get_state
/// [`is_active`]: PacketPeer::is_active
/// [`get_available_packet_count`]: PacketPeer::get_available_packet_count
#[derive(Clone)]
pub struct PacketPeer {
    shared: Arc<Shared>,
    id: PeerId,
}

impl PacketPeer {
    /// `FLAG_RELIABLE` (1): delivered, in order per channel, retransmitted until acknowledged.
    pub const FLAG_RELIABLE: i32 = 1;
    /// `FLAG_UNSEQUENCED` (2): unreliable and unordered (never delivered twice).
    pub const FLAG_UNSEQUENCED: i32 = 2;
    /// `FLAG_UNRELIABLE_FRAGMENT` (8): a large unreliable packet is sent as unreliable fragments
    /// instead of being made reliable.
    pub const FLAG_UNRELIABLE_FRAGMENT: i32 = 8;
    /// `PACKET_LOSS_SCALE` (65536): the scale of [`PeerStatistic::PacketLoss`].
    pub const PACKET_LOSS_SCALE: u32 = 1 << 16;
    /// `PACKET_THROTTLE_SCALE` (32): the scale of [`PeerStatistic::PacketThrottle`].
    pub const PACKET_THROTTLE_SCALE: u32 = 32;

    pub(crate) fn new(shared: Arc<Shared>, id: PeerId) -> PacketPeer {
        PacketPeer { shared, id }
    }

    /// Runs `f` on the live peer, or returns `Unconfigured` for a detached handle.
    /// [`with`](Self::with) for calls that give the servicing thread something to send: on
    /// success, a thread waiting in `service` on the connection is woken to send it now.
    fn with_work(&self, f: impl FnOnce(PeerMut<'_>) -> Result<()>) -> Result<()> {
        self.with(f)??;
        self.shared.wake.notify();
        Ok(())
    }

    fn with<T>(&self, f: impl FnOnce(PeerMut<'_>) -> T) -> Result<T> {
        self.shared
            .with(|state| Ok(f(state.host()?.peer(self.id)?)))?
    }

    /// Requests a graceful disconnect; an [`Event::Disconnect`](crate::Event::Disconnect) for this
    /// peer follows from `service` once the remote acknowledges (or times out). `data` reaches the
    /// remote's DISCONNECT event.
    pub fn peer_disconnect(&self, data: u32) -> Result<()> {
        self.with_work(|peer| {
            peer.disconnect(data);
            Ok(())
        })
    }

    /// Like [`peer_disconnect`](Self::peer_disconnect), once all queued outgoing packets are sent.
    pub fn peer_disconnect_later(&self, data: u32) -> Result<()> {
        self.with_work(|peer| {
            peer.disconnect_later(data);
            Ok(())
        })
    }

    /// Disconnects at once: sends an unsequenced DISCONNECT (not acknowledged), resets the peer
    /// and detaches this handle. **No DISCONNECT event** is generated locally.
    pub fn peer_disconnect_now(&self, data: u32) -> Result<()> {
        self.with(|peer| peer.disconnect_now(data))
    }

    /// Sends a ping now (ENet also pings by itself every [`ping_interval`](Self::ping_interval)).
    pub fn ping(&self) -> Result<()> {
        self.with_work(|mut peer| {
            peer.ping();
            Ok(())
        })
    }

    /// How often ENet pings an otherwise idle peer, in ms (0 restores ENet's 500 ms).
    pub fn ping_interval(&self, ping_interval_ms: u32) -> Result<()> {
        self.with(|mut peer| peer.ping_interval(ping_interval_ms))
    }

    /// Forcibly forgets the peer without telling it (the remote times out) and detaches this
    /// handle; no DISCONNECT event. Godot: "Peer not connected." on an inactive peer.
    pub fn reset(&self) -> Result<()> {
        self.with(|peer| peer.reset())
    }

    /// Queues a copy of `packet` for the peer on `channel` with `flags` (Godot's `send`).
    ///
    /// Errors, in Godot's order: [`Error::Unconfigured`] (detached handle);
    /// [`Error::InvalidParameter`] if `channel < 0` or `channel > get_channels()`, or `flags` has
    /// bits outside `FLAG_RELIABLE | FLAG_UNSEQUENCED | FLAG_UNRELIABLE_FRAGMENT`;
    /// [`Error::Failed`] if ENet refuses (channel equal to the channel count, peer not connected,
    /// packet over the maximum packet size); [`Error::OutOfMemory`] if the peer's outgoing queue
    /// is full ([`Connection::set_max_queued_outgoing`](crate::Connection::set_max_queued_outgoing):
    /// the peer acknowledges slower than you send). A refused packet is freed, never leaked, and
    /// nothing queued before is touched.
    pub fn send(&self, channel: i32, packet: &[u8], flags: i32) -> Result<()> {
        self.with_work(|mut peer| {
            let channel = checked_channel(&peer, channel)?;
            peer.send(channel, Packet::new(packet, flags)?)
        })
    }

    /// Queues an owned [`Packet`] on `channel` (no copy when it was made with
    /// [`Packet::from_vec`]). Same errors as [`send`](Self::send); on error the packet is freed.
    pub fn send_packet(&self, channel: i32, packet: Packet) -> Result<()> {
        self.with_work(|mut peer| {
            let channel = checked_channel(&peer, channel)?;
            peer.send(channel, packet)
        })
    }

    /// Configures ENet's throttle (interval in ms, acceleration and deceleration out of
    /// [`PACKET_THROTTLE_SCALE`](Self::PACKET_THROTTLE_SCALE)); the remote is told.
    pub fn throttle_configure(
        &self,
        interval_ms: u32,
        acceleration: u32,
        deceleration: u32,
    ) -> Result<()> {
        self.with(|mut peer| peer.throttle_configure(interval_ms, acceleration, deceleration))
    }

    /// Sets the timeout: `timeout` is ENet's limit factor on the round-trip time, `timeout_min` and
    /// `timeout_max` bound it in ms (all 0 restore ENet's 32 / 5000 / 30000). As in Godot they must
    /// satisfy `timeout <= timeout_min <= timeout_max`, else [`Error::InvalidParameter`].
    pub fn set_timeout(&self, timeout: u32, timeout_min: u32, timeout_max: u32) -> Result<()> {
        self.with(|mut peer| {
            if timeout > timeout_min || timeout_min > timeout_max {
                return Err(Error::InvalidParameter);
            }
            peer.timeout(timeout, timeout_min, timeout_max);
            Ok(())
        })?
    }

    /// One of ENet's per-peer statistics (see [`PeerStatistic`]).
    pub fn get_statistic(&self, statistic: PeerStatistic) -> Result<u32> {
        self.with(|peer| {
            peer.read(|p| match statistic {
                PeerStatistic::PacketLoss => p.packetLoss,
                PeerStatistic::PacketLossVariance => p.packetLossVariance,
                PeerStatistic::PacketLossEpoch => p.packetLossEpoch,
                PeerStatistic::RoundTripTime => p.roundTripTime,
                PeerStatistic::RoundTripTimeVariance => p.roundTripTimeVariance,
                PeerStatistic::LastRoundTripTime => p.lastRoundTripTime,
                PeerStatistic::LastRoundTripTimeVariance => p.lastRoundTripTimeVariance,
                PeerStatistic::PacketThrottle => p.packetThrottle,
                PeerStatistic::PacketThrottleLimit => p.packetThrottleLimit,
                PeerStatistic::PacketThrottleCounter => p.packetThrottleCounter,
                PeerStatistic::PacketThrottleEpoch => p.packetThrottleEpoch,
                PeerStatistic::PacketThrottleAcceleration => p.packetThrottleAcceleration,
                PeerStatistic::PacketThrottleDeceleration => p.packetThrottleDeceleration,
                PeerStatistic::PacketThrottleInterval => p.packetThrottleInterval,
            })
        })
    }

    /// Traffic totals, MTU and outgoing queue of the peer (ENet fields Godot does not expose).
    /// Counting the queue walks it: a call per frame is fine, not one per packet.
    pub fn get_traffic(&self) -> Result<PeerTraffic> {
        self.with(|peer| {
            let queued_outgoing_data = peer.queued_outgoing(usize::MAX);
            peer.read(|p| PeerTraffic {
                incoming_data_total: p.incomingDataTotal,
                outgoing_data_total: p.outgoingDataTotal,
                packets_sent: p.packetsSent,
                packets_lost: p.packetsLost,
                mtu: p.mtu,
                queued_outgoing_data,
            })
        })
    }

    /// The peer's ENet state; `Disconnected` for a detached handle (no error, as in Godot).
    ///
    /// Where every call on the connection is [`Error::Busy`] (inside its own intercept, see
    /// [Re-entrancy](crate::Connection#re-entrancy)) the state cannot be read and this also says
    /// `Disconnected`; [`get_channels`](Self::get_channels) tells the two apart.
    pub fn get_state(&self) -> PeerState {
        self.with(|peer| PeerState::from_raw(peer.state()))
            .unwrap_or(PeerState::Disconnected)
    }

    /// The number of channels allocated for the peer.
    pub fn get_channels(&self) -> Result<usize> {
        self.with(|peer| peer.channel_count())
    }

    /// The raw ENet flags of the next queued packet ([`Error::Unavailable`] when the queue is
    /// empty): `FLAG_RELIABLE`, `FLAG_UNSEQUENCED`, `FLAG_UNRELIABLE_FRAGMENT` or 0 (plain
    /// unreliable), according to how it was delivered.
    pub fn get_packet_flags(&self) -> Result<i32> {
        self.with(|peer| {
            peer.front_packet()
                .map(Packet::flags)
                .ok_or(Error::Unavailable)
        })?
    }

    /// The peer's IP address.
    pub fn get_remote_address(&self) -> Result<IpAddr> {
        self.with(|peer| peer.address().ip())
    }

    /// The peer's UDP port.
    pub fn get_remote_port(&self) -> Result<u16> {
        self.with(|peer| peer.address().port())
    }

    /// True while the handle is attached to its live peer.
    ///
    /// Where every call on the connection is [`Error::Busy`] (inside its own intercept, see
    /// [Re-entrancy](crate::Connection#re-entrancy)) the peer cannot be inspected and this says
    /// `false`; [`get_channels`](Self::get_channels) tells the two apart.
    pub fn is_active(&self) -> bool {
        self.with(|_| ()).is_ok()
    }

    /// Takes the next received packet (PacketPeer's `get_packet`), without copying.
    ///
    /// [`Error::Unconfigured`] for a detached handle (as in Godot, even if packets were queued:
    /// they were freed at detach), [`Error::Unavailable`] when the queue is empty.
    pub fn get_packet(&self) -> Result<Packet> {
        self.with(|mut peer| peer.take_packet().ok_or(Error::Unavailable))?
    }

    /// True once the handle is detached for good (a `Busy` connection says nothing either way).
    pub(crate) fn is_detached(&self) -> bool {
        self.with(|_| ()) == Err(Error::Unconfigured)
    }

    /// Takes the next received packet, which keeps counting against the connection's
    /// `max_waiting_data` until [`release_held`](Self::release_held): a `MultiplayerPeer` moving
    /// it into its FIFO. [`Error::Unavailable`] when none is queued.
    pub(crate) fn take_held_packet(&self) -> Result<Packet> {
        self.with(|mut peer| peer.take_packet_held().ok_or(Error::Unavailable))?
    }

    /// Stops counting `cost` (the `held_cost` of a packet from
    /// [`take_held_packet`](Self::take_held_packet)) against `max_waiting_data`. Nothing to do
    /// once the handle is detached: ENet reset the peer's count.
    pub(crate) fn release_held(&self, cost: usize) {
        let _ = self.with(|mut peer| peer.release(cost));
    }

    /// Sends a copy of `buffer` **reliably on channel 0** (PacketPeer's `put_packet`).
    pub fn put_packet(&self, buffer: &[u8]) -> Result<()> {
        self.with_work(|mut peer| peer.send(0, Packet::new(buffer, Self::FLAG_RELIABLE)?))
    }

    /// The number of received packets queued on the peer (0 for a detached handle, whose queue
    /// was freed at detach; Godot keeps such packets, unreadable, until the wrapper dies).
    pub fn get_available_packet_count(&self) -> usize {
        self.shared
            .with(|state| state.host().map_or(0, |host| host.queue_len(self.id)))
            .unwrap_or(0)
    }
}

/// Godot's channel check for `send`: `0..=channel_count`, else `ERR_INVALID_PARAMETER` (a channel
/// equal to the count passes here and fails in ENet, as in Godot).
fn checked_channel(peer: &PeerMut<'_>, channel: i32) -> Result<u8> {
    if channel < 0 || channel as usize > peer.channel_count() {
        return Err(Error::InvalidParameter);
    }
    u8::try_from(channel).map_err(|_| Error::Failed)
}

impl PartialEq for PacketPeer {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared) && self.id == other.id
    }
}

impl Eq for PacketPeer {}

impl std::hash::Hash for PacketPeer {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.shared) as usize).hash(state);
        self.id.hash(state);
    }
}

impl std::fmt::Debug for PacketPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketPeer")
            .field("slot", &self.id.slot)
            .field("generation", &self.id.generation)
            .finish()
    }
}

// Flags are validated by `Packet::new`; keep the Godot constant set and the check in one place.
const _: () = assert!(
    PacketPeer::FLAG_RELIABLE | PacketPeer::FLAG_UNSEQUENCED | PacketPeer::FLAG_UNRELIABLE_FRAGMENT
        == crate::packet::FLAG_ALLOWED
);
